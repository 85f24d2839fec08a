// What registered metaloggers are sent of the change stream (spec 40 §A.3, §A.4): every
// changelog line once it is durable (a metalogger never holds a change the master could
// lose in a crash), each rotation of the changelog, and, to one that registers again with
// the version it needs next, the recent lines it missed. Those are kept for
// CHANGELOG_PRESERVE_SECONDS, as 3.0.117 keeps them, but at most kMaxKeptChanges: one that
// needs older ones finds a gap and downloads the metadata again, as it does after a
// master restart.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mfs::master {

class MetaloggerFeed {
 public:
  static constexpr size_t kMaxKeptChanges = 200000;
  static constexpr uint32_t kDefaultPreserveSeconds = 1800;

  struct Follower {
    uint32_t ip = 0;
    uint32_t version = 0;  // the metalogger's packed version, as it registered
    std::function<void(std::vector<uint8_t> frame)> send;
  };

  explicit MetaloggerFeed(std::function<uint32_t()> now) : now_(std::move(now)) {}

  // CHANGELOG_PRESERVE_SECONDS (0 keeps nothing).
  void set_preserve_seconds(uint32_t seconds);
  // From the changelog writer: whole "ID: text\n" lines that are now durable, and whether
  // the changelog was rotated after them.
  void durable(std::string_view lines, bool rotated_after);
  // A registered metalogger; with `next_version` it is first sent the kept lines from
  // that version on, if the oldest kept line is not newer. Returns its handle.
  uint64_t add(Follower follower, std::optional<uint64_t> next_version);
  void remove(uint64_t handle);
  const std::map<uint64_t, Follower>& followers() const { return followers_; }

 private:
  struct KeptChange {
    uint64_t version;
    std::string text;
    uint32_t at;
  };
  void keep(uint64_t version, std::string_view text, uint32_t now);

  std::function<uint32_t()> now_;
  uint32_t preserve_seconds_ = kDefaultPreserveSeconds;
  std::deque<KeptChange> kept_;
  std::map<uint64_t, Follower> followers_;
  uint64_t next_handle_ = 1;
};

}  // namespace mfs::master
