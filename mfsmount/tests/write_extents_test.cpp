#include "mfsmount/write_extents.h"

#include <gtest/gtest.h>

namespace mfs::mount {
namespace {

std::vector<uint8_t> bytes(size_t size, uint8_t value) { return std::vector<uint8_t>(size, value); }

TEST(WriteExtents, SeparateExtentsStaySeparate) {
  WriteExtents extents;
  extents.add(0, bytes(10, 1));
  extents.add(20, bytes(10, 2));
  EXPECT_EQ(extents.extents().size(), 2u);
  EXPECT_EQ(extents.bytes(), 20u);
  EXPECT_EQ(extents.end(), 30u);
}

TEST(WriteExtents, TouchingAndOverlappingMerge) {
  WriteExtents extents;
  extents.add(10, bytes(10, 1));
  extents.add(20, bytes(5, 2));   // touches the end
  extents.add(5, bytes(5, 3));    // touches the start
  extents.add(12, bytes(2, 4));   // inside: overrides
  ASSERT_EQ(extents.extents().size(), 1u);
  const auto& [offset, data] = *extents.extents().begin();
  EXPECT_EQ(offset, 5u);
  ASSERT_EQ(data.size(), 20u);
  std::vector<uint8_t> expected = {3, 3, 3, 3, 3, 1, 1, 4, 4, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2};
  EXPECT_EQ(data, expected);
  EXPECT_EQ(extents.bytes(), 20u);
}

TEST(WriteExtents, AppendsGrowTheLastExtentUntilTheyReachTheNextOne) {
  WriteExtents extents;
  extents.add(0, bytes(4, 1));
  extents.add(10, bytes(2, 9));
  extents.add(4, bytes(3, 2));  // appended in place
  ASSERT_EQ(extents.extents().size(), 2u);
  extents.add(7, bytes(3, 3));  // appended, and now touches the extent at 10: merged
  ASSERT_EQ(extents.extents().size(), 1u);
  std::vector<uint8_t> expected = {1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 9, 9};
  EXPECT_EQ(extents.extents().begin()->second, expected);
  EXPECT_EQ(extents.bytes(), 12u);
}

TEST(WriteExtents, OneWriteCoversSeveralExtents) {
  WriteExtents extents;
  extents.add(0, bytes(2, 1));
  extents.add(4, bytes(2, 2));
  extents.add(8, bytes(2, 3));
  extents.add(1, bytes(8, 9));
  ASSERT_EQ(extents.extents().size(), 1u);
  EXPECT_EQ(extents.extents().begin()->second, (std::vector<uint8_t>{1, 9, 9, 9, 9, 9, 9, 9, 9, 3}));
  EXPECT_EQ(extents.bytes(), 10u);
}

TEST(WriteExtents, TakeEmpties) {
  WriteExtents extents;
  extents.add(0, bytes(3, 1));
  auto taken = extents.take();
  EXPECT_EQ(taken.size(), 1u);
  EXPECT_TRUE(extents.empty());
  EXPECT_EQ(extents.bytes(), 0u);
  EXPECT_EQ(extents.end(), 0u);
}

TEST(WriteExtents, SplitAtBlockAndChunkBoundaries) {
  WriteExtents extents;
  constexpr uint64_t kChunk = 64ull << 20;
  extents.add(65536 - 10, bytes(20, 1));   // crosses a block boundary
  extents.add(kChunk - 5, bytes(10, 2));   // crosses a chunk boundary
  auto pieces = split_into_blocks(extents.extents());
  ASSERT_EQ(pieces.size(), 4u);
  EXPECT_EQ(pieces[0].chunk_index, 0u);
  EXPECT_EQ(pieces[0].chunk_offset, 65536u - 10);
  EXPECT_EQ(pieces[0].data.size(), 10u);
  EXPECT_EQ(pieces[1].chunk_offset, 65536u);
  EXPECT_EQ(pieces[1].data.size(), 10u);
  EXPECT_EQ(pieces[2].chunk_index, 0u);
  EXPECT_EQ(pieces[2].chunk_offset, kChunk - 5);
  EXPECT_EQ(pieces[3].chunk_index, 1u);
  EXPECT_EQ(pieces[3].chunk_offset, 0u);
  EXPECT_EQ(pieces[3].data.size(), 5u);
}

}  // namespace
}  // namespace mfs::mount
