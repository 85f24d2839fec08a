// The client side of the master protocol (spec 10): request frames for every operation
// the mount sends, and decoders of the master's replies. Decoders treat the master as
// hostile: every length and count is checked, a malformed reply is an EIO Status (the
// caller then drops the connection), never an out-of-bounds read.
//
// Requests are complete frames whose first payload u32 is the msgid, left 0 here:
// MasterConnection fills it in (spec 10 §1). Reply bodies passed to the decoders are the
// payload after the msgid.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/packet.h"
#include "mfscommon/status.h"

namespace mfs::mount {

using Frame = std::vector<uint8_t>;
using Body = std::span<const uint8_t>;

inline constexpr std::string_view kRegisterBlob = "DjI1GAQDULI5d2YjA26ypc3ovkhjvhciTQVx3CS4nYgtBoUcsljiVpsErJENHaw0";
inline constexpr uint32_t kAttrSize = 36;  // clients >= 3.0.93 (spec 10 §5)

// Who asks: uid and the gid list (gid[0] is the primary group), spec 10 §4.
struct Credentials {
  uint32_t uid = 0;
  std::vector<uint32_t> gids;
};

// Node types of the attribute record.
enum class NodeType : uint8_t { kFile = 1, kDirectory = 2, kSymlink = 3, kFifo = 4, kBlockDev = 5, kCharDev = 6, kSocket = 7 };

// Flags of the attribute record.
inline constexpr uint8_t kAttrNoACache = 0x01;
inline constexpr uint8_t kAttrNoECache = 0x02;
inline constexpr uint8_t kAttrNoXattr = 0x08;

// Decoded attribute record (spec 10 §5).
struct Attr {
  uint8_t flags = 0;
  NodeType type = NodeType::kFile;
  uint16_t mode = 0;  // 07777 bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
  uint32_t ctime = 0;
  uint32_t nlink = 0;
  uint64_t length = 0;  // files, symlinks; the encoded subtree size for directories
  uint32_t rdev = 0;    // devices
};

struct ChunkCopy {
  uint32_t ip = 0;
  uint16_t port = 0;
  uint32_t version = 0;  // of the chunkserver
  uint32_t labels = 0;   // bit i: label 'A'+i
};

// READ_CHUNK / WRITE_CHUNK reply (spec 10 §8.3).
struct ChunkLocation {
  uint64_t file_length = 0;
  uint64_t chunkid = 0;  // 0: a hole
  uint32_t version = 0;
  std::vector<ChunkCopy> copies;
};

struct EntryReply {
  uint32_t inode = 0;
  Attr attr;
  // LOOKUP of a one-chunk file may carry where chunk 0 is (lflags CHUNK_ZERO_DATA).
  std::optional<ChunkLocation> chunk0;
  // LOOKUP's lflags (spec 10 §7.3), when the master sent them.
  std::optional<uint16_t> lookup_flags;
};

// lflags of LOOKUP replies (spec 10 §7.3).
inline constexpr uint16_t kLookupMayRead = 0x0010;  // the R combination of the access bits
inline constexpr uint16_t kLookupKeepCache = 0x0400;
inline constexpr uint16_t kLookupDirectMode = 0x1000;

// Flags of OPEN/CREATE replies.
inline constexpr uint8_t kOpenKeepCache = 0x01;
inline constexpr uint8_t kOpenDirectMode = 0x02;

struct OpenReply {
  uint8_t oflags = 0;
  Attr attr;
};

struct CreateReply {
  uint8_t oflags = 0;
  uint32_t inode = 0;
  Attr attr;
};

struct DirEntry {
  std::string name;
  uint32_t inode = 0;
  NodeType type = NodeType::kFile;
};

struct StatfsReply {
  uint64_t total = 0;
  uint64_t avail = 0;
  uint64_t free = 0;
  uint64_t trash = 0;
  uint64_t sustained = 0;
  uint32_t inodes = 0;
};

// The export the master granted (spec 10 §3.3; a meta session has no uid mapping).
struct SessionReply {
  uint32_t master_version = 0;
  uint32_t session_id = 0;
  uint64_t meta_id = 0;
  uint8_t sesflags = 0;
  uint16_t umask = 0;
  uint32_t root_uid = 0;
  uint32_t root_gid = 0;
  uint32_t mapall_uid = 0;
  uint32_t mapall_gid = 0;
  uint8_t min_goal = 1;
  uint8_t max_goal = 9;
  uint32_t min_trash_time = 0;
  uint32_t max_trash_time = 0xFFFFFFFF;
};

// For codecs of other modules (meta_messages.h): a request with its msgid slot, and the
// EIO status of a reply that does not parse.
PacketWriter master_request(uint32_t type);
Status malformed_reply(std::string_view what, size_t length);

// Registration (spec 10 §3): frames without msgid.
Frame register_get_random();
Frame register_new_session(std::string_view info, std::string_view subfolder, uint32_t session_id, uint64_t meta_id,
                           const uint8_t* passcode /* 16 bytes or null */);
// The meta mount's registration (rcode 5, spec 10 §3.4): no subfolder.
Frame register_new_meta_session(std::string_view info, uint32_t session_id, uint64_t meta_id,
                                const uint8_t* passcode /* 16 bytes or null */);
Frame register_reconnect(uint32_t session_id, uint64_t meta_id);
Frame register_close_session(uint32_t session_id, uint64_t meta_id);
// Register replies: a 1-byte status, or the data.
Result<SessionReply> decode_new_session(Body payload);
Result<SessionReply> decode_new_meta_session(Body payload);
Result<std::vector<uint8_t>> decode_random(Body payload);
// RECONNECT: status only (1 byte, or version + status).
Status decode_reconnect(Body payload);

// Requests with msgid 0 to be filled in.
Frame statfs_request();
Frame access_request(uint32_t inode, const Credentials& who, uint16_t modemask);
Frame lookup_request(uint32_t parent, std::string_view name, const Credentials& who);
Frame getattr_request(uint32_t inode, bool opened, const Credentials& who);
// setmask bits of SETATTR (spec 10 §7.5).
inline constexpr uint8_t kSetMode = 0x02, kSetUid = 0x04, kSetGid = 0x08, kSetMtimeNow = 0x10, kSetMtime = 0x20,
                         kSetAtime = 0x40, kSetAtimeNow = 0x80;
struct SetattrFields {
  uint8_t setmask = 0;
  uint16_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
  uint8_t sugid_clear_mode = 4;  // EXT
};
Frame setattr_request(uint32_t inode, bool opened, const Credentials& who, const SetattrFields& fields);
inline constexpr uint8_t kTruncateOpened = 0x01, kTruncateUpdate = 0x02, kTruncateTimeFix = 0x04;
Frame truncate_request(uint32_t inode, uint8_t flags, const Credentials& who, uint64_t length);
Frame readlink_request(uint32_t inode);
Frame symlink_request(uint32_t parent, std::string_view name, std::string_view target, const Credentials& who);
Frame mknod_request(uint32_t parent, std::string_view name, NodeType type, uint16_t mode, uint16_t umask,
                    const Credentials& who, uint32_t rdev);
Frame mkdir_request(uint32_t parent, std::string_view name, uint16_t mode, uint16_t umask, const Credentials& who,
                    bool copy_sgid);
Frame unlink_request(uint32_t parent, std::string_view name, const Credentials& who);
Frame rmdir_request(uint32_t parent, std::string_view name, const Credentials& who);
Frame rename_request(uint32_t parent, std::string_view name, uint32_t new_parent, std::string_view new_name,
                     const Credentials& who);
Frame link_request(uint32_t inode, uint32_t new_parent, std::string_view new_name, const Credentials& who);
Frame readdir_request(uint32_t inode, const Credentials& who);
inline constexpr uint8_t kOpenRead = 0x01, kOpenWrite = 0x02;
inline constexpr uint8_t kOpenAfterCreate = 0x04;  // access already checked (e.g. by LOOKUP's lflags)
inline constexpr uint8_t kOpenTruncate = 0x08;  // O_TRUNC, done by the master with its W check
Frame open_request(uint32_t inode, const Credentials& who, uint8_t flags);
Frame create_request(uint32_t parent, std::string_view name, uint16_t mode, uint16_t umask, const Credentials& who);
Frame read_chunk_request(uint32_t inode, uint32_t chunk_index);
Frame write_chunk_request(uint32_t inode, uint32_t chunk_index);
Frame write_chunk_end_request(uint64_t chunkid, uint32_t inode, uint32_t chunk_index, uint64_t length);
// Extended attributes (spec 10 §10): an empty name lists the names.
inline constexpr uint8_t kXattrGetData = 0, kXattrGetLength = 1;
inline constexpr uint8_t kXattrCreateOrReplace = 0, kXattrCreateOnly = 1, kXattrReplaceOnly = 2, kXattrRemove = 3;
Frame getxattr_request(uint32_t inode, std::string_view name, uint8_t mode, const Credentials& who);
Frame setxattr_request(uint32_t inode, std::string_view name, std::span<const uint8_t> value, uint8_t mode,
                       const Credentials& who);
// Locks (spec 10 §9). `reqid` names a blocking request so that it can be interrupted.
inline constexpr uint8_t kFlockUnlock = 0, kFlockTryShared = 1, kFlockLockShared = 2, kFlockTryExclusive = 3,
                         kFlockLockExclusive = 4, kFlockInterrupt = 5, kFlockRelease = 6;
Frame flock_request(uint32_t inode, uint32_t reqid, uint64_t owner, uint8_t cmd);
inline constexpr uint8_t kPosixGet = 0, kPosixSet = 1, kPosixTry = 2, kPosixInterrupt = 3;
inline constexpr uint8_t kLockUnlock = 0, kLockRead = 1, kLockWrite = 2;
inline constexpr uint64_t kLockToEnd = ~uint64_t{0};
struct PosixLock {
  uint32_t pid = 0;
  uint8_t type = kLockUnlock;
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive; kLockToEnd = to the end of the file
};
Frame posix_lock_request(uint32_t inode, uint32_t reqid, uint64_t owner, uint8_t cmd, const PosixLock& lock);
// Answer to kPosixGet: the conflicting lock (type kLockUnlock: none).
Result<PosixLock> decode_posix_lock_reply(Body body);
// Unanswered, without msgid.
Frame sustained_inodes(std::span<const uint32_t> inodes);
// Access/modification times the client saw (0: none), raised on the master (spec 10 §11).
struct InodeTimes {
  uint32_t inode = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
};
Frame amtime_inodes(std::span<const InodeTimes> records);
Frame nop();

// Whether a name the master sent can be a directory entry: not empty, no '/', no NUL.
bool usable_entry_name(std::string_view name);

// A reply body of exactly one byte is the master's error status (spec 10 §1).
bool is_status_reply(Body body);
Status status_of(Body body);

Result<Attr> decode_attr_reply(Body body);           // GETATTR, SETATTR
Result<Attr> decode_truncate_reply(Body body);       // prevlength + attr, or attr
Result<EntryReply> decode_lookup_reply(Body body);   // inode attr [lflags [chunk 0 data]]
Result<EntryReply> decode_entry_reply(Body body);    // MKNOD, MKDIR, SYMLINK, LINK, RENAME
Result<OpenReply> decode_open_reply(Body body);
Result<CreateReply> decode_create_reply(Body body);
Result<std::string> decode_readlink_reply(Body body);
Result<std::vector<DirEntry>> decode_readdir_reply(Body body);
Result<StatfsReply> decode_statfs_reply(Body body);
Result<ChunkLocation> decode_chunk_location(Body body);
struct XattrReply {
  uint32_t length = 0;
  std::vector<uint8_t> value;  // empty when only the length was asked
};
Result<XattrReply> decode_getxattr_reply(Body body, bool length_only);
Status decode_simple_status(Body body);              // `status` replies (ACCESS, WRITE_CHUNK_END, ...)
Status decode_unlink_reply(Body body);               // inode on success, or a status

// A MooseFS status as an errno for FUSE.
int to_errno(StatusCode code);

}  // namespace mfs::mount
