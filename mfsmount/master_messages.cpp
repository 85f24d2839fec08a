#include "mfsmount/master_messages.h"

#include <cerrno>

#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"

namespace mfs::mount {

namespace {

constexpr uint8_t kRcodeGetRandom = 1, kRcodeNewSession = 2, kRcodeReconnect = 3, kRcodeNewMetaSession = 5,
                  kRcodeCloseSession = 6;
constexpr uint8_t kReaddirPlain = 0;  // entries without attributes
constexpr uint8_t kChunkLocationProtocol = 2;
constexpr size_t kChunkCopySize = 14;

Status malformed(std::string_view what, size_t length) {
  return Status(StatusCode::kIO, "malformed " + std::string(what) + " reply from the master (" +
                                     std::to_string(length) + " bytes)");
}

PacketWriter request(uint32_t type) {
  PacketWriter out(type);
  out.u32(0);  // msgid, set by MasterConnection
  return out;
}

PacketWriter registration(uint8_t rcode) {
  PacketWriter out(msg::CLTOMA_FUSE_REGISTER);
  out.bytes(kRegisterBlob).u8(rcode);
  return out;
}

void put_credentials(PacketWriter& out, const Credentials& who) {
  out.u32(who.uid).u32(static_cast<uint32_t>(who.gids.size()));
  for (uint32_t gid : who.gids) out.u32(gid);
}

// `msgid inode credentials`, to be continued by the caller (ACCESS, READDIR, OPEN).
PacketWriter inode_request(uint32_t type, uint32_t inode, const Credentials& who) {
  PacketWriter out = request(type);
  out.u32(inode);
  put_credentials(out, who);
  return out;
}

// `msgid parent name credentials`: LOOKUP, UNLINK and RMDIR.
Frame name_request(uint32_t type, uint32_t parent, std::string_view name, const Credentials& who) {
  PacketWriter out = request(type);
  out.u32(parent).name8(name);
  put_credentials(out, who);
  return out.take();
}

// The NUL-terminated form the 3.0.117 client sends for the mount point and subfolder.
std::string with_nul(std::string_view text) { return std::string(text) + '\0'; }

bool valid_type(uint8_t type) { return type >= 1 && type <= 7; }

Attr read_attr(PacketReader& in, bool& ok) {
  Attr attr;
  attr.flags = in.u8();
  uint16_t typemode = in.u16();
  uint8_t type = static_cast<uint8_t>(typemode >> 12);
  if (!valid_type(type)) ok = false;
  attr.type = static_cast<NodeType>(type);
  attr.mode = typemode & 07777;
  attr.uid = in.u32();
  attr.gid = in.u32();
  attr.atime = in.u32();
  attr.mtime = in.u32();
  attr.ctime = in.u32();
  attr.nlink = in.u32();
  if (attr.type == NodeType::kBlockDev || attr.type == NodeType::kCharDev) {
    attr.rdev = in.u32();
    in.u32();
  } else {
    attr.length = in.u64();
  }
  in.u8();  // winattr
  return attr;
}

// `mingoal maxgoal mintrashtime maxtrashtime`, in both session replies.
void read_limits(PacketReader& in, SessionReply& reply) {
  reply.min_goal = in.u8();
  reply.max_goal = in.u8();
  reply.min_trash_time = in.u32();
  reply.max_trash_time = in.u32();
}

}  // namespace

PacketWriter master_request(uint32_t type) { return request(type); }
Status malformed_reply(std::string_view what, size_t length) { return malformed(what, length); }

Frame register_get_random() { return registration(kRcodeGetRandom).take(); }

Frame register_new_session(std::string_view info, std::string_view subfolder, uint32_t session_id, uint64_t meta_id,
                           const uint8_t* passcode) {
  PacketWriter out = registration(kRcodeNewSession);
  out.u32(kOwnVersion).string32(with_nul(info)).string32(with_nul(subfolder));
  if (session_id != 0) out.u32(session_id).u64(meta_id);
  if (passcode != nullptr) out.bytes(std::span<const uint8_t>(passcode, 16));
  return out.take();
}

Frame register_new_meta_session(std::string_view info, uint32_t session_id, uint64_t meta_id,
                                const uint8_t* passcode) {
  PacketWriter out = registration(kRcodeNewMetaSession);
  out.u32(kOwnVersion).string32(with_nul(info));
  if (session_id != 0) out.u32(session_id).u64(meta_id);
  if (passcode != nullptr) out.bytes(std::span<const uint8_t>(passcode, 16));
  return out.take();
}

Frame register_reconnect(uint32_t session_id, uint64_t meta_id) {
  return registration(kRcodeReconnect).u32(session_id).u32(kOwnVersion).u64(meta_id).take();
}

Frame register_close_session(uint32_t session_id, uint64_t meta_id) {
  return registration(kRcodeCloseSession).u32(session_id).u64(meta_id).take();
}

Result<SessionReply> decode_new_session(Body payload) {
  if (payload.size() == 1) return Status(static_cast<StatusCode>(payload[0]), "registration refused");
  // 3.0.117 masters send 49 bytes to a 3.0.117 client; 43/45 come from older masters.
  if (payload.size() != 49 && payload.size() != 45 && payload.size() != 43) return malformed("register", payload.size());
  PacketReader in(payload);
  SessionReply reply;
  reply.master_version = in.u32();
  reply.session_id = in.u32();
  reply.meta_id = in.u64();
  reply.sesflags = in.u8();
  if (payload.size() >= 45) reply.umask = in.u16();
  reply.root_uid = in.u32();
  reply.root_gid = in.u32();
  reply.mapall_uid = in.u32();
  reply.mapall_gid = in.u32();
  read_limits(in, reply);
  if (!in.ok()) return malformed("register", payload.size());
  return reply;
}

Result<SessionReply> decode_new_meta_session(Body payload) {
  if (payload.size() == 1) return Status(static_cast<StatusCode>(payload[0]), "registration refused");
  // `version sessionid [metaid] sesflags mingoal maxgoal mintrashtime maxtrashtime` (spec 10 §3.4);
  // 19 bytes come from masters older than 3.0.11 (no metaid).
  if (payload.size() != 27 && payload.size() != 19) return malformed("meta register", payload.size());
  PacketReader in(payload);
  SessionReply reply;
  reply.master_version = in.u32();
  reply.session_id = in.u32();
  if (payload.size() == 27) reply.meta_id = in.u64();
  reply.sesflags = in.u8();
  read_limits(in, reply);
  if (!in.ok()) return malformed("meta register", payload.size());
  return reply;
}

Result<std::vector<uint8_t>> decode_random(Body payload) {
  if (payload.size() == 1) return Status(static_cast<StatusCode>(payload[0]), "GETRANDOM refused");
  if (payload.size() != 32) return malformed("GETRANDOM", payload.size());
  return std::vector<uint8_t>(payload.begin(), payload.end());
}

Status decode_reconnect(Body payload) {
  if (payload.size() == 1) return static_cast<StatusCode>(payload[0]);
  if (payload.size() == 5) return static_cast<StatusCode>(payload[4]);
  return malformed("reconnect", payload.size());
}

Frame statfs_request() { return request(msg::CLTOMA_FUSE_STATFS).take(); }

Frame access_request(uint32_t inode, const Credentials& who, uint16_t modemask) {
  PacketWriter out = inode_request(msg::CLTOMA_FUSE_ACCESS, inode, who);
  out.u16(modemask);
  return out.take();
}

Frame lookup_request(uint32_t parent, std::string_view name, const Credentials& who) {
  return name_request(msg::CLTOMA_FUSE_LOOKUP, parent, name, who);
}

Frame getattr_request(uint32_t inode, bool opened, const Credentials& who) {
  PacketWriter out = request(msg::CLTOMA_FUSE_GETATTR);
  out.u32(inode).u8(opened ? 1 : 0).u32(who.uid).u32(who.gids.empty() ? 0 : who.gids[0]);
  return out.take();
}

Frame setattr_request(uint32_t inode, bool opened, const Credentials& who, const SetattrFields& fields) {
  PacketWriter out = request(msg::CLTOMA_FUSE_SETATTR);
  out.u32(inode).u8(opened ? 1 : 0);
  put_credentials(out, who);
  out.u8(fields.setmask).u16(fields.mode).u32(fields.uid).u32(fields.gid).u32(fields.atime).u32(fields.mtime);
  out.u8(0).u8(fields.sugid_clear_mode);  // winattr (not set), sugidclearmode
  return out.take();
}

Frame truncate_request(uint32_t inode, uint8_t flags, const Credentials& who, uint64_t length) {
  PacketWriter out = request(msg::CLTOMA_FUSE_TRUNCATE);
  out.u32(inode).u8(flags);
  put_credentials(out, who);
  out.u64(length);
  return out.take();
}

Frame readlink_request(uint32_t inode) { return request(msg::CLTOMA_FUSE_READLINK).u32(inode).take(); }

Frame symlink_request(uint32_t parent, std::string_view name, std::string_view target, const Credentials& who) {
  PacketWriter out = request(msg::CLTOMA_FUSE_SYMLINK);
  out.u32(parent).name8(name).string32(with_nul(target));
  put_credentials(out, who);
  return out.take();
}

Frame mknod_request(uint32_t parent, std::string_view name, NodeType type, uint16_t mode, uint16_t umask,
                    const Credentials& who, uint32_t rdev) {
  PacketWriter out = request(msg::CLTOMA_FUSE_MKNOD);
  out.u32(parent).name8(name).u8(static_cast<uint8_t>(type)).u16(mode).u16(umask);
  put_credentials(out, who);
  out.u32(rdev);
  return out.take();
}

Frame mkdir_request(uint32_t parent, std::string_view name, uint16_t mode, uint16_t umask, const Credentials& who,
                    bool copy_sgid) {
  PacketWriter out = request(msg::CLTOMA_FUSE_MKDIR);
  out.u32(parent).name8(name).u16(mode).u16(umask);
  put_credentials(out, who);
  out.u8(copy_sgid ? 1 : 0);
  return out.take();
}

Frame unlink_request(uint32_t parent, std::string_view name, const Credentials& who) {
  return name_request(msg::CLTOMA_FUSE_UNLINK, parent, name, who);
}

Frame rmdir_request(uint32_t parent, std::string_view name, const Credentials& who) {
  return name_request(msg::CLTOMA_FUSE_RMDIR, parent, name, who);
}

Frame rename_request(uint32_t parent, std::string_view name, uint32_t new_parent, std::string_view new_name,
                     const Credentials& who) {
  PacketWriter out = request(msg::CLTOMA_FUSE_RENAME);
  out.u32(parent).name8(name).u32(new_parent).name8(new_name);
  put_credentials(out, who);
  return out.take();
}

Frame link_request(uint32_t inode, uint32_t new_parent, std::string_view new_name, const Credentials& who) {
  PacketWriter out = request(msg::CLTOMA_FUSE_LINK);
  out.u32(inode).u32(new_parent).name8(new_name);
  put_credentials(out, who);
  return out.take();
}

Frame readdir_request(uint32_t inode, const Credentials& who) {
  PacketWriter out = inode_request(msg::CLTOMA_FUSE_READDIR, inode, who);
  out.u8(kReaddirPlain).u32(0xFFFFFFFF).u64(0);  // the whole directory in one reply
  return out.take();
}

Frame open_request(uint32_t inode, const Credentials& who, uint8_t flags) {
  PacketWriter out = inode_request(msg::CLTOMA_FUSE_OPEN, inode, who);
  out.u8(flags);
  return out.take();
}

Frame create_request(uint32_t parent, std::string_view name, uint16_t mode, uint16_t umask, const Credentials& who) {
  PacketWriter out = request(msg::CLTOMA_FUSE_CREATE);
  out.u32(parent).name8(name).u16(mode).u16(umask);
  put_credentials(out, who);
  return out.take();
}

Frame read_chunk_request(uint32_t inode, uint32_t chunk_index) {
  return request(msg::CLTOMA_FUSE_READ_CHUNK).u32(inode).u32(chunk_index).u8(0).take();
}

Frame write_chunk_request(uint32_t inode, uint32_t chunk_index) {
  return request(msg::CLTOMA_FUSE_WRITE_CHUNK).u32(inode).u32(chunk_index).u8(0).take();
}

Frame write_chunk_end_request(uint64_t chunkid, uint32_t inode, uint32_t chunk_index, uint64_t length) {
  return request(msg::CLTOMA_FUSE_WRITE_CHUNK_END).u64(chunkid).u32(inode).u32(chunk_index).u64(length).u8(0).take();
}

Frame getxattr_request(uint32_t inode, std::string_view name, uint8_t mode, const Credentials& who) {
  PacketWriter out = request(msg::CLTOMA_FUSE_GETXATTR);
  out.u32(inode).name8(name).u8(mode).u8(0);  // not "opened": the master checks permissions
  put_credentials(out, who);
  return out.take();
}

Frame setxattr_request(uint32_t inode, std::string_view name, std::span<const uint8_t> value, uint8_t mode,
                       const Credentials& who) {
  PacketWriter out = request(msg::CLTOMA_FUSE_SETXATTR);
  out.u32(inode).name8(name).u32(static_cast<uint32_t>(value.size())).bytes(value).u8(mode).u8(0);
  put_credentials(out, who);
  return out.take();
}

Frame flock_request(uint32_t inode, uint32_t reqid, uint64_t owner, uint8_t cmd) {
  return request(msg::CLTOMA_FUSE_FLOCK).u32(inode).u32(reqid).u64(owner).u8(cmd).take();
}

Frame posix_lock_request(uint32_t inode, uint32_t reqid, uint64_t owner, uint8_t cmd, const PosixLock& lock) {
  return request(msg::CLTOMA_FUSE_POSIX_LOCK).u32(inode).u32(reqid).u64(owner).u32(lock.pid).u8(cmd).u8(lock.type)
      .u64(lock.start).u64(lock.end).take();
}

Frame sustained_inodes(std::span<const uint32_t> inodes) {
  PacketWriter out(msg::CLTOMA_FUSE_SUSTAINED_INODES);
  for (uint32_t inode : inodes) out.u32(inode);
  return out.take();
}

Frame amtime_inodes(std::span<const InodeTimes> records) {
  PacketWriter out(msg::CLTOMA_FUSE_AMTIME_INODES);
  for (const InodeTimes& record : records) out.u32(record.inode).u32(record.atime).u32(record.mtime);
  return out.take();
}

Frame nop() { return PacketWriter(msg::ANTOAN_NOP).u32(0).take(); }

bool is_status_reply(Body body) { return body.size() == 1; }

Status status_of(Body body) { return static_cast<StatusCode>(body[0]); }

Result<Attr> decode_attr_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  if (body.size() != kAttrSize) return malformed("attribute", body.size());
  PacketReader in(body);
  bool ok = true;
  Attr attr = read_attr(in, ok);
  if (!ok || !in.finished()) return malformed("attribute", body.size());
  return attr;
}

Result<Attr> decode_truncate_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  if (body.size() == 8 + kAttrSize) return decode_attr_reply(body.subspan(8));
  return decode_attr_reply(body);
}

Result<EntryReply> decode_entry_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  if (body.size() != 4 + kAttrSize) return malformed("entry", body.size());
  PacketReader in(body);
  EntryReply reply;
  reply.inode = in.u32();
  Result<Attr> attr = decode_attr_reply(body.subspan(4));
  if (!attr) return attr.status();
  reply.attr = *attr;
  return reply;
}

Result<EntryReply> decode_lookup_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  if (body.size() < 4 + kAttrSize) return malformed("lookup", body.size());
  Result<EntryReply> entry = decode_entry_reply(body.subspan(0, 4 + kAttrSize));
  if (!entry) return entry;
  Body rest = body.subspan(4 + kAttrSize);
  if (rest.empty()) return entry;  // an old master: no lflags
  if (rest.size() < 2) return malformed("lookup", body.size());
  uint16_t lflags = static_cast<uint16_t>(rest[0] << 8 | rest[1]);
  entry->lookup_flags = lflags;
  Body chunk_data = rest.subspan(2);
  constexpr uint16_t kChunkZeroData = 0x0100;
  if ((lflags & kChunkZeroData) == 0) {
    if (!chunk_data.empty()) return malformed("lookup", body.size());
    return entry;
  }
  // The READ_CHUNK layout without the file length (the attribute record has it).
  PacketWriter location(0);
  location.u8(chunk_data.empty() ? 0 : chunk_data[0]).u64(entry->attr.length);
  if (!chunk_data.empty()) location.bytes(chunk_data.subspan(1));
  std::vector<uint8_t> frame = location.take();
  Result<ChunkLocation> chunk0 = decode_chunk_location(Body(frame).subspan(kPacketHeaderSize));
  if (!chunk0) return malformed("lookup", body.size());
  entry->chunk0 = std::move(*chunk0);
  return entry;
}

Result<OpenReply> decode_open_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  OpenReply reply;
  if (body.size() == 1 + kAttrSize) {
    reply.oflags = body[0];
    body = body.subspan(1);
  }
  Result<Attr> attr = decode_attr_reply(body);
  if (!attr) return attr.status();
  reply.attr = *attr;
  return reply;
}

Result<CreateReply> decode_create_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  CreateReply reply;
  if (body.size() == 1 + 4 + kAttrSize) {
    reply.oflags = body[0];
    body = body.subspan(1);
  }
  Result<EntryReply> entry = decode_entry_reply(body);
  if (!entry) return entry.status();
  reply.inode = entry->inode;
  reply.attr = entry->attr;
  return reply;
}

Result<std::string> decode_readlink_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  PacketReader in(body);
  std::string_view path = in.string32();
  if (!in.finished() || path.empty() || path.back() != '\0') return malformed("readlink", body.size());
  return std::string(path.substr(0, path.size() - 1));
}

bool usable_entry_name(std::string_view name) {
  return !name.empty() && name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

Result<std::vector<DirEntry>> decode_readdir_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  PacketReader in(body);
  in.u64();  // nedgeid: the request asked for everything
  std::vector<DirEntry> entries;
  while (in.ok() && in.remaining() > 0) {
    DirEntry entry;
    entry.name = std::string(in.name8());
    entry.inode = in.u32();
    uint8_t type = in.u8();
    if (!in.ok() || !usable_entry_name(entry.name) || !valid_type(type)) return malformed("readdir", body.size());
    entry.type = static_cast<NodeType>(type);
    entries.push_back(std::move(entry));
  }
  if (!in.finished()) return malformed("readdir", body.size());
  return entries;
}

Result<StatfsReply> decode_statfs_reply(Body body) {
  if (body.size() != 44 && body.size() != 36) return malformed("statfs", body.size());
  PacketReader in(body);
  StatfsReply reply;
  reply.total = in.u64();
  reply.avail = in.u64();
  reply.free = body.size() == 44 ? in.u64() : reply.avail;
  reply.trash = in.u64();
  reply.sustained = in.u64();
  reply.inodes = in.u32();
  if (!in.finished()) return malformed("statfs", body.size());
  return reply;
}

Result<ChunkLocation> decode_chunk_location(Body body) {
  if (is_status_reply(body)) return status_of(body);
  if (body.size() < 21 || (body.size() - 21) % kChunkCopySize != 0 || body[0] != kChunkLocationProtocol) {
    return malformed("chunk location", body.size());
  }
  PacketReader in(body);
  in.u8();
  ChunkLocation location;
  location.file_length = in.u64();
  location.chunkid = in.u64();
  location.version = in.u32();
  while (in.ok() && in.remaining() > 0) {
    ChunkCopy copy;
    copy.ip = in.u32();
    copy.port = in.u16();
    copy.version = in.u32();
    copy.labels = in.u32();
    location.copies.push_back(copy);
  }
  if (!in.finished()) return malformed("chunk location", body.size());
  return location;
}

Result<XattrReply> decode_getxattr_reply(Body body, bool length_only) {
  if (is_status_reply(body)) return status_of(body);
  PacketReader in(body);
  XattrReply reply;
  reply.length = in.u32();
  if (!length_only) {
    std::span<const uint8_t> value = in.bytes(reply.length);
    reply.value.assign(value.begin(), value.end());
  }
  if (!in.finished()) return malformed("getxattr", body.size());
  return reply;
}

Result<PosixLock> decode_posix_lock_reply(Body body) {
  if (is_status_reply(body)) return status_of(body);
  PacketReader in(body);
  PosixLock lock;
  lock.pid = in.u32();
  lock.type = in.u8();
  lock.start = in.u64();
  lock.end = in.u64();
  if (!in.finished() || lock.type > kLockWrite) return malformed("posix lock", body.size());
  return lock;
}

Status decode_simple_status(Body body) {
  if (body.size() != 1) return malformed("status", body.size());
  return status_of(body);
}

Status decode_unlink_reply(Body body) {
  if (body.size() == 1) return status_of(body);
  if (body.size() == 4) return Status::ok();
  return malformed("unlink", body.size());
}

int to_errno(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kEPERM: case StatusCode::kEPERM_NotAdmin: return EPERM;
    case StatusCode::kENOTDIR: return ENOTDIR;
    case StatusCode::kENOENT: case StatusCode::kENOENT_NoCache: return ENOENT;
    case StatusCode::kEACCES: return EACCES;
    case StatusCode::kEEXIST: return EEXIST;
    case StatusCode::kEINVAL: return EINVAL;
    case StatusCode::kCantCreatePath: return EINVAL;  // UNDEL: a file on the path (as 3.0.117's mount)
    case StatusCode::kENOTEMPTY: return ENOTEMPTY;
    case StatusCode::kOutOfMemory: return ENOMEM;
    case StatusCode::kIndexTooBig: return EFBIG;
    case StatusCode::kNoSpace: return ENOSPC;
    case StatusCode::kEROFS: return EROFS;
    case StatusCode::kQuota: return EDQUOT;
    case StatusCode::kENOATTR: return ENODATA;
    case StatusCode::kENOTSUP: return ENOTSUP;
    case StatusCode::kERANGE: return ERANGE;
    case StatusCode::kEAGAIN: return EAGAIN;
    case StatusCode::kEINTR: return EINTR;
    case StatusCode::kECANCELED: return ECANCELED;
    case StatusCode::kLocked: return EAGAIN;
    default: return EIO;
  }
}

}  // namespace mfs::mount
