// The LevelDB checkpoint kept up to date by incremental flushes: what a restart loads.
#include "mfsmaster/checkpoint.h"

#include <chrono>
#include <filesystem>

#include "mfsmaster/checkpoint_records.h"
#include "mfsmaster/tests/metadata_test_util.h"

namespace mfs::master {
namespace {

class CheckpointTest : public testing::MetadataFixture {
 protected:
  CheckpointTest() : directory_(std::filesystem::temp_directory_path() / ("checkpoint_test_" + std::to_string(getpid()))) {
    std::filesystem::remove_all(directory_);
    auto opened = Checkpoint::open(directory_.string());
    EXPECT_TRUE(opened) << opened.status().to_string();
    if (opened) checkpoint_ = std::move(*opened);
  }
  ~CheckpointTest() override {
    checkpoint_.reset();
    std::filesystem::remove_all(directory_);
  }
  // Flushes what changed since the last flush, then loads the store into a new state.
  std::unique_ptr<Metadata> flush_and_load() {
    checkpoint_->flush(metadata);
    EXPECT_TRUE(checkpoint_->wait_idle());
    auto loaded = std::make_unique<Metadata>();
    Status status = checkpoint_->load(*loaded);
    EXPECT_TRUE(status) << status.to_string();
    return loaded;
  }

  std::filesystem::path directory_;
  std::unique_ptr<Checkpoint> checkpoint_;
};

TEST_F(CheckpointTest, AFreedInodeIsKeptUntilItsNumberIsReusedThenTheNewNodeIs) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "gone", 0755, 0)));
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "kept", 0755, 0)));
  uint32_t gone = inode_of(1, "gone");
  uint32_t kept = inode_of(1, "kept");
  flush_and_load();
  ASSERT_TRUE(run(ops.unlink(as_user(0), 1, "gone", true)));

  std::unique_ptr<Metadata> loaded = flush_and_load();
  EXPECT_EQ(loaded->fs().find(gone), nullptr);
  EXPECT_EQ(loaded->fs().freed_at(gone), std::optional<uint32_t>(kNow));
  EXPECT_NE(loaded->fs().find(kept), nullptr);

  // Once the reuse delay has passed, the number is free, then taken by a new node.
  ASSERT_EQ(metadata.fs().recycle_freed_inodes(kNow + 10, 0), 1u);
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "new", 0755, 0)));
  ASSERT_EQ(inode_of(1, "new"), gone);
  loaded = flush_and_load();
  EXPECT_EQ(loaded->fs().freed_at(gone), std::nullopt);
  ASSERT_NE(loaded->fs().find(gone), nullptr);
  EXPECT_EQ(loaded->fs().lookup(*loaded->fs().root(), "new")->child->inode, gone);
}

// Whether a chunk's lock is a version change's decides what a start may take back.
TEST_F(CheckpointTest, AChunkLockKeepsItsKind) {
  ASSERT_TRUE(run(ops.mknod(as_user(0), 1, "f", 1, 0644, 0, 0)));
  uint32_t file = inode_of(1, "f");
  ASSERT_TRUE(apply(ChangelogEntry::make("WRITE", kNow).arg(file).arg(0).arg(1).arg(0).result(1)));
  ASSERT_TRUE(apply(ChangelogEntry::make("LENGTH", kNow).arg(file).arg(10).arg(0)));
  ASSERT_TRUE(apply(ChangelogEntry::make("UNLOCK", kNow).arg(1)));
  ASSERT_TRUE(apply(ChangelogEntry::make("WRITE", kNow).arg(file).arg(0).arg(1).arg(0).result(1)));
  EXPECT_TRUE(flush_and_load()->chunks().find(1)->locked_by_version_change);
  ASSERT_TRUE(apply(ChangelogEntry::make("UNLOCK", kNow).arg(1)));
  ASSERT_TRUE(apply(ChangelogEntry::make("WRITE", kNow).arg(file).arg(0).arg(0).arg(0).result(1)));
  std::unique_ptr<Metadata> loaded = flush_and_load();
  EXPECT_NE(loaded->chunks().find(1)->locked_to, 0u);
  EXPECT_FALSE(loaded->chunks().find(1)->locked_by_version_change);
}

// Records written before the kind was kept: every lock was a version change's then.
TEST(CheckpointRecords, AChunkRecordWithoutTheLockKindIsAVersionChangeIfLocked) {
  const std::string unlocked("\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00", 10);
  const std::string locked("\x01\x00\x00\x00\x02\x00\x00\x10\x00\x00", 10);
  ChunkRecord chunk;
  ASSERT_TRUE(checkpoint_records::decode_chunk(unlocked, chunk));
  EXPECT_EQ(chunk.version, 2u);
  EXPECT_FALSE(chunk.locked_by_version_change);
  ASSERT_TRUE(checkpoint_records::decode_chunk(locked, chunk));
  EXPECT_EQ(chunk.locked_to, 0x1000u);
  EXPECT_TRUE(chunk.locked_by_version_change);
}

// A file written far past its end: its record holds the chunks, not its holes.
TEST(CheckpointRecords, AFileRecordLeavesTheHolesOfItsChunkTableOut) {
  Node file;
  file.inode = 7;
  file.type = NodeType::kFile;
  file.length = uint64_t{1} << 52;
  file.chunks.set(0, 11);
  file.chunks.set(1, 12);
  file.chunks.set(40, 13);
  file.chunks.set((1 << 26) - 1, 14);
  file.chunks.resize((1 << 26) + 2);  // ending with holes
  std::string record = checkpoint_records::encode_node(file);
  EXPECT_LT(record.size(), 200u);
  std::vector<checkpoint_records::StoredEdge> edges;
  auto decoded = checkpoint_records::decode_node(7, record, edges);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ((*decoded)->length, file.length);
  EXPECT_TRUE((*decoded)->chunks == file.chunks);

  file.chunks = {0, 0, 5};  // a table starting with a hole, and an empty one
  decoded = checkpoint_records::decode_node(7, checkpoint_records::encode_node(file), edges);
  ASSERT_TRUE(decoded);
  EXPECT_EQ((*decoded)->chunks, file.chunks);
  file.chunks = {};
  decoded = checkpoint_records::decode_node(7, checkpoint_records::encode_node(file), edges);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE((*decoded)->chunks.empty());
}

TEST(CheckpointRecords, BadChunkRunsAreCorruptNotACrash) {
  Node file;
  file.inode = 7;
  file.type = NodeType::kFile;
  file.chunks = {0, 21, 22, 0, 23};  // runs (1,2) and (4,1)
  const std::string good = checkpoint_records::encode_node(file);
  // The table's size follows the format (1 byte), the attributes (28), the parent count
  // (4) and the length (8); the runs follow it.
  constexpr size_t kTableSize = 1 + 28 + 4 + 8;
  auto patched = [&](size_t at, uint32_t value) {
    std::string record = good;
    for (int i = 0; i < 4; ++i) record[at + i] = static_cast<char>(value >> (24 - 8 * i));
    return record;
  };
  std::vector<checkpoint_records::StoredEdge> edges;
  ASSERT_TRUE(checkpoint_records::decode_node(7, good, edges));
  const size_t first_run = kTableSize + 8;
  const size_t second_run = first_run + 8 + 2 * 8;
  for (const std::string& bad : {patched(kTableSize, 4),            // a run past the table's end
                                 patched(kTableSize, 0x80000001),   // a table past the last index
                                 patched(kTableSize + 4, 1000),     // more runs than bytes
                                 patched(second_run, 2),            // runs overlapping
                                 patched(second_run + 4, 0),        // an empty run
                                 patched(first_run + 4, 0xFFFFFFFF)}) {  // ids past the record's end
    auto decoded = checkpoint_records::decode_node(7, bad, edges);
    ASSERT_FALSE(decoded);
    EXPECT_NE(decoded.status().to_string().find("chunk runs"), std::string::npos) << decoded.status().to_string();
  }
  EXPECT_FALSE(checkpoint_records::decode_node(7, good.substr(0, good.size() - 20), edges));
}

TEST_F(CheckpointTest, ABigChangeSetWaitsForAPauseInTheChanges) {
  using namespace std::chrono_literals;
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "few", 0755, 0)));
  auto now = std::chrono::steady_clock::now();
  checkpoint_->flush_when_due(metadata, now);  // a few changes: written at once
  ASSERT_TRUE(checkpoint_->wait_idle());
  EXPECT_EQ(checkpoint_->written_version(), metadata.version());

  for (size_t i = 0; i <= Checkpoint::kBigChangeSet; ++i) {
    ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "d" + std::to_string(i), 0755, 0)));
  }
  uint64_t before = checkpoint_->written_version();
  checkpoint_->flush_when_due(metadata, std::chrono::steady_clock::now());  // changes going on
  ASSERT_TRUE(checkpoint_->wait_idle());
  EXPECT_EQ(checkpoint_->written_version(), before);
  checkpoint_->flush_when_due(metadata, std::chrono::steady_clock::now() - 1s);  // they paused
  ASSERT_TRUE(checkpoint_->wait_idle());
  EXPECT_EQ(checkpoint_->written_version(), metadata.version());
}

}  // namespace
}  // namespace mfs::master
