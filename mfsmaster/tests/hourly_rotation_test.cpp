#include "mfsmaster/hourly_rotation.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "mfsmaster/tests/protocol_master.h"

namespace mfs::master {
namespace {

constexpr uint32_t kHour = 3600;

class HourlyRotationTest : public ::testing::Test {
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
  std::vector<std::vector<uint8_t>> sent;
  uint64_t next_chunk_id = 1000;
};

TEST_F(HourlyRotationTest, RotatesTheChangelogEachHourKeepingBackLogsAndStoresNoImage) {
  HourlyRotation rotation(*master.writer, master.metaloggers, 10 * kHour + 5);
  ConfigFile config;
  config.set("BACK_LOGS", "2");
  config.set("METADATA_SAVE_FREQ", "1");  // ignored, with a notice
  rotation.configure(config);

  rotation.run(10 * kHour + 3000);  // the same hour
  change_and_wait();
  EXPECT_FALSE(exists("changelog.1.mfs"));
  EXPECT_EQ(rotations_sent(), 0u);

  for (uint32_t hour = 11; hour <= 14; ++hour) {
    rotation.run(hour * kHour);
    change_and_wait();
  }
  EXPECT_EQ(rotations_sent(), 4u);
  EXPECT_TRUE(exists("changelog.1.mfs"));
  EXPECT_TRUE(exists("changelog.2.mfs"));
  EXPECT_FALSE(exists("changelog.3.mfs")) << "BACK_LOGS 2";
  EXPECT_FALSE(exists("metadata.mfs.back"));
}

}  // namespace
}  // namespace mfs::master
