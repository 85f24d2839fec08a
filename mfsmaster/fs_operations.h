// Validation of client namespace requests (spec 10 §6-8, §10): every check in the
// spec's order, returning the status the real master returns. A valid mutation comes
// back as the changelog entries that perform it; nothing here changes state. Queries
// return the nodes they found.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmaster/append_reservations.h"
#include "mfsmaster/archive_flags.h"
#include "mfsmaster/changelog_entry.h"
#include "mfsmaster/credentials.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/node_settings.h"
#include "mfsmaster/snapshot_tree.h"

namespace mfs::master {

// Export "disable=" bits (spec 10 §3.3).
namespace disable {
inline constexpr uint32_t kChown = 1u << 0, kChmod = 1u << 1, kSymlink = 1u << 2, kMkfifo = 1u << 3, kMkdev = 1u << 4,
                          kMksock = 1u << 5, kMkdir = 1u << 6, kUnlink = 1u << 7, kRmdir = 1u << 8, kRename = 1u << 9,
                          kMove = 1u << 10, kLink = 1u << 11, kCreate = 1u << 12, kReaddir = 1u << 13, kRead = 1u << 14,
                          kWrite = 1u << 15, kTruncate = 1u << 16, kSetLength = 1u << 17, kAppendChunks = 1u << 18,
                          kSnapshot = 1u << 19, kSetTrash = 1u << 20,
                          kSetSclass = 1u << 21, kSetEattr = 1u << 22, kSetXattr = 1u << 23, kSetFacl = 1u << 24;
}  // namespace disable

struct RequestContext {
  uint32_t session_id = 0;
  const SessionParameters* session = nullptr;
  Credentials credentials;
  uint32_t now = 0;

  bool read_only() const { return session->sesflags & sesflag::kReadOnly; }
  bool disabled(uint32_t bits) const { return (session->disables & bits) != 0; }
};

struct LookupResult {
  const Node* node = nullptr;
  uint32_t wire_inode = 0;
  bool parent_no_entry_cache = false;
};

struct SetAttrRequest {
  uint8_t setmask = 0;
  uint16_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
  uint8_t winattr = 0;
  uint8_t sugid_clear_mode = 4;
};

namespace setmask {
inline constexpr uint8_t kWinattr = 0x01, kMode = 0x02, kUid = 0x04, kGid = 0x08, kMtimeNow = 0x10, kMtime = 0x20,
                         kAtime = 0x40, kAtimeNow = 0x80;
}  // namespace setmask

using Entries = std::vector<ChangelogEntry>;

// A tool's setting change: the entry to commit and the counters to answer.
struct SettingUpdate {
  Entries entries;
  SettingCounters counters;
};

class FsOperations {
 public:
  explicit FsOperations(const Metadata& metadata) : metadata_(metadata) {}

  // Wire inode 1 is the session root; other inodes must lie inside the session's
  // subtree unless `opened` (the client holds the file open).
  const Node* resolve(const RequestContext& context, uint32_t wire_inode, bool opened = false) const;
  uint32_t wire_inode(const RequestContext& context, const Node& node) const;

  Result<LookupResult> lookup(const RequestContext& context, uint32_t parent, std::string_view name) const;
  Status access(const RequestContext& context, uint32_t inode, uint8_t mask) const;
  Result<const Node*> readlink(const RequestContext& context, uint32_t inode) const;
  Result<const Node*> readdir(const RequestContext& context, uint32_t inode, bool with_attributes) const;

  Result<Entries> mknod(const RequestContext& context, uint32_t parent, std::string_view name, uint8_t type,
                        uint16_t mode, uint16_t umask, uint32_t rdev) const;
  Result<Entries> mkdir(const RequestContext& context, uint32_t parent, std::string_view name, uint16_t mode,
                        uint16_t umask) const;
  Result<Entries> symlink(const RequestContext& context, uint32_t parent, std::string_view name,
                          std::string_view target) const;
  Result<Entries> link(const RequestContext& context, uint32_t inode, uint32_t parent, std::string_view name) const;
  Result<Entries> unlink(const RequestContext& context, uint32_t parent, std::string_view name, bool directory) const;
  Result<Entries> rename(const RequestContext& context, uint32_t source_parent, std::string_view source_name,
                         uint32_t target_parent, std::string_view target_name) const;
  Result<Entries> setattr(const RequestContext& context, uint32_t inode, bool opened,
                          const SetAttrRequest& request) const;
  // Opening registers the file with the session (ACQUIRE); O_TRUNC also truncates.
  Result<Entries> open(const RequestContext& context, uint32_t inode, uint8_t flags) const;

  // READ_CHUNK / WRITE_CHUNK preconditions (spec 10 §8.3-8.4); the file on success.
  Result<const Node*> read_chunk(const RequestContext& context, uint32_t inode, uint32_t index) const;
  Result<const Node*> write_chunk(const RequestContext& context, uint32_t inode, uint32_t index) const;

  struct TruncatePlan {
    const Node* file = nullptr;
    uint64_t previous_length = 0;
    uint64_t new_length = 0;
    bool cuts_chunk = false;  // the new end lies inside an existing chunk
    uint32_t chunk_index = 0;
    Entries entries;  // the LENGTH change (empty when nothing changes)
  };
  // With RESERVE (an append), `length` bytes after the file's end or its last reservation;
  // nothing is logged for it (see append_reservations.h).
  Result<TruncatePlan> truncate(const RequestContext& context, uint32_t inode, uint8_t flags, uint64_t length,
                                const AppendReservations& reservations) const;

  // GETXATTR: the node whose attribute (or, with an empty name, whose list) is asked for.
  Result<const Node*> getxattr(const RequestContext& context, uint32_t inode, std::string_view name, bool opened) const;
  // SETXATTR / REMOVEXATTR (mode 3).
  Result<Entries> setxattr(const RequestContext& context, uint32_t inode, std::string_view name, std::string_view value,
                           uint8_t mode, bool opened) const;

  // GETFACL: the node's ACL of `acl_type` (1 access, 2 default).
  Result<const PosixAcl*> getfacl(const RequestContext& context, uint32_t inode, uint8_t acl_type) const;
  // SETFACL: `acl` as the client sent it (kNoAclEntry for absent entries; all four absent
  // and no named entries removes the ACL).
  Result<Entries> setfacl(const RequestContext& context, uint32_t inode, uint8_t acl_type, const PosixAcl& acl) const;

  // GETSCLASS / GETTRASHTIME / GETEATTR (spec 11 §5.1, §5.3, §5.5); gmode 1 counts the subtree.
  Result<SettingTally> tally_setting(const RequestContext& context, uint32_t inode, NodeSetting setting,
                                     uint8_t gmode) const;
  // SETSCLASS (§5.2) with class ids; 0 stands for a class that does not exist. `source`
  // matters only to EXCHANGE.
  Result<SettingUpdate> set_storage_class(const RequestContext& context, uint32_t inode, uint8_t source, uint8_t target,
                                          uint8_t mode) const;
  // SETTRASHTIME (§5.4), `seconds` as the tool sent it.
  Result<SettingUpdate> set_trash_time(const RequestContext& context, uint32_t inode, uint32_t seconds,
                                       uint8_t mode) const;
  // SETEATTR (§5.6).
  Result<SettingUpdate> set_extra_attributes(const RequestContext& context, uint32_t inode, uint8_t bits,
                                             uint8_t mode) const;

  // SNAPSHOT (spec 11 §5.13, §7): make (smode without 0x80) or remove a snapshot.
  Result<Entries> snapshot(const RequestContext& context, uint32_t source, uint32_t parent, std::string_view name,
                           uint8_t smode, uint16_t umask) const;
  // APPEND_SLICE (§5.12): `flags` 0x01/0x02 make `from`/`to` count from the source's end.
  // No entries when there is nothing to append.
  Result<Entries> append_slice(const RequestContext& context, uint32_t inode, uint32_t source, uint8_t flags,
                               uint32_t from, uint32_t to) const;
  // REPAIR (§5.11) preconditions; the file to repair.
  Result<const Node*> repair(const RequestContext& context, uint32_t inode) const;

  // The meta mount's requests (spec 11 §8.2, fs_operations_trash.cpp); only meta
  // sessions may send them (EPERM otherwise).
  // GETTRASH: the entries of one trash bucket (inode % 4096), or of all without a bucket.
  Result<std::vector<const Edge*>> trash_entries(const RequestContext& context, std::optional<uint32_t> bucket) const;
  Result<std::vector<const Edge*>> sustained_entries(const RequestContext& context) const;
  // GETDETACHEDATTR: dtype 0 trash or sustained, 1 trash only, 2 sustained only.
  Result<const Node*> detached_node(const RequestContext& context, uint32_t inode, uint8_t dtype) const;
  // GETTRASHPATH: the trash file's entry (its name is the stored path).
  Result<const Edge*> trash_entry(const RequestContext& context, uint32_t inode) const;
  Result<Entries> set_trash_path(const RequestContext& context, uint32_t inode, std::string_view path) const;
  Result<Entries> undelete(const RequestContext& context, uint32_t inode) const;
  Result<Entries> purge(const RequestContext& context, uint32_t inode) const;

  // PATHS (§5.14): every path of the node relative to the session root, newest link first.
  Result<std::vector<std::string>> paths(const RequestContext& context, uint32_t wire_inode) const;
  // ARCHCTL (§5.15), fs_operations_archive.cpp.
  Result<ArchiveStatus> archive_status(const RequestContext& context, uint32_t inode) const;
  struct ArchiveUpdate {
    Entries entries;
    ArchiveCounters counters;
  };
  Result<ArchiveUpdate> change_archive(const RequestContext& context, uint32_t inode, bool set) const;

  static bool valid_name(std::string_view name);

 private:
  // QUOTA when a new snapshot would pass a quota of its destination (spec 11 §7.1).
  Status snapshot_quota_check(const SnapshotRequest& request) const;
  Result<const Node*> writable_directory(const RequestContext& context, uint32_t parent) const;
  // A trash file a meta session may change (not on a read-only export).
  Result<const Edge*> changeable_trash_entry(const RequestContext& context, uint32_t inode) const;
  bool sticky_forbids(const RequestContext& context, const Node& directory, const Node& node) const;
  ChangelogEntry acquire_entry(const RequestContext& context, const Node& node) const;
  // The walk shared by the set requests, after their own checks; `values` are the entry's
  // arguments between uid and smode.
  Result<SettingUpdate> change_setting(const RequestContext& context, uint32_t inode, const SettingChange& change,
                                       std::string_view operation, std::initializer_list<uint32_t> values) const;

  const Metadata& metadata_;
};

}  // namespace mfs::master
