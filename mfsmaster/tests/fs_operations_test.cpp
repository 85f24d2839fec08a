#include "mfsmaster/fs_operations.h"

#include "mfsmaster/tests/metadata_test_util.h"

namespace mfs::master {
namespace {

using Fixture = testing::MetadataFixture;

TEST_F(Fixture, MkdirCreatesDirectoryWithUmask) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "dir", 0777, 022)));
  uint32_t inode = inode_of(1, "dir");
  ASSERT_EQ(inode, 2u);
  const Node* node = metadata.fs().find(inode);
  EXPECT_EQ(node->type, NodeType::kDirectory);
  EXPECT_EQ(node->mode, 0755);
  EXPECT_EQ(metadata.fs().root()->nlink(), 3u);
  EXPECT_EQ(node->nlink(), 2u);
}

TEST_F(Fixture, CreateChecksNamesAndExistence) {
  EXPECT_EQ(run(ops.mknod(as_user(0), 1, "", 1, 0644, 0, 0)).code(), StatusCode::kEINVAL);
  EXPECT_EQ(run(ops.mknod(as_user(0), 1, "..", 1, 0644, 0, 0)).code(), StatusCode::kEINVAL);
  EXPECT_EQ(run(ops.mknod(as_user(0), 1, "a/b", 1, 0644, 0, 0)).code(), StatusCode::kEINVAL);
  EXPECT_EQ(run(ops.mknod(as_user(0), 1, std::string(256, 'x'), 1, 0644, 0, 0)).code(), StatusCode::kEINVAL);
  EXPECT_TRUE(run(ops.mknod(as_user(0), 1, std::string(255, 'x'), 1, 0644, 0, 0)));
  EXPECT_TRUE(run(ops.mknod(as_user(0), 1, "f", 1, 0644, 0, 0)));
  EXPECT_EQ(run(ops.mknod(as_user(0), 1, "f", 1, 0644, 0, 0)).code(), StatusCode::kEEXIST);
  EXPECT_EQ(run(ops.mknod(as_user(0), 99, "g", 1, 0644, 0, 0)).code(), StatusCode::kENOENT);
  EXPECT_EQ(run(ops.mknod(as_user(0), inode_of(1, "f"), "g", 1, 0644, 0, 0)).code(), StatusCode::kENOTDIR);
  EXPECT_EQ(run(ops.mknod(as_user(0), 1, "s", 3, 0644, 0, 0)).code(), StatusCode::kEINVAL);
}

TEST_F(Fixture, PermissionsOnParentDirectory) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "private", 0700, 0)));
  uint32_t dir = inode_of(1, "private");
  EXPECT_EQ(run(ops.mknod(as_user(1000), dir, "f", 1, 0644, 0, 0)).code(), StatusCode::kEACCES);
  EXPECT_EQ(ops.lookup(as_user(1000), dir, "x").code(), StatusCode::kEACCES);
  EXPECT_EQ(run(ops.mknod(as_user(0), dir, "f", 1, 0644, 0, 0)).code(), StatusCode::kOk);
}

TEST_F(Fixture, StickyDirectoryProtectsOthersFiles) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "tmp", 01777, 0)));
  uint32_t tmp = inode_of(1, "tmp");
  ASSERT_TRUE(run(ops.mknod(as_user(1000), tmp, "mine", 1, 0644, 0, 0)));
  EXPECT_EQ(run(ops.unlink(as_user(1001), tmp, "mine", false)).code(), StatusCode::kEPERM);
  EXPECT_EQ(run(ops.rename(as_user(1001), tmp, "mine", tmp, "other")).code(), StatusCode::kEPERM);
  EXPECT_TRUE(run(ops.unlink(as_user(1000), tmp, "mine", false)));
}

TEST_F(Fixture, UnlinkAndRmdirTypeChecks) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "d", 0755, 0)));
  ASSERT_TRUE(run(ops.mknod(as_user(0), inode_of(1, "d"), "f", 1, 0644, 0, 0)));
  EXPECT_EQ(run(ops.unlink(as_user(0), 1, "d", false)).code(), StatusCode::kEPERM);
  EXPECT_EQ(run(ops.unlink(as_user(0), 1, "d", true)).code(), StatusCode::kENOTEMPTY);
  EXPECT_EQ(run(ops.unlink(as_user(0), inode_of(1, "d"), "f", true)).code(), StatusCode::kENOTDIR);
  EXPECT_TRUE(run(ops.unlink(as_user(0), inode_of(1, "d"), "f", false)));
  EXPECT_TRUE(run(ops.unlink(as_user(0), 1, "d", true)));
  EXPECT_EQ(inode_of(1, "d"), 0u);
}

TEST_F(Fixture, RenameReplacesAndRejectsMovingIntoItself) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "a", 0755, 0)));
  ASSERT_TRUE(run(ops.mkdir(as_user(0), inode_of(1, "a"), "b", 0755, 0)));
  EXPECT_EQ(run(ops.rename(as_user(0), 1, "a", inode_of(inode_of(1, "a"), "b"), "x")).code(), StatusCode::kEINVAL);
  ASSERT_TRUE(run(ops.mknod(as_user(0), 1, "f1", 1, 0644, 0, 0)));
  ASSERT_TRUE(run(ops.mknod(as_user(0), 1, "f2", 1, 0644, 0, 0)));
  uint32_t f1 = inode_of(1, "f1");
  ASSERT_TRUE(run(ops.rename(as_user(0), 1, "f1", 1, "f2")));
  EXPECT_EQ(inode_of(1, "f2"), f1);
  EXPECT_EQ(inode_of(1, "f1"), 0u);
}

TEST_F(Fixture, HardLinksCountAndSurviveUnlink) {
  ASSERT_TRUE(run(ops.mknod(as_user(0), 1, "f", 1, 0644, 0, 0)));
  uint32_t f = inode_of(1, "f");
  ASSERT_TRUE(run(ops.link(as_user(0), f, 1, "g")));
  EXPECT_EQ(metadata.fs().find(f)->nlink(), 2u);
  ASSERT_TRUE(run(ops.unlink(as_user(0), 1, "f", false)));
  EXPECT_EQ(metadata.fs().find(f)->nlink(), 1u);
  EXPECT_EQ(inode_of(1, "g"), f);
}

TEST_F(Fixture, UnlinkedFileGoesToTrashWithItsPath) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "d", 0755, 0)));
  ASSERT_TRUE(run(ops.mknod(as_user(0), inode_of(1, "d"), "f", 1, 0644, 0, 0)));
  uint32_t f = inode_of(inode_of(1, "d"), "f");
  ASSERT_TRUE(run(ops.unlink(as_user(0), inode_of(1, "d"), "f", false)));
  ASSERT_EQ(metadata.fs().trash().count(f), 1u);
  EXPECT_EQ(metadata.fs().trash().at(f)->name, "d/f");
  EXPECT_EQ(metadata.fs().find(f)->type, NodeType::kTrash);
}

TEST_F(Fixture, SetattrOwnershipRules) {
  ASSERT_TRUE(run(ops.mknod(as_user(1000), 1, "f", 1, 0644, 0, 0)));
  uint32_t f = inode_of(1, "f");
  SetAttrRequest chmod;
  chmod.setmask = setmask::kMode;
  chmod.mode = 0600;
  EXPECT_EQ(run(ops.setattr(as_user(1001), f, false, chmod)).code(), StatusCode::kEPERM);
  EXPECT_TRUE(run(ops.setattr(as_user(1000), f, false, chmod)));
  EXPECT_EQ(metadata.fs().find(f)->mode, 0600);
  SetAttrRequest chown;
  chown.setmask = setmask::kUid;
  chown.uid = 0;
  EXPECT_EQ(run(ops.setattr(as_user(1000), f, false, chown)).code(), StatusCode::kEPERM);
  EXPECT_TRUE(run(ops.setattr(as_user(0), f, false, chown)));
  EXPECT_EQ(metadata.fs().find(f)->uid, 0u);
}

TEST_F(Fixture, ReadOnlySessionRefusesChanges) {
  metadata.sessions().find(1)->parameters.sesflags = sesflag::kReadOnly;
  EXPECT_EQ(run(ops.mkdir(as_user(0), 1, "d", 0755, 0)).code(), StatusCode::kEROFS);
  EXPECT_EQ(ops.access(as_user(0), 1, kAccessWrite).code(), StatusCode::kEROFS);
  EXPECT_TRUE(ops.access(as_user(0), 1, kAccessRead));
}

TEST_F(Fixture, OpenRegistersFileWithSessionAndUnlinkKeepsItSustained) {
  ASSERT_TRUE(run(ops.mknod(as_user(0), 1, "f", 1, 0644, 0, 0)));
  uint32_t f = inode_of(1, "f");
  metadata.fs().find(f)->trash_hours = 0;
  ASSERT_TRUE(run(ops.open(as_user(0), f, 0x01)));
  EXPECT_TRUE(metadata.sessions().find(1)->open_inodes.count(f));
  ASSERT_TRUE(run(ops.unlink(as_user(0), 1, "f", false)));
  ASSERT_NE(metadata.fs().find(f), nullptr);
  EXPECT_EQ(metadata.fs().find(f)->type, NodeType::kSustained);
  // As in 3.0.117, the last RELEASE leaves it sustained; its bucket's EMPTYSUSTAINED frees it.
  ASSERT_TRUE(apply(entry("RELEASE", {"1", std::to_string(f)})));
  ASSERT_NE(metadata.fs().find(f), nullptr);
  ASSERT_TRUE(apply(entry("EMPTYSUSTAINED", {std::to_string(f % kSustainedBuckets)}, {"1", std::to_string(f)})));
  EXPECT_EQ(metadata.fs().find(f), nullptr);
}

TEST_F(Fixture, AnOpenFileInTheTrashOrSustainedIsStillTruncated) {
  constexpr uint8_t kOpened = 0x01;
  for (uint16_t trash_hours : {1, 0}) {  // to the trash, or sustained
    std::string name = "f" + std::to_string(trash_hours);
    ASSERT_TRUE(run(ops.mknod(as_user(0), 1, name, 1, 0644, 0, 0)));
    uint32_t f = inode_of(1, name);
    metadata.fs().find(f)->trash_hours = trash_hours;
    ASSERT_TRUE(run(ops.open(as_user(0), f, 0x03)));
    auto grown = ops.truncate(as_user(0), f, kOpened, 100, AppendReservations());
    ASSERT_TRUE(grown);
    ASSERT_TRUE(run(grown->entries));
    ASSERT_TRUE(run(ops.unlink(as_user(0), 1, name, false)));
    ASSERT_NE(metadata.fs().find(f)->type, NodeType::kFile);
    auto truncated = ops.truncate(as_user(0), f, kOpened, 0, AppendReservations());  // ftruncate of a held descriptor
    ASSERT_TRUE(truncated) << truncated.status().to_string();
    ASSERT_TRUE(run(truncated->entries));
    EXPECT_EQ(metadata.fs().find(f)->length, 0u);
  }
}

TEST_F(Fixture, SubfolderSessionSeesOnlyItsTree) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "sub", 0755, 0)));
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "outside", 0755, 0)));
  uint32_t sub = inode_of(1, "sub");
  uint32_t outside = inode_of(1, "outside");
  metadata.sessions().find(1)->parameters.root_inode = sub;
  RequestContext context = as_user(0);
  EXPECT_EQ(ops.resolve(context, 1)->inode, sub);
  EXPECT_EQ(ops.resolve(context, outside), nullptr);
  auto parent = ops.lookup(context, 1, "..");
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->wire_inode, 1u);
}

TEST_F(Fixture, DirectoryEntriesStayInCreationOrderAcrossChanges) {
  auto names = [this] {
    std::vector<std::string> listed;
    for (const Edge* edge : FsTree::in_creation_order(*metadata.fs().root())) listed.push_back(edge->name);
    return listed;
  };
  for (const char* name : {"c", "a", "b"}) ASSERT_TRUE(run(ops.mknod(as_user(0), 1, name, 1, 0644, 0, 0)));
  EXPECT_EQ(names(), (std::vector<std::string>{"c", "a", "b"}));
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "d", 0755, 0)));  // appended to a listing already built
  EXPECT_EQ(names(), (std::vector<std::string>{"c", "a", "b", "d"}));
  ASSERT_TRUE(run(ops.unlink(as_user(0), 1, "a", false)));
  EXPECT_EQ(names(), (std::vector<std::string>{"c", "b", "d"}));
  ASSERT_TRUE(run(ops.rename(as_user(0), 1, "c", 1, "e")));  // a renamed entry is a new entry
  ASSERT_TRUE(run(ops.link(as_user(0), inode_of(1, "b"), 1, "f")));
  EXPECT_EQ(names(), (std::vector<std::string>{"b", "d", "e", "f"}));
}

}  // namespace
}  // namespace mfs::master
