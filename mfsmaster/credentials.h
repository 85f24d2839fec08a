// Who is asking: the caller's uid and gid list after the session's root squash / map-all
// (spec 10 §4), plus the original ids used when presenting attributes.
#pragma once
#include <cstdint>
#include <vector>

#include "mfsmaster/fs_node.h"
#include "mfscommon/session_flags.h"

namespace mfs::master {

// Access mask bits.
inline constexpr uint8_t kAccessRead = 4;
inline constexpr uint8_t kAccessWrite = 2;
inline constexpr uint8_t kAccessExecute = 1;

struct Credentials {
  uint32_t uid = 0;
  std::vector<uint32_t> gids;  // gids[0] is the primary gid
  uint32_t original_uid = 0;
  uint32_t original_gid = 0;
  bool ignore_gid = false;
  bool map_all = false;

  uint32_t primary_gid() const { return gids.empty() ? 0 : gids.front(); }
  bool in_group(uint32_t gid) const;
};

struct SessionMapping {
  uint8_t sesflags = 0;
  uint32_t root_uid = 999;
  uint32_t root_gid = 999;
  uint32_t mapall_uid = 999;
  uint32_t mapall_gid = 999;
};

// Applies root squash and map-all to the ids a request carries.
Credentials map_credentials(const SessionMapping& session, uint32_t uid, std::vector<uint32_t> gids);

// Whether `credentials` may access `node` with `mask` (r=4, w=2, x=1), per spec 10 §4.
bool has_access(const Node& node, const Credentials& credentials, uint8_t mask);

// The lookup/open "lflags" low byte: bit k set when permission combination k is allowed.
uint16_t access_modes_mask(const Node& node, const Credentials& credentials);

}  // namespace mfs::master
