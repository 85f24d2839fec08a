#include "mfsmaster/lock_manager.h"

#include <utility>

namespace mfs::master {
namespace {

namespace flock_command {
constexpr uint8_t kUnlock = 0, kTryShared = 1, kLockShared = 2, kTryExclusive = 3, kLockExclusive = 4, kInterrupt = 5,
                  kRelease = 6;
}  // namespace flock_command

namespace posix_command {
constexpr uint8_t kGet = 0, kSet = 1, kTry = 2, kInterrupt = 3;
}  // namespace posix_command

constexpr uint8_t kPosixUnlock = 0;
constexpr uint8_t kPosixWrite = 2;

char posix_kind(uint8_t type) { return type == kPosixUnlock ? 'U' : type == kPosixWrite ? 'W' : 'R'; }

}  // namespace

LockManager::LockManager(Metadata& metadata, MutationLog& mutations, std::function<uint32_t()> now)
    : metadata_(metadata), mutations_(mutations), now_(std::move(now)) {}

bool LockManager::holds_open(uint32_t session, uint32_t inode) const {
  const Session* found = std::as_const(metadata_).sessions().find(session);
  return found && found->open_inodes.count(inode);
}

void LockManager::commit_flock(uint32_t inode, const LockOwner& who, char kind) {
  mutations_.commit({ChangelogEntry::make("FLOCK", now_())
                         .arg(inode)
                         .arg(who.session)
                         .arg(who.owner)
                         .arg(std::string_view(&kind, 1))});
}

void LockManager::commit_posix(const PosixRequest& request, char kind) {
  mutations_.commit({ChangelogEntry::make("POSIXLOCK", now_())
                         .arg(request.inode)
                         .arg(request.who.session)
                         .arg(request.who.owner)
                         .arg(std::string_view(&kind, 1))
                         .arg(request.start)
                         .arg(request.end)
                         .arg(request.pid)});
}

void LockManager::flock(uint32_t inode, uint32_t reqid, const LockOwner& who, uint8_t command, Reply reply,
                        Alive alive) {
  const LockTable& locks = std::as_const(metadata_).locks();
  auto holds_lock = [&] {
    const auto* holders = locks.flocks(inode);
    if (!holders) return false;
    for (const FlockHolder& holder : *holders) {
      if (holder.who == who) return true;
    }
    return false;
  };
  if (command != flock_command::kInterrupt && command != flock_command::kRelease && !holds_open(who.session, inode)) {
    return reply(StatusCode::kNotOpened);
  }
  auto& waiters = flock_waiters_[inode];
  switch (command) {
    case flock_command::kTryShared:
    case flock_command::kTryExclusive:
    case flock_command::kLockShared:
    case flock_command::kLockExclusive: {
      bool exclusive = command == flock_command::kTryExclusive || command == flock_command::kLockExclusive;
      bool blocking = command == flock_command::kLockShared || command == flock_command::kLockExclusive;
      if (locks.flock_allowed(inode, who, exclusive) && waiters.empty()) {
        commit_flock(inode, who, exclusive ? 'W' : 'R');
        return reply(StatusCode::kOk);
      }
      if (!blocking) return reply(StatusCode::kEAGAIN);
      waiters.push_back({who, reqid, exclusive, std::move(reply), std::move(alive)});
      return;
    }
    case flock_command::kInterrupt:
      for (auto it = waiters.begin(); it != waiters.end();) {
        if (it->who == who && it->reqid == reqid) {
          it->reply(StatusCode::kEINTR);
          it = waiters.erase(it);
        } else {
          ++it;
        }
      }
      return reply(StatusCode::kOk);
    case flock_command::kUnlock:
    case flock_command::kRelease:
      if (command == flock_command::kRelease) {
        for (auto it = waiters.begin(); it != waiters.end();) {
          if (it->who == who) {
            it->reply(StatusCode::kECANCELED);
            it = waiters.erase(it);
          } else {
            ++it;
          }
        }
      }
      if (holds_lock()) commit_flock(inode, who, 'U');
      reply(StatusCode::kOk);
      return grant_waiters(inode);
    default:
      return reply(StatusCode::kEINVAL);
  }
}

std::optional<LockManager::PosixConflict> LockManager::posix(const PosixRequest& request, Reply reply, Alive alive) {
  const LockTable& locks = std::as_const(metadata_).locks();
  uint32_t inode = request.inode;
  bool write = request.type == kPosixWrite;
  if (request.command == posix_command::kGet) {
    PosixConflict answer;
    if (const PosixRange* conflict = locks.posix_conflict(inode, request.who, request.start, request.end, write)) {
      answer = {conflict->pid, static_cast<uint8_t>(conflict->write ? 2 : 1), conflict->start, conflict->end};
    }
    return answer;
  }
  auto& waiters = posix_waiters_[inode];
  if (request.command == posix_command::kInterrupt) {
    for (auto it = waiters.begin(); it != waiters.end();) {
      if (it->request.who.session == request.who.session && it->request.reqid == request.reqid) {
        it->reply(StatusCode::kEINTR);
        it = waiters.erase(it);
      } else {
        ++it;
      }
    }
    reply(StatusCode::kOk);
    return std::nullopt;
  }
  if (request.command != posix_command::kSet && request.command != posix_command::kTry) {
    reply(StatusCode::kEINVAL);
    return std::nullopt;
  }
  if (request.start >= request.end) {
    reply(StatusCode::kEINVAL);
    return std::nullopt;
  }
  if (request.type == kPosixUnlock) {
    bool holds_some = false;
    if (const auto* ranges = locks.posix_locks(inode)) {
      for (const PosixRange& range : *ranges) {
        holds_some |= range.who == request.who && range.start < request.end && request.start < range.end;
      }
    }
    if (holds_some) commit_posix(request, 'U');
    reply(StatusCode::kOk);
    grant_waiters(inode);
    return std::nullopt;
  }
  if (!holds_open(request.who.session, inode)) {
    reply(StatusCode::kNotOpened);
    return std::nullopt;
  }
  if (!locks.posix_conflict(inode, request.who, request.start, request.end, write)) {
    commit_posix(request, posix_kind(request.type));
    reply(StatusCode::kOk);
  } else if (request.command == posix_command::kTry) {
    reply(StatusCode::kEAGAIN);
  } else {
    waiters.push_back({request, std::move(reply), std::move(alive)});
  }
  return std::nullopt;
}

void LockManager::locks_released(uint32_t inode) { grant_waiters(inode); }

void LockManager::grant_waiters(uint32_t inode) {
  const LockTable& locks = std::as_const(metadata_).locks();
  if (auto found = flock_waiters_.find(inode); found != flock_waiters_.end()) {
    auto& waiters = found->second;
    // FIFO: stop at the first waiter that still cannot have its lock.
    while (!waiters.empty()) {
      FlockWaiter& next = waiters.front();
      if (next.alive.expired() || !holds_open(next.who.session, inode)) {
        waiters.pop_front();
        continue;
      }
      if (!locks.flock_allowed(inode, next.who, next.exclusive)) break;
      commit_flock(inode, next.who, next.exclusive ? 'W' : 'R');
      next.reply(StatusCode::kOk);
      waiters.pop_front();
    }
    if (waiters.empty()) flock_waiters_.erase(found);
  }
  if (auto found = posix_waiters_.find(inode); found != posix_waiters_.end()) {
    auto& waiters = found->second;
    for (auto it = waiters.begin(); it != waiters.end();) {
      const PosixRequest& request = it->request;
      if (it->alive.expired() || !holds_open(request.who.session, inode)) {
        it = waiters.erase(it);
      } else if (!locks.posix_conflict(inode, request.who, request.start, request.end, request.type == kPosixWrite)) {
        commit_posix(request, posix_kind(request.type));
        it->reply(StatusCode::kOk);
        it = waiters.erase(it);
      } else {
        ++it;
      }
    }
    if (waiters.empty()) posix_waiters_.erase(found);
  }
}

}  // namespace mfs::master
