// POSIX ACLs as MooseFS 3.0 keeps them (spec 10 §10.3, spec 30 §3.11): the owner, owning
// group and other entries, an optional mask and the named user and group entries. A node
// has at most one access and one default ACL; its mode's 0777 bits hold the owner, owning
// group and other permissions of its access ACL, so the mask lives only here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mfs::master {

// A missing base entry or mask, on the wire and in the files.
inline constexpr uint16_t kNoAclEntry = 0xFFFF;

// ATTR's last changelog argument (spec 30 §4.3) is this flag plus the access ACL's mode
// bits after the change, or 0 when the node has no access ACL.
inline constexpr uint16_t kAttrAclModeFlag = 0x1000;

enum class AclType : uint8_t { kAccess = 1, kDefault = 2 };

// The type a request or changelog value names; nullopt for anything but 1 and 2.
inline std::optional<AclType> acl_type_of(uint8_t value) {
  if (value != static_cast<uint8_t>(AclType::kAccess) && value != static_cast<uint8_t>(AclType::kDefault)) {
    return std::nullopt;
  }
  return static_cast<AclType>(value);
}

struct AclEntry {
  uint32_t id = 0;  // uid or gid
  uint16_t perm = 0;

  bool operator==(const AclEntry&) const = default;
};

// Permissions are kept as the client sent them (3.0.117 stores and returns every bit);
// only their low three bits (r=4, w=2, x=1) take part in access decisions and modes.
struct PosixAcl {
  uint16_t user = 0;
  uint16_t group = 0;
  uint16_t other = 0;
  uint16_t mask = kNoAclEntry;
  std::vector<AclEntry> named_users;
  std::vector<AclEntry> named_groups;

  bool has_mask() const { return mask != kNoAclEntry; }
  bool has_named_entries() const { return !named_users.empty() || !named_groups.empty(); }
  // Says no more than a mode does: 3.0.117 folds such an access ACL into the mode.
  bool is_minimal() const { return !has_mask() && !has_named_entries(); }
  // SETFACL's removal form: every entry absent.
  bool is_empty() const { return user == kNoAclEntry && group == kNoAclEntry && other == kNoAclEntry && is_minimal(); }
  // The bits that cap named entries and the owning group.
  uint8_t mask_bits() const { return has_mask() ? mask & 7 : 7; }
  // The mode's 0777 bits as clients see them: owner, group class (the mask, or the owning
  // group entry without one), other.
  uint16_t mode_bits() const;
  // The 0777 bits a node keeps in its own mode for this access ACL: owner, owning group, other.
  uint16_t node_mode_bits() const;
  // chmod on a node with this access ACL: owner, group class and other follow the mode.
  void set_mode_bits(uint16_t mode);

  bool operator==(const PosixAcl&) const = default;
};

// The named entries as the changelog blob and the PACL records hold them:
// named users then named groups, each `id:u32 perm:u16` big-endian.
inline constexpr size_t kEncodedAclEntrySize = 6;
std::string encode_acl_entries(const PosixAcl& acl);
// False when `blob` is not exactly users + groups entries long.
bool decode_acl_entries(std::string_view blob, uint16_t users, uint16_t groups, PosixAcl& into);

// An ACL as SETFACL and GETFACL, the PACL records and the checkpoint carry it:
// `user group other mask named_users named_groups` (u16 each), then the named entries.
// Works with any big-endian writer / reader that has u16() (and bytes() for writing).
template <typename Writer>
void write_acl(Writer& out, const PosixAcl& acl) {
  out.u16(acl.user);
  out.u16(acl.group);
  out.u16(acl.other);
  out.u16(acl.mask);
  out.u16(static_cast<uint16_t>(acl.named_users.size()));
  out.u16(static_cast<uint16_t>(acl.named_groups.size()));
  out.bytes(encode_acl_entries(acl));
}

// Reads the fixed part into `acl`; the caller reads and decodes the entries that follow.
struct AclEntryCounts {
  uint16_t users = 0;
  uint16_t groups = 0;
};
template <typename Reader>
AclEntryCounts read_acl_base(Reader& in, PosixAcl& acl) {
  acl.user = in.u16();
  acl.group = in.u16();
  acl.other = in.u16();
  acl.mask = in.u16();
  AclEntryCounts counts;
  counts.users = in.u16();
  counts.groups = in.u16();
  return counts;
}

// What a node created in a directory with a default ACL gets instead of mode & ~umask
// (POSIX.1e; the umask is not applied).
struct InheritedPermissions {
  uint16_t mode = 0;                      // mode to store: owner, owning group and other entries
  std::unique_ptr<PosixAcl> access;       // null when the mode says it all
  std::unique_ptr<PosixAcl> default_acl;  // directories pass the default ACL on
};
InheritedPermissions inherit_default_acl(const PosixAcl& parent_default, uint16_t requested_mode, bool directory);

}  // namespace mfs::master
