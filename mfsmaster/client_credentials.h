// Reads the caller's credentials of a client request (spec 10 §4): the new form
// `uid gcnt gids…` or the old `uid gid`, told apart only by the packet's length.
#pragma once
#include <cstdint>
#include <vector>

#include "mfscommon/packet.h"

namespace mfs::master {

struct RequestIds {
  uint32_t uid = 0;
  std::vector<uint32_t> gids;
};

// `trailing` is the number of bytes that follow the credentials in this request.
// False when the remaining length fits neither form.
bool read_request_ids(PacketReader& in, size_t trailing, RequestIds& ids);

}  // namespace mfs::master
