#include "mfsmaster/chunk_list.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace mfs::master {
namespace {

std::vector<ChunkList::Slot> chunks_of(const ChunkList& chunks) { return {chunks.begin(), chunks.end()}; }

TEST(ChunkList, HolesReadZeroAndAreNotWalked) {
  ChunkList chunks{0, 5, 0, 7, 0};
  EXPECT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0], 0u);
  EXPECT_EQ(chunks[1], 5u);
  EXPECT_EQ(chunks[3], 7u);
  EXPECT_EQ(chunks[4], 0u);
  EXPECT_EQ(chunks[uint64_t{1} << 40], 0u);
  EXPECT_EQ(chunks_of(chunks), (std::vector<ChunkList::Slot>{{1, 5}, {3, 7}}));
  EXPECT_EQ(chunks.chunk_count(), 2u);
  EXPECT_EQ(chunks_of(ChunkList{}), std::vector<ChunkList::Slot>{});
  EXPECT_TRUE(ChunkList{}.empty());
  EXPECT_FALSE(ChunkList{0}.empty());
}

// Equal tables compare equal however they were reached, trailing holes included.
TEST(ChunkList, TheSameTableIsEqualWhateverItWentThrough) {
  ChunkList chunks;
  chunks.set(3, 9);
  chunks.set(1, 4);
  chunks.set(3, 0);  // the last chunk goes; the table keeps its 4 slots
  EXPECT_EQ(chunks, (ChunkList{0, 4, 0, 0}));
  chunks.resize(6);
  EXPECT_EQ(chunks, (ChunkList{0, 4, 0, 0, 0, 0}));
  chunks.set(2, 8);
  EXPECT_EQ(chunks, (ChunkList{0, 4, 8, 0, 0, 0}));
  chunks.resize(2);
  EXPECT_EQ(chunks, (ChunkList{0, 4}));
  chunks.resize(4);
  chunks.drop_trailing_holes();
  EXPECT_EQ(chunks, (ChunkList{0, 4}));
  chunks.set(1, 0);
  chunks.drop_trailing_holes();
  EXPECT_EQ(chunks, ChunkList{});
}

TEST(ChunkList, AppendSliceCutsOrGrowsToTheBaseFirst) {
  const ChunkList source{1, 0, 3, 4, 0};
  ChunkList chunks{9, 8, 7};
  chunks.append_slice(source, 1, 4, 2);  // cut to 2 slots, then source slots 1..3
  EXPECT_EQ(chunks, (ChunkList{9, 8, 0, 3, 4}));
  chunks.append_slice(source, 3, 5, 7);  // grown with holes to 7, then slots 3..4
  EXPECT_EQ(chunks, (ChunkList{9, 8, 0, 3, 4, 0, 0, 4, 0}));
}

TEST(ChunkList, FromStartsAtTheFirstChunkAtOrAfterAnIndex) {
  const ChunkList chunks{0, 5, 0, 7, 0, 0};
  EXPECT_EQ(chunks.from(0)->index, 1u);
  EXPECT_EQ(chunks.from(2)->index, 3u);
  EXPECT_EQ(chunks.from(4), chunks.end());
  EXPECT_EQ(chunks.from(uint64_t{1} << 40), chunks.end());
}

// Random operations against a plain vector of all slots.
TEST(ChunkList, BehavesAsADenseTable) {
  std::mt19937 random(20261207);
  for (int round = 0; round < 200; ++round) {
    ChunkList chunks;
    std::vector<uint64_t> model;
    for (int step = 0; step < 60; ++step) {
      uint32_t index = random() % 40;
      switch (random() % 5) {
        case 0:
        case 1: {
          uint64_t id = random() % 3 == 0 ? 0 : 1 + random() % 1000;
          chunks.set(index, id);
          if (model.size() <= index) model.resize(index + 1, 0);
          model[index] = id;
          break;
        }
        case 2:
          chunks.resize(index);
          model.resize(index, 0);
          break;
        case 3:
          chunks.drop_trailing_holes();
          while (!model.empty() && model.back() == 0) model.pop_back();
          break;
        case 4: {
          ChunkList source = chunks;
          std::vector<uint64_t> source_model = model;
          uint32_t first = random() % 10;
          uint32_t end = first + random() % 10;
          chunks.append_slice(source, first, end, index);
          model.resize(index, 0);
          for (uint32_t i = first; i < end; ++i) model.push_back(i < source_model.size() ? source_model[i] : 0);
          break;
        }
      }
      ASSERT_EQ(chunks.size(), model.size());
      std::vector<ChunkList::Slot> expected;
      for (uint32_t i = 0; i < model.size(); ++i) {
        ASSERT_EQ(chunks[i], model[i]);
        if (model[i] != 0) expected.push_back({i, model[i]});
      }
      ASSERT_EQ(chunks_of(chunks), expected);
      ChunkList rebuilt;
      for (uint32_t i = 0; i < model.size(); ++i) rebuilt.set(i, model[i]);
      ASSERT_EQ(rebuilt, chunks);
    }
  }
}

// A write at the highest legal offset makes a table of 2^31 slots: it costs its one chunk.
TEST(ChunkList, AFarChunkCostsOnlyItself) {
  ChunkList chunks;
  chunks.set(0x7FFFFFFF, 11);
  chunks.set(2, 12);
  EXPECT_EQ(chunks.size(), uint32_t{1} << 31);
  EXPECT_LE(chunks.allocated_bytes(), 4 * sizeof(ChunkList::Slot));
  EXPECT_EQ(chunks_of(chunks), (std::vector<ChunkList::Slot>{{2, 12}, {0x7FFFFFFF, 11}}));
  chunks.resize(3);
  EXPECT_EQ(chunks, (ChunkList{0, 0, 12}));
}

}  // namespace
}  // namespace mfs::master
