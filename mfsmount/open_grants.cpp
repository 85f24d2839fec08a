#include "mfsmount/open_grants.h"

#include <iterator>

namespace mfs::mount {

void OpenGrants::note(uint32_t inode, const Caller& caller, uint16_t lookup_flags, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  grants_[{inode, caller}] = Grant{lookup_flags, now};
  if (grants_.size() <= kPruneAbove) return;
  for (auto it = grants_.begin(); it != grants_.end();) it = now - it->second.at >= kFresh ? grants_.erase(it) : std::next(it);
  if (grants_.size() > kPruneAbove) grants_.clear();  // all fresh: a dropped grant only costs a wait
}

std::optional<uint16_t> OpenGrants::take(uint32_t inode, const Caller& caller, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = grants_.find({inode, caller});
  if (found == grants_.end()) return std::nullopt;
  Grant grant = found->second;
  grants_.erase(found);
  if (now - grant.at >= kFresh) return std::nullopt;
  return grant.lookup_flags;
}

}  // namespace mfs::mount
