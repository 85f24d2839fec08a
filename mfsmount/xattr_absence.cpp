#include "mfsmount/xattr_absence.h"

#include <iterator>

namespace mfs::mount {

void XattrAbsence::note(uint32_t inode, bool no_xattrs, Clock::duration fresh_for, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (!no_xattrs || fresh_for <= Clock::duration::zero()) {
    until_.erase(inode);
    return;
  }
  until_[inode] = now + fresh_for;
  if (until_.size() <= kPruneAbove) return;
  for (auto it = until_.begin(); it != until_.end();) it = it->second <= now ? until_.erase(it) : std::next(it);
  if (until_.size() > kPruneAbove) until_.clear();  // all fresh: forgetting is always safe
}

void XattrAbsence::forget(uint32_t inode) {
  std::lock_guard lock(mutex_);
  until_.erase(inode);
}

bool XattrAbsence::known_absent(uint32_t inode, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = until_.find(inode);
  if (found == until_.end()) return false;
  if (found->second > now) return true;
  until_.erase(found);
  return false;
}

}  // namespace mfs::mount
