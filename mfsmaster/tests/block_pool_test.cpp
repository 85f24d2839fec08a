#include "mfsmaster/block_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <unordered_set>
#include <vector>

namespace mfs::master {
namespace {

TEST(BlockPoolTest, BlocksAreDistinctAlignedAndReusedAfterRelease) {
  BlockPool pool(13);
  EXPECT_EQ(pool.block_size(), 16u);
  std::set<void*> seen;
  std::vector<void*> blocks;
  for (int i = 0; i < 5000; ++i) {  // several slabs
    void* block = pool.allocate();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % alignof(void*), 0u);
    EXPECT_TRUE(seen.insert(block).second) << "block handed out twice";
    std::memset(block, 0xAB, pool.block_size());
    blocks.push_back(block);
  }
  pool.release(blocks[10]);
  pool.release(blocks[20]);
  EXPECT_EQ(pool.allocate(), blocks[20]);  // the last released first
  EXPECT_EQ(pool.allocate(), blocks[10]);
  EXPECT_TRUE(seen.count(pool.allocate()) == 0) << "a block still in use was handed out";
}

TEST(BlockPoolTest, BlocksMadeOneAfterTheOtherLieSideBySide) {
  BlockPool pool(136);
  auto* first = static_cast<std::byte*>(pool.allocate());
  auto* second = static_cast<std::byte*>(pool.allocate());
  EXPECT_EQ(second - first, 136);
}

TEST(PoolAllocatorTest, AHashSetKeepsItsElementsThroughGrowthErasuresAndMoves) {
  using Set = std::unordered_set<uint64_t, std::hash<uint64_t>, std::equal_to<>, PoolAllocator<uint64_t>>;
  Set numbers;
  for (uint64_t n = 0; n < 100000; ++n) numbers.insert(n * 7);
  for (uint64_t n = 0; n < 100000; n += 2) numbers.erase(n * 7);
  for (uint64_t n = 100000; n < 150000; ++n) numbers.insert(n * 7);  // reuses erased blocks
  Set moved = std::move(numbers);
  Set other;
  other.insert(1);
  other = std::move(moved);
  ASSERT_EQ(other.size(), 100000u);
  for (uint64_t n = 1; n < 100000; n += 2) ASSERT_TRUE(other.count(n * 7)) << n;
  for (uint64_t n = 100000; n < 150000; ++n) ASSERT_TRUE(other.count(n * 7)) << n;
  EXPECT_FALSE(other.count(1));
}

TEST(PoolAllocatorTest, EachDefaultConstructedAllocatorHasItsOwnPools) {
  PoolAllocator<uint64_t> one;
  PoolAllocator<uint64_t> two;
  PoolAllocator<uint32_t> rebound(one);
  EXPECT_FALSE(one == two);
  EXPECT_TRUE(one == rebound);
}

}  // namespace
}  // namespace mfs::master
