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

bool grants(uint16_t perm, uint8_t mask) { return (perm & mask) == mask; }

// POSIX.1e: the owner entry; else a matching named user; else the group class - the
// owning group and matching named groups, each capped by the mask, one of which must
// grant all of `mask` (3.0.117 does not add up the entries); else other.
bool acl_allows(const PosixAcl& acl, const Node& node, const Credentials& credentials, uint8_t mask) {
  if (credentials.uid == node.uid) return grants(acl.user, mask);
  uint8_t cap = acl.mask_bits();
  for (const AclEntry& entry : acl.named_users) {
    if (entry.id == credentials.uid) return grants(entry.perm & cap, mask);
  }
  bool in_group_class = false;
  if (credentials.in_group(node.gid)) {
    if (grants(acl.group & cap, mask)) return true;
    in_group_class = true;
  }
  for (const AclEntry& entry : acl.named_groups) {
    if (!credentials.in_group(entry.id)) continue;
    if (grants(entry.perm & cap, mask)) return true;
    in_group_class = true;
  }
  return !in_group_class && grants(acl.other, mask);
}

uint8_t mode_bits_granted(const Node& node, const Credentials& credentials) {
  if (credentials.uid == node.uid || (node.eattr & eattr::kNoOwner)) return (node.mode >> 6) & 7;
  if (credentials.ignore_gid) return ((node.mode >> 3) | node.mode) & 7;
  if (credentials.in_group(node.gid)) return (node.mode >> 3) & 7;
  return node.mode & 7;
}

}  // namespace

bool has_access(const Node& node, const Credentials& credentials, uint8_t mask) {
  if (credentials.uid == 0) return true;
  if (node.extras().access_acl) return acl_allows(*node.extras().access_acl, node, credentials, mask);
  return grants(mode_bits_granted(node, credentials), mask);
}

uint16_t access_modes_mask(const Node& node, const Credentials& credentials) {
  bool immutable = node.eattr & eattr::kImmutable;
  uint16_t modes = 0;
  for (uint8_t combination = 0; combination < 8; ++combination) {
    if (immutable && (combination & kAccessWrite)) continue;
    if (has_access(node, credentials, combination)) modes |= uint16_t{1} << combination;
  }
  return modes;
}

}  // namespace mfs::master
