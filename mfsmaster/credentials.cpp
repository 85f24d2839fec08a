#include "mfsmaster/credentials.h"

#include <algorithm>

namespace mfs::master {

bool Credentials::in_group(uint32_t gid) const { return std::find(gids.begin(), gids.end(), gid) != gids.end(); }

Credentials map_credentials(const SessionMapping& session, uint32_t uid, std::vector<uint32_t> gids) {
  Credentials credentials;
  credentials.original_uid = uid;
  credentials.original_gid = gids.empty() ? 0 : gids.front();
  credentials.ignore_gid = (session.sesflags & sesflag::kIgnoreGid) != 0;
  credentials.map_all = (session.sesflags & sesflag::kMapAll) != 0;
  if (gids.empty()) gids.push_back(0);
  if (uid == 0) {
    uid = session.root_uid;
    gids.front() = session.root_gid;
  } else if (credentials.map_all) {
    uid = session.mapall_uid;
    gids.front() = session.mapall_gid;
  }
  credentials.uid = uid;
  credentials.gids = std::move(gids);
  return credentials;
}

namespace {

uint8_t granted_bits(const Node& node, const Credentials& credentials) {
  if (credentials.uid == 0) return 7;
  if (credentials.uid == node.uid || (node.eattr & eattr::kNoOwner)) return (node.mode >> 6) & 7;
  if (credentials.ignore_gid) return ((node.mode >> 3) | node.mode) & 7;
  if (credentials.in_group(node.gid)) return (node.mode >> 3) & 7;
  return node.mode & 7;
}

}  // namespace

bool has_access(const Node& node, const Credentials& credentials, uint8_t mask) {
  return (granted_bits(node, credentials) & mask) == mask;
}

uint16_t access_modes_mask(const Node& node, const Credentials& credentials) {
  uint8_t granted = granted_bits(node, credentials);
  if (node.eattr & eattr::kImmutable) granted &= ~kAccessWrite;
  uint16_t modes = 0;
  for (uint8_t combination = 0; combination < 8; ++combination) {
    if ((granted & combination) == combination) modes |= uint16_t{1} << combination;
  }
  return modes;
}

}  // namespace mfs::master
