#include "mfsmount/meta_messages.h"

#include "mfscommon/protocol_ids.h"

namespace mfs::mount {

namespace {

Frame inode_only(uint32_t type, uint32_t inode) { return master_request(type).u32(inode).take(); }

}  // namespace

Frame trash_list_request(std::optional<uint32_t> bucket) {
  PacketWriter out = master_request(msg::CLTOMA_FUSE_GETTRASH);
  if (bucket) out.u32(*bucket);
  return out.take();
}

Frame sustained_list_request() { return master_request(msg::CLTOMA_FUSE_GETSUSTAINED).take(); }

Frame detached_attr_request(uint32_t inode, uint8_t dtype) {
  return master_request(msg::CLTOMA_FUSE_GETDETACHEDATTR).u32(inode).u8(dtype).take();
}

Frame trash_path_request(uint32_t inode) { return inode_only(msg::CLTOMA_FUSE_GETTRASHPATH, inode); }

Frame set_trash_path_request(uint32_t inode, std::string_view path) {
  return master_request(msg::CLTOMA_FUSE_SETTRASHPATH).u32(inode).string32(path).take();
}

Frame undelete_request(uint32_t inode) { return inode_only(msg::CLTOMA_FUSE_UNDEL, inode); }

Frame purge_request(uint32_t inode) { return inode_only(msg::CLTOMA_FUSE_PURGE, inode); }

Result<std::vector<DetachedEntry>> decode_detached_list(Body body) {
  if (is_status_reply(body)) return status_of(body);
  PacketReader in(body);
  std::vector<DetachedEntry> entries;
  while (in.ok() && in.remaining() > 0) {
    DetachedEntry entry;
    entry.name = std::string(in.name8());
    entry.inode = in.u32();
    // The name becomes part of a directory entry.
    if (!in.ok() || !usable_entry_name(entry.name) || entry.inode == 0) {
      return malformed_reply("trash/sustained list", body.size());
    }
    entries.push_back(std::move(entry));
  }
  if (!in.finished()) return malformed_reply("trash/sustained list", body.size());
  return entries;
}

Result<std::string> decode_trash_path(Body body) {
  if (is_status_reply(body)) return status_of(body);
  PacketReader in(body);
  std::string_view path = in.string32();
  if (!in.finished()) return malformed_reply("trash path", body.size());
  while (!path.empty() && path.back() == '\0') path.remove_suffix(1);
  return std::string(path);
}

}  // namespace mfs::mount
