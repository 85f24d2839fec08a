#include "mfsmaster/hourly_backup.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "mfsmaster/tests/protocol_master.h"

namespace mfs::master {
namespace {

constexpr uint32_t kHour = 3600;

class HourlyBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(master.start());
    master.writer->set_durable_lines_observer(
        [this](std::string_view lines, bool rotated) { master.metaloggers.durable(lines, rotated); });
    master.metaloggers.add({1, 2, [this](std::vector<uint8_t> frame) { sent.push_back(std::move(frame)); }},
                           std::nullopt);
  }

  // A change after the hour's work: once it is durable, so is a rotation queued before it.
  void change_and_wait() {
    ASSERT_TRUE(master.mutations->commit(
        {ChangelogEntry::make("NEXTCHUNKID", master.now).arg(++next_chunk_id)}));
    ASSERT_TRUE(master.run_until_durable());
  }

  bool exists(const std::string& name) const { return std::filesystem::exists(master.data_path + "/" + name); }

  size_t rotations_sent() const {
    return static_cast<size_t>(std::count_if(sent.begin(), sent.end(), [](const std::vector<uint8_t>& frame) {
      return frame.size() == kPacketHeaderSize + 1 && frame.back() == 0x55;
    }));
  }

  testing::ProtocolMaster master;
  ImageExtras extras;
  std::vector<std::vector<uint8_t>> sent;
  uint64_t next_chunk_id = 1000;
};

TEST_F(HourlyBackupTest, RotatesTheChangelogEachHourAndStoresTheImageEveryNHours) {
  HourlyBackup backup(master.metadata, extras, *master.writer, master.metaloggers, master.data_path, 10 * kHour + 5);
  ConfigFile config;
  config.set("METADATA_SAVE_FREQ", "2");
  config.set("BACK_META_KEEP_PREVIOUS", "2");
  backup.configure(config);

  backup.run(10 * kHour + 3000);  // the same hour
  change_and_wait();
  EXPECT_FALSE(exists("changelog.1.mfs"));
  EXPECT_EQ(rotations_sent(), 0u);

  backup.run(11 * kHour);
  change_and_wait();
  EXPECT_TRUE(exists("changelog.1.mfs"));
  EXPECT_EQ(rotations_sent(), 1u);
  backup.wait();
  EXPECT_FALSE(exists("metadata.mfs.back"));  // hour 11: not a saving hour

  backup.run(12 * kHour + 1);
  backup.wait();
  change_and_wait();
  EXPECT_TRUE(exists("changelog.2.mfs"));
  EXPECT_EQ(rotations_sent(), 2u);
  ASSERT_TRUE(exists("metadata.mfs.back"));
  EXPECT_FALSE(exists("metadata.mfs.back.tmp"));
  Metadata loaded;
  ImageExtras loaded_extras;
  ASSERT_TRUE(load_metadata_image(master.data_path + "/metadata.mfs.back", loaded, &loaded_extras, master.now, nullptr));
  // Made before the change that followed it.
  EXPECT_EQ(loaded.version() + 1, master.metadata.version());
  EXPECT_EQ(loaded.meta_id(), master.metadata.meta_id());

  backup.run(14 * kHour);
  backup.wait();
  EXPECT_TRUE(exists("metadata.mfs.back.1"));
  backup.run(16 * kHour);
  backup.wait();
  EXPECT_TRUE(exists("metadata.mfs.back.2"));
  backup.run(18 * kHour);
  backup.wait();
  EXPECT_FALSE(exists("metadata.mfs.back.3"));  // BACK_META_KEEP_PREVIOUS 2
}

TEST_F(HourlyBackupTest, SaveFrequencyIsBoundByTheChangelogsKept) {
  HourlyBackup backup(master.metadata, extras, *master.writer, master.metaloggers, master.data_path, 10 * kHour);
  ConfigFile config;
  config.set("BACK_LOGS", "4");
  config.set("METADATA_SAVE_FREQ", "24");  // more than BACK_LOGS/2: saved every 2 hours
  backup.configure(config);
  backup.run(11 * kHour);
  backup.wait();
  EXPECT_FALSE(exists("metadata.mfs.back"));
  backup.run(12 * kHour);
  backup.wait();
  EXPECT_TRUE(exists("metadata.mfs.back"));
}

}  // namespace
}  // namespace mfs::master
