// The meta mount's requests (mfsmount -m, spec 11 §8.2): the trash and sustained
// listings, a detached file's attributes, its stored path, undelete and purge.
#include <optional>
#include <string>

#include "mfscommon/protocol_ids.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/trash_path.h"

namespace mfs::master {

bool ClientProtocol::handle_detached_list(uint32_t request_type, uint32_t msgid, PacketReader& in, size_t size) {
  bool trash = request_type == msg::CLTOMA_FUSE_GETTRASH;
  if (size != 4 && !(trash && size == 8)) return fail("bad size of request " + std::to_string(request_type));
  std::optional<uint32_t> bucket;
  if (size == 8) bucket = in.u32();
  RequestContext request = context(0, {0});
  auto entries = trash ? operations_.trash_entries(request, bucket) : operations_.sustained_entries(request);
  if (!entries) {
    reply_status(request_type + 1, msgid, entries.status());
    return true;
  }
  PacketWriter reply(request_type + 1);
  reply.u32(msgid);
  for (const Edge* entry : *entries) reply.name8(trash_listing_name(entry->name)).u32(entry->child->inode);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_detached_attr(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 8 && size != 9) return fail("bad GETDETACHEDATTR size");
  uint32_t inode = in.u32();
  uint8_t dtype = size == 9 ? in.u8() : 0;
  RequestContext request = context(0, {0});
  auto node = operations_.detached_node(request, inode, dtype);
  if (!node) {
    reply_status(msg::MATOCL_FUSE_GETDETACHEDATTR, msgid, node.status());
    return true;
  }
  PacketWriter reply(msg::MATOCL_FUSE_GETDETACHEDATTR);
  reply.u32(msgid);
  put_attr_for(reply, **node, request, false);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_trash_path(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 8) return fail("bad GETTRASHPATH size");
  auto entry = operations_.trash_entry(context(0, {0}), in.u32());
  if (!entry) {
    reply_status(msg::MATOCL_FUSE_GETTRASHPATH, msgid, entry.status());
    return true;
  }
  const std::string& path = (*entry)->name;
  PacketWriter reply(msg::MATOCL_FUSE_GETTRASHPATH);
  // The length counts a terminating NUL.
  reply.u32(msgid).u32(static_cast<uint32_t>(path.size() + 1)).bytes(std::string_view(path)).u8(0);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_set_trash_path(uint32_t msgid, PacketReader& in, size_t size) {
  if (size < 12) return fail("bad SETTRASHPATH size");
  uint32_t inode = in.u32();
  std::string_view path = in.string32();
  if (!in.finished()) return fail("bad SETTRASHPATH size");
  reply_status_after_commit(msg::MATOCL_FUSE_SETTRASHPATH, msgid,
                            operations_.set_trash_path(context(0, {0}), inode, path));
  return true;
}

// UNDEL and PURGE: `msgid inode`, answered with a status.
bool ClientProtocol::handle_trash_change(uint32_t request_type, uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 8) return fail("bad size of request " + std::to_string(request_type));
  uint32_t inode = in.u32();
  RequestContext request = context(0, {0});
  reply_status_after_commit(request_type + 1, msgid,
                            request_type == msg::CLTOMA_FUSE_UNDEL ? operations_.undelete(request, inode)
                                                                   : operations_.purge(request, inode));
  return true;
}

void ClientProtocol::reply_status_after_commit(uint32_t reply_type, uint32_t msgid, Result<Entries> entries) {
  if (!entries) {
    reply_status(reply_type, msgid, entries.status());
    return;
  }
  commit_then_reply(reply_type, msgid, std::move(*entries), [](PacketWriter& reply) { reply.u8(0); });
}

}  // namespace mfs::master
