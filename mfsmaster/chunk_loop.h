// Which chunks the chunk manager looks at in each one-second tick. As in 3.0.117, a loop
// walks the whole chunk table in slices: a full pass takes at least CHUNKS_LOOP_MIN_TIME
// seconds and visits at most CHUNKS_LOOP_MAX_CPS chunks a second, so an idle master with
// millions of chunks stays idle. Chunks touched by an event (a copy lost, a goal change, a
// chunkserver gone...) need not wait for the loop: they are queued for attention and come
// first in the next tick, within the same per-tick bound. Chunks waiting for a time (a
// write lock's end) are queued for attention when it comes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <set>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mfscommon/config_file.h"
#include "mfsmaster/chunk_table.h"

namespace mfs::master {

struct ChunkLoopOptions {
  uint32_t min_time = 300;    // seconds a full pass takes at least
  uint32_t max_cps = 100000;  // chunks visited per second at most
};

// CHUNKS_LOOP_MIN_TIME (raised to 60 with 3.0.117's log line) and CHUNKS_LOOP_MAX_CPS.
ChunkLoopOptions read_chunk_loop_options(const ConfigFile& config);

class ChunkLoop {
 public:
  void configure(ChunkLoopOptions options) { options_ = options; }
  const ChunkLoopOptions& options() const { return options_; }

  // The chunk is looked at in the next tick (queued once however often it is attended).
  void attend(uint64_t chunk_id);
  // The chunk is attended once `time` has come.
  void attend_at(uint64_t chunk_id, uint32_t time);

  // The chunks to look at in the tick at `now`: those attended (oldest first), then the
  // loop's next slice of `table`; at most CHUNKS_LOOP_MAX_CPS together. Ids may be gone
  // from the table by the time they are looked at.
  std::vector<uint64_t> next_tick(const ChunkTable& table, uint32_t now);

  size_t attention_size() const { return attention_.size(); }
  // Full passes over the chunk table completed so far.
  uint64_t passes() const { return passes_; }

 private:
  void take_loop_slice(const ChunkTable& table, size_t limit, std::vector<uint64_t>& out);

  ChunkLoopOptions options_;
  std::deque<uint64_t> attention_;
  std::unordered_set<uint64_t> attending_;
  std::set<std::pair<uint32_t, uint64_t>> timed_;  // (time, chunk)
  // The loop walks the table's hash buckets: a bucket index stays meaningful while chunks
  // come and go (a rehash only reorders one pass). Credit counts chunk-seconds: each tick
  // adds the table size, each visited chunk costs min_time, so a pass takes min_time ticks.
  size_t cursor_ = 0;
  int64_t credit_ = 0;
  uint64_t passes_ = 0;
};

}  // namespace mfs::master
