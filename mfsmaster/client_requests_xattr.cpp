// Extended attributes and POSIX ACL requests (spec 10 §10).
#include <span>
#include <string_view>
#include <utility>

#include "mfscommon/protocol_ids.h"
#include "mfsmaster/client_credentials.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {
namespace {

constexpr uint8_t kValueLengthOnly = 1;

}  // namespace

bool ClientProtocol::handle_getxattr(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t inode = in.u32();
  std::string_view name = in.name8();
  uint8_t mode = in.u8();
  bool opened = in.u8() != 0;
  RequestIds ids;
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad GETXATTR size");
  if (mode > kValueLengthOnly) {
    reply_status(msg::MATOCL_FUSE_GETXATTR, msgid, StatusCode::kEINVAL);
    return true;
  }
  auto node = operations_.getxattr(context(ids.uid, ids.gids), inode, name, opened);
  if (!node) {
    reply_status(msg::MATOCL_FUSE_GETXATTR, msgid, node.status());
    return true;
  }
  std::string value;
  if (name.empty()) {
    for (const auto& [attribute, stored] : (*node)->extras().xattrs) {
      value += attribute;
      value += '\0';
    }
  } else {
    for (const auto& [attribute, stored] : (*node)->extras().xattrs) {
      if (attribute == name) value = stored;
    }
  }
  PacketWriter reply(msg::MATOCL_FUSE_GETXATTR);
  reply.u32(msgid).u32(static_cast<uint32_t>(value.size()));
  if (mode != kValueLengthOnly) reply.bytes(value);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_setxattr(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t inode = in.u32();
  std::string_view name = in.name8();
  std::string_view value = in.string32();
  uint8_t mode = in.u8();
  bool opened = in.u8() != 0;
  RequestIds ids;
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad SETXATTR size");
  auto entries = operations_.setxattr(context(ids.uid, ids.gids), inode, name, value, mode, opened);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_SETXATTR, msgid, entries.status());
    return true;
  }
  commit_then_reply(msg::MATOCL_FUSE_SETXATTR, msgid, std::move(*entries), [](PacketWriter& out) { out.u8(0); });
  return true;
}

bool ClientProtocol::handle_getfacl(uint32_t msgid, PacketReader& in, size_t size) {
  uint32_t inode = in.u32();
  uint8_t acl_type = in.u8();
  // 9, or 18(+4G) with opened uid gid / uid gcnt gids, which are ignored.
  if (size != 9 && (size < 18 || (size - 18) % 4 != 0)) return fail("bad GETFACL size");
  auto acl = operations_.getfacl(context(0, {0}), inode, acl_type);
  if (!acl) {
    reply_status(msg::MATOCL_FUSE_GETFACL, msgid, acl.status());
    return true;
  }
  PacketWriter reply(msg::MATOCL_FUSE_GETFACL);
  reply.u32(msgid);
  write_acl(reply, **acl);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_setfacl(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t inode = in.u32();
  uint32_t uid = in.u32();
  uint8_t acl_type = in.u8();
  PosixAcl acl;
  AclEntryCounts counts = read_acl_base(in, acl);
  std::span<const uint8_t> entries = in.bytes(in.remaining());
  std::string_view blob(reinterpret_cast<const char*>(entries.data()), entries.size());
  // The entries must fill the rest exactly: length 25 + 6 * (named users + named groups).
  if (!in.ok() || !decode_acl_entries(blob, counts.users, counts.groups, acl)) return fail("bad SETFACL size");
  auto changes = operations_.setfacl(context(uid, {0}), inode, acl_type, acl);
  if (!changes) {
    reply_status(msg::MATOCL_FUSE_SETFACL, msgid, changes.status());
    return true;
  }
  commit_then_reply(msg::MATOCL_FUSE_SETFACL, msgid, std::move(*changes), [](PacketWriter& out) { out.u8(0); });
  return true;
}

}  // namespace mfs::master
