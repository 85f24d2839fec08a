// The class a chunk's copies follow when files of several classes share it.
#include "mfsmaster/chunk_classes.h"

#include <gtest/gtest.h>

namespace mfs::master {
namespace {

TEST(ChunkClassesTest, HighestGoalAmongTheReferencesWhateverTheOrder) {
  StorageClassTable classes;  // predefined classes: id n keeps n copies
  ChunkClasses tracked(classes);
  ChunkRecord chunk;
  chunk.id = 7;
  tracked.add(chunk, 2);
  tracked.add(chunk, 2);
  EXPECT_EQ(tracked.mixed_count(), 0u) << "one class: nothing counted";
  tracked.add(chunk, 4);
  tracked.add(chunk, 3);
  EXPECT_EQ(chunk.file_references, 4u);
  EXPECT_EQ(chunk.sclass, 4u);
  EXPECT_EQ(chunk.goal, 4u);
  tracked.remove(chunk, 4);
  EXPECT_EQ(chunk.sclass, 3u);
  tracked.remove(chunk, 3);
  EXPECT_EQ(chunk.sclass, 2u);
  EXPECT_EQ(chunk.goal, 2u);
  EXPECT_EQ(tracked.mixed_count(), 0u) << "back to one class";
  tracked.remove(chunk, 2);
  tracked.remove(chunk, 2);
  EXPECT_EQ(chunk.file_references, 0u);
  tracked.add(chunk, 1);
  EXPECT_EQ(chunk.sclass, 1u) << "a chunk referenced again takes its new file's class";
}

TEST(ChunkClassesTest, EqualGoalsKeepTheCurrentClass) {
  StorageClassTable classes;
  StorageClass other = *classes.find(3);
  other.name = "other3";
  classes.set(10, other);
  ChunkClasses tracked(classes);
  ChunkRecord chunk;
  chunk.id = 1;
  tracked.add(chunk, 3);
  tracked.add(chunk, 10);
  EXPECT_EQ(chunk.sclass, 3u);
  tracked.add(chunk, 2);
  tracked.remove(chunk, 2);
  EXPECT_EQ(chunk.sclass, 3u);
  tracked.remove(chunk, 3);
  EXPECT_EQ(chunk.sclass, 10u);
}

}  // namespace
}  // namespace mfs::master
