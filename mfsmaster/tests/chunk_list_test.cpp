#include "mfsmaster/chunk_list.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

namespace mfs::master {
namespace {

// Every slot that holds no chunk reads zero, whatever the table went through.
TEST(ChunkList, SlotsGivenUpReadZeroWhenTheTableGrowsAgain) {
  ChunkList chunks{1, 2, 3, 4};
  chunks.pop_back();
  chunks.resize(2);
  chunks.resize(5);
  EXPECT_EQ(chunks, (ChunkList{1, 2, 0, 0, 0}));
  chunks.erase(chunks.begin());
  chunks.resize(6);
  EXPECT_EQ(chunks, (ChunkList{2, 0, 0, 0, 0, 0}));
  chunks.clear();
  chunks.resize(3);
  EXPECT_EQ(chunks, (ChunkList{0, 0, 0}));
  chunks[1] = 7;
  chunks.insert(chunks.begin(), 9);
  chunks.push_back(0);
  EXPECT_EQ(chunks, (ChunkList{9, 0, 7, 0, 0}));
  ChunkList copy = chunks;
  copy.resize(2);
  copy.resize(4);
  EXPECT_EQ(copy, (ChunkList{9, 0, 0, 0}));
  copy.assign(3, 5);
  EXPECT_EQ(copy, (ChunkList{5, 5, 5}));
}

#if !defined(__SANITIZE_ADDRESS__)
size_t resident_bytes() {
  size_t pages = 0, resident = 0;
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  if (std::fscanf(statm, "%zu %zu", &pages, &resident) != 2) resident = 0;
  std::fclose(statm);
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

// A file written at 2^53 has a table of 2^27 slots, 1 GiB; only the pages of chunks may
// become memory, when the table grows, is copied or is cut back. (ASan's allocator and
// shadow memory make its figures meaningless.)
TEST(ChunkList, HolesCostNoMemory) {
  constexpr size_t kSlots = size_t{1} << 27;
  constexpr size_t kLimit = size_t{64} << 20;
  const size_t before = resident_bytes();
  ChunkList chunks;
  chunks.resize(kSlots);
  chunks.back() = 11;
  chunks[3] = 12;
  EXPECT_LT(resident_bytes() - before, kLimit);
  chunks.push_back(13);  // grows: moves the table to a bigger buffer
  EXPECT_LT(resident_bytes() - before, kLimit);
  ChunkList copy = chunks;
  EXPECT_LT(resident_bytes() - before, kLimit);
  EXPECT_EQ(copy[kSlots - 1], 11u);
  EXPECT_EQ(copy[kSlots], 13u);
  EXPECT_EQ(copy[kSlots / 2], 0u);
  copy.resize(4);
  copy.shrink_to_fit();
  EXPECT_EQ(copy, (ChunkList{0, 0, 0, 12}));
  EXPECT_LT(resident_bytes() - before, kLimit);
}
#endif

}  // namespace
}  // namespace mfs::master
