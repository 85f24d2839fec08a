// Housekeeping: trash expiry purges a file with its chunks once its trash time has passed,
// never earlier; expired disconnected sessions are removed after the start-up grace.
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

  uint64_t chunk_id = 0;
};

TEST_F(HousekeepingTest, TrashedFileStaysForItsTrashTimeThenGoesWithItsChunk) {
  const uint32_t inode = trashed_file_with_a_chunk();
  Housekeeping housekeeping(metadata, *mutations, *chunks, kNow);
  ASSERT_EQ(std::as_const(metadata).fs().trash().count(inode), 1u);
  ASSERT_NE(chunk(), nullptr);
  ASSERT_EQ(chunk()->file_references, 1u);

  housekeeping.run(kNow + kDay - 1);
  settle();
  EXPECT_EQ(std::as_const(metadata).fs().trash().count(inode), 1u) << "purged before its trash time";

  housekeeping.run(kNow + kDay);
  settle();
  EXPECT_EQ(std::as_const(metadata).fs().trash().count(inode), 0u);
  EXPECT_EQ(std::as_const(metadata).fs().find(inode), nullptr);
  EXPECT_TRUE(chunk() == nullptr || chunk()->file_references == 0) << "the purged file still holds its chunk";
  EXPECT_NE(changelog().find("|PURGE(" + std::to_string(inode) + ")"), std::string::npos);
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
