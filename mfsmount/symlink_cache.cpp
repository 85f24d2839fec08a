#include "mfsmount/symlink_cache.h"

#include <iterator>

namespace mfs::mount {

std::optional<std::string> SymlinkCache::target(uint32_t inode, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(inode);
  if (found == entries_.end()) return std::nullopt;
  if (found->second.until > now) return found->second.target;
  entries_.erase(found);
  return std::nullopt;
}

void SymlinkCache::remember(uint32_t inode, const std::string& target, Clock::time_point now) {
  if (timeout_ <= Clock::duration::zero()) return;
  std::lock_guard lock(mutex_);
  entries_[inode] = Entry{target, now + timeout_};
  if (entries_.size() <= kPruneAbove) return;
  for (auto it = entries_.begin(); it != entries_.end();) it = it->second.until <= now ? entries_.erase(it) : std::next(it);
  if (entries_.size() > kPruneAbove) entries_.clear();
}

}  // namespace mfs::mount
