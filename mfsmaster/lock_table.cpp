#include "mfsmaster/lock_table.h"

#include <algorithm>
#include <tuple>

namespace mfs::master {

bool LockTable::flock_allowed(uint32_t inode, const LockOwner& who, bool exclusive) const {
  auto it = flocks_.find(inode);
  if (it == flocks_.end()) return true;
  for (const FlockHolder& holder : it->second) {
    if (holder.who != who && (exclusive || holder.exclusive)) return false;
  }
  return true;
}

void LockTable::set_flock(uint32_t inode, const LockOwner& who, LockKind kind) {
  auto& holders = flocks_[inode];
  std::erase_if(holders, [&](const FlockHolder& holder) { return holder.who == who; });
  if (kind != LockKind::kUnlock) holders.push_back({who, kind == LockKind::kExclusive});
  if (holders.empty()) flocks_.erase(inode);
  changed_.insert(inode);
}

const PosixRange* LockTable::posix_conflict(uint32_t inode, const LockOwner& who, uint64_t start, uint64_t end,
                                            bool write) const {
  auto it = posix_.find(inode);
  if (it == posix_.end()) return nullptr;
  for (const PosixRange& range : it->second) {
    if (range.who != who && range.start < end && start < range.end && (write || range.write)) return &range;
  }
  return nullptr;
}

void LockTable::set_posix(uint32_t inode, const LockOwner& who, uint32_t pid, LockKind kind, uint64_t start,
                          uint64_t end) {
  auto& ranges = posix_[inode];
  std::vector<PosixRange> kept;
  for (const PosixRange& range : ranges) {
    if (range.who != who || range.end <= start || end <= range.start) {
      kept.push_back(range);
      continue;
    }
    // Cut the part of this owner's range that the new request covers.
    if (range.start < start) kept.push_back({range.who, range.pid, range.start, start, range.write});
    if (end < range.end) kept.push_back({range.who, range.pid, end, range.end, range.write});
  }
  if (kind != LockKind::kUnlock) {
    PosixRange added{who, pid, start, end, kind == LockKind::kExclusive};
    // Merge with this owner's adjacent ranges of the same type.
    for (auto it = kept.begin(); it != kept.end();) {
      if (it->who == who && it->write == added.write && (it->end == added.start || added.end == it->start)) {
        added.start = std::min(added.start, it->start);
        added.end = std::max(added.end, it->end);
        kept.erase(it);
        it = kept.begin();  // the grown range may now touch one already passed
      } else {
        ++it;
      }
    }
    kept.push_back(added);
  }
  std::sort(kept.begin(), kept.end(), [](const PosixRange& a, const PosixRange& b) {
    return std::tie(a.who, a.start) < std::tie(b.who, b.start);
  });
  ranges = std::move(kept);
  if (ranges.empty()) posix_.erase(inode);
  changed_.insert(inode);
}

void LockTable::release(uint32_t session, uint32_t inode) {
  if (auto it = flocks_.find(inode); it != flocks_.end()) {
    std::erase_if(it->second, [&](const FlockHolder& holder) { return holder.who.session == session; });
    if (it->second.empty()) flocks_.erase(it);
    changed_.insert(inode);
  }
  if (auto it = posix_.find(inode); it != posix_.end()) {
    std::erase_if(it->second, [&](const PosixRange& range) { return range.who.session == session; });
    if (it->second.empty()) posix_.erase(it);
    changed_.insert(inode);
  }
}

bool LockTable::has_locks(uint32_t session, uint32_t inode) const {
  if (auto it = flocks_.find(inode); it != flocks_.end()) {
    for (const FlockHolder& holder : it->second) {
      if (holder.who.session == session) return true;
    }
  }
  if (auto it = posix_.find(inode); it != posix_.end()) {
    for (const PosixRange& range : it->second) {
      if (range.who.session == session) return true;
    }
  }
  return false;
}

const std::vector<FlockHolder>* LockTable::flocks(uint32_t inode) const {
  auto it = flocks_.find(inode);
  return it == flocks_.end() ? nullptr : &it->second;
}

const std::vector<PosixRange>* LockTable::posix_locks(uint32_t inode) const {
  auto it = posix_.find(inode);
  return it == posix_.end() ? nullptr : &it->second;
}

std::vector<uint32_t> LockTable::take_changed() {
  std::vector<uint32_t> changed(changed_.begin(), changed_.end());
  changed_.clear();
  return changed;
}

std::vector<uint32_t> LockTable::locked_inodes() const {
  std::set<uint32_t> inodes;
  for (const auto& [inode, holders] : flocks_) inodes.insert(inode);
  for (const auto& [inode, ranges] : posix_) inodes.insert(inode);
  return {inodes.begin(), inodes.end()};
}

}  // namespace mfs::master
