// Symbolic link targets read from the master, kept for `mfssymlinkcacheto` seconds (300 by
// default) as the 3.0.117 client keeps them. A symlink's target never changes (a new
// target is a new inode), and the master reuses a freed inode only much later, so an entry
// is right for as long as it is kept.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace mfs::mount {

class SymlinkCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SymlinkCache(double timeout_seconds)
      : timeout_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_seconds))) {}

  std::optional<std::string> target(uint32_t inode, Clock::time_point now = Clock::now());
  void remember(uint32_t inode, const std::string& target, Clock::time_point now = Clock::now());

 private:
  // Past this many entries the expired ones are dropped (all of them if none has expired).
  static constexpr size_t kPruneAbove = 65536;
  struct Entry {
    std::string target;
    Clock::time_point until;
  };

  Clock::duration timeout_;
  std::mutex mutex_;
  std::unordered_map<uint32_t, Entry> entries_;
};

}  // namespace mfs::mount
