// Live operation and replay are one code path: replaying the log of a random sequence
// of operations on a fresh file system must give the same state.
#include <random>

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
  EXPECT_EQ(metadata.fs().find(2)->chunks, (std::vector<uint64_t>{1, 2}));
  ASSERT_TRUE(apply(entry("LENGTH", {"2", "10", "0"})));
  EXPECT_EQ(metadata.fs().find(2)->chunks, (std::vector<uint64_t>{1}));
  EXPECT_EQ(metadata.chunks().find(2)->file_references, 0u);
}

TEST_F(Fixture, OldLetterTypeCreateHasNoCumask) {
  ChangelogEntry create = entry("CREATE", {"1", "f", "f", "420", "0", "0", "0"}, {"2"});
  EXPECT_TRUE(apply(create));
  EXPECT_EQ(metadata.fs().find(2)->mode, 420);
}

}  // namespace
}  // namespace mfs::master
