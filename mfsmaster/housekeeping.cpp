#include "mfsmaster/housekeeping.h"

#include <utility>
#include <vector>

#include "mfsmaster/sustained_expiry.h"
#include "mfsmaster/trash_expiry.h"

namespace mfs::master {
namespace {

// Sessions are never expired right after start: clients need time to reconnect.
constexpr uint32_t kStartupGrace = 120;
constexpr uint32_t kRecycleInterval = 60;

}  // namespace

Housekeeping::Housekeeping(Metadata& metadata, MutationLog& mutations, ChunkManager& chunks, uint32_t started_at)
    : metadata_(metadata), mutations_(mutations), chunks_(chunks), started_at_(started_at) {}

void Housekeeping::configure(const ConfigFile& config) {
  session_sustain_time_ = static_cast<uint32_t>(config.get_uint_clamped("SESSION_SUSTAIN_TIME", 86400, 60, 7 * 86400));
  inode_reuse_delay_ = static_cast<uint32_t>(config.get_uint("INODE_REUSE_DELAY", 86400));
  quota_grace_period_ = quota_default_grace_period(config);
  fs_check_.configure(config);
}

void Housekeeping::run(uint32_t now) {
  expire_trash(now);
  expire_sustained(now);
  archive_after_delay(now);
  expire_sessions(now);
  recycle_inodes(now);
  update_quota_states(now);
  chunks_.housekeeping(now);
  fs_check_.tick(metadata_, chunks_, now);
}

void Housekeeping::expire_trash(uint32_t now) {
  uint32_t bucket = next_trash_bucket_;
  next_trash_bucket_ = (next_trash_bucket_ + 1) % kTrashBuckets;
  TrashExpiry expiry = expired_trash(std::as_const(metadata_).fs(), bucket, now);
  if (expiry.inodes.empty()) return;
  mutations_.commit({ChangelogEntry::make("EMPTYTRASH", now)
                         .arg(bucket)
                         .result(expiry.freed)
                         .result(expiry.sustained)
                         .result(expiry.inode_checksum)});
}

void Housekeeping::expire_sustained(uint32_t now) {
  uint32_t bucket = next_sustained_bucket_;
  next_sustained_bucket_ = (next_sustained_bucket_ + 1) % kSustainedBuckets;
  SustainedExpiry expiry = released_sustained(std::as_const(metadata_).fs(), bucket);
  if (expiry.inodes.empty()) return;
  mutations_.commit({ChangelogEntry::make("EMPTYSUSTAINED", now)
                         .arg(bucket)
                         .result(static_cast<uint32_t>(expiry.inodes.size()))
                         .result(expiry.inode_checksum)});
}

void Housekeeping::archive_after_delay(uint32_t now) {
  std::vector<ChangelogEntry> changes = archive_delay_.next_tick(std::as_const(metadata_), now);
  if (!changes.empty()) mutations_.commit(std::move(changes));
}

void Housekeeping::expire_sessions(uint32_t now) {
  if (now < started_at_ + kStartupGrace) return;
  std::vector<ChangelogEntry> removals;
  for (const auto& [id, session] : std::as_const(metadata_).sessions().all()) {
    if (session->connections == 0 && session->disconnected_at != 0 &&
        session->disconnected_at + uint64_t{session_sustain_time_} <= now) {
      removals.push_back(ChangelogEntry::make("SESDEL", now).arg(id));
    }
  }
  if (!removals.empty()) mutations_.commit(std::move(removals));
}

void Housekeeping::recycle_inodes(uint32_t now) {
  if (now < last_recycle_ + kRecycleInterval) return;
  last_recycle_ = now;
  uint32_t recyclable = std::as_const(metadata_).fs().count_recyclable_inodes(now, inode_reuse_delay_);
  if (recyclable != 0) {
    mutations_.commit({ChangelogEntry::make("FREEINODES", now).arg(inode_reuse_delay_).result(recyclable)});
  }
}

void Housekeeping::update_quota_states(uint32_t now) {
  const Metadata& metadata = metadata_;
  std::vector<ChangelogEntry> changes = metadata.quotas().soft_limit_changes(metadata.fs(), now, quota_grace_period_);
  if (!changes.empty()) mutations_.commit(std::move(changes));
}

}  // namespace mfs::master
