#include "mfsmaster/mutation_log.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <string>

#include "mfsmaster/tests/protocol_master.h"

namespace mfs::master {
namespace {

constexpr uint32_t kNow = testing::ProtocolMaster::kNow;

class MutationLogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(master_.start()); }  // logs SETMETAID as change 1

  std::string changelog() const { return master_.changelog_lines(); }

  static ChangelogEntry create(const std::string& name, uint32_t inode) {
    // parent, name, type (file), mode, umask, uid, gid, rdev -> inode
    return ChangelogEntry::make("CREATE", kNow)
        .arg(kRootInode)
        .arg(name)
        .arg(1)
        .arg(0644)
        .arg(0)
        .arg(0)
        .arg(0)
        .arg(0)
        .result(inode);
  }

  testing::ProtocolMaster master_;
};

TEST_F(MutationLogTest, CommitLogsEveryEntryWithConsecutiveIds) {
  ASSERT_TRUE(master_.mutations->commit({create("a", 2), create("b", 3)}));
  ASSERT_TRUE(master_.run_until_durable());
  std::string log = changelog();
  EXPECT_NE(log.find("\n2: "), std::string::npos) << log;
  EXPECT_NE(log.find("\n3: "), std::string::npos) << log;
  EXPECT_EQ(master_.writer->durable_id(), 3u);
}

TEST_F(MutationLogTest, EntriesBeforeARejectedOneAreStillLogged) {
  Status status = master_.mutations->commit({create("a", 2), create("a", 3)});  // the second name exists
  EXPECT_FALSE(status);
  ASSERT_TRUE(master_.run_until_durable());
  std::string log = changelog();
  EXPECT_NE(log.find("\n2: "), std::string::npos) << log;
  EXPECT_EQ(log.find("\n3: "), std::string::npos) << log;
  EXPECT_EQ(master_.metadata.version(), 3u);
}

TEST_F(MutationLogTest, OnlyUserDataMakesRepliesWaitForDurability) {
  auto acquire = ChangelogEntry::make("ACQUIRE", kNow).arg(1).arg(2);
  auto release = ChangelogEntry::make("RELEASE", kNow).arg(1).arg(2);
  auto amtime = ChangelogEntry::make("AMTIME", kNow).arg(2).arg(kNow).arg(kNow).arg(kNow);
  auto unlock = ChangelogEntry::make("UNLOCK", kNow).arg(1);
  auto truncate = ChangelogEntry::make("LENGTH", kNow).arg(2).arg(0).arg(1);
  EXPECT_TRUE(MutationLog::reply_awaits_durability({}));
  EXPECT_FALSE(MutationLog::reply_awaits_durability({acquire}));
  EXPECT_FALSE(MutationLog::reply_awaits_durability({acquire, release, amtime, unlock}));
  EXPECT_TRUE(MutationLog::reply_awaits_durability({truncate, unlock}));
  EXPECT_TRUE(MutationLog::reply_awaits_durability({acquire, truncate}));
  EXPECT_TRUE(MutationLog::reply_awaits_durability({create("a", 2), acquire}));
}

TEST_F(MutationLogTest, SessionBookkeepingIsSyncedLazilyUnlessWaitedFor) {
  ASSERT_TRUE(master_.mutations->commit({create("a", 2)}));
  ASSERT_TRUE(master_.run_until_durable());
  ASSERT_EQ(master_.writer->durable_id(), 2u);
  ASSERT_TRUE(master_.mutations->commit({ChangelogEntry::make("AMTIME", kNow).arg(2).arg(kNow).arg(kNow).arg(kNow)}));
  {
    auto work = boost::asio::make_work_guard(master_.io);
    master_.io.restart();
    master_.io.run_for(std::chrono::milliseconds(50));  // far less than ChangelogWriter::kLazyDelay
  }
  EXPECT_EQ(master_.writer->durable_id(), 2u);
  ASSERT_TRUE(master_.run_until_durable());
  EXPECT_EQ(master_.writer->durable_id(), 3u);
}

}  // namespace
}  // namespace mfs::master
