#include "mfsmaster/posix_acl.h"

namespace mfs::master {
namespace {

void append_entries(std::string& out, const std::vector<AclEntry>& entries) {
  for (const AclEntry& entry : entries) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(entry.id >> shift));
    out.push_back(static_cast<char>(entry.perm >> 8));
    out.push_back(static_cast<char>(entry.perm));
  }
}

std::vector<AclEntry> read_entries(std::string_view& blob, uint16_t count) {
  std::vector<AclEntry> entries(count);
  for (AclEntry& entry : entries) {
    auto byte = [&](size_t i) { return static_cast<uint8_t>(blob[i]); };
    entry.id = uint32_t{byte(0)} << 24 | uint32_t{byte(1)} << 16 | uint32_t{byte(2)} << 8 | byte(3);
    entry.perm = static_cast<uint16_t>(byte(4) << 8 | byte(5));
    blob.remove_prefix(kEncodedAclEntrySize);
  }
  return entries;
}

}  // namespace

uint16_t PosixAcl::mode_bits() const {
  uint16_t group_class = has_mask() ? mask : group;
  return static_cast<uint16_t>((user & 7) << 6 | (group_class & 7) << 3 | (other & 7));
}

uint16_t PosixAcl::node_mode_bits() const {
  return static_cast<uint16_t>((user & 7) << 6 | (group & 7) << 3 | (other & 7));
}

void PosixAcl::set_mode_bits(uint16_t mode) {
  user = (mode >> 6) & 7;
  (has_mask() ? mask : group) = (mode >> 3) & 7;
  other = mode & 7;
}

std::string encode_acl_entries(const PosixAcl& acl) {
  std::string blob;
  blob.reserve((acl.named_users.size() + acl.named_groups.size()) * kEncodedAclEntrySize);
  append_entries(blob, acl.named_users);
  append_entries(blob, acl.named_groups);
  return blob;
}

bool decode_acl_entries(std::string_view blob, uint16_t users, uint16_t groups, PosixAcl& into) {
  if (blob.size() != (size_t{users} + groups) * kEncodedAclEntrySize) return false;
  into.named_users = read_entries(blob, users);
  into.named_groups = read_entries(blob, groups);
  return true;
}

InheritedPermissions inherit_default_acl(const PosixAcl& parent_default, uint16_t requested_mode, bool directory) {
  InheritedPermissions result;
  auto access = std::make_unique<PosixAcl>(parent_default);
  access->user = parent_default.user & (requested_mode >> 6) & 7;
  access->other = parent_default.other & requested_mode & 7;
  // The requested group bits cap the group class: the mask if there is one, else the owning group.
  if (access->has_mask()) {
    access->mask = parent_default.mask & (requested_mode >> 3) & 7;
  } else {
    access->group = parent_default.group & (requested_mode >> 3) & 7;
  }
  result.mode = static_cast<uint16_t>((requested_mode & 07000) | access->node_mode_bits());
  if (!access->is_minimal()) result.access = std::move(access);
  if (directory) result.default_acl = std::make_unique<PosixAcl>(parent_default);
  return result;
}

}  // namespace mfs::master
