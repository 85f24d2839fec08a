// Namespace requests of spec 10 §7 and open/create of §8: decode, call FsOperations,
// commit, reply.
#include <optional>
#include <utility>

#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"
#include "mfsmaster/atime_policy.h"
#include "mfsmaster/attr_record.h"
#include "mfsmaster/client_credentials.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/location_record.h"

namespace mfs::master {
namespace {

constexpr uint32_t kVersionWithLookupFlags = pack_version(3, 0, 40);
constexpr uint32_t kVersionWithUnlinkInode = pack_version(3, 0, 107);
constexpr uint32_t kVersionWithOpenFlags = pack_version(3, 0, 113);
constexpr uint16_t kLookupChunkZeroData = 0x0100;
constexpr uint16_t kLookupReadOnlyFilesystem = 0x0200;
constexpr uint16_t kLookupKeepCache = 0x0400;
constexpr uint16_t kLookupImmutable = 0x0800;
constexpr uint16_t kLookupDirectMode = 0x1000;
constexpr uint16_t kLookupAppendOnly = 0x2000;
constexpr uint8_t kOpenRequestTruncate = 0x08;  // OPEN request flag (O_TRUNC)
constexpr uint8_t kOpenKeepCache = 0x01;
constexpr uint8_t kOpenDirectMode = 0x02;
constexpr uint8_t kOpenAppendOnly = 0x04;

// Asks the CPU to load every cache line of `object` without waiting for them.
template <typename T>
void prefetch_object(const T* object) {
  constexpr size_t kCacheLine = 64;
  const char* bytes = reinterpret_cast<const char*>(object);
  for (size_t offset = 0; offset < sizeof(T); offset += kCacheLine) __builtin_prefetch(bytes + offset);
}

uint8_t open_flags_for(const Node& node) {
  return ((node.eattr & eattr::kNoDataCache) ? kOpenDirectMode : 0) |
         ((node.eattr & eattr::kAppendOnly) ? kOpenAppendOnly : 0);
}

}  // namespace

bool ClientProtocol::handle_statfs(uint32_t msgid, PacketReader& in) {
  if (!in.finished()) return fail("bad STATFS size");
  const Session* current = session();
  bool whole_tree = current->parameters.root_inode == kRootInode;
  PacketWriter reply(msg::MATOCL_FUSE_STATFS);
  reply.u32(msgid);
  // Space as the chunkservers report it (disks marked for removal do not count).
  uint64_t total = services_.chunks.servers().total_space();
  uint64_t free = services_.chunks.servers().free_space();
  const Metadata& metadata = services_.metadata;
  // Quotas on the session root or above it clip the space to what they still allow.
  const Node* session_root = metadata.fs().find(current->parameters.root_inode);
  if (auto left = session_root ? metadata.quotas().space_left(metadata.fs(), *session_root) : std::nullopt) {
    total = std::min(total, *left);
    free = std::min(free, *left);
  }
  reply.u64(total).u64(free);
  if (client_version_ >= pack_version(3, 0, 102)) reply.u64(free);
  const FsTree& fs = std::as_const(services_.metadata).fs();
  uint64_t trash_space = 0;
  uint64_t sustained_space = 0;
  if (whole_tree) {
    for (const auto& [inode, edge] : fs.trash()) trash_space += edge->child->length;
    for (const auto& [inode, edge] : fs.sustained()) sustained_space += edge->child->length;
  }
  reply.u64(trash_space).u64(sustained_space);
  uint32_t inodes = static_cast<uint32_t>(fs.node_count());
  if (!whole_tree) {
    const Node* root = fs.find(current->parameters.root_inode);
    inodes = root ? FsTree::subtree_node_count(*root) : 0;
  }
  reply.u32(inodes);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_access(uint32_t msgid, PacketReader& in, size_t size) {
  uint32_t inode = in.u32();
  RequestIds ids;
  uint8_t mask = 0;
  if (size == 17) {  // old form: uid gid modemask:u8
    ids.uid = in.u32();
    ids.gids = {in.u32()};
    mask = in.u8();
  } else {
    if (!read_request_ids(in, 2, ids)) return fail("bad ACCESS size");
    mask = static_cast<uint8_t>(in.u16());
  }
  if (!in.finished()) return fail("bad ACCESS size");
  Status status = operations_.access(context(ids.uid, ids.gids), inode, mask & 7);
  reply_status(msg::MATOCL_FUSE_ACCESS, msgid, status);
  return true;
}

bool ClientProtocol::handle_lookup(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t parent = in.u32();
  std::string_view name = in.name8();
  RequestIds ids;
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad LOOKUP size");
  RequestContext request = context(ids.uid, ids.gids);
  auto found = operations_.lookup(request, parent, name);
  if (!found) {
    StatusCode code = found.code();
    if (code == StatusCode::kENOENT_NoCache && client_version_ < pack_version(3, 0, 25)) code = StatusCode::kENOENT;
    reply_status(msg::MATOCL_FUSE_LOOKUP, msgid, code);
    return true;
  }
  const Node& node = *found->node;
  uint16_t lookup_flags = access_modes_mask(node, request.credentials);
  bool data_access = (lookup_flags & 0x00FC) != 0 && node.is_file_like();
  bool direct_mode = node.eattr & eattr::kNoDataCache;
  bool keep_cache = data_access && !direct_mode && services_.data_cache.may_keep(node.inode, session_id_);
  if (keep_cache) lookup_flags |= kLookupKeepCache;
  PacketWriter reply(msg::MATOCL_FUSE_LOOKUP);
  reply.u32(msgid).u32(found->wire_inode);
  put_attr(reply, node,
           {request.credentials, found->parent_no_entry_cache, with_winattr(), !data_access || keep_cache});
  if (client_version_ >= kVersionWithLookupFlags) {
    if (request.read_only()) lookup_flags |= kLookupReadOnlyFilesystem;
    if (node.eattr & eattr::kImmutable) lookup_flags |= kLookupImmutable;
    if (node.eattr & eattr::kNoDataCache) lookup_flags |= kLookupDirectMode;
    if (node.eattr & eattr::kAppendOnly) lookup_flags |= kLookupAppendOnly;
    // A file of one chunk comes with that chunk's location: the client reads it without
    // a READ_CHUNK round trip.
    std::optional<ChunkLocation> chunk_zero;
    if (data_access && node.chunks.size() == 1 && !request.disabled(disable::kRead)) {
      chunk_zero = services_.chunks.unlocked_location(node, 0);
    }
    if (chunk_zero) lookup_flags |= kLookupChunkZeroData;
    reply.u16(lookup_flags);
    if (chunk_zero) put_chunk_zero_location(reply, *chunk_zero, link_->peer_ip(), services_.chunks.topology());
  }
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_getattr(uint32_t msgid, PacketReader& in, size_t size) {
  uint32_t inode = in.u32();
  bool opened = false;
  RequestIds ids{12345, {12345}};
  if (size == 17) {
    opened = in.u8() != 0;
    ids.uid = in.u32();
    ids.gids = {in.u32()};
  } else if (size == 16) {
    ids.uid = in.u32();
    ids.gids = {in.u32()};
  } else if (size != 8) {
    return fail("bad GETATTR size");
  }
  RequestContext request = context(ids.uid, ids.gids);
  const Node* node = operations_.resolve(request, inode, opened);
  if (!node) {
    reply_status(msg::MATOCL_FUSE_GETATTR, msgid, StatusCode::kENOENT);
    return true;
  }
  PacketWriter reply(msg::MATOCL_FUSE_GETATTR);
  reply.u32(msgid);
  put_attr_for(reply, *node, request, false);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_setattr(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t inode = in.u32();
  bool opened = in.u8() != 0;
  RequestIds ids;
  size_t trailing = with_winattr() ? 21 : 20;
  if (!read_request_ids(in, trailing, ids)) return fail("bad SETATTR size");
  SetAttrRequest request;
  request.setmask = in.u8();
  request.mode = in.u16();
  request.uid = in.u32();
  request.gid = in.u32();
  request.atime = in.u32();
  request.mtime = in.u32();
  if (with_winattr()) request.winattr = in.u8();
  request.sugid_clear_mode = in.u8();
  if (!in.finished()) return fail("bad SETATTR size");
  RequestContext ctx = context(ids.uid, ids.gids);
  if ((request.setmask & setmask::kWinattr) && !with_winattr()) {
    reply_status(msg::MATOCL_FUSE_SETATTR, msgid, StatusCode::kEINVAL);
    return true;
  }
  auto entries = operations_.setattr(ctx, inode, opened, request);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_SETATTR, msgid, entries.status());
    return true;
  }
  uint32_t node_inode = std::stoul((*entries)[0].args[0]);
  commit_then_reply(msg::MATOCL_FUSE_SETATTR, msgid, std::move(*entries), [this, ctx, node_inode](PacketWriter& out) {
    put_attr_for(out, *std::as_const(services_.metadata).fs().find(node_inode), ctx, false);
  });
  return true;
}

bool ClientProtocol::handle_readlink(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t inode = in.u32();
  if (!in.finished()) return fail("bad READLINK size");
  auto node = operations_.readlink(context(0, {0}), inode);
  if (!node) {
    reply_status(msg::MATOCL_FUSE_READLINK, msgid, node.status());
    return true;
  }
  const std::string& target = (*node)->extras().symlink_target;
  PacketWriter reply(msg::MATOCL_FUSE_READLINK);
  reply.u32(msgid).u32(static_cast<uint32_t>(target.size() + 1)).bytes(target).u8(0);
  note_access(**node);
  send(reply.take());
  return true;
}

void ClientProtocol::note_access(const Node& node) {
  // The atime is not part of the answer: it is logged without holding the reply back.
  std::optional<ChangelogEntry> entry = access_entry(services_.config().get_uint("ATIME_MODE", 2), node, services_.now());
  if (entry) services_.mutations.commit(Entries{std::move(*entry)});
}

void ClientProtocol::reply_created_node(uint32_t reply_type, uint32_t msgid, Entries entries,
                                        const RequestContext& request, uint32_t parent) {
  uint32_t inode = std::stoul(entries.front().results.at(0));
  commit_then_reply(reply_type, msgid, std::move(entries), [this, request, inode, parent](PacketWriter& out) {
    const Node* node = std::as_const(services_.metadata).fs().find(inode);
    const Node* directory = operations_.resolve(request, parent);
    out.u32(inode);
    put_attr_for(out, *node, request, directory && (directory->eattr & eattr::kNoEntryCache));
  });
}

bool ClientProtocol::handle_symlink(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t parent = in.u32();
  std::string_view name = in.name8();
  std::string_view target = in.string32();
  RequestIds ids;
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad SYMLINK size");
  RequestContext request = context(ids.uid, ids.gids);
  auto entries = operations_.symlink(request, parent, name, target);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_SYMLINK, msgid, entries.status());
    return true;
  }
  reply_created_node(msg::MATOCL_FUSE_SYMLINK, msgid, std::move(*entries), request, parent);
  return true;
}

bool ClientProtocol::handle_mknod(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t parent = in.u32();
  std::string_view name = in.name8();
  uint8_t type = in.u8();
  uint16_t mode = in.u16();
  uint16_t umask = 0;
  RequestIds ids;
  // 3.0.117: type mode umask uid gcnt gids rdev; legacy: type mode uid gid rdev (12 bytes left).
  if (in.remaining() != 12) umask = in.u16();
  if (!read_request_ids(in, 4, ids)) return fail("bad MKNOD size");
  uint32_t rdev = in.u32();
  if (!in.finished()) return fail("bad MKNOD size");
  if (type > 15) {  // older peers send letters
    static constexpr std::string_view kLetters = "fdlqbcs";
    size_t index = kLetters.find(static_cast<char>(type));
    type = index == std::string_view::npos ? 0 : static_cast<uint8_t>(index + 1);
  }
  RequestContext request = context(ids.uid, ids.gids);
  auto entries = operations_.mknod(request, parent, name, type, mode, umask, rdev);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_MKNOD, msgid, entries.status());
    return true;
  }
  reply_created_node(msg::MATOCL_FUSE_MKNOD, msgid, std::move(*entries), request, parent);
  return true;
}

bool ClientProtocol::handle_mkdir(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t parent = in.u32();
  std::string_view name = in.name8();
  uint16_t mode = in.u16();
  uint16_t umask = 0;
  RequestIds ids;
  // 3.0.117: mode umask uid gcnt gids copysgid; legacy 19+N: mode uid gid; 20+N: + copysgid.
  size_t left = in.remaining();
  if (left == 8) {
    if (!read_request_ids(in, 0, ids)) return fail("bad MKDIR size");
  } else if (left == 9) {
    if (!read_request_ids(in, 1, ids)) return fail("bad MKDIR size");
    in.u8();
  } else {
    umask = in.u16();
    if (!read_request_ids(in, 1, ids)) return fail("bad MKDIR size");
    in.u8();  // copysgid: new directories in a setgid directory always inherit the bit here
  }
  if (!in.finished()) return fail("bad MKDIR size");
  RequestContext request = context(ids.uid, ids.gids);
  auto entries = operations_.mkdir(request, parent, name, mode, umask);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_MKDIR, msgid, entries.status());
    return true;
  }
  reply_created_node(msg::MATOCL_FUSE_MKDIR, msgid, std::move(*entries), request, parent);
  return true;
}

bool ClientProtocol::handle_unlink(uint32_t msgid, PacketReader& in, size_t, bool directory) {
  uint32_t parent = in.u32();
  std::string_view name = in.name8();
  RequestIds ids;
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad UNLINK/RMDIR size");
  uint32_t reply_type = directory ? msg::MATOCL_FUSE_RMDIR : msg::MATOCL_FUSE_UNLINK;
  auto entries = operations_.unlink(context(ids.uid, ids.gids), parent, name, directory);
  if (!entries) {
    reply_status(reply_type, msgid, entries.status());
    return true;
  }
  uint32_t inode = std::stoul(entries->front().results.at(0));
  bool with_inode = client_version_ >= kVersionWithUnlinkInode;
  commit_then_reply(reply_type, msgid, std::move(*entries), [inode, with_inode](PacketWriter& out) {
    if (with_inode) {
      out.u32(inode);
    } else {
      out.u8(0);
    }
  });
  return true;
}

bool ClientProtocol::handle_rename(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t source_parent = in.u32();
  std::string_view source_name = in.name8();
  uint32_t target_parent = in.u32();
  std::string_view target_name = in.name8();
  RequestIds ids;
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad RENAME size");
  RequestContext request = context(ids.uid, ids.gids);
  auto entries = operations_.rename(request, source_parent, source_name, target_parent, target_name);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_RENAME, msgid, entries.status());
    return true;
  }
  uint32_t inode = std::stoul(entries->front().results.at(0));
  commit_then_reply(msg::MATOCL_FUSE_RENAME, msgid, std::move(*entries),
                    [this, request, inode, target_parent](PacketWriter& out) {
                      const Node* directory = operations_.resolve(request, target_parent);
                      out.u32(inode);
                      put_attr_for(out, *std::as_const(services_.metadata).fs().find(inode), request,
                                   directory && (directory->eattr & eattr::kNoEntryCache));
                    });
  return true;
}

bool ClientProtocol::handle_link(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t inode = in.u32();
  uint32_t parent = in.u32();
  std::string_view name = in.name8();
  RequestIds ids;
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad LINK size");
  RequestContext request = context(ids.uid, ids.gids);
  auto entries = operations_.link(request, inode, parent, name);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_LINK, msgid, entries.status());
    return true;
  }
  uint32_t node_inode = std::stoul(entries->front().args.at(0));
  commit_then_reply(msg::MATOCL_FUSE_LINK, msgid, std::move(*entries),
                    [this, request, node_inode, inode, parent](PacketWriter& out) {
                      const Node* directory = operations_.resolve(request, parent);
                      out.u32(inode);
                      put_attr_for(out, *std::as_const(services_.metadata).fs().find(node_inode), request,
                                   directory && (directory->eattr & eattr::kNoEntryCache));
                    });
  return true;
}

bool ClientProtocol::handle_readdir(uint32_t msgid, PacketReader& in, size_t size) {
  uint32_t inode = in.u32();
  RequestIds ids;
  uint8_t flags = 0;
  std::optional<uint64_t> edge_id;  // only the forms of 29 bytes and more carry one
  if (size == 16) {
    ids.uid = in.u32();
    ids.gids = {in.u32()};
  } else if (size == 17) {
    ids.uid = in.u32();
    ids.gids = {in.u32()};
    flags = in.u8();
  } else {
    if (!read_request_ids(in, 13, ids)) return fail("bad READDIR size");
    flags = in.u8();
    in.u32();            // maxentries: the whole directory is always returned
    edge_id = in.u64();  // echoed, not acted on, as the 3.0.117 master does
  }
  if (!in.finished()) return fail("bad READDIR size");
  bool with_attributes = flags & 0x01;
  RequestContext request = context(ids.uid, ids.gids);
  auto directory = operations_.readdir(request, inode, with_attributes);
  if (!directory) {
    reply_status(msg::MATOCL_FUSE_READDIR, msgid, directory.status());
    return true;
  }
  const Node& dir = **directory;
  const FsTree& fs = std::as_const(services_.metadata).fs();
  const Node* parent = &dir;
  if (dir.inode != request.session->root_inode && !dir.parents.empty()) {
    if (const Node* up = fs.find(dir.parents.front()->parent)) parent = up;
  }
  bool no_entry_cache = dir.eattr & eattr::kNoEntryCache;
  const std::vector<const Edge*>& children = FsTree::in_creation_order(dir);
  // Enough for typical names, so that a reply of megabytes is not regrown step by step.
  constexpr size_t kTypicalEntrySize = 24;
  constexpr size_t kTypicalEntrySizeWithAttributes = 64;
  PacketWriter reply(msg::MATOCL_FUSE_READDIR,
                     (children.size() + 2) * (with_attributes ? kTypicalEntrySizeWithAttributes : kTypicalEntrySize));
  reply.u32(msgid);
  if (edge_id) reply.u64(*edge_id);
  auto put_entry = [&](std::string_view name, const Node& node) {
    reply.name8(name).u32(operations_.wire_inode(request, node));
    if (with_attributes) {
      put_attr_for(reply, node, request, no_entry_cache);
    } else {
      reply.u8(presented_type(node.type));
    }
  };
  put_entry(".", dir);
  put_entry("..", *parent);
  // Entries in creation order, as the real master lists them. Each entry's edge and node
  // are cache misses: asking for them some entries ahead lets the misses overlap.
  constexpr size_t kEdgeLookahead = 16;
  constexpr size_t kNodeLookahead = 8;
  for (size_t i = 0; i < children.size(); ++i) {
    if (i + kEdgeLookahead < children.size()) prefetch_object(children[i + kEdgeLookahead]);
    if (i + kNodeLookahead < children.size()) prefetch_object(children[i + kNodeLookahead]->child);
    put_entry(children[i]->name, *children[i]->child);
  }
  if (reply.payload_size() > 0xFFFF0000u) {
    reply_status(msg::MATOCL_FUSE_READDIR, msgid, StatusCode::kERANGE);
    return true;
  }
  note_access(dir);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_open(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t inode = in.u32();
  RequestIds ids;
  if (!read_request_ids(in, 1, ids)) return fail("bad OPEN size");
  uint8_t flags = in.u8();
  if (!in.finished()) return fail("bad OPEN size");
  RequestContext request = context(ids.uid, ids.gids);
  auto entries = operations_.open(request, inode, flags);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_OPEN, msgid, entries.status());
    return true;
  }
  const Node* node = operations_.resolve(request, inode);
  uint32_t node_inode = node->inode;
  if (flags & kOpenRequestTruncate) {
    services_.data_cache.modified(node_inode, session_id_);
    services_.append_reservations.forget(node_inode);
  }
  bool with_open_flags = client_version_ >= kVersionWithOpenFlags;
  // Decided once the open took effect: the client drops its cache unless told to keep it.
  auto build = [this, request, node_inode, with_open_flags](PacketWriter& out) {
    const Node& opened = *std::as_const(services_.metadata).fs().find(node_inode);
    bool keep_cache = !(opened.eattr & eattr::kNoDataCache) && services_.data_cache.opened(node_inode, session_id_);
    if (with_open_flags) out.u8(open_flags_for(opened) | (keep_cache ? kOpenKeepCache : 0));
    put_attr(out, opened, {request.credentials, false, with_winattr(), keep_cache});
  };
  if (entries->empty()) {
    PacketWriter reply(msg::MATOCL_FUSE_OPEN);
    reply.u32(msgid);
    build(reply);
    send(reply.take());
    return true;
  }
  commit_then_reply(msg::MATOCL_FUSE_OPEN, msgid, std::move(*entries), build);
  return true;
}

bool ClientProtocol::handle_create(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t parent = in.u32();
  std::string_view name = in.name8();
  uint16_t mode = in.u16();
  uint16_t umask = 0;
  RequestIds ids;
  if (in.remaining() != 8) umask = in.u16();
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad CREATE size");
  RequestContext request = context(ids.uid, ids.gids);
  auto entries = operations_.mknod(request, parent, name, 1, mode, umask, 0);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_CREATE, msgid, entries.status());
    return true;
  }
  uint32_t inode = std::stoul(entries->front().results.at(0));
  entries->push_back(ChangelogEntry::make("ACQUIRE", request.now).arg(session_id_).arg(inode));
  bool with_open_flags = client_version_ >= kVersionWithOpenFlags;
  commit_then_reply(msg::MATOCL_FUSE_CREATE, msgid, std::move(*entries),
                    [this, request, inode, parent, with_open_flags](PacketWriter& out) {
                      services_.data_cache.created(inode, session_id_);
                      const Node& node = *std::as_const(services_.metadata).fs().find(inode);
                      const Node* directory = operations_.resolve(request, parent);
                      if (with_open_flags) out.u8(open_flags_for(node));
                      out.u32(inode);
                      put_attr(out, node,
                               {request.credentials, directory && (directory->eattr & eattr::kNoEntryCache),
                                with_winattr(), (node.eattr & eattr::kNoDataCache) != 0});
                    });
  return true;
}

}  // namespace mfs::master
