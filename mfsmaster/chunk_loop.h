// Which chunks the chunk manager looks at in each one-second tick. As in 3.0.117, a loop
// walks the whole chunk table in slices: a full pass takes at least CHUNKS_LOOP_MIN_TIME
// seconds and visits at most CHUNKS_LOOP_MAX_CPS chunks a second, so an idle master with
// millions of chunks stays idle. Chunks touched by an event (a copy lost, a goal change, a
// chunkserver gone...) need not wait for the loop: they are queued for attention and come
// first in the next tick, within the same per-tick bound. Chunks waiting for a time (a
// write lock's end) are queued for attention when it comes.
// What the loop's visits of a pass did is kept for mfscli -SIL (CHUNKSTEST_INFO, spec 40
// B.3.8); visits for events are not counted, as 3.0.117 counts only its loop.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
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

// What the chunk manager did with the chunks it visited, as CHUNKSTEST_INFO reports it:
// copies deleted, or left for a later visit by the deletion limit ("nodel"), replications
// started, or not for want of a server or of room under the limits ("nocopy").
struct ChunkLoopCounters {
  uint32_t deleted_invalid = 0, kept_invalid = 0;    // wrong-version or damaged copies
  uint32_t deleted_unused = 0, kept_unused = 0;      // copies of chunks no file references
  uint32_t deleted_disk_clean = 0, kept_disk_clean = 0;
  uint32_t deleted_overgoal = 0, kept_overgoal = 0;  // surplus copies
  uint32_t copied_undergoal = 0, not_copied_undergoal = 0;
  uint32_t copied_wrong_labels = 0, not_copied_wrong_labels = 0;
  uint32_t copied_rebalance = 0;
  uint32_t labels_dont_match = 0;  // misplaced copies no server with the labels could take
  uint32_t locked_unused = 0, locked_used = 0;  // chunks skipped under a write lock

  ChunkLoopCounters& operator+=(const ChunkLoopCounters& other);
  bool operator==(const ChunkLoopCounters&) const = default;
};

// A completed pass: its unix start and end times and what its visits did.
struct ChunkLoopPass {
  uint32_t start = 0;
  uint32_t end = 0;
  ChunkLoopCounters counters;
};

// The chunks to look at in one tick.
struct ChunkLoopTick {
  std::vector<uint64_t> attended;  // queued by events, oldest first
  std::vector<uint64_t> looped;    // the loop's slice
  // A pass over the table ended before looped[pass_end] (at its end if pass_end equals
  // looped.size()): what visits before it did belongs to the pass ending.
  std::optional<size_t> pass_end;
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

  // The chunks to look at in the tick at `now`: those attended, then the loop's next slice
  // of `table`; at most CHUNKS_LOOP_MAX_CPS together. Ids may be gone from the table by the
  // time they are looked at.
  ChunkLoopTick next_tick(const ChunkTable& table, uint32_t now);

  // What a visit of a looped chunk did, added to the pass under way.
  void count(const ChunkLoopCounters& counters) { current_.counters += counters; }
  // The pass under way ended at `now` (ChunkLoopTick::pass_end): it becomes last_pass()
  // and the next one starts.
  void end_pass(uint32_t now);
  const std::optional<ChunkLoopPass>& last_pass() const { return last_pass_; }

  size_t attention_size() const { return attention_.size(); }
  // Full passes over the chunk table completed so far.
  uint64_t passes() const { return passes_; }

 private:
  void take_loop_slice(const ChunkTable& table, size_t limit, uint32_t now, ChunkLoopTick& tick);

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
  ChunkLoopPass current_;  // start 0: no slice taken yet
  std::optional<ChunkLoopPass> last_pass_;
};

}  // namespace mfs::master
