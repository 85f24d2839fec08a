// Housekeeping: trash expiry purges a file with its chunks once its trash time has passed,
// never earlier, one trash bucket a second as 3.0.117 does; expired disconnected sessions
// are removed after the start-up grace.
#include "mfsmaster/housekeeping.h"

#include <gtest/gtest.h>

#include <utility>

#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

constexpr uint32_t kDay = 86400;

class HousekeepingTest : public ProtocolFixture {
 protected:
  // A file "f" in the root with one chunk, then unlinked: the root keeps trash for 24 h.
  uint32_t trashed_file_with_a_chunk() {
    const uint32_t inode = std::as_const(metadata).fs().next_inode();
    const uint64_t chunk = std::as_const(metadata).chunks().next_id();
    EXPECT_TRUE(mutations->commit({
        ChangelogEntry::make("CREATE", kNow).arg(kRootInode).arg("f").arg(1).arg(0644).arg(18).arg(0).arg(0).arg(0).result(
            inode),
        ChangelogEntry::make("WRITE", kNow).arg(inode).arg(0).arg(1).arg(0).result(chunk),
        ChangelogEntry::make("UNLINK", kNow).arg(kRootInode).arg("f").result(inode),
    }));
    settle();
    chunk_id = chunk;
    return inode;
  }

  const ChunkRecord* chunk() const { return std::as_const(metadata).chunks().find(chunk_id); }

  // One round over every trash bucket, all at time `now`.
  static void visit_all_buckets(Housekeeping& housekeeping, uint32_t now) {
    for (uint32_t bucket = 0; bucket < kTrashBuckets; ++bucket) housekeeping.run(now);
  }

  uint64_t chunk_id = 0;
};

TEST_F(HousekeepingTest, TrashedFileStaysForItsTrashTimeThenGoesWithItsChunk) {
  const uint32_t inode = trashed_file_with_a_chunk();
  Housekeeping housekeeping(metadata, *mutations, *chunks, kNow);
  ASSERT_EQ(std::as_const(metadata).fs().trash().count(inode), 1u);
  ASSERT_NE(chunk(), nullptr);
  ASSERT_EQ(chunk()->file_references, 1u);

  visit_all_buckets(housekeeping, kNow + kDay);
  settle();
  EXPECT_EQ(std::as_const(metadata).fs().trash().count(inode), 1u) << "purged before its trash time";

  // Bucket `inode` is visited at the inode-th run of a round.
  for (uint32_t bucket = 0; bucket < inode; ++bucket) housekeeping.run(kNow + kDay + 1);
  settle();
  EXPECT_EQ(std::as_const(metadata).fs().trash().count(inode), 1u) << "purged before its bucket's turn";
  housekeeping.run(kNow + kDay + 1);
  settle();
  EXPECT_EQ(std::as_const(metadata).fs().trash().count(inode), 0u);
  EXPECT_EQ(std::as_const(metadata).fs().find(inode), nullptr);
  EXPECT_TRUE(chunk() == nullptr || chunk()->file_references == 0) << "the purged file still holds its chunk";
  EXPECT_NE(changelog().find("|EMPTYTRASH(" + std::to_string(inode) + "):1,0," + std::to_string(inode) + "\n"),
            std::string::npos);
  EXPECT_EQ(replayed_version(), metadata.version());
}

// Observed with 3.0.117: inodes 2 (open) and 4098 share bucket 2 and give
// EMPTYTRASH(2):1,1,4096 (XOR of both); the open one becomes sustained.
TEST_F(HousekeepingTest, ExpiryOfABucketCountsOpenFilesAsSustainedAndXorsTheInodes) {
  TestClient client = mount();
  std::vector<ChangelogEntry> creates;
  for (uint32_t inode = 2; inode <= 4098; ++inode) {
    std::string name = "f" + std::to_string(inode);
    creates.push_back(ChangelogEntry::make("CREATE", kNow).arg(kRootInode).arg(name).arg(1).arg(0644).arg(18).arg(0).arg(0).arg(0).result(inode));
  }
  ASSERT_TRUE(mutations->commit(std::move(creates)));
  ASSERT_TRUE(mutations->commit({ChangelogEntry::make("ACQUIRE", kNow).arg(client.session_id).arg(2),
                                 ChangelogEntry::make("UNLINK", kNow).arg(kRootInode).arg("f2").result(2),
                                 ChangelogEntry::make("UNLINK", kNow).arg(kRootInode).arg("f4098").result(4098)}));
  Housekeeping housekeeping(metadata, *mutations, *chunks, kNow);
  for (int run = 0; run < 3; ++run) housekeeping.run(kNow + kDay + 1);
  settle();
  EXPECT_NE(changelog().find("|EMPTYTRASH(2):1,1,4096\n"), std::string::npos);
  EXPECT_EQ(std::as_const(metadata).fs().find(4098), nullptr);
  EXPECT_EQ(std::as_const(metadata).fs().sustained().count(2), 1u);
  EXPECT_EQ(replayed_version(), metadata.version());
}

// Observed with 3.0.117: a sustained file outlives its last holder (here its session's end)
// until its sustained bucket (inode % 256, one a second in step with the trash buckets)
// comes: EMPTYSUSTAINED(bucket):freed,inode_checksum.
TEST_F(HousekeepingTest, SustainedFileIsFreedAtItsBucketAfterItsLastHolderLeaves) {
  TestClient client = mount();
  const uint32_t inode = std::as_const(metadata).fs().next_inode();
  chunk_id = std::as_const(metadata).chunks().next_id();
  ASSERT_TRUE(mutations->commit({
      ChangelogEntry::make("CREATE", kNow).arg(kRootInode).arg("f").arg(1).arg(0644).arg(18).arg(0).arg(0).arg(0).result(
          inode),
      ChangelogEntry::make("ACQUIRE", kNow).arg(client.session_id).arg(inode),
      ChangelogEntry::make("WRITE", kNow).arg(inode).arg(0).arg(1).arg(0).result(chunk_id),
      ChangelogEntry::make("SETTRASHTIME", kNow).arg(inode).arg(0).arg(0).arg(0).result(1).result(0).result(0),
      ChangelogEntry::make("UNLINK", kNow).arg(kRootInode).arg("f").result(inode),
  }));
  Housekeeping housekeeping(metadata, *mutations, *chunks, kNow);
  for (uint32_t run = 0; run < kSustainedBuckets; ++run) housekeeping.run(kNow + 1);
  settle();
  ASSERT_EQ(std::as_const(metadata).fs().sustained().count(inode), 1u) << "freed while held";

  ASSERT_TRUE(mutations->commit({ChangelogEntry::make("SESDEL", kNow + 2).arg(client.session_id)}));
  settle();
  ASSERT_EQ(std::as_const(metadata).fs().sustained().count(inode), 1u) << "freed at the session's end";
  // The next round: bucket `inode` is the inode-th run.
  for (uint32_t bucket = 0; bucket < inode; ++bucket) housekeeping.run(kNow + 3);
  settle();
  EXPECT_EQ(std::as_const(metadata).fs().sustained().count(inode), 1u) << "freed before its bucket's turn";
  housekeeping.run(kNow + 3);
  settle();
  EXPECT_EQ(std::as_const(metadata).fs().find(inode), nullptr);
  EXPECT_TRUE(chunk() == nullptr || chunk()->file_references == 0) << "the freed file still holds its chunk";
  EXPECT_NE(changelog().find("|EMPTYSUSTAINED(" + std::to_string(inode) + "):1," + std::to_string(inode) + "\n"),
            std::string::npos);
  EXPECT_EQ(replayed_version(), metadata.version());
}

TEST_F(HousekeepingTest, DisconnectedSessionExpiresAfterTheSustainTimeNotDuringStartUpGrace) {
  TestClient client = mount();
  const uint32_t session = client.session_id;
  ASSERT_NE(session, 0u);
  client.protocol->disconnected();
  settle();
  // A master started a day later: its clients get two minutes to reconnect first.
  const uint32_t started = kNow + kDay;
  Housekeeping housekeeping(metadata, *mutations, *chunks, started);
  housekeeping.run(started + 60);
  settle();
  EXPECT_EQ(std::as_const(metadata).sessions().all().count(session), 1u) << "expired during the start-up grace";
  housekeeping.run(started + 120);
  settle();
  EXPECT_EQ(std::as_const(metadata).sessions().all().count(session), 0u);
}

}  // namespace
}  // namespace mfs::master::testing
