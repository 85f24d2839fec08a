// Symbolic link targets read from the master, kept for `mfssymlinkcacheto` seconds (300 by
// default) as the 3.0.117 client keeps them. A symlink's target never changes (a new
// target is a new inode), and the master reuses a freed inode only much later, so an entry
// is right for as long as it is kept.
#pragma once
#include <cstdint>
#include <string>

#include "mfsmount/expiring_map.h"

namespace mfs::mount {

class SymlinkCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SymlinkCache(double timeout_seconds)
      : timeout_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_seconds))) {}

  std::optional<std::string> target(uint32_t inode, Clock::time_point now = Clock::now()) {
    return targets_.find(inode, now);
  }
  void remember(uint32_t inode, const std::string& target, Clock::time_point now = Clock::now()) {
    if (timeout_ > Clock::duration::zero()) targets_.put(inode, target, now + timeout_, now);
  }

 private:
  Clock::duration timeout_;
  ExpiringMap<uint32_t, std::string> targets_{65536};
};

}  // namespace mfs::mount
