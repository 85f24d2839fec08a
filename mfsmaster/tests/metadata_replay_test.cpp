// Live operation and replay are one code path: replaying the log of a random sequence
// of operations on a fresh file system must give the same state.
#include <random>

#include "mfsmaster/changelog_entry.h"

#include "mfsmaster/tests/metadata_test_util.h"

namespace mfs::master {
namespace {

using Fixture = testing::MetadataFixture;

// A canonical text of the whole namespace, for comparing two states.
std::string describe(const Metadata& metadata) {
  std::string out;
  std::vector<uint32_t> inodes;
  for (uint32_t inode = 1; inode <= metadata.fs().max_inode(); ++inode) {
    if (metadata.fs().find(inode)) inodes.push_back(inode);
  }
  for (uint32_t inode : inodes) {
    const Node& node = *metadata.fs().find(inode);
    out += std::to_string(inode) + " t" + std::to_string(int(node.type)) + " m" + std::to_string(node.mode) + " u" +
           std::to_string(node.uid) + " g" + std::to_string(node.gid) + " l" + std::to_string(node.length) + " n" +
           std::to_string(node.nlink()) + " c" + std::to_string(node.ctime) + " [";
    for (const Edge* edge : node.parents) out += std::to_string(edge->parent) + "/" + edge->name + ",";
    out += "]\n";
  }
  out += "next " + std::to_string(metadata.fs().next_inode()) + " v" + std::to_string(metadata.version());
  return out;
}

TEST_F(Fixture, ReplayOfRandomOperationsGivesTheSameState) {
  std::mt19937 random(12345);
  std::vector<std::string> names = {"a", "b", "c", "d", "e"};
  for (int step = 0; step < 3000; ++step) {
    std::vector<uint32_t> directories = {1};
    for (uint32_t inode = 2; inode <= metadata.fs().max_inode(); ++inode) {
      const Node* node = metadata.fs().find(inode);
      if (node && node->is_directory()) directories.push_back(inode);
    }
    uint32_t dir = directories[random() % directories.size()];
    uint32_t other = directories[random() % directories.size()];
    const std::string& name = names[random() % names.size()];
    const std::string& name2 = names[random() % names.size()];
    uint32_t uid = random() % 2 ? 0 : 1000;
    switch (random() % 8) {
      case 0: run(ops.mkdir(as_user(uid), dir, name, 0777, 022)); break;
      case 1: run(ops.mknod(as_user(uid), dir, name, 1, 0666, 022, 0)); break;
      case 2: run(ops.symlink(as_user(uid), dir, name, "target")); break;
      case 3: run(ops.unlink(as_user(uid), dir, name, random() % 2)); break;
      case 4: run(ops.rename(as_user(uid), dir, name, other, name2)); break;
      case 5:
        if (uint32_t inode = inode_of(dir, name)) run(ops.link(as_user(uid), inode, other, name2));
        break;
      case 6:
        if (uint32_t inode = inode_of(dir, name)) {
          SetAttrRequest request;
          request.setmask = setmask::kMode;
          request.mode = random() % 07777;
          run(ops.setattr(as_user(uid), inode, false, request));
        }
        break;
      case 7:
        if (uint32_t inode = inode_of(dir, name); inode && metadata.fs().find(inode)->type == NodeType::kFile) {
          apply(entry("LENGTH", {std::to_string(inode), std::to_string(random() % 100000), "1"}));
        }
        break;
    }
  }
  ASSERT_GT(log.size(), 500u);

  Metadata replayed;
  replayed.init_empty(kNow);
  for (const ChangelogEntry& e : log) ASSERT_TRUE(replayed.apply(e)) << e.operation;
  EXPECT_EQ(describe(replayed), describe(metadata));
  EXPECT_EQ(replayed.fs().root()->directory->total_length, metadata.fs().root()->directory->total_length);
}

TEST_F(Fixture, ApplyRejectsOutOfOrderAndMismatchedEntries) {
  ChangelogEntry create = entry("CREATE", {"1", "f", "1", "420", "18", "0", "0", "0"}, {"2"});
  create.id = metadata.version() + 1;
  EXPECT_EQ(metadata.apply(create).code(), StatusCode::kMismatch);
  create.id = metadata.version();
  create.results = {"7"};
  EXPECT_EQ(metadata.apply(create).code(), StatusCode::kMismatch);
  EXPECT_EQ(metadata.fs().lookup(*metadata.fs().root(), "f"), nullptr);
  create.results = {"2"};
  EXPECT_TRUE(metadata.apply(create));
  ChangelogEntry garbage = entry("CREATE", {"1", "g", "x"}, {"3"});
  garbage.id = metadata.version();
  EXPECT_FALSE(metadata.apply(garbage));
  ChangelogEntry unknown = entry("NOSUCHOP", {});
  unknown.id = metadata.version();
  EXPECT_EQ(metadata.apply(unknown).code(), StatusCode::kENOTSUP);
}

// A client writes the chunk past the current length before it publishes the new length:
// extending the length to the chunk's start must not drop the chunk being written.
TEST_F(Fixture, WritingASecondChunkKeepsIt) {
  ASSERT_TRUE(apply(entry("CREATE", {"1", "f", "1", "420", "18", "0", "0", "0"}, {"2"})));
  ASSERT_TRUE(apply(entry("WRITE", {"2", "0", "1", "0"}, {"1"})));
  ASSERT_TRUE(apply(entry("WRITE", {"2", "1", "1", "0"}, {"2"})));
  ASSERT_TRUE(apply(entry("LENGTH", {"2", "67108865", "0"})));
  EXPECT_EQ(metadata.fs().find(2)->chunks, (ChunkList{1, 2}));
  ASSERT_TRUE(apply(entry("LENGTH", {"2", "10", "0"})));
  EXPECT_EQ(metadata.fs().find(2)->chunks, (ChunkList{1}));
  EXPECT_EQ(metadata.chunks().find(2)->file_references, 0u);
}

TEST_F(Fixture, OldLetterTypeCreateHasNoCumask) {
  ChangelogEntry create = entry("CREATE", {"1", "f", "f", "420", "0", "0", "0"}, {"2"});
  EXPECT_TRUE(apply(create));
  EXPECT_EQ(metadata.fs().find(2)->mode, 420);
}

// Observed with 3.0.117 (docs/protocol-notes.md): two sessions each hold a file unlinked
// without trash time; the files stay sustained after SESDEL and go at their bucket's turn.
const char* const kRealSustainedChangelog[] = {
    "1: 1796432089|SETMETAID(7715617099245870317)",
    "2: 1796432092|SESADD(#5974443630005910320,1,0,0000,0,0,999,999,1,9,0,4294967295,0x00000000,3323068467,/m1):1",
    "3: 1796432092|SESADD(#5974443630005910320,1,0,0000,0,0,999,999,1,9,0,4294967295,0x00000000,3323068468,/m2):2",
    "4: 1796432092|CREATE(1,sA,1,438,18,0,0,0):2",
    "5: 1796432092|ACQUIRE(1,2)",
    "6: 1796432093|WRITE(2,0,1,0):1",
    "7: 1796432094|AMTIME(2,1796432092,1796432093,1796432093)",
    "8: 1796432094|LENGTH(2,1000,0)",
    "9: 1796432094|UNLOCK(1)",
    "10: 1796432094|CREATE(1,sB,1,438,18,0,0,0):3",
    "11: 1796432094|ACQUIRE(2,3)",
    "12: 1796432094|WRITE(3,0,1,0):2",
    "13: 1796432094|LENGTH(3,1000,0)",
    "14: 1796432094|UNLOCK(2)",
    "15: 1796432094|SETTRASHTIME(2,0,0,0):1,0,0",
    "16: 1796432094|SETTRASHTIME(3,0,0,0):1,0,0",
    "17: 1796432094|UNLINK(1,sA):2",
    "18: 1796432094|UNLINK(1,sB):3",
    "19: 1796432097|SESDISCONNECTED(1)",
    "20: 1796432097|SESDISCONNECTED(2)",
    "21: 1796432210|SESDEL(1)",
    "22: 1796432210|SESDEL(2)",
};

Status apply_line(Metadata& metadata, std::string_view line) {
  auto entry = parse_changelog_line(line);
  if (!entry) return entry.status();
  entry->id = metadata.version();
  return metadata.apply(*entry);
}

TEST(SustainedReplay, RealChangelogFreesSustainedFilesAtEmptySustainedNotAtSessionEnd) {
  Metadata metadata;
  metadata.init_empty(1796432089);
  for (const char* line : kRealSustainedChangelog) ASSERT_TRUE(apply_line(metadata, line)) << line;
  ASSERT_EQ(metadata.fs().sustained().size(), 2u) << "freed before EMPTYSUSTAINED";
  EXPECT_EQ(metadata.chunks().find(1)->file_references, 1u);

  // Bucket 2 holds inode 2 only: another checksum or count is refused, nothing changes.
  EXPECT_EQ(apply_line(metadata, "23: 1796432348|EMPTYSUSTAINED(2):1,3").code(), StatusCode::kMismatch);
  EXPECT_EQ(apply_line(metadata, "23: 1796432348|EMPTYSUSTAINED(2):2,2").code(), StatusCode::kMismatch);
  EXPECT_EQ(apply_line(metadata, "23: 1796432348|EMPTYSUSTAINED(256):1,2").code(), StatusCode::kMismatch);
  EXPECT_EQ(metadata.fs().sustained().size(), 2u);

  ASSERT_TRUE(apply_line(metadata, "23: 1796432348|EMPTYSUSTAINED(2):1,2"));
  EXPECT_EQ(metadata.fs().find(2), nullptr);
  EXPECT_TRUE(metadata.chunks().find(1) == nullptr || metadata.chunks().find(1)->file_references == 0);
  ASSERT_TRUE(apply_line(metadata, "24: 1796432349|EMPTYSUSTAINED(3):1,3"));
  EXPECT_TRUE(metadata.fs().sustained().empty());
}

// Lines a real master wrote when a chunkserver registered, then went into temporary
// maintenance (spec 30 §4.5): replayed (the version moves on), nothing else changes.
TEST(ChunkserverDatabaseReplay, RealCsdbopLinesAreCheckedAndSkipped) {
  Metadata metadata;
  metadata.init_empty(1795569334);
  for (const char* line : {"1: 1795569334|CSDBOP(0,3323068417,9522,0)", "2: 1795569334|CSDBOP(3,3323068417,9522,1)",
                           "3: 1795569359|CSDBOP(6,3323068417,9522,1795571159)"}) {
    ASSERT_TRUE(apply_line(metadata, line)) << line;
  }
  EXPECT_EQ(metadata.version(), 4u);
  EXPECT_EQ(apply_line(metadata, "4: 1795569359|CSDBOP(7,3323068417,9522,0)").code(), StatusCode::kMismatch);
  EXPECT_FALSE(apply_line(metadata, "4: 1795569359|CSDBOP(1,3323068417,95220,0)"));
  EXPECT_FALSE(apply_line(metadata, "4: 1795569359|CSDBOP(1,3323068417)"));
  EXPECT_EQ(metadata.version(), 4u);
}

TEST_F(Fixture, SustainedFileStillHeldIsNotFreedByItsBucket) {
  ASSERT_TRUE(apply(entry("CREATE", {"1", "f", "1", "420", "18", "0", "0", "0"}, {"2"})));
  ASSERT_TRUE(apply(entry("ACQUIRE", {"1", "2"})));
  ASSERT_TRUE(apply(entry("SETTRASHTIME", {"2", "0", "0", "0"}, {"1", "0", "0"})));
  ASSERT_TRUE(apply(entry("UNLINK", {"1", "f"}, {"2"})));
  EXPECT_EQ(apply(entry("EMPTYSUSTAINED", {"2"}, {"1", "2"})).code(), StatusCode::kMismatch);
  ASSERT_EQ(metadata.fs().sustained().count(2), 1u);
  ASSERT_TRUE(apply(entry("RELEASE", {"1", "2"})));
  ASSERT_EQ(metadata.fs().sustained().count(2), 1u);
  EXPECT_TRUE(apply(entry("EMPTYSUSTAINED", {"2"}, {"1", "2"})));
  EXPECT_TRUE(metadata.fs().sustained().empty());
}

}  // namespace
}  // namespace mfs::master
