#include "mfsmaster/metalogger_feed.h"

#include <algorithm>
#include <charconv>

#include "mfscommon/log.h"
#include "mfscommon/metalogger_messages.h"

namespace mfs::master {

void MetaloggerFeed::set_preserve_seconds(uint32_t seconds) {
  preserve_seconds_ = seconds;
  if (seconds == 0) kept_.clear();
}

void MetaloggerFeed::durable(std::string_view lines, bool rotated_after) {
  uint32_t now = now_();
  while (!lines.empty()) {
    size_t end = lines.find('\n');
    std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 1);
    uint64_t version = 0;
    auto [rest, error] = std::from_chars(line.data(), line.data() + line.size(), version);
    std::string_view text(rest, static_cast<size_t>(line.data() + line.size() - rest));
    if (error != std::errc() || !text.starts_with(": ")) {
      MFS_LOG_ERROR("metalogger feed: changelog line without its id - not sent: %.*s",
                    static_cast<int>(std::min<size_t>(line.size(), 100)), line.data());
      continue;
    }
    text.remove_prefix(2);
    keep(version, text, now);
    if (followers_.empty()) continue;
    std::vector<uint8_t> frame = mlmsg::encode(mlmsg::MetaChange{version, std::string(text)});
    for (auto& [handle, follower] : followers_) follower.send(frame);
  }
  if (rotated_after) {
    for (auto& [handle, follower] : followers_) follower.send(mlmsg::encode(mlmsg::ChangelogRotated{}));
  }
}

void MetaloggerFeed::keep(uint64_t version, std::string_view text, uint32_t now) {
  if (preserve_seconds_ == 0) return;
  while (!kept_.empty() && (kept_.size() >= kMaxKeptChanges || kept_.front().at + preserve_seconds_ < now)) {
    kept_.pop_front();
  }
  kept_.push_back({version, std::string(text), now});
}

uint64_t MetaloggerFeed::add(Follower follower, std::optional<uint64_t> next_version) {
  if (next_version && !kept_.empty() && kept_.front().version <= *next_version) {
    auto first = std::lower_bound(kept_.begin(), kept_.end(), *next_version,
                                  [](const KeptChange& change, uint64_t version) { return change.version < version; });
    for (auto it = first; it != kept_.end(); ++it) follower.send(mlmsg::encode(mlmsg::MetaChange{it->version, it->text}));
  }
  uint64_t handle = next_handle_++;
  followers_.emplace(handle, std::move(follower));
  return handle;
}

void MetaloggerFeed::remove(uint64_t handle) { followers_.erase(handle); }

}  // namespace mfs::master
