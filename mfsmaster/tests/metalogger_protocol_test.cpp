#include "mfsmaster/metalogger_protocol.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mfscommon/crc32.h"

namespace mfs::master {
namespace {

Packet packet_of(const std::vector<uint8_t>& frame) {
  return Packet{get_u32_be(frame.data()), std::vector<uint8_t>(frame.begin() + kPacketHeaderSize, frame.end())};
}

mlmsg::MasterToMetalogger decoded(const std::vector<uint8_t>& frame) {
  auto message = mlmsg::decode_from_master(packet_of(frame));
  EXPECT_TRUE(message) << message.status().to_string();
  return message ? *message : mlmsg::MasterToMetalogger{};
}

struct RecordingLink : MetaloggerLink {
  void send(std::vector<uint8_t> frame) override { sent.push_back(std::move(frame)); }
  uint32_t peer_ip() const override { return 0xC6120005; }
  void set_timeout(uint16_t seconds) override { timeout = seconds; }
  std::vector<std::vector<uint8_t>> sent;
  uint16_t timeout = 0;
};

MetaloggerFeed::Follower recording_follower(std::vector<std::vector<uint8_t>>& into) {
  return {1, 2, [&into](std::vector<uint8_t> frame) { into.push_back(std::move(frame)); }};
}

TEST(MetaloggerFeed, SendsEachDurableLineAndRotationToFollowers) {
  uint32_t now = 1000;
  MetaloggerFeed feed([&] { return now; });
  std::vector<std::vector<uint8_t>> sent;
  feed.add(recording_follower(sent), std::nullopt);
  feed.durable("7: 1000|SESADD(1)\n8: 1000|ACCESS(1)\n", true);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(std::get<mlmsg::MetaChange>(decoded(sent[0])), (mlmsg::MetaChange{7, "1000|SESADD(1)"}));
  EXPECT_EQ(std::get<mlmsg::MetaChange>(decoded(sent[1])), (mlmsg::MetaChange{8, "1000|ACCESS(1)"}));
  EXPECT_TRUE(std::holds_alternative<mlmsg::ChangelogRotated>(decoded(sent[2])));
  feed.durable("no id here\n", false);  // logged, not sent
  EXPECT_EQ(sent.size(), 3u);
}

TEST(MetaloggerFeed, ResumingFollowerGetsTheKeptLinesItMissed) {
  uint32_t now = 1000;
  MetaloggerFeed feed([&] { return now; });
  feed.durable("5: a\n6: b\n7: c\n", false);
  std::vector<std::vector<uint8_t>> resumed;
  feed.add(recording_follower(resumed), 6);
  ASSERT_EQ(resumed.size(), 2u);
  EXPECT_EQ(std::get<mlmsg::MetaChange>(decoded(resumed[0])).version, 6u);
  EXPECT_EQ(std::get<mlmsg::MetaChange>(decoded(resumed[1])).version, 7u);
  // Older than anything kept: nothing is sent, the metalogger finds the gap itself.
  std::vector<std::vector<uint8_t>> too_old;
  feed.add(recording_follower(too_old), 4);
  EXPECT_TRUE(too_old.empty());
  // Lines older than CHANGELOG_PRESERVE_SECONDS are dropped as new ones come.
  feed.set_preserve_seconds(10);
  now += 11;
  feed.durable("8: d\n", false);
  std::vector<std::vector<uint8_t>> late;
  feed.add(recording_follower(late), 6);
  EXPECT_TRUE(late.empty());
  feed.set_preserve_seconds(0);
  feed.durable("9: e\n", false);
  std::vector<std::vector<uint8_t>> none_kept;
  feed.add(recording_follower(none_kept), 9);
  EXPECT_TRUE(none_kept.empty());
  EXPECT_EQ(feed.followers().size(), 4u);
}

class MetaloggerProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_path = std::filesystem::temp_directory_path() / ("mlproto_" + std::to_string(::getpid()));
    std::filesystem::create_directories(data_path);
    services.data_path = data_path.string();
  }
  void TearDown() override { std::filesystem::remove_all(data_path); }

  std::filesystem::path data_path;
  uint32_t now = 1000;
  MetaloggerFeed feed{[this] { return now; }};
  std::vector<uint8_t> image = std::vector<uint8_t>(2500000, 'm');
  ConfigFile config;
  // Images are made at once, unless `later` holds them back.
  bool later = false;
  std::vector<std::function<void(Result<DownloadSource>)>> held;
  MetaloggerServices services{feed,
                              [this](std::function<void(Result<DownloadSource>)> ready) {
                                if (later) return held.push_back(std::move(ready));
                                ready(DownloadSource::from_bytes(image));
                              },
                              "", [this]() -> const ConfigFile& { return config; }};
  std::shared_ptr<RecordingLink> link = std::make_shared<RecordingLink>();
};

TEST_F(MetaloggerProtocolTest, RegistrationJoinsTheFeedOnce) {
  {
    MetaloggerProtocol protocol(services, link);
    ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::Register{0x000300EA, 1, std::nullopt}))));
    EXPECT_TRUE(protocol.registered());
    EXPECT_EQ(link->timeout, 3);  // 3.0.117's least timeout
    ASSERT_EQ(feed.followers().size(), 1u);
    EXPECT_EQ(feed.followers().begin()->second.ip, 0xC6120005u);
    EXPECT_EQ(feed.followers().begin()->second.version, 0x000300EAu);
    EXPECT_FALSE(protocol.handle(packet_of(mlmsg::encode(mlmsg::Register{0x000300EA, 60, std::nullopt}))));
    protocol.disconnected();
  }
  EXPECT_TRUE(feed.followers().empty());
}

TEST_F(MetaloggerProtocolTest, MetadataDownloadServesTheImageInBlocks) {
  MetaloggerProtocol protocol(services, link);
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadMetadata}))));
  EXPECT_EQ(std::get<mlmsg::DownloadInfo>(decoded(link->sent.back())).size, image.size());
  std::vector<uint8_t> received;
  for (uint64_t offset = 0; offset < image.size(); offset += 1000000) {
    auto length = static_cast<uint32_t>(std::min<uint64_t>(1000000, image.size() - offset));
    ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadRequest{offset, length}))));
    auto block = std::get<mlmsg::DownloadData>(decoded(link->sent.back()));
    EXPECT_EQ(block.offset, offset);
    EXPECT_EQ(block.crc, crc32(block.data));
    received.insert(received.end(), block.data.begin(), block.data.end());
  }
  EXPECT_EQ(received, image);
  EXPECT_FALSE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadRequest{image.size() - 10, 11}))));
}

TEST_F(MetaloggerProtocolTest, ChangelogsAreServedAsTheyWereAtTheImageAndCutAfterTheirLastLine) {
  {
    std::ofstream changelog(data_path / "changelog.0.mfs", std::ios::binary);
    changelog << "10: 1|ACCESS(1)\n11: 1|ACCESS(2)\n";
    changelog << std::string(4096, '\0');  // the writer's preallocation
  }
  MetaloggerProtocol protocol(services, link);
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadMetadata}))));
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadEnd{}))));
  std::filesystem::rename(data_path / "changelog.0.mfs", data_path / "changelog.1.mfs");  // rotated meanwhile
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadChangelog0}))));
  EXPECT_EQ(std::get<mlmsg::DownloadInfo>(decoded(link->sent.back())).size, 32u);
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadRequest{0, 32}))));
  auto block = std::get<mlmsg::DownloadData>(decoded(link->sent.back()));
  EXPECT_EQ(std::string(block.data.begin(), block.data.end()), "10: 1|ACCESS(1)\n11: 1|ACCESS(2)\n");
  // There was no changelog.1.mfs when the image was made.
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadChangelog1}))));
  EXPECT_EQ(std::get<mlmsg::DownloadInfo>(decoded(link->sent.back())).size, 0u);
}

TEST_F(MetaloggerProtocolTest, BadRequestsCloseOrAreRefused) {
  MetaloggerProtocol protocol(services, link);
  EXPECT_FALSE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadRequest{0, 10}))));  // nothing open
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadSessions}))));
  EXPECT_EQ(std::get<mlmsg::DownloadInfo>(decoded(link->sent.back())), mlmsg::DownloadInfo{});
  EXPECT_FALSE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{3}))));
  EXPECT_FALSE(protocol.handle(Packet{msg::ANTOMA_REGISTER, {1, 2}}));
  EXPECT_FALSE(protocol.handle(Packet{msg::CLTOMA_FUSE_READ_CHUNK, {}}));
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadMetadata}))));
  EXPECT_FALSE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadRequest{0, mlmsg::kMaxPayload}))));
  // A failing image is answered with the error status.
  services.metadata_image = [](std::function<void(Result<DownloadSource>)> ready) {
    ready(Status(StatusCode::kIO, "disk"));
  };
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadMetadata}))));
  EXPECT_EQ(std::get<mlmsg::DownloadInfo>(decoded(link->sent.back())), mlmsg::DownloadInfo{});
}

TEST_F(MetaloggerProtocolTest, AnImageMadeLaterIsServedOnlyToTheDownloadThatAskedForIt) {
  later = true;
  {
    MetaloggerProtocol gone(services, link);
    ASSERT_TRUE(gone.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadMetadata}))));
  }
  MetaloggerProtocol protocol(services, link);
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadMetadata}))));
  ASSERT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadSessions}))));
  EXPECT_TRUE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadMetadata}))));
  ASSERT_EQ(held.size(), 3u);
  link->sent.clear();
  held[0](DownloadSource::from_bytes(image));  // its connection is gone
  held[1](DownloadSource::from_bytes(image));  // another download started since
  EXPECT_TRUE(link->sent.empty());
  EXPECT_FALSE(protocol.handle(packet_of(mlmsg::encode(mlmsg::DownloadRequest{0, 10})))) << "no image yet";
  MetaloggerProtocol again(services, link);
  ASSERT_TRUE(again.handle(packet_of(mlmsg::encode(mlmsg::DownloadStart{mlmsg::kDownloadMetadata}))));
  held[3](DownloadSource::from_bytes(image));
  ASSERT_EQ(link->sent.size(), 1u);
  EXPECT_EQ(std::get<mlmsg::DownloadInfo>(decoded(link->sent.back())).size, image.size());
  EXPECT_TRUE(again.handle(packet_of(mlmsg::encode(mlmsg::DownloadRequest{0, 10}))));
}

}  // namespace
}  // namespace mfs::master
