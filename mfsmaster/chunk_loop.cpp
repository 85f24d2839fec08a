#include "mfsmaster/chunk_loop.h"

#include <algorithm>
#include <limits>

#include "mfscommon/log.h"

namespace mfs::master {
namespace {

constexpr uint32_t kLowestMinTime = 60;

// An option clamped to [lowest, UINT32_MAX], logging a raise as 3.0.117 does.
uint32_t read_at_least(const ConfigFile& config, const char* name, uint64_t fallback, uint32_t lowest) {
  uint64_t value = config.get_uint(name, fallback);
  if (value < lowest) {
    MFS_LOG_WARNING("%s value too low (%llu) increased to %u", name, static_cast<unsigned long long>(value), lowest);
    return lowest;
  }
  return static_cast<uint32_t>(std::min<uint64_t>(value, std::numeric_limits<uint32_t>::max()));
}

}  // namespace

ChunkLoopOptions read_chunk_loop_options(const ConfigFile& config) {
  ChunkLoopOptions options;
  options.min_time = read_at_least(config, "CHUNKS_LOOP_MIN_TIME", options.min_time, kLowestMinTime);
  options.max_cps = read_at_least(config, "CHUNKS_LOOP_MAX_CPS", options.max_cps, 1);
  return options;
}

ChunkLoopCounters& ChunkLoopCounters::operator+=(const ChunkLoopCounters& other) {
  deleted_invalid += other.deleted_invalid;
  kept_invalid += other.kept_invalid;
  deleted_unused += other.deleted_unused;
  kept_unused += other.kept_unused;
  deleted_disk_clean += other.deleted_disk_clean;
  kept_disk_clean += other.kept_disk_clean;
  deleted_overgoal += other.deleted_overgoal;
  kept_overgoal += other.kept_overgoal;
  copied_undergoal += other.copied_undergoal;
  not_copied_undergoal += other.not_copied_undergoal;
  copied_wrong_labels += other.copied_wrong_labels;
  not_copied_wrong_labels += other.not_copied_wrong_labels;
  copied_rebalance += other.copied_rebalance;
  labels_dont_match += other.labels_dont_match;
  locked_unused += other.locked_unused;
  locked_used += other.locked_used;
  return *this;
}

void ChunkLoop::end_pass(uint32_t now) {
  current_.end = now;
  last_pass_ = current_;
  current_ = ChunkLoopPass{now, 0, {}};
}

void ChunkLoop::attend(uint64_t chunk_id) {
  if (attending_.insert(chunk_id).second) attention_.push_back(chunk_id);
}

void ChunkLoop::attend_at(uint64_t chunk_id, uint32_t time) { timed_.emplace(time, chunk_id); }

ChunkLoopTick ChunkLoop::next_tick(const ChunkTable& table, uint32_t now) {
  while (!timed_.empty() && timed_.begin()->first <= now) {
    attend(timed_.begin()->second);
    timed_.erase(timed_.begin());
  }
  ChunkLoopTick tick;
  size_t limit = options_.max_cps;
  while (!attention_.empty() && tick.attended.size() < limit) {
    tick.attended.push_back(attention_.front());
    attending_.erase(attention_.front());
    attention_.pop_front();
  }
  take_loop_slice(table, limit - tick.attended.size(), now, tick);
  return tick;
}

void ChunkLoop::take_loop_slice(const ChunkTable& table, size_t limit, uint32_t now, ChunkLoopTick& tick) {
  const auto& chunks = table.all();
  if (chunks.empty()) {
    cursor_ = 0;
    credit_ = 0;
    return;
  }
  const int64_t cost = options_.min_time;
  // Unspent credit (events took the tick) is caught up later, never beyond one tick at
  // full speed.
  credit_ = std::min(credit_ + static_cast<int64_t>(chunks.size()), cost * options_.max_cps);
  const size_t buckets = chunks.bucket_count();
  if (cursor_ >= buckets) cursor_ = 0;
  if (current_.start == 0) current_.start = now;
  std::vector<uint64_t>& out = tick.looped;
  size_t taken = 0;
  // Whole buckets (a few chunks at most): an overdraft delays the next slice a little.
  // Empty buckets cost nothing, so a pass ends with its last chunk, not a slice later.
  for (size_t walked = 0; walked < buckets && taken < limit; ++walked) {
    if (chunks.begin(cursor_) != chunks.end(cursor_) && credit_ < cost) break;
    for (auto it = chunks.begin(cursor_); it != chunks.end(cursor_); ++it) {
      out.push_back(it->first);
      credit_ -= cost;
      ++taken;
    }
    if (++cursor_ == buckets) {  // at most once a tick: `walked` stays below `buckets`
      cursor_ = 0;
      ++passes_;
      tick.pass_end = out.size();
    }
  }
}

}  // namespace mfs::master
