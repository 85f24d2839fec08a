// A thread-safe map whose entries expire: what the mount keeps for a while from the
// master's answers. Past `max_entries` the expired entries are dropped, and all of them
// when none has expired yet: every user can lose an entry safely (it asks the master again).
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace mfs::mount {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class ExpiringMap {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ExpiringMap(size_t max_entries) : max_entries_(max_entries) {}

  void put(const Key& key, Value value, Clock::time_point until, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    entries_[key] = Entry{std::move(value), until};
    if (entries_.size() <= max_entries_) return;
    for (auto it = entries_.begin(); it != entries_.end();) it = it->second.until <= now ? entries_.erase(it) : std::next(it);
    if (entries_.size() > max_entries_) entries_.clear();
  }

  // The value while it has not expired (an expired entry is dropped).
  std::optional<Value> find(const Key& key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(key);
    if (found == entries_.end()) return std::nullopt;
    if (found->second.until > now) return found->second.value;
    entries_.erase(found);
    return std::nullopt;
  }

  // As find(), and the entry is gone afterwards either way.
  std::optional<Value> take(const Key& key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(key);
    if (found == entries_.end()) return std::nullopt;
    Entry entry = std::move(found->second);
    entries_.erase(found);
    if (entry.until <= now) return std::nullopt;
    return std::move(entry.value);
  }

  void erase(const Key& key) {
    std::lock_guard lock(mutex_);
    entries_.erase(key);
  }

 private:
  struct Entry {
    Value value;
    Clock::time_point until;
  };

  size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<Key, Entry, Hash> entries_;
};

}  // namespace mfs::mount
