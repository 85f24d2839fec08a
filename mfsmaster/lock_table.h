// Granted flock and POSIX (fcntl) locks, per inode (spec 10 §9). Persistent state: it
// changes only through apply() of FLOCK / POSIXLOCK entries and when a session lets an
// inode go (RELEASE, SESDEL). Waiting requests are live state of the LockManager.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace mfs::master {

struct LockOwner {
  uint32_t session = 0;
  uint64_t owner = 0;
  auto operator<=>(const LockOwner&) const = default;
};

struct FlockHolder {
  LockOwner who;
  bool exclusive = false;
};

// [start, end), end exclusive; end = 2^64-1 reaches the end of any file.
struct PosixRange {
  LockOwner who;
  uint32_t pid = 0;
  uint64_t start = 0;
  uint64_t end = 0;
  bool write = false;
};

enum class LockKind : uint8_t { kUnlock, kShared, kExclusive };

class LockTable {
 public:
  // Whether `who` could take the lock now (no other owner conflicts).
  bool flock_allowed(uint32_t inode, const LockOwner& who, bool exclusive) const;
  void set_flock(uint32_t inode, const LockOwner& who, LockKind kind);

  // The first range of another owner that conflicts with [start, end) of `kind`.
  const PosixRange* posix_conflict(uint32_t inode, const LockOwner& who, uint64_t start, uint64_t end,
                                   bool write) const;
  // Replaces `who`'s locks on [start, end) by `kind` (splitting and merging ranges).
  void set_posix(uint32_t inode, const LockOwner& who, uint32_t pid, LockKind kind, uint64_t start, uint64_t end);

  // Drops every lock `session` holds on `inode` (it closed the file or went away).
  void release(uint32_t session, uint32_t inode);
  bool has_locks(uint32_t session, uint32_t inode) const;

  const std::vector<FlockHolder>* flocks(uint32_t inode) const;
  const std::vector<PosixRange>* posix_locks(uint32_t inode) const;
  // Inodes whose locks changed since the last call (for the checkpoint).
  std::vector<uint32_t> take_changed();
  std::vector<uint32_t> locked_inodes() const;

 private:
  std::map<uint32_t, std::vector<FlockHolder>> flocks_;
  std::map<uint32_t, std::vector<PosixRange>> posix_;
  std::set<uint32_t> changed_;
};

}  // namespace mfs::master
