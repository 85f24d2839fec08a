// flock and POSIX lock requests (spec 10 §9): grants what the LockTable allows, parks
// blocking requests in FIFO order and grants them when locks go away. Granted and
// released locks are changelog entries (FLOCK, POSIXLOCK); waiting requests are live
// state and die with their connection.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>

#include "mfscommon/status.h"
#include "mfsmaster/lock_table.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/mutation_log.h"

namespace mfs::master {

class LockManager {
 public:
  // Answers one request with a status; called at once or when a waiting lock is granted.
  using Reply = std::function<void(StatusCode)>;
  // Whether the requesting connection still exists (a waiter of a gone client is dropped).
  using Alive = std::weak_ptr<const void>;

  struct PosixRequest {
    uint32_t inode = 0;
    uint32_t reqid = 0;
    LockOwner who;
    uint32_t pid = 0;
    uint8_t command = 0;  // 0 GET, 1 SET (waits), 2 TRY, 3 INTERRUPT
    uint8_t type = 0;     // 0 unlock, 1 read, 2 write
    uint64_t start = 0;
    uint64_t end = 0;
  };
  // The answer to a GET: the conflicting lock, or type 0 when there is none.
  struct PosixConflict {
    uint32_t pid = 0;
    uint8_t type = 0;
    uint64_t start = 0;
    uint64_t end = 0;
  };

  LockManager(Metadata& metadata, MutationLog& mutations, std::function<uint32_t()> now);

  void flock(uint32_t inode, uint32_t reqid, const LockOwner& who, uint8_t command, Reply reply, Alive alive);
  // GET requests are answered through the return value; the others through `reply`.
  std::optional<PosixConflict> posix(const PosixRequest& request, Reply reply, Alive alive);
  // Locks on `inode` were dropped by a session letting it go: waiters may proceed.
  void locks_released(uint32_t inode);

 private:
  struct FlockWaiter {
    LockOwner who;
    uint32_t reqid = 0;
    bool exclusive = false;
    Reply reply;
    Alive alive;
  };
  struct PosixWaiter {
    PosixRequest request;
    Reply reply;
    Alive alive;
  };

  bool holds_open(uint32_t session, uint32_t inode) const;
  void commit_flock(uint32_t inode, const LockOwner& who, char kind);
  void commit_posix(const PosixRequest& request, char kind);
  void grant_waiters(uint32_t inode);

  Metadata& metadata_;
  MutationLog& mutations_;
  std::function<uint32_t()> now_;
  std::map<uint32_t, std::deque<FlockWaiter>> flock_waiters_;
  std::map<uint32_t, std::deque<PosixWaiter>> posix_waiters_;
};

}  // namespace mfs::master
