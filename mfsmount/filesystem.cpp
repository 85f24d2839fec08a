#include "mfsmount/filesystem.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <vector>

#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"
#include "mfsmount/acl_xattrs.h"
#include "mfsmount/file_handle.h"
#include "mfsmount/fuse_replies.h"

namespace mfs::mount {

namespace {

constexpr size_t kMaxName = 255;
constexpr uint32_t kSustainedEverySeconds = 60;
constexpr uint32_t kMaxWrite = 1u << 20;
constexpr size_t kMaxXattrValue = 65536;
constexpr fsfilcnt_t kReportedInodes = 1000000000;
constexpr double kMasterInfoCacheTimeout = 3600.0;

Attr master_info_attr() {
  Attr attr;
  attr.type = NodeType::kFile;
  attr.mode = 0444;
  attr.nlink = 1;
  attr.length = kMasterInfoSize;
  return attr;
}

Filesystem& fs_of(fuse_req_t req) { return *static_cast<Filesystem*>(fuse_req_userdata(req)); }

uint16_t umask_of(fuse_req_t req) { return static_cast<uint16_t>(fuse_req_ctx(req)->umask); }

Caller caller_of(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  return Caller{ctx->pid, ctx->uid, ctx->gid};
}

bool name_too_long(fuse_req_t req, const char* name) {
  if (std::strlen(name) <= kMaxName) return false;
  reply_errno(req, ENAMETOOLONG);
  return true;
}

}  // namespace

Filesystem::Filesystem(const MountOptions& options, MasterConnection& master, FileData& data,
                       const MasterProxy& proxy)
    : options_(options),
      master_(master),
      data_(data),
      proxy_(proxy),
      groups_(options.groups_cache_timeout),
      xattr_cache_(options.xattr_cache_timeout),
      symlinks_(options.symlink_cache_timeout) {}

void Filesystem::reply_master_info_entry(fuse_req_t req) {
  fuse_entry_param param{};
  param.ino = kMasterInfoInode;
  param.generation = 1;
  param.attr_timeout = kMasterInfoCacheTimeout;
  param.entry_timeout = kMasterInfoCacheTimeout;
  fill_stat(kMasterInfoInode, master_info_attr(), param.attr);
  fuse_reply_entry(req, &param);
}

std::vector<uint8_t> Filesystem::master_info() const { return proxy_.master_info(); }

double Filesystem::attr_timeout(const Attr& attr) const {
  return (attr.flags & kAttrNoACache) ? 0.0 : options_.attr_cache_timeout;
}

void Filesystem::fill_stat(uint32_t inode, const Attr& attr, struct stat& st) {
  // Every attribute record the kernel gets passes here.
  xattr_absence_.note(inode, (attr.flags & kAttrNoXattr) != 0,
                      std::chrono::duration_cast<XattrAbsence::Clock::duration>(
                          std::chrono::duration<double>(attr_timeout(attr))));
  st = stat_of(inode, attr);
  if (attr.type == NodeType::kFile) {
    // Data still in our write buffer counts: the kernel must not cut reads short.
    if (std::optional<uint64_t> end = data_.buffered_end(inode); end && *end > attr.length) {
      st.st_size = static_cast<off_t>(*end);
      st.st_blocks = (st.st_size + 511) / 512;
    }
  }
}

void Filesystem::reply_entry(fuse_req_t req, const EntryReply& entry) {
  fuse_entry_param param{};
  param.ino = entry.inode;
  param.generation = 1;
  param.attr_timeout = attr_timeout(entry.attr);
  param.entry_timeout = (entry.attr.flags & kAttrNoECache) ? 0.0
                        : entry.attr.type == NodeType::kDirectory ? options_.direntry_cache_timeout
                                                                  : options_.entry_cache_timeout;
  fill_stat(entry.inode, entry.attr, param.attr);
  fuse_reply_entry(req, &param);
}

void Filesystem::opened(uint32_t inode) {
  std::lock_guard lock(mutex_);
  ++open_count_[inode];
}

void Filesystem::closed(uint32_t inode) {
  std::lock_guard lock(mutex_);
  auto found = open_count_.find(inode);
  if (found != open_count_.end() && --found->second == 0) open_count_.erase(found);
}

uint32_t Filesystem::next_lock_request() {
  std::lock_guard lock(mutex_);
  if (++lock_requests_ == 0) ++lock_requests_;
  return lock_requests_;
}

void Filesystem::note_lock_owner(LockOwners& owners, uint32_t inode, uint64_t owner) {
  std::lock_guard lock(mutex_);
  owners.insert({inode, owner});
}

bool Filesystem::take_lock_owner(LockOwners& owners, uint32_t inode, uint64_t owner) {
  std::lock_guard lock(mutex_);
  return owners.erase({inode, owner}) != 0;
}

void Filesystem::on_written(uint32_t inode) { note_times({inode, 0, static_cast<uint32_t>(std::time(nullptr))}); }

void Filesystem::on_read(uint32_t inode) { note_times({inode, static_cast<uint32_t>(std::time(nullptr)), 0}); }

void Filesystem::note_times(InodeTimes record) {
  bool first_in_round = false;
  {
    std::lock_guard lock(mutex_);
    auto [pending, inserted] = pending_times_.try_emplace(record.inode, record);
    first_in_round = inserted;
    pending->second.atime = std::max(pending->second.atime, record.atime);
    pending->second.mtime = std::max(pending->second.mtime, record.mtime);
  }
  // The first time of an inode in a round goes out at once; on_tick sends the latest again.
  if (first_in_round) master_.send_unanswered(amtime_inodes(std::span(&record, 1)));
}

bool Filesystem::closes_behind(const fuse_file_info* fi) const {
  if (options_.fsync_min_time <= 0) return false;
  auto age = FileHandle::Clock::now() - FileHandle::from_number(fi->fh).opened;
  return age < std::chrono::duration<double>(options_.fsync_min_time);
}

// As 3.0.117's close of a young handle: the data goes on to the chunkservers behind it, and
// its length goes to the master now (TRUNCATE OPENED|UPDATE, observed), so that an open on
// another machine after this close sees the whole length.
Status Filesystem::write_behind(uint32_t inode, const Credentials& who) {
  std::optional<uint64_t> end = data_.buffered_end(inode);
  if (!end) return Status::ok();
  if (Status started = data_.write_behind(inode); !started) return started;
  auto reply = master_.call(truncate_request(inode, kTruncateOpened | kTruncateUpdate, who, *end),
                            msg::MATOCL_FUSE_TRUNCATE);
  if (!reply) return reply.status();
  Result<Attr> published = decode_truncate_reply(*reply);
  return published ? Status::ok() : published.status();
}

void Filesystem::forget_times(uint32_t inode, bool atime, bool mtime) {
  std::lock_guard lock(mutex_);
  auto pending = pending_times_.find(inode);
  if (pending == pending_times_.end()) return;
  if (atime) pending->second.atime = 0;
  if (mtime) pending->second.mtime = 0;
  if (pending->second.atime == 0 && pending->second.mtime == 0) pending_times_.erase(pending);
}

void Filesystem::on_tick() {
  data_.drop_released_buffers();
  std::vector<InodeTimes> times;
  std::vector<uint32_t> held;
  bool send_held = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [inode, record] : pending_times_) times.push_back(record);
    pending_times_.clear();
    send_held = ++ticks_ % kSustainedEverySeconds == 0;
    if (send_held) {
      for (const auto& [inode, count] : open_count_) held.push_back(inode);
    }
  }
  // Each record is sent twice in two rounds (spec 10 §11): here is the second one.
  if (!times.empty()) master_.send_unanswered(amtime_inodes(times));
  if (send_held) master_.send_unanswered(sustained_inodes(held));
}

void Filesystem::on_notification(const Packet& packet) {
  if (packet.type == msg::MATOCL_FUSE_CHUNK_HAS_CHANGED || packet.type == msg::MATOCL_FUSE_FLENG_HAS_CHANGED) {
    uint32_t inode = get_u32_be(packet.payload.data() + 4);
    data_.forget(inode);
    invalidator_.invalidate(inode);
    return;
  }
  // INVALIDATE_CHUNK_CACHE: copies went away, the data did not change.
  if (packet.type != 0) return data_.forget_all_locations();
  // A reconnection (type 0).
  data_.forget_all();
  std::vector<uint32_t> held;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [inode, count] : open_count_) held.push_back(inode);
  }
  master_.send_unanswered(sustained_inodes(held));  // a new session holds nothing yet
}

// The operations, as static functions of a friend so that they reach the private parts.
struct Operations {
  static Credentials credentials_of(fuse_req_t req) { return fs_of(req).groups_.credentials_of(req); }

  static Result<std::vector<uint8_t>> ask(fuse_req_t req, Frame frame, uint32_t reply_type) {
    return fs_of(req).master_.call(std::move(frame), reply_type);
  }

  static void entry_reply(fuse_req_t req, const Result<std::vector<uint8_t>>& reply) {
    if (reply_if_error(req, reply)) return;
    Result<EntryReply> entry = decode_entry_reply(*reply);
    if (reply_if_error(req, entry)) return;
    fs_of(req).reply_entry(req, *entry);
  }

  static void status_reply(fuse_req_t req, const Result<std::vector<uint8_t>>& reply) {
    if (reply_if_error(req, reply)) return;
    reply_status(req, decode_simple_status(*reply));
  }

  static void attr_reply(fuse_req_t req, uint32_t inode, const Result<Attr>& attr) {
    if (reply_if_error(req, attr)) return;
    Filesystem& fs = fs_of(req);
    struct stat st;
    fs.fill_stat(inode, *attr, st);
    fuse_reply_attr(req, &st, fs.attr_timeout(*attr));
  }

  static void init(void* userdata, fuse_conn_info* conn) {
    const MountOptions& options = static_cast<Filesystem*>(userdata)->options_;
    // Writes of up to 1 MiB per request: fewer round trips through the kernel.
    conn->max_write = kMaxWrite;
    conn->max_read = 0;  // no limit
    // Lock requests come to us (and go to the master) instead of being granted by the
    // kernel locally, which other mounts would not see.
    // mfsnoposixlocks / mfsnobsdlocks leave them to the kernel (libfuse asks for them by
    // default when the operations exist).
    if (conn->capable & FUSE_CAP_POSIX_LOCKS) conn->want |= FUSE_CAP_POSIX_LOCKS;
    if (conn->capable & FUSE_CAP_FLOCK_LOCKS) conn->want |= FUSE_CAP_FLOCK_LOCKS;
    if (options.no_posix_locks) conn->want &= ~FUSE_CAP_POSIX_LOCKS;
    if (options.no_bsd_locks) conn->want &= ~FUSE_CAP_FLOCK_LOCKS;
    // The requested mode comes unmasked, the umask beside it: the master applies the umask,
    // except in a folder with a default ACL, whose inheritance ignores it (spec 10 §10.3).
    if (conn->capable & FUSE_CAP_DONT_MASK) conn->want |= FUSE_CAP_DONT_MASK;
  }

  // `size` 0 asks for the length only.
  static void reply_xattr(fuse_req_t req, const XattrReply& xattr, size_t size) {
    if (size == 0) return (void)fuse_reply_xattr(req, xattr.length);
    if (xattr.length > size) return (void)reply_errno(req, ERANGE);
    fuse_reply_buf(req, reinterpret_cast<const char*>(xattr.value.data()), xattr.value.size());
  }

  static void xattr_reply(fuse_req_t req, const Result<std::vector<uint8_t>>& reply, size_t size) {
    if (reply_if_error(req, reply)) return;
    Result<XattrReply> xattr = decode_getxattr_reply(*reply, size == 0);
    if (reply_if_error(req, xattr)) return;
    reply_xattr(req, *xattr, size);
  }

  // getxattr through the cache (xattr_cache.h): the value is asked for even when the
  // kernel wants the length only, so that the next call finds it.
  static void cached_getxattr(fuse_req_t req, fuse_ino_t ino, const std::string& name, size_t size) {
    Filesystem& fs = fs_of(req);
    Credentials who = credentials_of(req);
    std::optional<XattrCache::Answer> answer = fs.xattr_cache_.find(ino, name, who);
    if (!answer) {
      auto reply = ask(req, getxattr_request(ino, name, kXattrGetData, who), msg::MATOCL_FUSE_GETXATTR);
      if (reply_if_error(req, reply)) return;
      Result<XattrReply> xattr = decode_getxattr_reply(*reply, false);
      if (!xattr && xattr.code() != StatusCode::kENOATTR) return reply_status(req, xattr.status());
      answer = xattr ? XattrCache::Answer(std::move(xattr->value)) : std::nullopt;
      fs.xattr_cache_.remember(ino, name, who, *answer);
    }
    if (!*answer) return (void)reply_errno(req, ENODATA);
    reply_xattr(req, XattrReply{static_cast<uint32_t>((*answer)->size()), std::move(**answer)}, size);
  }

  // mfsnoxattrs: every extended attribute request fails as on a file system without them.
  static bool refuse_if_no_xattrs(fuse_req_t req) {
    if (!fs_of(req).options_.no_xattrs) return false;
    reply_errno(req, EOPNOTSUPP);
    return true;
  }

  static void getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    if (refuse_if_no_xattrs(req)) return;
    if (std::strlen(name) > kMaxName) return (void)reply_errno(req, ERANGE);
    if (ino == kMasterInfoInode) return (void)reply_errno(req, ENODATA);
    if (fs_of(req).xattr_absence_.known_absent(ino)) return (void)reply_errno(req, ENODATA);
    if (reply_acl_get(req, fs_of(req).master_, ino, name, size)) return;  // ACLs: GETFACL (spec 10 §10.3)
    if (fs_of(req).xattr_cache_.enabled()) return cached_getxattr(req, ino, name, size);
    uint8_t mode = size == 0 ? kXattrGetLength : kXattrGetData;
    xattr_reply(req, ask(req, getxattr_request(ino, name, mode, credentials_of(req)), msg::MATOCL_FUSE_GETXATTR), size);
  }

  static void listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
    if (refuse_if_no_xattrs(req)) return;
    if (ino == kMasterInfoInode) return (void)(size == 0 ? fuse_reply_xattr(req, 0) : fuse_reply_buf(req, nullptr, 0));
    uint8_t mode = size == 0 ? kXattrGetLength : kXattrGetData;
    xattr_reply(req, ask(req, getxattr_request(ino, "", mode, credentials_of(req)), msg::MATOCL_FUSE_GETXATTR), size);
  }

  static void change_xattr(fuse_req_t req, fuse_ino_t ino, const char* name, std::span<const uint8_t> value,
                           uint8_t mode) {
    if (refuse_if_no_xattrs(req)) return;
    if (std::strlen(name) > kMaxName) return (void)reply_errno(req, ERANGE);
    if (value.size() > kMaxXattrValue) return (void)reply_errno(req, E2BIG);
    if (ino == kMasterInfoInode) return (void)reply_errno(req, EPERM);
    fs_of(req).xattr_absence_.forget(ino);
    // ACLs: SETFACL (spec 10 §10.3).
    if (reply_acl_change(req, fs_of(req).master_, ino, name,
                         mode == kXattrRemove ? std::nullopt : std::optional<std::span<const uint8_t>>(value))) {
      return;
    }
    Credentials who = credentials_of(req);
    auto reply = ask(req, setxattr_request(ino, name, value, mode, who), msg::MATOCL_FUSE_SETXATTR);
    Status done = reply ? decode_simple_status(*reply) : reply.status();
    // Once done, so that an answer fetched meanwhile goes too.
    XattrCache& cache = fs_of(req).xattr_cache_;
    if (!done) {
      cache.forget(ino, name);
    } else if (mode == kXattrRemove) {
      cache.removed_by(ino, name, who);
    } else {
      cache.set_by(ino, name, who, std::vector<uint8_t>(value.begin(), value.end()));
    }
    reply_status(req, done);
  }

  static void setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags) {
    uint8_t mode = (flags & XATTR_CREATE) ? kXattrCreateOnly : (flags & XATTR_REPLACE) ? kXattrReplaceOnly
                                                                                     : kXattrCreateOrReplace;
    change_xattr(req, ino, name, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value), size), mode);
  }

  static void removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
    change_xattr(req, ino, name, {}, kXattrRemove);
  }

  // Blocking lock requests are interrupted by a signal through FLOCK/POSIX_LOCK INTERRUPT
  // with the same reqid (spec 10 §9); the master then answers the waiting request EINTR.
  struct PendingLock {
    Filesystem* fs;
    uint32_t inode;
    uint32_t reqid;
    uint64_t owner;
    bool posix;
  };

  static void interrupt_lock(fuse_req_t, void* data) {
    const auto* pending = static_cast<const PendingLock*>(data);
    Frame frame = pending->posix ? posix_lock_request(pending->inode, pending->reqid, pending->owner,
                                                      kPosixInterrupt, PosixLock{})
                                 : flock_request(pending->inode, pending->reqid, pending->owner, kFlockInterrupt);
    uint32_t reply_type = pending->posix ? msg::MATOCL_FUSE_POSIX_LOCK : msg::MATOCL_FUSE_FLOCK;
    pending->fs->master_.call(std::move(frame), reply_type);
  }

  // Sends a lock request; a blocking one can be interrupted while it waits.
  static Result<std::vector<uint8_t>> ask_lock(fuse_req_t req, PendingLock pending, Frame frame, uint32_t reply_type,
                                               bool blocking) {
    if (blocking) fuse_req_interrupt_func(req, interrupt_lock, &pending);
    auto reply = ask(req, std::move(frame), reply_type);
    if (blocking) fuse_req_interrupt_func(req, nullptr, nullptr);  // waits for a running interrupt_lock
    return reply;
  }

  static void flock(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, int operation) {
    Filesystem& fs = fs_of(req);
    bool try_only = (operation & LOCK_NB) != 0;
    uint8_t cmd = kFlockUnlock;
    switch (operation & ~LOCK_NB) {
      case LOCK_SH: cmd = try_only ? kFlockTryShared : kFlockLockShared; break;
      case LOCK_EX: cmd = try_only ? kFlockTryExclusive : kFlockLockExclusive; break;
      case LOCK_UN: cmd = kFlockUnlock; break;
      default: reply_errno(req, EINVAL); return;
    }
    PendingLock pending{&fs, static_cast<uint32_t>(ino), fs.next_lock_request(), fi->lock_owner, false};
    if (cmd != kFlockUnlock) fs.note_lock_owner(fs.flock_owners_, ino, fi->lock_owner);
    bool blocking = cmd == kFlockLockShared || cmd == kFlockLockExclusive;
    status_reply(req, ask_lock(req, pending, flock_request(ino, pending.reqid, fi->lock_owner, cmd),
                               msg::MATOCL_FUSE_FLOCK, blocking));
  }

  static PosixLock posix_lock_of(const struct flock& lock) {
    PosixLock posix;
    posix.pid = static_cast<uint32_t>(lock.l_pid);
    posix.type = lock.l_type == F_RDLCK ? kLockRead : lock.l_type == F_WRLCK ? kLockWrite : kLockUnlock;
    posix.start = static_cast<uint64_t>(lock.l_start);
    posix.end = lock.l_len == 0 ? kLockToEnd : static_cast<uint64_t>(lock.l_start + lock.l_len);
    return posix;
  }

  static void setlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock, int sleep) {
    Filesystem& fs = fs_of(req);
    PosixLock posix = posix_lock_of(*lock);
    uint8_t cmd = posix.type == kLockUnlock || sleep ? kPosixSet : kPosixTry;
    PendingLock pending{&fs, static_cast<uint32_t>(ino), fs.next_lock_request(), fi->lock_owner, true};
    if (posix.type != kLockUnlock) fs.note_lock_owner(fs.posix_owners_, ino, fi->lock_owner);
    bool blocking = cmd == kPosixSet && posix.type != kLockUnlock;
    status_reply(req, ask_lock(req, pending, posix_lock_request(ino, pending.reqid, fi->lock_owner, cmd, posix),
                               msg::MATOCL_FUSE_POSIX_LOCK, blocking));
  }

  static void getlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock) {
    Filesystem& fs = fs_of(req);
    auto reply = ask(req, posix_lock_request(ino, fs.next_lock_request(), fi->lock_owner, kPosixGet,
                                             posix_lock_of(*lock)),
                     msg::MATOCL_FUSE_POSIX_LOCK);
    if (reply_if_error(req, reply)) return;
    Result<PosixLock> conflict = decode_posix_lock_reply(*reply);
    if (reply_if_error(req, conflict)) return;
    struct flock answer = *lock;
    answer.l_type = conflict->type == kLockRead ? F_RDLCK : conflict->type == kLockWrite ? F_WRLCK : F_UNLCK;
    if (conflict->type != kLockUnlock) {
      answer.l_pid = static_cast<pid_t>(conflict->pid);
      answer.l_start = static_cast<off_t>(conflict->start);
      answer.l_len = conflict->end == kLockToEnd ? 0 : static_cast<off_t>(conflict->end - conflict->start);
    }
    fuse_reply_lock(req, &answer);
  }

  static void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    if (name_too_long(req, name)) return;
    Filesystem& fs = fs_of(req);
    bool master_info = name == kMasterInfoName;
    if (master_info && parent == FUSE_ROOT_ID) return fs.reply_master_info_entry(req);
    auto reply = ask(req, lookup_request(parent, name, credentials_of(req)), msg::MATOCL_FUSE_LOOKUP);
    if (reply_if_error(req, reply)) return;
    Result<EntryReply> entry = decode_lookup_reply(*reply);
    // `.masterinfo` appears in every directory that has no such entry of its own.
    if (master_info && !entry && to_errno(entry.code()) == ENOENT) return fs.reply_master_info_entry(req);
    if (!entry && entry.code() == StatusCode::kENOENT && fs.options_.negentry_cache_timeout > 0) {
      fuse_entry_param negative{};
      negative.entry_timeout = fs.options_.negentry_cache_timeout;
      fuse_reply_entry(req, &negative);
      return;
    }
    if (reply_if_error(req, entry)) return;
    if (entry->attr.type == NodeType::kFile) fs.data_.lookup_answered(entry->inode, entry->chunk0);
    if (entry->lookup_flags && entry->attr.type == NodeType::kFile) {
      fs.open_grants_.note(entry->inode, caller_of(req), *entry->lookup_flags);
    }
    fs.reply_entry(req, *entry);
  }

  static void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if (ino == kMasterInfoInode) {
      struct stat st;
      fs_of(req).fill_stat(kMasterInfoInode, master_info_attr(), st);
      fuse_reply_attr(req, &st, kMasterInfoCacheTimeout);
      return;
    }
    auto reply = ask(req, getattr_request(ino, fi != nullptr, credentials_of(req)), msg::MATOCL_FUSE_GETATTR);
    if (reply_if_error(req, reply)) return;
    attr_reply(req, ino, decode_attr_reply(*reply));
  }

  static void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
    if (ino == kMasterInfoInode) return (void)reply_errno(req, EPERM);
    Filesystem& fs = fs_of(req);
    Credentials who = credentials_of(req);
    SetattrFields fields;
    fields.sugid_clear_mode = fs.options_.sugid_clear_mode;
    if (to_set & FUSE_SET_ATTR_MODE) {
      fields.setmask |= kSetMode;
      fields.mode = attr->st_mode & 07777;
    }
    if (to_set & FUSE_SET_ATTR_UID) {
      fields.setmask |= kSetUid;
      fields.uid = attr->st_uid;
    }
    if (to_set & FUSE_SET_ATTR_GID) {
      fields.setmask |= kSetGid;
      fields.gid = attr->st_gid;
    }
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
      fields.setmask |= kSetAtimeNow;
    } else if (to_set & FUSE_SET_ATTR_ATIME) {
      fields.setmask |= kSetAtime;
      fields.atime = static_cast<uint32_t>(attr->st_atime);
    }
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
      fields.setmask |= kSetMtimeNow;
    } else if (to_set & FUSE_SET_ATTR_MTIME) {
      fields.setmask |= kSetMtime;
      fields.mtime = static_cast<uint32_t>(attr->st_mtime);
    }
    Result<Attr> result = StatusCode::kEINVAL;
    bool truncate = (to_set & FUSE_SET_ATTR_SIZE) != 0;
    bool sets_atime = (fields.setmask & (kSetAtime | kSetAtimeNow)) != 0;
    bool sets_mtime = (fields.setmask & (kSetMtime | kSetMtimeNow)) != 0;
    if (sets_atime || sets_mtime) {
      // As on a local file system, data written before the utime is older than the times it
      // sets: it lands first, and the times the mount noted for it are not sent again later.
      if (sets_mtime) {
        if (Status s = fs.data_.flush(ino); !s) return reply_status(req, s);
      }
      fs.forget_times(static_cast<uint32_t>(ino), sets_atime, sets_mtime);
    }
    if (fields.setmask != 0 || !truncate) {
      auto reply = ask(req, setattr_request(ino, fi != nullptr, who, fields), msg::MATOCL_FUSE_SETATTR);
      if (reply_if_error(req, reply)) return;
      result = decode_attr_reply(*reply);
      if (reply_if_error(req, result)) return;
    }
    if (truncate) {
      // Buffered data goes out first, so that the truncate cuts it like it cuts stored data.
      if (Status s = fs.data_.flush(ino); !s) return reply_status(req, s);
      uint8_t flags = kTruncateTimeFix | (fi != nullptr ? kTruncateOpened : 0);
      result = fs.data_.truncate(truncate_request(ino, flags, who, static_cast<uint64_t>(attr->st_size)));
      fs.data_.forget(ino);
    }
    attr_reply(req, ino, result);
  }

  static void readlink(fuse_req_t req, fuse_ino_t ino) {
    Filesystem& fs = fs_of(req);
    if (std::optional<std::string> cached = fs.symlinks_.target(ino)) return (void)fuse_reply_readlink(req, cached->c_str());
    auto reply = ask(req, readlink_request(ino), msg::MATOCL_FUSE_READLINK);
    if (reply_if_error(req, reply)) return;
    Result<std::string> path = decode_readlink_reply(*reply);
    if (reply_if_error(req, path)) return;
    fs.symlinks_.remember(ino, *path);
    fuse_reply_readlink(req, path->c_str());
  }

  static void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
    if (name_too_long(req, name)) return;
    NodeType type;
    switch (mode & S_IFMT) {
      case S_IFREG: case 0: type = NodeType::kFile; break;
      case S_IFIFO: type = NodeType::kFifo; break;
      case S_IFBLK: type = NodeType::kBlockDev; break;
      case S_IFCHR: type = NodeType::kCharDev; break;
      case S_IFSOCK: type = NodeType::kSocket; break;
      default: reply_errno(req, EPERM); return;
    }
    entry_reply(req, ask(req,
                         mknod_request(parent, name, type, mode & 07777, umask_of(req), credentials_of(req),
                                       static_cast<uint32_t>(rdev)),
                         msg::MATOCL_FUSE_MKNOD));
  }

  static void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    if (name_too_long(req, name)) return;
    bool copy_sgid = fs_of(req).options_.mkdir_copy_sgid != 0;
    entry_reply(req, ask(req, mkdir_request(parent, name, mode & 07777, umask_of(req), credentials_of(req), copy_sgid),
                         msg::MATOCL_FUSE_MKDIR));
  }

  static void unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
    if (name_too_long(req, name)) return;
    auto reply = ask(req, unlink_request(parent, name, credentials_of(req)), msg::MATOCL_FUSE_UNLINK);
    if (reply_if_error(req, reply)) return;
    reply_status(req, decode_unlink_reply(*reply));
  }

  static void rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
    if (name_too_long(req, name)) return;
    auto reply = ask(req, rmdir_request(parent, name, credentials_of(req)), msg::MATOCL_FUSE_RMDIR);
    if (reply_if_error(req, reply)) return;
    reply_status(req, decode_unlink_reply(*reply));
  }

  static void symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
    if (name_too_long(req, name)) return;
    entry_reply(req, ask(req, symlink_request(parent, name, target, credentials_of(req)), msg::MATOCL_FUSE_SYMLINK));
  }

  static void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
                     const char* new_name, unsigned int flags) {
    if (name_too_long(req, name) || name_too_long(req, new_name)) return;
    if (flags != 0) return (void)reply_errno(req, EINVAL);  // RENAME_NOREPLACE/EXCHANGE: not in MooseFS 3.0
    auto reply = ask(req, rename_request(parent, name, new_parent, new_name, credentials_of(req)),
                     msg::MATOCL_FUSE_RENAME);
    if (reply_if_error(req, reply)) return;
    if (is_status_reply(*reply)) return reply_status(req, status_of(*reply));
    Result<EntryReply> entry = decode_entry_reply(*reply);  // validates the moved node's record
    reply_status(req, entry ? Status::ok() : entry.status());
  }

  static void link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
    if (name_too_long(req, new_name)) return;
    entry_reply(req, ask(req, link_request(ino, new_parent, new_name, credentials_of(req)), msg::MATOCL_FUSE_LINK));
  }

  static void set_cache_flags(Filesystem& fs, uint8_t oflags, fuse_file_info* fi) {
    switch (fs.options_.cache_mode) {
      case CacheMode::kAuto: fi->keep_cache = (oflags & kOpenKeepCache) ? 1 : 0; break;
      case CacheMode::kYes: fi->keep_cache = 1; break;
      case CacheMode::kNo: fi->keep_cache = 0; break;
      case CacheMode::kDirect: fi->direct_io = 1; break;
    }
    if (oflags & kOpenDirectMode) fi->direct_io = 1;
    fi->fh = FileHandle{fi->direct_io != 0, FileHandle::Clock::now()}.number();
  }

  static void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Filesystem& fs = fs_of(req);
    if (ino == kMasterInfoInode) {
      if ((fi->flags & O_ACCMODE) != O_RDONLY) return (void)reply_errno(req, EACCES);
      fi->direct_io = 1;  // the session id changes when the session is lost
      fuse_reply_open(req, fi);
      return;
    }
    uint8_t flags = 0;
    switch (fi->flags & O_ACCMODE) {
      case O_RDONLY: flags = kOpenRead; break;
      case O_WRONLY: flags = kOpenWrite; break;
      default: flags = kOpenRead | kOpenWrite; break;
    }
    // The kernel leaves O_TRUNC to us (libfuse's atomic O_TRUNC): buffered data goes out
    // first, so that the truncate cuts it like it cuts stored data.
    bool truncate = (fi->flags & O_TRUNC) != 0;
    if (truncate) {
      if (Status s = fs.data_.flush(ino); !s) return reply_status(req, s);
      flags |= kOpenTruncate;
    }
    uint8_t oflags = 0;
    std::optional<uint16_t> granted = flags == kOpenRead ? fs.open_grants_.take(ino, caller_of(req)) : std::nullopt;
    if (granted && (*granted & kLookupMayRead)) {
      // The LOOKUP just before says how this open ends: only the registration goes out.
      fs.master_.send_detached(open_request(ino, credentials_of(req), kOpenRead | kOpenAfterCreate),
                               msg::MATOCL_FUSE_OPEN, "open of inode " + std::to_string(ino));
      oflags = ((*granted & kLookupKeepCache) ? kOpenKeepCache : 0) |
               ((*granted & kLookupDirectMode) ? kOpenDirectMode : 0);
    } else {
      auto reply = ask(req, open_request(ino, credentials_of(req), flags), msg::MATOCL_FUSE_OPEN);
      if (reply_if_error(req, reply)) return;
      Result<OpenReply> opened = decode_open_reply(*reply);
      if (reply_if_error(req, opened)) return;
      oflags = opened->oflags;
    }
    // Locations from before this open may be stale (no notifications reach a closed
    // file); the one LOOKUP brought just now is kept, unless the open truncated the file.
    fs.data_.forget_locations(ino, !truncate);
    set_cache_flags(fs, oflags, fi);
    // The disk cache keeps an inode's data only as long as the page cache would.
    if (!fi->keep_cache || truncate) fs.data_.forget_cached_data(ino);
    fs.opened(ino);
    if (fuse_reply_open(req, fi) != 0) fs.closed(ino);  // interrupted: no release will come
  }

  static void create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
    if (name_too_long(req, name)) return;
    Filesystem& fs = fs_of(req);
    auto reply = ask(req, create_request(parent, name, mode & 07777, umask_of(req), credentials_of(req)),
                     msg::MATOCL_FUSE_CREATE);
    if (reply_if_error(req, reply)) return;
    Result<CreateReply> created = decode_create_reply(*reply);
    if (reply_if_error(req, created)) return;
    set_cache_flags(fs, created->oflags, fi);
    fs.data_.forget_cached_data(created->inode);  // blocks of an earlier file with this inode number
    fuse_entry_param param{};
    param.ino = created->inode;
    param.generation = 1;
    param.attr_timeout = fs.attr_timeout(created->attr);
    param.entry_timeout = (created->attr.flags & kAttrNoECache) ? 0.0 : fs.options_.entry_cache_timeout;
    fs.fill_stat(created->inode, created->attr, param.attr);
    fs.opened(created->inode);
    if (fuse_reply_create(req, &param, fi) != 0) fs.closed(created->inode);
  }

  static void read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
    if (ino == kMasterInfoInode) {
      std::vector<uint8_t> record = fs_of(req).master_info();
      return reply_slice(req, std::string_view(reinterpret_cast<const char*>(record.data()), record.size()), offset,
                         size);
    }
    bool use_disk_cache = !FileHandle::from_number(fi->fh).direct;
    Result<std::vector<uint8_t>> data =
        fs_of(req).data_.read(ino, static_cast<uint64_t>(offset), static_cast<uint32_t>(size), use_disk_cache);
    if (reply_if_error(req, data)) return;
    Filesystem& fs = fs_of(req);
    fuse_reply_buf(req, reinterpret_cast<const char*>(data->data()), data->size());
    fs.on_read(static_cast<uint32_t>(ino));  // after the reply: the reader need not wait for it
  }

  static void write(fuse_req_t req, fuse_ino_t ino, const char* buffer, size_t size, off_t offset, fuse_file_info*) {
    Status status = fs_of(req).data_.write(
        ino, static_cast<uint64_t>(offset), std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buffer), size));
    if (!status) return reply_status(req, status);
    fuse_reply_write(req, size);
  }

  static void flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Filesystem& fs = fs_of(req);
    Status status = fs.closes_behind(fi) ? fs.write_behind(static_cast<uint32_t>(ino), credentials_of(req))
                                         : fs.data_.flush(ino);
    // POSIX locks of this owner end with the close (flush), as on a local file system.
    if (fs.take_lock_owner(fs.posix_owners_, ino, fi->lock_owner)) {
      PosixLock everything{0, kLockUnlock, 0, kLockToEnd};
      ask(req, posix_lock_request(ino, 0, fi->lock_owner, kPosixSet, everything), msg::MATOCL_FUSE_POSIX_LOCK);
    }
    reply_status(req, status);
  }

  static void fsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info*) {
    reply_status(req, fs_of(req).data_.flush(ino));
  }

  static void release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if (ino == kMasterInfoInode) return (void)reply_errno(req, 0);
    Filesystem& fs = fs_of(req);
    Status status = fs.data_.release(ino, !fs.closes_behind(fi));
    if (fi->flock_release && fs.take_lock_owner(fs.flock_owners_, ino, fi->lock_owner)) {
      ask(req, flock_request(ino, 0, fi->lock_owner, kFlockRelease), msg::MATOCL_FUSE_FLOCK);
    }
    fs.closed(ino);
    reply_status(req, status);
  }

  // The listing is asked for at the first READDIR, not at the open: a directory opened and
  // not read keeps its atime, as through 3.0.117's mount, which at the open asks the master
  // only whether a caller other than root may read the directory.
  static void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Credentials who = credentials_of(req);
    if (who.uid != 0) {
      auto reply = ask(req, access_request(ino, who, R_OK), msg::MATOCL_FUSE_ACCESS);
      if (reply_if_error(req, reply)) return;
      if (Status allowed = decode_simple_status(*reply); !allowed) return reply_status(req, allowed);
    }
    reply_dir_opened(req, fi, std::make_unique<DirListing>());
  }

  // Offset 0 starts a listing: the first READDIR of a handle, or one after a rewinddir.
  static void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
    if (offset == 0) {
      auto reply = ask(req, readdir_request(ino, credentials_of(req)), msg::MATOCL_FUSE_READDIR);
      if (reply_if_error(req, reply)) return;
      Result<std::vector<DirEntry>> entries = decode_readdir_reply(*reply);
      if (reply_if_error(req, entries)) return;
      reinterpret_cast<DirListing*>(fi->fh)->entries = std::move(*entries);
    }
    read_dir_listing(req, ino, size, offset, fi);
  }

  static void statfs(fuse_req_t req, fuse_ino_t) {
    auto reply = ask(req, statfs_request(), msg::MATOCL_FUSE_STATFS);
    if (reply_if_error(req, reply)) return;
    Result<StatfsReply> space = decode_statfs_reply(*reply);
    if (reply_if_error(req, space)) return;
    struct statvfs st {};
    st.f_bsize = kBlockSize;
    st.f_frsize = kBlockSize;
    st.f_blocks = space->total / kBlockSize;
    st.f_bfree = space->avail / kBlockSize;
    st.f_bavail = space->avail / kBlockSize;
    // Free inodes: MooseFS has no fixed table; as 3.0.117, free = files - used.
    st.f_files = kReportedInodes + space->inodes;
    st.f_ffree = kReportedInodes;
    st.f_favail = kReportedInodes;
    st.f_namemax = kMaxName;
    fuse_reply_statfs(req, &st);
  }

  static void access(fuse_req_t req, fuse_ino_t ino, int mask) {
    if (ino == kMasterInfoInode) return (void)reply_errno(req, (mask & W_OK) ? EACCES : 0);
    status_reply(req, ask(req, access_request(ino, credentials_of(req), static_cast<uint16_t>(mask & 7)),
                          msg::MATOCL_FUSE_ACCESS));
  }
};

fuse_lowlevel_ops Filesystem::operations() {
  fuse_lowlevel_ops ops{};
  ops.init = Operations::init;
  ops.lookup = Operations::lookup;
  ops.getattr = Operations::getattr;
  ops.setattr = Operations::setattr;
  ops.readlink = Operations::readlink;
  ops.mknod = Operations::mknod;
  ops.mkdir = Operations::mkdir;
  ops.unlink = Operations::unlink;
  ops.rmdir = Operations::rmdir;
  ops.symlink = Operations::symlink;
  ops.rename = Operations::rename;
  ops.link = Operations::link;
  ops.open = Operations::open;
  ops.create = Operations::create;
  ops.read = Operations::read;
  ops.write = Operations::write;
  ops.flush = Operations::flush;
  ops.fsync = Operations::fsync;
  ops.release = Operations::release;
  ops.opendir = Operations::opendir;
  ops.readdir = Operations::readdir;
  ops.releasedir = release_dir_listing;
  ops.statfs = Operations::statfs;
  ops.access = Operations::access;
  ops.getxattr = Operations::getxattr;
  ops.listxattr = Operations::listxattr;
  ops.setxattr = Operations::setxattr;
  ops.removexattr = Operations::removexattr;
  ops.getlk = Operations::getlk;
  ops.setlk = Operations::setlk;
  ops.flock = Operations::flock;
  return ops;
}

}  // namespace mfs::mount
