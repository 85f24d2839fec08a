#include "mfsmount/posix_acl.h"

#include <cstring>

#include "mfscommon/protocol_ids.h"

namespace mfs::mount {

namespace {

// Linux's <linux/posix_acl_xattr.h> layout, little-endian (host order on the machines we run).
constexpr uint32_t kXattrVersion = 2;
constexpr uint16_t kTagUserObj = 0x01, kTagUser = 0x02, kTagGroupObj = 0x04, kTagGroup = 0x08, kTagMask = 0x10,
                   kTagOther = 0x20;
constexpr uint32_t kUndefinedId = 0xFFFFFFFF;
constexpr size_t kHeaderSize = 4, kEntrySize = 8, kWireEntrySize = 6;

void put_le16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

void put_le32(std::vector<uint8_t>& out, uint32_t v) {
  put_le16(out, static_cast<uint16_t>(v));
  put_le16(out, static_cast<uint16_t>(v >> 16));
}

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t le32(const uint8_t* p) { return le16(p) | static_cast<uint32_t>(le16(p + 2)) << 16; }

void put_entry(std::vector<uint8_t>& out, uint16_t tag, uint16_t perm, uint32_t id) {
  put_le16(out, tag);
  put_le16(out, perm);
  put_le32(out, id);
}

void put_named(PacketWriter& out, const std::vector<AclEntry>& entries) {
  for (const AclEntry& entry : entries) out.u32(entry.id).u16(entry.perm);
}

bool read_named(PacketReader& in, uint16_t count, std::vector<AclEntry>& entries) {
  for (uint16_t i = 0; i < count && in.ok(); ++i) {
    AclEntry entry;
    entry.id = in.u32();
    entry.perm = in.u16();
    entries.push_back(entry);
  }
  return in.ok();
}

}  // namespace

std::optional<uint8_t> acl_type_of(std::string_view xattr_name) {
  if (xattr_name == "system.posix_acl_access") return kAclAccess;
  if (xattr_name == "system.posix_acl_default") return kAclDefault;
  return std::nullopt;
}

Frame getfacl_request(uint32_t inode, uint8_t acltype) {
  return master_request(msg::CLTOMA_FUSE_GETFACL).u32(inode).u8(acltype).take();
}

Frame setfacl_request(uint32_t inode, uint32_t uid, uint8_t acltype, const PosixAcl& acl) {
  PacketWriter out = master_request(msg::CLTOMA_FUSE_SETFACL);
  out.u32(inode).u32(uid).u8(acltype).u16(acl.user).u16(acl.group).u16(acl.other).u16(acl.mask);
  out.u16(static_cast<uint16_t>(acl.users.size())).u16(static_cast<uint16_t>(acl.groups.size()));
  put_named(out, acl.users);
  put_named(out, acl.groups);
  return out.take();
}

Result<PosixAcl> decode_getfacl_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  PacketReader in(body);
  PosixAcl acl;
  acl.user = in.u16();
  acl.group = in.u16();
  acl.other = in.u16();
  acl.mask = in.u16();
  uint16_t users = in.u16();
  uint16_t groups = in.u16();
  if (!in.ok() || in.remaining() != (size_t{users} + groups) * kWireEntrySize) {
    return malformed_reply("getfacl", body.size());
  }
  if (!read_named(in, users, acl.users) || !read_named(in, groups, acl.groups) || !in.finished()) {
    return malformed_reply("getfacl", body.size());
  }
  return acl;
}

std::vector<uint8_t> acl_to_xattr(const PosixAcl& acl) {
  std::vector<uint8_t> out;
  out.reserve(kHeaderSize + kEntrySize * (4 + acl.users.size() + acl.groups.size()));
  put_le32(out, kXattrVersion);
  put_entry(out, kTagUserObj, acl.user, kUndefinedId);
  for (const AclEntry& entry : acl.users) put_entry(out, kTagUser, entry.perm, entry.id);
  put_entry(out, kTagGroupObj, acl.group, kUndefinedId);
  for (const AclEntry& entry : acl.groups) put_entry(out, kTagGroup, entry.perm, entry.id);
  put_entry(out, kTagMask, acl.mask, kUndefinedId);
  put_entry(out, kTagOther, acl.other, kUndefinedId);
  return out;
}

Result<PosixAcl> acl_from_xattr(std::span<const uint8_t> value) {
  Status invalid(StatusCode::kEINVAL, "bad POSIX ACL value");
  if (value.size() < kHeaderSize || (value.size() - kHeaderSize) % kEntrySize != 0) return invalid;
  if (le32(value.data()) != kXattrVersion) return invalid;
  PosixAcl acl;
  bool seen_user = false, seen_group = false, seen_other = false, seen_mask = false;
  auto single = [&](bool& seen, uint16_t& field, uint16_t perm) {
    if (seen) return false;
    seen = true;
    field = perm;
    return true;
  };
  for (size_t at = kHeaderSize; at < value.size(); at += kEntrySize) {
    uint16_t tag = le16(value.data() + at);
    uint16_t perm = le16(value.data() + at + 2);
    uint32_t id = le32(value.data() + at + 4);
    bool ok = true;
    switch (tag) {
      case kTagUserObj: ok = single(seen_user, acl.user, perm); break;
      case kTagGroupObj: ok = single(seen_group, acl.group, perm); break;
      case kTagOther: ok = single(seen_other, acl.other, perm); break;
      case kTagMask: ok = single(seen_mask, acl.mask, perm); break;
      case kTagUser: acl.users.push_back({id, perm}); break;
      case kTagGroup: acl.groups.push_back({id, perm}); break;
      default: ok = false;
    }
    if (!ok) return invalid;
  }
  if (!seen_mask && (!acl.users.empty() || !acl.groups.empty())) return invalid;
  return acl;
}

}  // namespace mfs::mount
