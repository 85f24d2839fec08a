// Snapshots, appended chunks and copy-on-write at the metadata level: the SNAPSHOT,
// APPEND, TRUNC and WRITE entries our master logs are those the 3.0.117 master logged
// for the same operations on the same tree (observed, see docs/protocol-notes.md
// "Snapshots"), replay gives the same state, and shared chunks survive metadata.mfs.
#include <string>
#include <vector>

#include "mfsmaster/metadata_image_reader.h"
#include "mfsmaster/metadata_image_writer.h"
#include "mfsmaster/snapshot_entry.h"
#include "mfsmaster/tests/metadata_test_util.h"

namespace mfs::master {
namespace {

class SnapshotTest : public testing::MetadataFixture {
 protected:
  // The tree of the observation: d(2) { sub(3) { f2(5) }, f1(4), e(6), ln(7) -> f1,
  // hl = f1 }, x(8); f1, f2 and x with one chunk each (ids 1, 2, 3).
  void build_observed_tree() {
    ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "d", 0777, 022)));
    ASSERT_TRUE(run(ops.mkdir(as_user(0), 2, "sub", 0777, 022)));
    make_file(2, "f1", 100000);
    make_file(3, "f2", 70000);
    ASSERT_TRUE(run(ops.mknod(as_user(0), 2, "e", 1, 0666, 022, 0)));
    ASSERT_TRUE(run(ops.symlink(as_user(0), 2, "ln", "f1")));
    ASSERT_TRUE(run(ops.link(as_user(0), 4, 2, "hl")));
    make_file(1, "x", 1000);
  }

  void make_file(uint32_t parent, const std::string& name, uint64_t length) {
    ASSERT_TRUE(run(ops.mknod(as_user(0), parent, name, 1, 0666, 022, 0)));
    std::string inode = std::to_string(inode_of(parent, name));
    std::string chunk = std::to_string(metadata.chunks().next_id());
    ASSERT_TRUE(apply(entry("WRITE", {inode, "0", "1", "0"}, {chunk})));
    ASSERT_TRUE(apply(entry("LENGTH", {inode, std::to_string(length), "0"})));
    ASSERT_TRUE(apply(entry("UNLOCK", {chunk})));
  }

  Status snapshot(uint32_t source, uint32_t parent, const std::string& name, uint8_t smode, uint32_t uid = 0) {
    return run(ops.snapshot(as_user(uid), source, parent, name, smode, 022));
  }

  // The last entry as 3.0.117 writes it, without id and time.
  std::string last_entry() const {
    std::string line = format_changelog_line(log.back());
    return line.substr(line.find('|') + 1, line.size() - line.find('|') - 2);
  }

  uint32_t references(uint64_t chunk_id) const { return metadata.chunks().find(chunk_id)->file_references; }
};

TEST_F(SnapshotTest, EntriesEqualThoseOfTheRealMaster) {
  build_observed_tree();
  ASSERT_TRUE(snapshot(2, 1, "s1", 0));
  EXPECT_EQ(last_entry(), "SNAPSHOT(2,1,s1,0,64,0,[0],18):8,0,0,0,0,7");
  ASSERT_TRUE(snapshot(2, 9, "d", 0));
  EXPECT_EQ(last_entry(), "SNAPSHOT(2,9,d,0,64,0,[0],18):23,0,0,0,0,7");
  EXPECT_EQ(snapshot(4, 9, "f1", 0).code(), StatusCode::kEEXIST);
  ASSERT_TRUE(snapshot(4, 9, "f1", snapshot_mode::kCanOverwrite));
  EXPECT_EQ(last_entry(), "SNAPSHOT(4,9,f1,1,64,0,[0],18):0,0,1,0,0,0");
  ASSERT_TRUE(snapshot(2, 1, "s3", snapshot_mode::kPreserveHardlinks));
  EXPECT_EQ(last_entry(), "SNAPSHOT(2,1,s3,8,64,0,[0],18):11,0,0,0,1,6");
  ASSERT_TRUE(snapshot(2, 1, "s4", snapshot_mode::kCpLike));
  EXPECT_EQ(last_entry(), "SNAPSHOT(2,1,s4,2,64,0,[0],18):28,0,0,0,0,7");
  EXPECT_EQ(snapshot(2, 3, "in", 0).code(), StatusCode::kEINVAL);  // into itself
  ASSERT_TRUE(snapshot(8, 2, "x", 0));
  EXPECT_EQ(last_entry(), "SNAPSHOT(8,2,x,0,64,0,[0],18):36,0,0,0,0,1");

  // f1 (chunk 1) is now in d (twice: f1, hl), s1 (f1, hl), s1/d (f1, hl), s3 (once, -p), s4.
  EXPECT_EQ(references(1), 8u);
  const Node* copy = metadata.fs().find(inode_of(9, "f1"));
  EXPECT_EQ(copy->chunks, (ChunkList{1}));
  EXPECT_EQ(copy->length, 100000u);
  EXPECT_TRUE(copy->eattr & eattr::kSnapshot);
  EXPECT_EQ(metadata.fs().find(inode_of(9, "ln"))->extras().symlink_target, "f1");
  uint32_t s3 = inode_of(1, "s3");
  EXPECT_EQ(inode_of(s3, "f1"), inode_of(s3, "hl"));
  EXPECT_FALSE(metadata.fs().root()->eattr & eattr::kSnapshot);
  // The directory that received s1/d lost its snapshot bit: it cannot be removed as a whole.
  EXPECT_FALSE(metadata.fs().find(9)->eattr & eattr::kSnapshot);
  EXPECT_EQ(run(ops.snapshot(as_user(0), 0, 1, "s1", snapshot_mode::kDelete, 0)).code(), StatusCode::kEPERM);
}

TEST_F(SnapshotTest, RemovalFollowsTheSnapshotBit) {
  build_observed_tree();
  ASSERT_TRUE(snapshot(2, 1, "s1", 0));  // inodes 9..15
  ASSERT_TRUE(snapshot(2, 9, "d", 0));   // 16..22 in s1, which loses its bit
  EXPECT_EQ(run(ops.snapshot(as_user(0), 0, 1, "x", snapshot_mode::kDelete, 0)).code(), StatusCode::kEPERM);
  EXPECT_EQ(run(ops.snapshot(as_user(0), 5, 1, "s1", snapshot_mode::kDelete, 0)).code(), StatusCode::kEINVAL);
  EXPECT_EQ(run(ops.snapshot(as_user(0), 0, 1, "none", snapshot_mode::kDelete, 0)).code(), StatusCode::kENOENT);
  ASSERT_TRUE(run(ops.snapshot(as_user(0), 0, 1, "s1", snapshot_mode::kDelete | snapshot_mode::kForceRemoval, 022)));
  uint32_t removed_xor = 0;
  for (uint32_t inode = 10; inode <= 22; ++inode) removed_xor ^= inode;
  EXPECT_EQ(last_entry(), "SNAPSHOT(0,1,s1,132,64,0,[0],18):" + std::to_string(removed_xor) + ",13,0,0,0,0");
  // s1 itself stays (no snapshot bit), emptied; the source's chunks are back to their own.
  EXPECT_TRUE(metadata.fs().find(9)->directory->children.empty());
  EXPECT_EQ(references(1), 1u);  // d/f1 (= d/hl) only
  EXPECT_EQ(metadata.fs().trash().size(), 0u);  // snapshots bypass the trash
}

TEST_F(SnapshotTest, MergingIntoAnExistingTree) {
  // d(2) { sub(3) { s(7) }, f1(4), ln(5) -> f1, fifo(6) }, as in the observation.
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "d", 0777, 022)));
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 2, "sub", 0777, 022)));
  make_file(2, "f1", 100000);
  ASSERT_TRUE(run(ops.symlink(as_user(0), 2, "ln", "f1")));
  ASSERT_TRUE(run(ops.mknod(as_user(0), 2, "fifo", 4, 0644, 022, 0)));
  make_file(3, "s", 1);
  ASSERT_TRUE(snapshot(2, 1, "t", 0));
  EXPECT_EQ(last_entry(), "SNAPSHOT(2,1,t,0,64,0,[0],18):1,0,0,0,0,6");
  // Newest entries first: t 8, fifo 9, ln 10, f1 11, sub 12, sub/s 13.
  EXPECT_EQ(inode_of(8, "fifo"), 9u);
  EXPECT_EQ(inode_of(8, "f1"), 11u);
  EXPECT_EQ(inode_of(12, "s"), 13u);
  EXPECT_EQ(snapshot(2, 1, "t", 0).code(), StatusCode::kEEXIST);
  ASSERT_TRUE(snapshot(2, 1, "t", snapshot_mode::kCanOverwrite));
  EXPECT_EQ(last_entry(), "SNAPSHOT(2,1,t,1,64,0,[0],18):0,0,2,4,0,0");
  ASSERT_TRUE(run(ops.unlink(as_user(0), 2, "ln", false)));
  ASSERT_TRUE(run(ops.symlink(as_user(0), 2, "ln", "x")));  // 14
  ASSERT_TRUE(apply(entry("LENGTH", {"4", "100004", "1"})));
  ASSERT_TRUE(snapshot(2, 1, "t", snapshot_mode::kCanOverwrite));
  EXPECT_EQ(last_entry(), "SNAPSHOT(2,1,t,1,64,0,[0],18):4,0,1,5,0,0");
  EXPECT_EQ(inode_of(8, "f1"), 15u);
  EXPECT_EQ(metadata.fs().find(10)->extras().symlink_target, "x");
  ASSERT_TRUE(run(ops.snapshot(as_user(0), 0, 1, "t", snapshot_mode::kDelete, 022)));
  EXPECT_EQ(last_entry(), "SNAPSHOT(0,1,t,128,64,0,[0],18):5,6,0,0,0,0");
  EXPECT_EQ(inode_of(1, "t"), 0u);
}

TEST_F(SnapshotTest, PermissionsOfTheCaller) {
  build_observed_tree();
  SetAttrRequest private_dir;
  private_dir.setmask = setmask::kMode;
  private_dir.mode = 0700;
  ASSERT_TRUE(run(ops.setattr(as_user(0), 2, false, private_dir)));
  EXPECT_EQ(snapshot(2, 1, "s9", 0, 1000).code(), StatusCode::kEACCES);
  ASSERT_TRUE(snapshot(8, 1, "s10", 0, 1000));
  EXPECT_EQ(last_entry(), "SNAPSHOT(8,1,s10,0,64,1000,[1000],18):9,0,0,0,0,1");
  const Node* copy = metadata.fs().find(9);
  EXPECT_EQ(copy->uid, 1000u);
  EXPECT_EQ(copy->gid, 1000u);
}

TEST_F(SnapshotTest, ReplayAndImageKeepSharedChunks) {
  build_observed_tree();
  ASSERT_TRUE(snapshot(2, 1, "s1", snapshot_mode::kPreserveHardlinks));
  // Copy-on-write entries as the live master logs them: the snapshot's f1 gets chunk 4 for
  // a write, its f2 chunk 5 for a truncation.
  uint32_t f1 = inode_of(9, "f1");
  uint32_t f2 = inode_of(inode_of(9, "sub"), "f2");
  ASSERT_TRUE(apply(entry("WRITE", {std::to_string(f1), "0", "1", "0"}, {"4"})));
  ASSERT_TRUE(apply(entry("UNLOCK", {"4"})));
  ASSERT_TRUE(apply(entry("TRUNC", {std::to_string(f2), "0"}, {"5"})));
  ASSERT_TRUE(apply(entry("LENGTH", {std::to_string(f2), "1000", "1"})));
  EXPECT_EQ(metadata.fs().find(4)->chunks, (ChunkList{1}));
  EXPECT_EQ(metadata.fs().find(f1)->chunks, (ChunkList{4}));
  EXPECT_EQ(metadata.fs().find(f2)->chunks, (ChunkList{5}));
  EXPECT_EQ(references(1), 1u);
  EXPECT_EQ(references(2), 1u);
  EXPECT_EQ(references(3), 1u);
  EXPECT_FALSE(metadata.fs().find(f1)->eattr & eattr::kSnapshot);
  // A chunk not shared keeps its id: only the version changes.
  ASSERT_TRUE(apply(entry("TRUNC", {std::to_string(f2), "0"}, {"5"})));
  EXPECT_EQ(metadata.chunks().find(5)->version, 2u);
  ASSERT_TRUE(snapshot(8, 1, "x2", 0));
  ASSERT_TRUE(apply(entry("APPEND", {"2", "3", "0", "0"})).code() == StatusCode::kMismatch);  // not files

  Metadata replayed;
  replayed.init_empty(kNow);
  for (const ChangelogEntry& e : log) ASSERT_TRUE(replayed.apply(e)) << format_changelog_line(e);
  auto image = serialize_metadata_image(metadata, nullptr);
  ASSERT_TRUE(image.is_ok());
  auto replayed_image = serialize_metadata_image(replayed, nullptr);
  ASSERT_TRUE(replayed_image.is_ok());
  EXPECT_EQ(*replayed_image, *image);

  Metadata loaded;
  ASSERT_TRUE(load_metadata_image_bytes(*image, loaded, nullptr, kNow));
  for (uint64_t chunk_id : {1, 2, 3, 4, 5}) {
    EXPECT_EQ(loaded.chunks().find(chunk_id)->file_references, references(chunk_id)) << chunk_id;
  }
  EXPECT_EQ(loaded.chunks().find(3)->file_references, 2u);  // x and x2
  EXPECT_EQ(loaded.fs().find(inode_of(1, "x2"))->chunks, (ChunkList{3}));
}

// A shared chunk keeps as many copies as the most demanding of its files wants, and fewer
// once that file lowers its goal or lets the chunk go.
TEST_F(SnapshotTest, SharedChunkFollowsTheHighestGoalOfItsFiles) {
  make_file(1, "a", 1000);  // chunk 1
  uint32_t a = inode_of(1, "a");
  auto set_goal = [&](uint32_t inode, uint32_t goal) {
    return apply(entry("SETGOAL", {std::to_string(inode), "0", std::to_string(goal), "0"}, {"1", "0", "0"}));
  };
  auto goal = [&] { return metadata.chunks().find(1)->goal; };
  ASSERT_TRUE(set_goal(a, 3));
  ASSERT_TRUE(snapshot(a, 1, "b", 0));
  ASSERT_TRUE(snapshot(a, 1, "c", 0));
  uint32_t b = inode_of(1, "b");
  uint32_t c = inode_of(1, "c");
  EXPECT_EQ(goal(), 3u);
  ASSERT_TRUE(set_goal(a, 1));
  EXPECT_EQ(goal(), 3u) << "b and c still want 3";
  ASSERT_TRUE(set_goal(b, 5));
  EXPECT_EQ(goal(), 5u);
  EXPECT_EQ(metadata.chunks().find(1)->sclass, 5u);
  ASSERT_TRUE(set_goal(b, 1));
  EXPECT_EQ(goal(), 3u) << "c still wants 3";
  ASSERT_TRUE(apply(entry("LENGTH", {std::to_string(c), "0", "1"})));
  EXPECT_EQ(references(1), 2u);
  EXPECT_EQ(goal(), 1u) << "only a and b, both at 1";
  EXPECT_EQ(metadata.chunks().find(1)->sclass, 1u);
  ASSERT_TRUE(set_goal(a, 2));
  EXPECT_EQ(goal(), 2u);

  Metadata replayed;
  replayed.init_empty(kNow);
  for (const ChangelogEntry& e : log) ASSERT_TRUE(replayed.apply(e)) << format_changelog_line(e);
  EXPECT_EQ(replayed.chunks().find(1)->goal, 2u);
  auto image = serialize_metadata_image(metadata, nullptr);
  ASSERT_TRUE(image.is_ok());
  Metadata loaded;
  ASSERT_TRUE(load_metadata_image_bytes(*image, loaded, nullptr, kNow));
  EXPECT_EQ(loaded.chunks().find(1)->goal, 2u);
}

TEST_F(SnapshotTest, AppendSlicesAsTheRealMaster) {
  build_observed_tree();
  ASSERT_TRUE(run(ops.mknod(as_user(0), 1, "big", 1, 0666, 022, 0)));  // 9
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(run(ops.append_slice(as_user(0), 9, 8, 0, 0, 0x80000000)));
    EXPECT_EQ(last_entry(), "APPEND(9,8,0,0)");
  }
  EXPECT_EQ(metadata.fs().find(9)->length, 2 * kChunkSize + 1000);
  EXPECT_EQ(references(3), 4u);
  struct Slice {
    uint8_t flags;
    uint32_t from, to;
    const char* entry;
    uint64_t length;
  };
  for (const Slice& slice : {Slice{0, 1, 2, "APPEND(10,9,1,1)", kChunkSize}, Slice{1, 1, 0x80000000, "APPEND(11,9,2,2)", 1000},
                             Slice{0, 0, 2, "APPEND(12,9,0,1)", 2 * kChunkSize}}) {
    uint32_t inode = metadata.fs().next_inode();
    ASSERT_TRUE(run(ops.mknod(as_user(0), 1, "a" + std::to_string(inode), 1, 0666, 022, 0)));
    ASSERT_TRUE(run(ops.append_slice(as_user(0), inode, 9, slice.flags, slice.from, slice.to)));
    EXPECT_EQ(last_entry(), slice.entry);
    EXPECT_EQ(metadata.fs().find(inode)->length, slice.length);
  }
  size_t entries = log.size();
  auto nothing = ops.append_slice(as_user(0), 10, 9, 0, 2, 1);  // inverted slice
  ASSERT_TRUE(nothing.is_ok());
  EXPECT_TRUE(nothing->empty());
  EXPECT_EQ(ops.append_slice(as_user(0), 4, 4, 0, 0, 1).code(), StatusCode::kEINVAL);
  EXPECT_EQ(ops.append_slice(as_user(0), 10, 2, 0, 0, 1).code(), StatusCode::kEPERM);
  EXPECT_EQ(log.size(), entries);
}

TEST_F(SnapshotTest, TreesTooDeepForTheWalkAreRefused) {
  uint32_t parent = kRootInode;
  for (int level = 0; level < 1005; ++level) {
    ASSERT_TRUE(run(ops.mkdir(as_user(0), parent, "d", 0777, 022)));
    parent = inode_of(parent, "d");
  }
  size_t entries = log.size();
  EXPECT_EQ(snapshot(2, 1, "s", 0).code(), StatusCode::kENOTSUP);
  EXPECT_EQ(snapshot(3, 1, "s", 0).code(), StatusCode::kENOTSUP);
  ASSERT_TRUE(snapshot(10, 1, "s", 0));  // 996 levels
  EXPECT_EQ(log.size(), entries + 1);
}

TEST_F(SnapshotTest, MalformedEntriesAreRefused) {
  build_observed_tree();
  auto bad = [&](std::vector<std::string> args, std::vector<std::string> results) {
    return apply(entry("SNAPSHOT", std::move(args), std::move(results))).code();
  };
  EXPECT_EQ(bad({"2", "1", "s", "0", "64", "0", "[0", "18"}, {"8", "0", "0", "0", "0", "7"}), StatusCode::kMismatch);
  EXPECT_EQ(bad({"2", "1", "s", "0", "64", "0", "[0]", "18"}, {"9", "0", "0", "0", "0", "7"}), StatusCode::kMismatch);
  EXPECT_EQ(bad({"99", "1", "s", "0", "64", "0", "[0]", "18"}, {"0", "0", "0", "0", "0", "0"}), StatusCode::kMismatch);
  EXPECT_EQ(bad({"2", "1", "s", "0", "64", "0", "[0]"}, {"8", "0", "0", "0", "0", "7"}), StatusCode::kMismatch);
  EXPECT_EQ(metadata.fs().next_inode(), 9u);  // nothing was made
  EXPECT_TRUE(apply(entry("SNAPSHOT", {"2", "1", "s", "0", "64", "0", "[0]", "18"}, {"8", "0", "0", "0", "0", "7"})));
}

}  // namespace
}  // namespace mfs::master
