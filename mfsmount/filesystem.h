// The FUSE low-level operations of the mount: each one turns a kernel request into
// master requests (MasterConnection) and chunk I/O (FileData) and replies. Kernel caches
// get MooseFS's timeouts (ADR 0004).
#pragma once
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "mfsmount/file_data.h"
#include "mfsmount/groups_cache.h"
#include "mfsmount/kernel_invalidator.h"
#include "mfsmount/master_connection.h"
#include "mfsmount/master_messages.h"
#include "mfsmount/master_proxy.h"
#include "mfsmount/mount_options.h"
#include "mfsmount/open_grants.h"
#include "mfsmount/symlink_cache.h"
#include "mfsmount/xattr_absence.h"
#include "mfsmount/xattr_cache.h"

namespace mfs::mount {

class Filesystem {
 public:
  Filesystem(const MountOptions& options, MasterConnection& master, FileData& data, const MasterProxy& proxy);

  // The operations table; the session's userdata must be this Filesystem.
  static fuse_lowlevel_ops operations();
  void set_session(fuse_session* session) { invalidator_.set_session(session); }

  // Master notifications (MasterConnection's handler) and the 1 s housekeeping tick.
  void on_notification(const Packet& packet);
  void on_tick();
  // Data of `inode` reached the chunkservers: its mtime goes to the master.
  void on_written(uint32_t inode);
  // Data of `inode` was read: its atime goes to the master (which applies ATIME_MODE).
  void on_read(uint32_t inode);

 private:
  friend struct Operations;

  void reply_entry(fuse_req_t req, const EntryReply& entry);
  // `.masterinfo` (spec 11 §2.2): where the tools find the master proxy.
  void reply_master_info_entry(fuse_req_t req);
  std::vector<uint8_t> master_info() const;
  void fill_stat(uint32_t inode, const Attr& attr, struct stat& st);
  double attr_timeout(const Attr& attr) const;
  // (inode, lock owner) pairs that took locks, to release them at close.
  using LockOwners = std::set<std::pair<uint32_t, uint64_t>>;
  uint32_t next_lock_request();
  void note_lock_owner(LockOwners& owners, uint32_t inode, uint64_t owner);
  bool take_lock_owner(LockOwners& owners, uint32_t inode, uint64_t owner);
  void opened(uint32_t inode);
  void closed(uint32_t inode);
  // mfsfsyncmintime: the close of a handle opened less than that long ago does not wait for
  // its data.
  bool closes_behind(const fuse_file_info* fi) const;
  Status write_behind(uint32_t inode, const Credentials& who);
  void note_times(InodeTimes record);
  // Times set explicitly replace those the mount observed before: they must not go out later.
  void forget_times(uint32_t inode, bool atime, bool mtime);

  const MountOptions& options_;
  MasterConnection& master_;
  FileData& data_;
  const MasterProxy& proxy_;
  KernelInvalidator invalidator_;
  GroupsCache groups_;
  XattrAbsence xattr_absence_;
  XattrCache xattr_cache_;
  OpenGrants open_grants_;
  SymlinkCache symlinks_;

  std::mutex mutex_;
  std::map<uint32_t, uint32_t> open_count_;       // inode -> open file handles
  std::map<uint32_t, InodeTimes> pending_times_;  // sent once, to be sent again at the tick
  uint32_t ticks_ = 0;
  LockOwners posix_owners_;
  LockOwners flock_owners_;
  uint32_t lock_requests_ = 0;
};

}  // namespace mfs::mount
