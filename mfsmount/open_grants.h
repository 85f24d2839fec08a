// What a LOOKUP just told about a caller's access to a file (its lflags, spec 10 §7.3), so
// that the read-only open the same process sends right after it can be answered without
// waiting for the master: the OPEN that registers the open file still goes out, with
// AFTER_CREATE ("access already checked"), as the 3.0.117 client sends it in that case.
// A grant is used once and only within a second of its LOOKUP.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

namespace mfs::mount {

struct Caller {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  auto operator<=>(const Caller&) const = default;
};

class OpenGrants {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kFresh = std::chrono::seconds(1);

  void note(uint32_t inode, const Caller& caller, uint16_t lookup_flags, Clock::time_point now = Clock::now());
  // The lflags of `caller`'s LOOKUP of `inode`, if fresh; each grant is taken once.
  std::optional<uint16_t> take(uint32_t inode, const Caller& caller, Clock::time_point now = Clock::now());

 private:
  static constexpr size_t kPruneAbove = 4096;
  struct Grant {
    uint16_t lookup_flags;
    Clock::time_point at;
  };

  std::mutex mutex_;
  std::map<std::pair<uint32_t, Caller>, Grant> grants_;
};

}  // namespace mfs::mount
