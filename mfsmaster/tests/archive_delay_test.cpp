// Archiving after a storage class's delay (archive_delay.h): the walk sets the archive flag
// of an old-enough file's chunks with ARCHCHG(inode,0,1), as 3.0.117 logs it, judged by
// the ctime; files of classes without a delay and files already archived get nothing.
#include "mfsmaster/archive_delay.h"

#include <gtest/gtest.h>

#include "mfsmaster/storage_class_table.h"
#include "mfsmaster/tests/metadata_test_util.h"

namespace mfs::master {
namespace {

constexpr uint32_t kDay = 86400;

class ArchiveDelayTest : public testing::MetadataFixture {
 protected:
  ArchiveDelayTest() {
    StorageClass delayed = predefined_class(1);
    delayed.name = "arch";
    delayed.archive = delayed.keep;
    delayed.arch_delay = 1;
    EXPECT_TRUE(apply(class_set_entry(delayed, true, kFirstUserClassId, kNow)));
  }

  // A file with one chunk in class `sclass`; returns its inode.
  uint32_t file_with_chunk(const std::string& name, uint8_t sclass) {
    uint32_t inode = metadata.fs().next_inode();
    uint64_t chunk = metadata.chunks().next_id();
    EXPECT_TRUE(apply(entry("CREATE", {"1", name, "1", "420", "18", "0", "0", "0"}, {std::to_string(inode)})));
    EXPECT_TRUE(apply(entry("WRITE", {std::to_string(inode), "0", "1", "0"}, {std::to_string(chunk)})));
    EXPECT_TRUE(apply(entry("UNLOCK", {std::to_string(chunk)})));
    EXPECT_TRUE(apply(entry("SETSCLASS", {std::to_string(inode), "0", "1", std::to_string(sclass), "0"}, {"1", "0", "0"})));
    return inode;
  }

  std::vector<std::string> lines(const std::vector<ChangelogEntry>& entries) {
    std::vector<std::string> out;
    for (ChangelogEntry e : entries) {
      e.id = 0;
      out.push_back(format_changelog_line(e));
    }
    return out;
  }

  bool archived(uint32_t inode) const {
    return metadata.chunks().find(metadata.fs().find(inode)->chunks[0])->archived;
  }

  ArchiveDelayLoop loop;
};

TEST_F(ArchiveDelayTest, OldFileOfADelayedClassIsArchivedWithTheRealMastersEntry) {
  uint32_t old_file = file_with_chunk("old", kFirstUserClassId);
  uint32_t plain = file_with_chunk("plain", 1);
  ASSERT_EQ(metadata.fs().find(old_file)->ctime, kNow);
  EXPECT_TRUE(loop.next_tick(metadata, kNow + kDay - 1).empty()) << "archived before its delay";

  std::vector<ChangelogEntry> changes = loop.next_tick(metadata, kNow + kDay);
  ASSERT_EQ(lines(changes), (std::vector<std::string>{"0: " + std::to_string(kNow + kDay) + "|ARCHCHG(" +
                                                      std::to_string(old_file) + ",0,1):1,0,0\n"}));
  for (const ChangelogEntry& change : changes) ASSERT_TRUE(apply(change));
  EXPECT_TRUE(archived(old_file));
  EXPECT_FALSE(archived(plain)) << "a class without delay is never archived";
  EXPECT_TRUE(loop.next_tick(metadata, kNow + 2 * kDay).empty()) << "an archived file is archived again";
}

TEST_F(ArchiveDelayTest, ClearingTheFlagRestartsTheDelayFromTheNewCtime) {
  uint32_t file = file_with_chunk("f", kFirstUserClassId);
  for (const ChangelogEntry& change : loop.next_tick(metadata, kNow + kDay)) ASSERT_TRUE(apply(change));
  ASSERT_TRUE(archived(file));
  ChangelogEntry clear = entry("ARCHCHG", {std::to_string(file), "0", "0"}, {"1", "0", "0"});
  clear.timestamp = kNow + 2 * kDay;
  ASSERT_TRUE(apply(clear));
  ASSERT_FALSE(archived(file));
  EXPECT_TRUE(loop.next_tick(metadata, kNow + 3 * kDay - 1).empty());
  EXPECT_EQ(loop.next_tick(metadata, kNow + 3 * kDay).size(), 1u);
}

TEST_F(ArchiveDelayTest, DelayIsJudgedByCtimeNotMtime) {
  uint32_t file = file_with_chunk("f", kFirstUserClassId);
  // mtime ten days back (touch -m -d), ctime now: not archived; the reverse is.
  ASSERT_TRUE(apply(entry("ATTR", {std::to_string(file), "420", "0", "0", std::to_string(kNow),
                                   std::to_string(kNow - 10 * kDay), "0", "0"})));
  EXPECT_TRUE(archive_delay_passed(*metadata.fs().find(file), metadata.storage_classes(), kNow + kDay));
  EXPECT_FALSE(archive_delay_passed(*metadata.fs().find(file), metadata.storage_classes(), kNow + kDay - 1));
}

}  // namespace
}  // namespace mfs::master
