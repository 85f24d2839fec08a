// POSIX ACLs on the client side (spec 10 §10.3): the kernel hands them over as the
// extended attributes `system.posix_acl_access` / `system.posix_acl_default` in Linux's
// xattr form; the master speaks GETFACL / SETFACL. This module converts between the two
// and builds / decodes those messages (hostile replies are EIO, bad xattr values EINVAL).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mfsmount/master_messages.h"

namespace mfs::mount {

inline constexpr uint8_t kAclAccess = 1, kAclDefault = 2;
// An absent USER_OBJ / GROUP_OBJ / OTHER / MASK entry on the wire.
inline constexpr uint16_t kAclAbsent = 0xFFFF;

struct AclEntry {
  uint32_t id = 0;  // uid or gid
  uint16_t perm = 0;
  bool operator==(const AclEntry&) const = default;
};

struct PosixAcl {
  uint16_t user = kAclAbsent;
  uint16_t group = kAclAbsent;
  uint16_t other = kAclAbsent;
  uint16_t mask = kAclAbsent;
  std::vector<AclEntry> users;
  std::vector<AclEntry> groups;
  bool operator==(const PosixAcl&) const = default;
};

// kAclAccess / kAclDefault for the two ACL attribute names, nullopt for any other name.
std::optional<uint8_t> acl_type_of(std::string_view xattr_name);

Frame getfacl_request(uint32_t inode, uint8_t acltype);
// `uid` is the caller's (the master checks ownership). The removal form is a PosixAcl{}.
Frame setfacl_request(uint32_t inode, uint32_t uid, uint8_t acltype, const PosixAcl& acl);
Result<PosixAcl> decode_getfacl_reply(Body body);

// Linux's xattr form: version 2, then USER_OBJ, USER…, GROUP_OBJ, GROUP…, MASK, OTHER
// (MASK always, as 3.0.117 emits it).
std::vector<uint8_t> acl_to_xattr(const PosixAcl& acl);
// EINVAL for what 3.0.117 refuses: a size that is not 4 + 8n, another version, an unknown
// tag, a repeated single entry, named entries without a mask.
Result<PosixAcl> acl_from_xattr(std::span<const uint8_t> value);

}  // namespace mfs::mount
