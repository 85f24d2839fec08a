#include "mfsmount/read_ahead.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <utility>
#include <vector>

namespace mfs::mount {
namespace {

std::vector<uint8_t> bytes(uint64_t offset, size_t size) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(offset + i);
  return out;
}

ReadAheadSettings small() { return ReadAheadSettings{1000, 100, 30}; }

void fetch_ahead_now(ReadAhead& ahead, uint32_t inode, int& fetches_ahead) {
  if (std::optional<ReadAhead::Fetch> fetch = ahead.fetch_ahead(inode)) {
    ++fetches_ahead;
    ahead.keep(inode, *fetch, bytes(fetch->offset, fetch->size), 0);
  }
}

// A read as FileData does it, with the fetches ahead done at once: from the kept bytes, or
// fetched (a window when the stream earned it) and kept.
std::vector<uint8_t> read(ReadAhead& ahead, uint32_t inode, uint64_t offset, uint32_t size, int& misses,
                          int& fetches_ahead) {
  if (auto ready = ahead.take(inode, offset, size)) {
    fetch_ahead_now(ahead, inode, fetches_ahead);
    return *ready;
  }
  ++misses;
  std::optional<ReadAhead::Fetch> fetch = ahead.fetch_on_miss(inode, offset, size);
  if (!fetch) return bytes(offset, size);
  std::vector<uint8_t> data = bytes(offset, fetch->size);
  std::vector<uint8_t> wanted(data.begin(), data.begin() + size);
  ahead.keep(inode, *fetch, std::move(data), size);
  fetch_ahead_now(ahead, inode, fetches_ahead);
  return wanted;
}

std::vector<uint8_t> read(ReadAhead& ahead, uint32_t inode, uint64_t offset, uint32_t size, int& misses) {
  int fetches_ahead = 0;
  return read(ahead, inode, offset, size, misses, fetches_ahead);
}

TEST(ReadAhead, SequentialReadsAreFetchedAheadAfterTheTrigger) {
  ReadAhead ahead(small());
  int misses = 0;
  int fetches_ahead = 0;
  for (uint64_t offset = 0; offset < 1000; offset += 10) {
    ASSERT_EQ(read(ahead, 1, offset, 10, misses, fetches_ahead), bytes(offset, 10)) << offset;
  }
  // The third read of 10 reaches the trigger (30 bytes) and fetches a window, to 120; every
  // later read finds its bytes fetched ahead. The fetches ahead grow from 100 to 400 bytes
  // and each starts once it fits in the budget (1000) beside the bytes the reader has not
  // finished: 5 of them, to 1620.
  EXPECT_EQ(misses, 3);
  EXPECT_EQ(fetches_ahead, 5);
}

// Inode 1 read at 0 with a miss that fetched [0, 100) and kept [10, 100); returns the fetch
// ahead that follows.
std::optional<ReadAhead::Fetch> first_window_then_fetch_ahead(ReadAhead& ahead) {
  ahead.take(1, 0, 10);
  std::optional<ReadAhead::Fetch> on_miss = ahead.fetch_on_miss(1, 0, 10);
  if (!on_miss) return std::nullopt;
  ahead.keep(1, *on_miss, bytes(0, 100), 10);
  return ahead.fetch_ahead(1);
}

using Fetches = std::vector<std::pair<uint64_t, uint32_t>>;  // (offset, size) of each

// The fetches ahead that follow until none is due, each kept at once.
Fetches fetch_ahead_until_enough(ReadAhead& ahead, std::optional<ReadAhead::Fetch> next) {
  Fetches fetched;
  while (next) {
    EXPECT_FALSE(ahead.fetch_ahead(1));  // one fetch at a time
    fetched.emplace_back(next->offset, next->size);
    ahead.keep(1, *next, bytes(next->offset, next->size), 0);
    next = ahead.fetch_ahead(1);
  }
  return fetched;
}

TEST(ReadAhead, FetchesAheadGrowToFourWindowsAndStayTwoFetchesAheadOfTheReader) {
  ReadAhead ahead(ReadAheadSettings{10000, 100, 0});
  // Until 1200: 1190 bytes ahead of the reader at 10, more than two fetches of 400.
  EXPECT_EQ(fetch_ahead_until_enough(ahead, first_window_then_fetch_ahead(ahead)),
            (Fetches{{100, 100}, {200, 200}, {400, 400}, {800, 400}}));
  EXPECT_EQ(ahead.kept_bytes(), 1190u);
  // A read across the kept pieces is served whole; the reader, now at 405, is less than two
  // fetches behind their end.
  EXPECT_EQ(ahead.take(1, 95, 310), bytes(95, 310));
  std::optional<ReadAhead::Fetch> next = ahead.fetch_ahead(1);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->offset, 1200u);
  EXPECT_EQ(next->size, 400u);
}

TEST(ReadAhead, FetchesAheadGrowOnlyWhileTwoFitInTheBudget) {
  ReadAhead ahead(ReadAheadSettings{300, 100, 0});
  EXPECT_EQ(fetch_ahead_until_enough(ahead, first_window_then_fetch_ahead(ahead)), (Fetches{{100, 100}}));
  // The second fetch of 150 did not fit beside the first's 190 unread bytes; once read, the
  // finished pieces make room.
  EXPECT_EQ(ahead.take(1, 10, 190), bytes(10, 190));  // the reader at 200
  EXPECT_EQ(fetch_ahead_until_enough(ahead, ahead.fetch_ahead(1)), (Fetches{{200, 150}, {350, 150}}));
  EXPECT_LE(ahead.kept_bytes(), 300u);
}

TEST(ReadAhead, AReadOutOfSequenceStartsTheFetchesAheadAgainAtOneWindow) {
  ReadAhead ahead(ReadAheadSettings{10000, 100, 0});
  fetch_ahead_until_enough(ahead, first_window_then_fetch_ahead(ahead));
  constexpr uint64_t kFarAway = 5u << 20;  // beyond what counts as in sequence
  EXPECT_FALSE(ahead.take(1, kFarAway, 10));
  std::optional<ReadAhead::Fetch> on_miss = ahead.fetch_on_miss(1, kFarAway, 10);
  ASSERT_TRUE(on_miss);
  ahead.keep(1, *on_miss, bytes(kFarAway, 100), 10);
  EXPECT_EQ(fetch_ahead_until_enough(ahead, ahead.fetch_ahead(1)),
            (Fetches{{kFarAway + 100, 100}, {kFarAway + 200, 200}, {kFarAway + 400, 400}, {kFarAway + 800, 400}}));
}

TEST(ReadAhead, ReadsReachingIntoAFetchAheadWaitForIt) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  std::optional<ReadAhead::Fetch> next = first_window_then_fetch_ahead(ahead);
  ASSERT_TRUE(next);
  std::optional<std::vector<uint8_t>> waited;
  std::thread reader([&] { waited = ahead.take(1, 95, 10); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ahead.keep(1, *next, bytes(100, 100), 0);
  reader.join();
  ASSERT_TRUE(waited);
  EXPECT_EQ(*waited, bytes(95, 10));
}

TEST(ReadAhead, NoFetchAheadPastWhereTheFileEnded) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  std::optional<ReadAhead::Fetch> next = first_window_then_fetch_ahead(ahead);
  ASSERT_TRUE(next);
  ahead.keep(1, *next, bytes(100, 30), 0);  // the file ends at 130
  EXPECT_FALSE(ahead.fetch_ahead(1));
  EXPECT_EQ(ahead.take(1, 120, 10), bytes(120, 10));
  EXPECT_FALSE(ahead.fetch_ahead(1));
}

TEST(ReadAhead, BytesFarBehindTheReaderAreDropped) {
  constexpr uint32_t kMiB = 1u << 20;
  ReadAhead ahead(ReadAheadSettings{64 * kMiB, kMiB, 0});
  int misses = 0;
  int fetches_ahead = 0;
  size_t most_kept = 0;
  for (uint64_t offset = 0; offset < 48 * kMiB; offset += 128 * 1024) {
    read(ahead, 1, offset, 128 * 1024, misses, fetches_ahead);
    most_kept = std::max(most_kept, ahead.kept_bytes());
  }
  EXPECT_EQ(misses, 1);
  // The fetch (up to 4 MiB) the reader is in, up to one within the slack behind it, two
  // ahead; without the drops the kept bytes would fill the budget.
  EXPECT_LE(most_kept, 16u * kMiB);
}

TEST(ReadAhead, AFetchOfAnEarlierStreamIsNotKept) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  ahead.take(1, 0, 10);
  std::optional<ReadAhead::Fetch> stale = ahead.fetch_on_miss(1, 0, 10);
  ASSERT_TRUE(stale);
  ahead.forget(1);  // e.g. a write while the data was on its way
  ahead.take(1, 0, 10);
  std::optional<ReadAhead::Fetch> current = ahead.fetch_on_miss(1, 0, 10);
  ASSERT_TRUE(current);
  ahead.keep(1, *stale, std::vector<uint8_t>(100, 0xee), 10);
  EXPECT_EQ(ahead.kept_bytes(), 0u);
  ahead.keep(1, *current, bytes(0, 100), 10);
  EXPECT_EQ(ahead.take(1, 10, 10), bytes(10, 10));
}

TEST(ReadAhead, RandomReadsAreNotReadAhead) {
  ReadAhead ahead(small());
  EXPECT_FALSE(ahead.take(1, 5u << 20, 10));
  EXPECT_FALSE(ahead.fetch_on_miss(1, 5u << 20, 10));
  EXPECT_FALSE(ahead.take(1, 90u << 20, 10));
  EXPECT_FALSE(ahead.take(1, 1, 10));
  EXPECT_FALSE(ahead.fetch_on_miss(1, 1, 10));
}

TEST(ReadAhead, WindowsStayWithinTheBudget) {
  ReadAhead ahead(ReadAheadSettings{250, 100, 0});
  for (uint32_t inode = 1; inode <= 5; ++inode) {
    ahead.take(inode, 0, 10);
    std::optional<ReadAhead::Fetch> fetch = ahead.fetch_on_miss(inode, 0, 10);
    ASSERT_TRUE(fetch);
    ahead.keep(inode, *fetch, bytes(0, 100), 10);
  }
  EXPECT_LE(ahead.kept_bytes(), 250u);
  EXPECT_EQ(ahead.kept_bytes(), 180u);  // two windows of 90; the oldest ones made room
  // The newest windows serve reads, the evicted ones not.
  EXPECT_TRUE(ahead.take(5, 10, 10));
  EXPECT_FALSE(ahead.take(1, 10, 10));
}

TEST(ReadAhead, AStreamBeyondTheBudgetDropsItsOldestPiecesFirst) {
  ReadAhead ahead(ReadAheadSettings{250, 100, 0});
  int misses = 0;
  int fetches_ahead = 0;
  for (uint64_t offset = 0; offset < 1000; offset += 10) {
    ASSERT_EQ(read(ahead, 1, offset, 10, misses, fetches_ahead), bytes(offset, 10)) << offset;
    ASSERT_LE(ahead.kept_bytes(), 250u);
  }
  EXPECT_EQ(misses, 1);
}

TEST(ReadAhead, ForgottenWindowsAreNotServed) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  int misses = 0;
  read(ahead, 7, 0, 10, misses);
  ahead.forget(7);
  EXPECT_FALSE(ahead.take(7, 10, 10));
  EXPECT_EQ(ahead.kept_bytes(), 0u);
  read(ahead, 8, 0, 10, misses);
  ahead.forget_all();
  EXPECT_FALSE(ahead.take(8, 10, 10));
}

TEST(ReadAhead, ShortFetchesAtTheEndOfAFile) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  ahead.take(1, 0, 10);
  std::optional<ReadAhead::Fetch> fetch = ahead.fetch_on_miss(1, 0, 10);
  ASSERT_TRUE(fetch);
  EXPECT_EQ(fetch->size, 100u);
  ahead.keep(1, *fetch, bytes(0, 8), 10);  // the file ended before the request did
  EXPECT_EQ(ahead.kept_bytes(), 0u);
  fetch = ahead.fetch_on_miss(1, 0, 10);
  ASSERT_TRUE(fetch);
  ahead.keep(1, *fetch, bytes(0, 40), 10);
  EXPECT_EQ(ahead.take(1, 10, 30), bytes(10, 30));
  EXPECT_FALSE(ahead.take(1, 30, 20));  // past what was fetched
}

TEST(ReadAhead, ReadsDuringAFetchWaitForIt) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  ASSERT_FALSE(ahead.take(1, 0, 10));
  std::optional<ReadAhead::Fetch> fetch = ahead.fetch_on_miss(1, 0, 10);
  ASSERT_TRUE(fetch);
  EXPECT_FALSE(ahead.fetch_on_miss(1, 0, 10));  // one fetch at a time
  std::optional<std::vector<uint8_t>> waited;
  std::thread reader([&] { waited = ahead.take(1, 50, 10); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ahead.keep(1, *fetch, bytes(0, 100), 10);
  reader.join();
  ASSERT_TRUE(waited);
  EXPECT_EQ(*waited, bytes(50, 10));
  // Outside the range under way: no waiting.
  fetch = ahead.fetch_on_miss(1, 300, 10);
  ASSERT_TRUE(fetch);
  EXPECT_FALSE(ahead.take(1, 500, 10));
  ahead.fetch_failed(1, *fetch);
  EXPECT_FALSE(ahead.take(1, 150, 10));  // the failed fetch kept nothing
}

TEST(ReadAhead, AFetchOfAForgottenInodeIsNotKept) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  ahead.take(1, 0, 10);
  std::optional<ReadAhead::Fetch> fetch = ahead.fetch_on_miss(1, 0, 10);
  ASSERT_TRUE(fetch);
  std::optional<std::vector<uint8_t>> waited = std::vector<uint8_t>{};
  std::thread reader([&] { waited = ahead.take(1, 20, 10); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ahead.forget(1);  // e.g. a write while the data was on its way
  reader.join();
  EXPECT_FALSE(waited);
  ahead.keep(1, *fetch, bytes(0, 100), 10);
  EXPECT_EQ(ahead.kept_bytes(), 0u);
}

TEST(ReadAhead, ZeroBudgetMeansNoReadAhead) {
  ReadAhead ahead(ReadAheadSettings{0, 100, 0});
  EXPECT_FALSE(ahead.take(1, 0, 10));
  EXPECT_FALSE(ahead.fetch_on_miss(1, 10, 10));
  EXPECT_FALSE(ahead.fetch_ahead(1));
}

}  // namespace
}  // namespace mfs::mount
