// The chunk loop's pacing: a pass over the chunk table takes CHUNKS_LOOP_MIN_TIME ticks,
// no tick visits more than CHUNKS_LOOP_MAX_CPS chunks, the cursor wraps and survives
// chunks coming and going, and attended chunks come first.
#include "mfsmaster/chunk_loop.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>

namespace mfs::master {
namespace {

ChunkTable table_of(uint64_t first, uint64_t count) {
  ChunkTable table;
  for (uint64_t id = first; id < first + count; ++id) table.add(id, 1, 0);
  return table;
}

ChunkLoop loop_with(uint32_t min_time, uint32_t max_cps) {
  ChunkLoop loop;
  loop.configure({min_time, max_cps});
  return loop;
}

// Every chunk of a tick, attended first.
std::vector<uint64_t> all(const ChunkLoopTick& tick) {
  std::vector<uint64_t> chunks = tick.attended;
  chunks.insert(chunks.end(), tick.looped.begin(), tick.looped.end());
  return chunks;
}

// How often each chunk is visited in `ticks` ticks from `now`.
std::map<uint64_t, int> visits(ChunkLoop& loop, const ChunkTable& table, uint32_t ticks, uint32_t now = 1000) {
  std::map<uint64_t, int> seen;
  for (uint32_t tick = 0; tick < ticks; ++tick) {
    for (uint64_t id : all(loop.next_tick(table, now + tick))) ++seen[id];
  }
  return seen;
}

TEST(ChunkLoopOptionsTest, DefaultsAndClamping) {
  ChunkLoopOptions defaults = read_chunk_loop_options(ConfigFile::parse(""));
  EXPECT_EQ(defaults.min_time, 300u);
  EXPECT_EQ(defaults.max_cps, 100000u);

  ChunkLoopOptions low = read_chunk_loop_options(ConfigFile::parse("CHUNKS_LOOP_MIN_TIME = 1\nCHUNKS_LOOP_MAX_CPS = 0\n"));
  EXPECT_EQ(low.min_time, 60u);  // "CHUNKS_LOOP_MIN_TIME value too low (1) increased to 60"
  EXPECT_EQ(low.max_cps, 1u);

  ChunkLoopOptions set =
      read_chunk_loop_options(ConfigFile::parse("CHUNKS_LOOP_MIN_TIME = 60\nCHUNKS_LOOP_MAX_CPS = 99999999999\n"));
  EXPECT_EQ(set.min_time, 60u);
  EXPECT_EQ(set.max_cps, UINT32_MAX);
}

TEST(ChunkLoopTest, APassVisitsEveryChunkOnceInMinTimeTicks) {
  ChunkTable table = table_of(1, 600);
  ChunkLoop first_tick = loop_with(300, 100000);
  EXPECT_EQ(all(first_tick.next_tick(table, 1000)).size(), 2u);  // 600 chunks in 300 s

  ChunkLoop loop = loop_with(300, 100000);
  auto pass = visits(loop, table, 300);
  EXPECT_EQ(pass.size(), 600u);
  for (const auto& [id, count] : pass) EXPECT_EQ(count, 1) << id;
  auto next = visits(loop, table, 300, 1300);
  EXPECT_EQ(next.size(), 600u);
  EXPECT_GE(loop.passes(), 1u);
}

TEST(ChunkLoopTest, FewChunksAreStillVisitedOnlyOncePerMinTime) {
  ChunkTable table = table_of(1, 10);
  ChunkLoop loop = loop_with(60, 100000);
  auto first = visits(loop, table, 60);
  EXPECT_EQ(first.size(), 10u);
  for (const auto& [id, count] : first) EXPECT_EQ(count, 1) << id;
  // One chunk every 6 ticks, not all at once.
  ChunkLoop fresh = loop_with(60, 100000);
  EXPECT_TRUE(all(fresh.next_tick(table, 1)).empty());
  EXPECT_EQ(visits(fresh, table, 6, 2).size(), 1u);
}

TEST(ChunkLoopTest, MaxCpsCapsTheSlice) {
  ChunkTable table = table_of(1, 1000);
  ChunkLoop loop = loop_with(60, 5);  // 1000 chunks in 60 s would be 17 a second
  for (uint32_t tick = 0; tick < 10; ++tick) EXPECT_EQ(all(loop.next_tick(table, tick)).size(), 5u);
  // Reconfigured on reload: the new pace applies at once.
  loop.configure({60, 100000});
  EXPECT_LE(all(loop.next_tick(table, 10)).size(), 34u);  // at most one tick of catching up
}

TEST(ChunkLoopTest, CursorWrapsAndSurvivesChunksComingAndGoing) {
  ChunkTable table = table_of(1, 120);
  ChunkLoop loop = loop_with(60, 100000);
  visits(loop, table, 30);  // half a pass
  for (uint64_t id = 1; id <= 120; id += 2) table.remove(id);
  for (uint64_t id = 1000; id < 5000; ++id) table.add(id, 1, 0);  // grows the table: rehash
  // Every chunk there now is visited within two passes, none more than twice.
  auto seen = visits(loop, table, 120, 2000);
  for (const auto& [id, chunk] : table.all()) EXPECT_GE(seen[id], 1) << id;
  for (const auto& [id, count] : seen) EXPECT_LE(count, 2) << id;
  EXPECT_GE(loop.passes(), 1u);

  ChunkTable empty;
  EXPECT_TRUE(all(loop.next_tick(empty, 3000)).empty());
}

TEST(ChunkLoopTest, AttendedChunksComeFirstOnceEachWithinTheBound) {
  ChunkTable table = table_of(1, 100000);
  ChunkLoop loop = loop_with(60, 4);
  for (uint64_t id : {7, 9, 7, 11, 13, 15, 17}) loop.attend(id);
  EXPECT_EQ(loop.attention_size(), 6u);
  EXPECT_EQ(all(loop.next_tick(table, 1)), (std::vector<uint64_t>{7, 9, 11, 13}));
  std::vector<uint64_t> second = all(loop.next_tick(table, 2));
  ASSERT_EQ(second.size(), 4u);  // the two left, then the loop's slice
  EXPECT_EQ(second[0], 15u);
  EXPECT_EQ(second[1], 17u);
  EXPECT_EQ(loop.attention_size(), 0u);
}

TEST(ChunkLoopTest, ChunksAttendedAtATimeComeWhenItComes) {
  ChunkTable table;
  ChunkLoop loop = loop_with(60, 100000);
  loop.attend_at(5, 100);
  loop.attend_at(5, 100);
  loop.attend_at(6, 200);
  EXPECT_TRUE(all(loop.next_tick(table, 99)).empty());
  EXPECT_EQ(all(loop.next_tick(table, 100)), (std::vector<uint64_t>{5}));
  EXPECT_TRUE(all(loop.next_tick(table, 150)).empty());
  EXPECT_EQ(all(loop.next_tick(table, 250)), (std::vector<uint64_t>{6}));
}

TEST(ChunkLoopTest, APassEndsOnceEveryChunkWasLoopedAndKeepsWhatItsVisitsDid) {
  ChunkTable table = table_of(1, 120);
  ChunkLoop loop = loop_with(60, 100000);
  loop.attend(7);
  size_t looped = 0;
  uint32_t now = 1000;
  std::optional<size_t> pass_end;
  for (; !pass_end; ++now) {
    ChunkLoopTick tick = loop.next_tick(table, now);
    EXPECT_FALSE(loop.last_pass().has_value());
    pass_end = tick.pass_end;
    looped += pass_end ? *pass_end : tick.looped.size();
    for (size_t i = 0; i < (pass_end ? *pass_end : tick.looped.size()); ++i) loop.count({.not_copied_undergoal = 1});
  }
  EXPECT_EQ(looped, 120u) << "the attended chunk is not part of the pass";
  loop.end_pass(now);
  ASSERT_TRUE(loop.last_pass().has_value());
  EXPECT_EQ(loop.last_pass()->start, 1000u);
  EXPECT_EQ(loop.last_pass()->end, now);
  EXPECT_EQ(loop.last_pass()->counters, ChunkLoopCounters{.not_copied_undergoal = 120});

  loop.count({.deleted_unused = 2});
  loop.end_pass(now + 60);
  EXPECT_EQ(loop.last_pass()->start, now) << "passes follow each other";
  EXPECT_EQ(loop.last_pass()->counters, ChunkLoopCounters{.deleted_unused = 2});
}

TEST(ChunkLoopTest, APassOfFewChunksEndsWithItsLastChunk) {
  ChunkTable table = table_of(1, 4);  // a chunk every 15 ticks, in a table of many buckets
  ChunkLoop loop = loop_with(60, 100000);
  uint32_t ticks = 0;
  for (uint32_t now = 1000; loop.passes() < 3 && ticks < 1000; ++now, ++ticks) loop.next_tick(table, now);
  EXPECT_LE(ticks, 3u * 60 + 1) << "empty buckets after the last chunk must not cost a slice";
  EXPECT_GE(ticks, 3u * 60 - 1);
}

}  // namespace
}  // namespace mfs::master
