#include "mfsmaster/client_credentials.h"

namespace mfs::master {

bool read_request_ids(PacketReader& in, size_t trailing, RequestIds& ids) {
  if (in.remaining() < trailing + 8) return false;
  size_t available = in.remaining() - trailing;
  ids.uid = in.u32();
  if (available == 8) {
    ids.gids = {in.u32()};
    return in.ok();
  }
  uint32_t count = in.u32();
  if (available != 8 + uint64_t{count} * 4) return false;
  ids.gids.resize(count);
  for (uint32_t& gid : ids.gids) gid = in.u32();
  return in.ok();
}

}  // namespace mfs::master
