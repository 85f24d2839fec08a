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

void ChunkLoop::attend(uint64_t chunk_id) {
  if (attending_.insert(chunk_id).second) attention_.push_back(chunk_id);
}

void ChunkLoop::attend_at(uint64_t chunk_id, uint32_t time) { timed_.emplace(time, chunk_id); }

std::vector<uint64_t> ChunkLoop::next_tick(const ChunkTable& table, uint32_t now) {
  while (!timed_.empty() && timed_.begin()->first <= now) {
    attend(timed_.begin()->second);
    timed_.erase(timed_.begin());
  }
  std::vector<uint64_t> visit;
  size_t limit = options_.max_cps;
  while (!attention_.empty() && visit.size() < limit) {
    visit.push_back(attention_.front());
    attending_.erase(attention_.front());
    attention_.pop_front();
  }
  take_loop_slice(table, limit - visit.size(), visit);
  return visit;
}

void ChunkLoop::take_loop_slice(const ChunkTable& table, size_t limit, std::vector<uint64_t>& out) {
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
  size_t taken = 0;
  // Whole buckets (a few chunks at most): an overdraft delays the next slice a little.
  for (size_t walked = 0; walked < buckets && credit_ >= cost && taken < limit; ++walked) {
    for (auto it = chunks.begin(cursor_); it != chunks.end(cursor_); ++it) {
      out.push_back(it->first);
      credit_ -= cost;
      ++taken;
    }
    if (++cursor_ == buckets) {
      cursor_ = 0;
      ++passes_;
    }
  }
}

}  // namespace mfs::master
