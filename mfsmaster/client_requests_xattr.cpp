// Extended attributes and POSIX ACL requests (spec 10 §10).
#include <utility>

#include "mfscommon/log.h"
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
    for (const auto& [attribute, stored] : (*node)->xattrs) {
      value += attribute;
      value += '\0';
    }
  } else {
    for (const auto& [attribute, stored] : (*node)->xattrs) {
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
  if (size != 9 && size != 18 && (size < 18 || (size - 18) % 4 != 0)) return fail("bad GETFACL size");
  RequestContext request = context(0, {0});
  if (!operations_.resolve(request, inode, true)) {
    reply_status(msg::MATOCL_FUSE_GETFACL, msgid, StatusCode::kENOENT);
    return true;
  }
  // POSIX ACLs are not stored by this master yet: no node has one.
  reply_status(msg::MATOCL_FUSE_GETFACL, msgid,
               acl_type == 1 || acl_type == 2 ? StatusCode::kENOATTR : StatusCode::kEINVAL);
  return true;
}

bool ClientProtocol::handle_setfacl(uint32_t msgid, PacketReader& in, size_t size) {
  in.u32();  // inode
  in.u32();  // uid
  in.u8();   // acl type
  in.bytes(8);
  uint16_t named_users = in.u16();
  uint16_t named_groups = in.u16();
  if (size != 25 + 6 * (size_t{named_users} + named_groups)) return fail("bad SETFACL size");
  MFS_LOG_WARNING("SETFACL refused: POSIX ACLs are not supported by this master yet");
  reply_status(msg::MATOCL_FUSE_SETFACL, msgid, StatusCode::kENOTSUP);
  return true;
}

}  // namespace mfs::master
