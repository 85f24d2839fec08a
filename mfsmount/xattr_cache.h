// The master's getxattr answers, kept for `mfsxattrcacheto` seconds (30 by default) as the
// 3.0.117 client keeps them: the value of one name of one inode, or that the inode has no
// attribute of that name, for the user who asked (the master checks each user's access,
// so one user's answer is not another's). What another client changes is seen once the
// entry expires. Through this mount, a value set is what the setter reads next and the
// other users' answers for that name go; a removal is what the remover reads next, and
// the other users keep their answers until they expire (both as 3.0.117 does). Lists
// (listxattr) are not kept, nor ACLs (acl_xattrs.h).
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mfsmount/expiring_map.h"
#include "mfsmount/master_messages.h"

namespace mfs::mount {

class XattrCache {
 public:
  using Clock = std::chrono::steady_clock;
  // An attribute's value, or nullopt: the inode has no attribute of that name.
  using Answer = std::optional<std::vector<uint8_t>>;

  explicit XattrCache(double timeout_seconds)
      : timeout_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_seconds))) {}

  bool enabled() const { return timeout_ > Clock::duration::zero(); }
  // The kept answer for `name` of `inode`, if there is one.
  std::optional<Answer> find(uint32_t inode, const std::string& name, const Credentials& who,
                             Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    std::optional<std::vector<Kept>> kept = answers_.find(Key{inode, name}, now);
    if (!kept) return std::nullopt;
    for (Kept& one : *kept) {
      if (one.until > now && one.uid == who.uid && one.gids == who.gids) return std::move(one.answer);
    }
    return std::nullopt;
  }
  void remember(uint32_t inode, const std::string& name, const Credentials& who, Answer answer,
                Clock::time_point now = Clock::now()) {
    if (!enabled()) return;
    std::lock_guard lock(mutex_);  // find and put as one: a forget() in between is not undone
    std::vector<Kept> kept = answers_.find(Key{inode, name}, now).value_or(std::vector<Kept>{});
    std::erase_if(kept, [&](const Kept& one) { return one.until <= now || (one.uid == who.uid && one.gids == who.gids); });
    kept.push_back(Kept{who.uid, who.gids, std::move(answer), now + timeout_});
    answers_.put(Key{inode, name}, std::move(kept), now + timeout_, now);  // the newest lasts longest
  }
  // Every user's answer for `name` of `inode`.
  void forget(uint32_t inode, const std::string& name) {
    std::lock_guard lock(mutex_);
    answers_.erase(Key{inode, name});
  }
  void set_by(uint32_t inode, const std::string& name, const Credentials& who, std::vector<uint8_t> value,
              Clock::time_point now = Clock::now()) {
    forget(inode, name);
    remember(inode, name, who, std::move(value), now);
  }
  void removed_by(uint32_t inode, const std::string& name, const Credentials& who, Clock::time_point now = Clock::now()) {
    remember(inode, name, who, std::nullopt, now);
  }

 private:
  struct Key {
    uint32_t inode;
    std::string name;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const { return std::hash<std::string>()(key.name) * 31 + key.inode; }
  };
  // One user's answer.
  struct Kept {
    uint32_t uid;
    std::vector<uint32_t> gids;
    Answer answer;
    Clock::time_point until;
  };

  Clock::duration timeout_;
  std::mutex mutex_;
  ExpiringMap<Key, std::vector<Kept>, KeyHash> answers_{65536};
};

}  // namespace mfs::mount
