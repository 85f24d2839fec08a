#include "mfsmount/meta_tree.h"

#include <gtest/gtest.h>

namespace mfs::mount::meta {
namespace {

TEST(MetaTree, KindsOfInodes) {
  EXPECT_EQ(kind_of(1), NodeKind::kRoot);
  EXPECT_EQ(kind_of(2147483640), NodeKind::kTrash);  // numbers shown by 3.0.117's `stat`
  EXPECT_EQ(kind_of(2147483641), NodeKind::kUndel);
  EXPECT_EQ(kind_of(2147483642), NodeKind::kSustained);
  EXPECT_EQ(kind_of(2147418112), NodeKind::kBucket);
  EXPECT_EQ(kind_of(2147422207), NodeKind::kBucket);
  EXPECT_EQ(bucket_of(2147422207), 0xFFFu);
  EXPECT_EQ(kind_of(2147422208), NodeKind::kFile);
  EXPECT_EQ(kind_of(2), NodeKind::kFile);
  EXPECT_EQ(bucket_inode(0xA), 2147418122u);
}

TEST(MetaTree, FolderLooks) {
  EXPECT_EQ(folder_look(NodeKind::kRoot).mode, 0555);
  EXPECT_EQ(folder_look(NodeKind::kTrash).nlink, 4099u);
  EXPECT_EQ(folder_look(NodeKind::kUndel).mode, 0200);
  EXPECT_EQ(folder_look(NodeKind::kUndel).nlink, 4098u);
  EXPECT_EQ(folder_look(NodeKind::kBucket).nlink, 3u);
  EXPECT_EQ(folder_look(NodeKind::kSustained).mode, 0500);
}

TEST(MetaTree, BucketNames) {
  EXPECT_EQ(bucket_name(0), "000");
  EXPECT_EQ(bucket_name(0xFFF), "FFF");
  EXPECT_EQ(bucket_from_name("00A"), 10u);
  EXPECT_EQ(bucket_from_name("00a"), 10u);
  EXPECT_EQ(bucket_from_name("0000000A|d|xx"), 10u);  // as 3.0.117: the hex number in front
  EXPECT_EQ(bucket_from_name("xyz"), 0u);
  EXPECT_EQ(bucket_from_name("FFF"), 0xFFFu);
  EXPECT_EQ(bucket_from_name("1000"), std::nullopt);
  EXPECT_EQ(bucket_from_name("FFFFFFFFFFFFFFFFFFFFFFFF"), std::nullopt);
}

TEST(MetaTree, FileNames) {
  EXPECT_EQ(file_name(5, "d|f2"), "00000005|d|f2");
  EXPECT_EQ(inode_from_name("00000005|d|f2"), 5u);
  EXPECT_EQ(inode_from_name("0000000A|q"), 10u);
  EXPECT_EQ(inode_from_name("0000000a|q"), 10u);
  EXPECT_EQ(inode_from_name("0000000A"), std::nullopt);
  EXPECT_EQ(inode_from_name("0000000Z|x"), std::nullopt);
  EXPECT_EQ(inode_from_name("+000000A|x"), std::nullopt);
  EXPECT_EQ(inode_from_name("00000000|x"), std::nullopt);
  EXPECT_EQ(inode_from_name("7FFFFFF8|x"), std::nullopt);  // the trash folder's number
  EXPECT_EQ(inode_from_name("7FFFFFFF|x"), std::nullopt);  // .masterinfo's
  EXPECT_EQ(inode_from_name("7FFEFFFF|x"), 0x7FFEFFFFu);
  EXPECT_EQ(inode_from_name("undel"), std::nullopt);
  EXPECT_EQ(inode_from_name(""), std::nullopt);
}

TEST(MetaTree, PathToStore) {
  EXPECT_EQ(path_to_store("d/renamed"), "d/renamed");
  EXPECT_EQ(path_to_store("d/e\n"), "d/e");            // echo
  EXPECT_EQ(path_to_store("d/x\n\n"), "d/x\n");        // one newline only
  EXPECT_EQ(path_to_store("/a//b/"), "/a//b/");        // the master judges the path
  EXPECT_EQ(path_to_store(""), std::nullopt);
  EXPECT_EQ(path_to_store("\n"), std::nullopt);
  EXPECT_EQ(path_to_store(std::string_view("a\0b", 3)), std::nullopt);
}

}  // namespace
}  // namespace mfs::mount::meta
