#include "mfsmount/read_ahead.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace mfs::mount {
namespace {

std::vector<uint8_t> bytes(uint64_t offset, size_t size) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(offset + i);
  return out;
}

ReadAheadSettings small() { return ReadAheadSettings{1000, 100, 30}; }

// A read as FileData does it: from the window, or fetched (possibly ahead) and kept.
std::vector<uint8_t> read(ReadAhead& ahead, uint32_t inode, uint64_t offset, uint32_t size, int& fetches) {
  if (auto ready = ahead.take(inode, offset, size)) return *ready;
  uint32_t fetch = ahead.fetch_size(inode, offset, size);
  ++fetches;
  std::vector<uint8_t> data = bytes(offset, fetch);
  std::vector<uint8_t> wanted(data.begin(), data.begin() + size);
  ahead.keep(inode, offset, std::move(data), size);
  return wanted;
}

TEST(ReadAhead, SequentialReadsAreFetchedAheadAfterTheTrigger) {
  ReadAhead ahead(small());
  int fetches = 0;
  for (uint64_t offset = 0; offset < 1000; offset += 10) {
    ASSERT_EQ(read(ahead, 1, offset, 10, fetches), bytes(offset, 10)) << offset;
  }
  // 3 reads of 10 before the trigger (30 bytes), then one fetch of 100 per 100 bytes.
  EXPECT_LT(fetches, 15);
  EXPECT_GE(fetches, 10);
}

TEST(ReadAhead, RandomReadsAreNotReadAhead) {
  ReadAhead ahead(small());
  EXPECT_FALSE(ahead.take(1, 5u << 20, 10));
  EXPECT_EQ(ahead.fetch_size(1, 5u << 20, 10), 10u);
  EXPECT_FALSE(ahead.take(1, 90u << 20, 10));
  EXPECT_FALSE(ahead.take(1, 1, 10));
  EXPECT_EQ(ahead.fetch_size(1, 1, 10), 10u);
}

TEST(ReadAhead, WindowsStayWithinTheBudget) {
  ReadAhead ahead(ReadAheadSettings{250, 100, 0});
  int fetches = 0;
  for (uint32_t inode = 1; inode <= 5; ++inode) read(ahead, inode, 0, 10, fetches);
  EXPECT_LE(ahead.kept_bytes(), 250u);
  EXPECT_EQ(ahead.kept_bytes(), 180u);  // two windows of 90; the oldest ones made room
  // The newest windows serve reads, the evicted ones not.
  EXPECT_TRUE(ahead.take(5, 10, 10));
  EXPECT_FALSE(ahead.take(1, 10, 10));
}

TEST(ReadAhead, ForgottenWindowsAreNotServed) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  int fetches = 0;
  read(ahead, 7, 0, 10, fetches);
  ahead.forget(7);
  EXPECT_FALSE(ahead.take(7, 10, 10));
  EXPECT_EQ(ahead.kept_bytes(), 0u);
  read(ahead, 8, 0, 10, fetches);
  ahead.forget_all();
  EXPECT_FALSE(ahead.take(8, 10, 10));
}

TEST(ReadAhead, ShortFetchesAtTheEndOfAFile) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  ahead.take(1, 0, 10);
  ASSERT_EQ(ahead.fetch_size(1, 0, 10), 100u);
  ahead.keep(1, 0, bytes(0, 8), 10);  // the file ended before the request did
  EXPECT_EQ(ahead.kept_bytes(), 0u);
  ASSERT_EQ(ahead.fetch_size(1, 0, 10), 100u);
  ahead.keep(1, 0, bytes(0, 40), 10);
  EXPECT_EQ(ahead.take(1, 10, 30), bytes(10, 30));
  EXPECT_FALSE(ahead.take(1, 30, 20));  // past what was fetched
}

TEST(ReadAhead, ReadsDuringAFetchWaitForIt) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  ASSERT_FALSE(ahead.take(1, 0, 10));
  ASSERT_EQ(ahead.fetch_size(1, 0, 10), 100u);
  EXPECT_EQ(ahead.fetch_size(1, 0, 10), 10u);  // one fetch ahead at a time
  std::optional<std::vector<uint8_t>> waited;
  std::thread reader([&] { waited = ahead.take(1, 50, 10); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ahead.keep(1, 0, bytes(0, 100), 10);
  reader.join();
  ASSERT_TRUE(waited);
  EXPECT_EQ(*waited, bytes(50, 10));
  // Outside the range under way: no waiting.
  ASSERT_EQ(ahead.fetch_size(1, 100, 10), 100u);
  EXPECT_FALSE(ahead.take(1, 500, 10));
  ahead.fetch_failed(1);
  EXPECT_FALSE(ahead.take(1, 150, 10));  // the failed fetch kept nothing
}

TEST(ReadAhead, AFetchOfAForgottenInodeIsNotKept) {
  ReadAhead ahead(ReadAheadSettings{1000, 100, 0});
  ahead.take(1, 0, 10);
  ASSERT_EQ(ahead.fetch_size(1, 0, 10), 100u);
  std::optional<std::vector<uint8_t>> waited = std::vector<uint8_t>{};
  std::thread reader([&] { waited = ahead.take(1, 20, 10); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ahead.forget(1);  // e.g. a write while the data was on its way
  reader.join();
  EXPECT_FALSE(waited);
  ahead.keep(1, 0, bytes(0, 100), 10);
  EXPECT_EQ(ahead.kept_bytes(), 0u);
}

TEST(ReadAhead, ZeroBudgetMeansNoReadAhead) {
  ReadAhead ahead(ReadAheadSettings{0, 100, 0});
  EXPECT_FALSE(ahead.take(1, 0, 10));
  EXPECT_EQ(ahead.fetch_size(1, 10, 10), 10u);
}

}  // namespace
}  // namespace mfs::mount
