// What a LOOKUP just told about a caller's access to a file (its lflags, spec 10 §7.3), so
// that the read-only open the same process sends right after it can be answered without
// waiting for the master: the OPEN that registers the open file still goes out, with
// AFTER_CREATE ("access already checked"), as the 3.0.117 client sends it in that case.
// A grant is used once and only within a second of its LOOKUP.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>

#include "mfsmount/expiring_map.h"

namespace mfs::mount {

struct Caller {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  bool operator==(const Caller&) const = default;
};

class OpenGrants {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kFresh = std::chrono::seconds(1);

  void note(uint32_t inode, const Caller& caller, uint16_t lookup_flags, Clock::time_point now = Clock::now()) {
    grants_.put(Key{inode, caller}, lookup_flags, now + kFresh, now);
  }
  // The lflags of `caller`'s LOOKUP of `inode`, if fresh; each grant is taken once.
  std::optional<uint16_t> take(uint32_t inode, const Caller& caller, Clock::time_point now = Clock::now()) {
    return grants_.take(Key{inode, caller}, now);
  }

 private:
  struct Key {
    uint32_t inode;
    Caller caller;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const noexcept {
      return std::hash<uint64_t>()(uint64_t{key.inode} << 32 ^ static_cast<uint32_t>(key.caller.pid)) ^
             std::hash<uint64_t>()(uint64_t{key.caller.uid} << 32 | key.caller.gid);
    }
  };

  ExpiringMap<Key, uint16_t, KeyHash> grants_{4096};
};

}  // namespace mfs::mount
