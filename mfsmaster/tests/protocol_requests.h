// Builders for the requests of spec 10 (in the form the 3.0.117 mount sends them) and for
// a chunkserver's registration, as packets ready for the protocols' handle(). Shared by the
// protocol tests and the protocol fuzz target, so it does not depend on GoogleTest.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfsmaster/exports.h"
#include "mfsmaster/fs_operations.h"

namespace mfs::master::testing {

inline constexpr uint32_t kClientVersion = 0x000300EA;  // 3.0.117, as the real mount sends it
inline constexpr uint32_t kClientIp = 0xC0A80105;       // 192.168.1.5
inline constexpr std::string_view kRegisterBlob = "DjI1GAQDULI5d2YjA26ypc3ovkhjvhciTQVx3CS4nYgtBoUcsljiVpsErJENHaw0";

namespace rcode {
inline constexpr uint8_t kGetRandom = 1, kNewSession = 2, kReconnect = 3, kTools = 4, kNewMetaSession = 5,
                         kCloseSession = 6;
}  // namespace rcode

// A frame as the receiving side sees it; `frame` holds at least a header.
inline Packet unframe(const std::vector<uint8_t>& frame) {
  Packet packet;
  packet.type = get_u32_be(frame.data());
  packet.payload.assign(frame.begin() + kPacketHeaderSize, frame.end());
  return packet;
}

inline Packet to_packet(PacketWriter& writer) { return unframe(writer.take()); }

// The caller's credentials as the 3.0.117 mount sends them: `uid gcnt gids…`.
struct Ids {
  uint32_t uid = 0;
  std::vector<uint32_t> gids{0};
};

inline PacketWriter& put_ids(PacketWriter& out, const Ids& ids) {
  out.u32(ids.uid).u32(static_cast<uint32_t>(ids.gids.size()));
  for (uint32_t gid : ids.gids) out.u32(gid);
  return out;
}

// Requests in the form the 3.0.117 client sends them (spec 10 §3, §7-11).
namespace request {

inline PacketWriter register_header(uint8_t code) {
  PacketWriter out(msg::CLTOMA_FUSE_REGISTER);
  out.bytes(kRegisterBlob).u8(code);
  return out;
}

inline Packet get_random() {
  PacketWriter out = register_header(rcode::kGetRandom);
  return to_packet(out);
}

struct NewSession {
  uint32_t version = kClientVersion;
  std::string info = "/mnt/mfs";
  std::optional<std::string> path = "/";  // nullopt: pleng 0
  std::optional<uint32_t> session_id;
  std::optional<uint64_t> meta_id;  // only sent after a session id
  std::optional<Md5Digest> passcode;
};

inline Packet new_session(const NewSession& fields, uint8_t code = rcode::kNewSession) {
  PacketWriter out = register_header(code);
  out.u32(fields.version).string32(fields.info + std::string(1, '\0'));
  if (code == rcode::kNewSession) out.string32(fields.path ? *fields.path + std::string(1, '\0') : std::string());
  if (fields.session_id) out.u32(*fields.session_id);
  if (fields.session_id && fields.meta_id) out.u64(*fields.meta_id);
  if (fields.passcode) out.bytes(*fields.passcode);
  return to_packet(out);
}

// RECONNECT (rcode 3) or TOOLS (rcode 4).
inline Packet reconnect(uint32_t session_id, uint32_t version = kClientVersion,
                        std::optional<uint64_t> meta_id = std::nullopt, uint8_t code = rcode::kReconnect) {
  PacketWriter out = register_header(code);
  out.u32(session_id).u32(version);
  if (meta_id) out.u64(*meta_id);
  return to_packet(out);
}

inline Packet close_session(uint32_t session_id, std::optional<uint64_t> meta_id = std::nullopt) {
  PacketWriter out = register_header(rcode::kCloseSession);
  out.u32(session_id);
  if (meta_id) out.u64(*meta_id);
  return to_packet(out);
}

inline Packet statfs(uint32_t msgid) {
  PacketWriter out(msg::CLTOMA_FUSE_STATFS);
  out.u32(msgid);
  return to_packet(out);
}

inline Packet access(uint32_t msgid, uint32_t inode, uint16_t mask, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_ACCESS);
  out.u32(msgid).u32(inode);
  put_ids(out, ids).u16(mask);
  return to_packet(out);
}

inline Packet lookup(uint32_t msgid, uint32_t parent, std::string_view name, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_LOOKUP);
  out.u32(msgid).u32(parent).name8(name);
  put_ids(out, ids);
  return to_packet(out);
}

// The 17-byte form of the 3.0.117 client.
inline Packet getattr(uint32_t msgid, uint32_t inode, uint32_t uid = 0, uint32_t gid = 0, uint8_t opened = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_GETATTR);
  out.u32(msgid).u32(inode).u8(opened).u32(uid).u32(gid);
  return to_packet(out);
}

using SetAttr = SetAttrRequest;  // the fields in wire order

inline Packet setattr(uint32_t msgid, uint32_t inode, const SetAttr& fields, const Ids& ids = {}, uint8_t opened = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_SETATTR);
  out.u32(msgid).u32(inode).u8(opened);
  put_ids(out, ids).u8(fields.setmask).u16(fields.mode).u32(fields.uid).u32(fields.gid);
  out.u32(fields.atime).u32(fields.mtime).u8(fields.winattr).u8(fields.sugid_clear_mode);
  return to_packet(out);
}

inline Packet readlink(uint32_t msgid, uint32_t inode) {
  PacketWriter out(msg::CLTOMA_FUSE_READLINK);
  out.u32(msgid).u32(inode);
  return to_packet(out);
}

// The target is sent with its terminating NUL, as the 3.0.117 client does.
inline Packet symlink(uint32_t msgid, uint32_t parent, std::string_view name, std::string_view target,
                      const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_SYMLINK);
  out.u32(msgid).u32(parent).name8(name).string32(std::string(target) + std::string(1, '\0'));
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet mknod(uint32_t msgid, uint32_t parent, std::string_view name, uint8_t type, uint16_t mode,
                    uint32_t rdev = 0, const Ids& ids = {}, uint16_t umask = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_MKNOD);
  out.u32(msgid).u32(parent).name8(name).u8(type).u16(mode).u16(umask);
  put_ids(out, ids).u32(rdev);
  return to_packet(out);
}

inline Packet mkdir(uint32_t msgid, uint32_t parent, std::string_view name, uint16_t mode = 0755, const Ids& ids = {},
                    uint16_t umask = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_MKDIR);
  out.u32(msgid).u32(parent).name8(name).u16(mode).u16(umask);
  put_ids(out, ids).u8(1);
  return to_packet(out);
}

// UNLINK or RMDIR.
inline Packet remove(uint32_t type, uint32_t msgid, uint32_t parent, std::string_view name, const Ids& ids = {}) {
  PacketWriter out(type);
  out.u32(msgid).u32(parent).name8(name);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet rename(uint32_t msgid, uint32_t source_parent, std::string_view source_name, uint32_t target_parent,
                     std::string_view target_name, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_RENAME);
  out.u32(msgid).u32(source_parent).name8(source_name).u32(target_parent).name8(target_name);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet link(uint32_t msgid, uint32_t inode, uint32_t parent, std::string_view name, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_LINK);
  out.u32(msgid).u32(inode).u32(parent).name8(name);
  put_ids(out, ids);
  return to_packet(out);
}

inline constexpr uint8_t kReaddirWithAttributes = 0x01;

// The 29+4G form of the 3.0.117 client.
inline Packet readdir(uint32_t msgid, uint32_t inode, uint8_t flags, uint64_t nedgeid = 0, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_READDIR);
  out.u32(msgid).u32(inode);
  put_ids(out, ids).u8(flags).u32(0xFFFFFFFF).u64(nedgeid);
  return to_packet(out);
}

namespace openflag {
inline constexpr uint8_t kRead = 0x01, kWrite = 0x02, kAfterCreate = 0x04, kTruncate = 0x08;
}  // namespace openflag

inline Packet open(uint32_t msgid, uint32_t inode, uint8_t flags, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_OPEN);
  out.u32(msgid).u32(inode);
  put_ids(out, ids).u8(flags);
  return to_packet(out);
}

inline Packet create(uint32_t msgid, uint32_t parent, std::string_view name, uint16_t mode = 0644, const Ids& ids = {},
                     uint16_t umask = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_CREATE);
  out.u32(msgid).u32(parent).name8(name).u16(mode).u16(umask);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet truncate(uint32_t msgid, uint32_t inode, uint8_t flags, uint64_t length, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_TRUNCATE);
  out.u32(msgid).u32(inode).u8(flags);
  put_ids(out, ids).u64(length);
  return to_packet(out);
}

// READ_CHUNK or WRITE_CHUNK, 13-byte form.
inline Packet chunk(uint32_t type, uint32_t msgid, uint32_t inode, uint32_t index, uint8_t flags = 0) {
  PacketWriter out(type);
  out.u32(msgid).u32(inode).u32(index).u8(flags);
  return to_packet(out);
}

inline Packet write_chunk_end(uint32_t msgid, uint64_t chunk_id, uint32_t inode, uint32_t index, uint64_t length) {
  PacketWriter out(msg::CLTOMA_FUSE_WRITE_CHUNK_END);
  out.u32(msgid).u64(chunk_id).u32(inode).u32(index).u64(length).u8(0);
  return to_packet(out);
}

inline Packet getxattr(uint32_t msgid, uint32_t inode, std::string_view name, uint8_t mode, const Ids& ids = {},
                       uint8_t opened = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_GETXATTR);
  out.u32(msgid).u32(inode).name8(name).u8(mode).u8(opened);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet setxattr(uint32_t msgid, uint32_t inode, std::string_view name, std::string_view value, uint8_t mode,
                       const Ids& ids = {}, uint8_t opened = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_SETXATTR);
  out.u32(msgid).u32(inode).name8(name).string32(value).u8(mode).u8(opened);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet getfacl(uint32_t msgid, uint32_t inode, uint8_t acl_type) {
  PacketWriter out(msg::CLTOMA_FUSE_GETFACL);
  out.u32(msgid).u32(inode).u8(acl_type);
  return to_packet(out);
}

// Removal form: all four permissions 0xFFFF, no named entries.
inline Packet setfacl(uint32_t msgid, uint32_t inode, uint8_t acl_type) {
  PacketWriter out(msg::CLTOMA_FUSE_SETFACL);
  out.u32(msgid).u32(inode).u32(0).u8(acl_type).u16(0xFFFF).u16(0xFFFF).u16(0xFFFF).u16(0xFFFF).u16(0).u16(0);
  return to_packet(out);
}

namespace flockcmd {
inline constexpr uint8_t kUnlock = 0, kTryShared = 1, kLockShared = 2, kTryExclusive = 3, kLockExclusive = 4,
                         kInterrupt = 5, kRelease = 6;
}  // namespace flockcmd

inline Packet flock(uint32_t msgid, uint32_t inode, uint32_t reqid, uint64_t owner, uint8_t command) {
  PacketWriter out(msg::CLTOMA_FUSE_FLOCK);
  out.u32(msgid).u32(inode).u32(reqid).u64(owner).u8(command);
  return to_packet(out);
}

struct PosixLock {
  uint32_t inode = 0;
  uint32_t reqid = 0;
  uint64_t owner = 0;
  uint32_t pid = 0;
  uint8_t command = 0;  // 0 GET, 1 SET, 2 TRY, 3 INT
  uint8_t type = 0;     // 0 unlock, 1 read, 2 write
  uint64_t start = 0;
  uint64_t end = 0;
};

inline Packet posix_lock(uint32_t msgid, const PosixLock& fields) {
  PacketWriter out(msg::CLTOMA_FUSE_POSIX_LOCK);
  out.u32(msgid).u32(fields.inode).u32(fields.reqid).u64(fields.owner).u32(fields.pid);
  out.u8(fields.command).u8(fields.type).u64(fields.start).u64(fields.end);
  return to_packet(out);
}

inline Packet check(uint32_t msgid, uint32_t inode, std::optional<uint32_t> index = std::nullopt) {
  PacketWriter out(msg::CLTOMA_FUSE_CHECK);
  out.u32(msgid).u32(inode);
  if (index) out.u32(*index);
  return to_packet(out);
}

inline Packet dir_stats(uint32_t msgid, uint32_t inode) {
  PacketWriter out(msg::CLTOMA_FUSE_GETDIRSTATS);
  out.u32(msgid).u32(inode);
  return to_packet(out);
}

// GETSCLASS, GETTRASHTIME or GETEATTR (spec 11 §5.1, §5.3, §5.5).
inline Packet get_setting(uint32_t type, uint32_t msgid, uint32_t inode, uint8_t gmode) {
  PacketWriter out(type);
  out.u32(msgid).u32(inode).u8(gmode);
  return to_packet(out);
}

// SETSCLASS in the goal form (spec 11 §5.2).
inline Packet set_goal(uint32_t msgid, uint32_t inode, uint32_t uid, uint8_t goal, uint8_t smode) {
  PacketWriter out(msg::CLTOMA_FUSE_SETSCLASS);
  out.u32(msgid).u32(inode).u32(uid).u8(goal).u8(smode);
  return to_packet(out);
}

inline Packet set_trash_time(uint32_t msgid, uint32_t inode, uint32_t uid, uint32_t seconds, uint8_t smode) {
  PacketWriter out(msg::CLTOMA_FUSE_SETTRASHTIME);
  out.u32(msgid).u32(inode).u32(uid).u32(seconds).u8(smode);
  return to_packet(out);
}

inline Packet set_eattr(uint32_t msgid, uint32_t inode, uint32_t uid, uint8_t bits, uint8_t smode) {
  PacketWriter out(msg::CLTOMA_FUSE_SETEATTR);
  out.u32(msgid).u32(inode).u32(uid).u8(bits).u8(smode);
  return to_packet(out);
}

inline Packet time_sync(std::optional<uint32_t> msgid) {
  PacketWriter out(msg::CLTOMA_FUSE_TIME_SYNC);
  if (msgid) out.u32(*msgid);
  return to_packet(out);
}

inline Packet sustained_inodes(const std::vector<uint32_t>& inodes) {
  PacketWriter out(msg::CLTOMA_FUSE_SUSTAINED_INODES);
  for (uint32_t inode : inodes) out.u32(inode);
  return to_packet(out);
}

}  // namespace request

inline csmsg::RegisterBeginV6 chunkserver_begin(uint32_t ip, uint16_t port) {
  csmsg::RegisterBeginV6 begin;
  begin.version = kClientVersion;
  begin.ip = ip;
  begin.port = port;
  begin.space = {0, uint64_t{100} << 30, 0, 0, 0, 0};
  return begin;
}

}  // namespace mfs::master::testing
