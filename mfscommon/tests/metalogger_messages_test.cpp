#include "mfscommon/metalogger_messages.h"

#include <gtest/gtest.h>

#include "mfscommon/crc32.h"

namespace mfs::mlmsg {
namespace {

Packet packet_of(const std::vector<uint8_t>& frame) {
  return Packet{get_u32_be(frame.data()), std::vector<uint8_t>(frame.begin() + kPacketHeaderSize, frame.end())};
}

template <typename Message>
void expect_round_trip_from_metalogger(const Message& message) {
  auto decoded = decode_from_metalogger(packet_of(encode(message)));
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(std::get<Message>(*decoded), message);
}

TEST(MetaloggerMessages, RegistrationVariants) {
  auto from_start = encode(Register{0x000300EA, 60, std::nullopt});
  EXPECT_EQ(from_start, (std::vector<uint8_t>{0, 0, 0, 50, 0, 0, 0, 7, 1, 0, 3, 0, 0xEA, 0, 60}));
  expect_round_trip_from_metalogger(Register{0x000300EA, 60, std::nullopt});
  auto resume = encode(Register{0x000300EA, 10, 0x0102030405060708});
  EXPECT_EQ(resume.size(), 8u + 15);
  EXPECT_EQ(resume[8], 2);
  expect_round_trip_from_metalogger(Register{0x000300EA, 10, 0x0102030405060708});
}

TEST(MetaloggerMessages, MalformedRegistrationsAreRejected) {
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::ANTOMA_REGISTER, {}}));
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::ANTOMA_REGISTER, {1, 0, 3, 0, 0xEA, 0}}));          // short
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::ANTOMA_REGISTER, {1, 0, 3, 0, 0xEA, 0, 60, 0}}));  // long
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::ANTOMA_REGISTER, {2, 0, 3, 0, 0xEA, 0, 60}}));     // 2 needs 15
  // Variants 3 and 4 are MooseFS Pro's followers.
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::ANTOMA_REGISTER, {3, 0, 3, 0, 0xEA, 0, 60}}));
}

TEST(MetaloggerMessages, DownloadRequestsNeedTheirExactLengths) {
  expect_round_trip_from_metalogger(DownloadStart{kDownloadChangelog1});
  expect_round_trip_from_metalogger(DownloadRequest{1000000, 1000000});
  expect_round_trip_from_metalogger(DownloadEnd{});
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::ANTOMA_DOWNLOAD_START, {}}));
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::ANTOMA_DOWNLOAD_START, {1, 1}}));
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::ANTOMA_DOWNLOAD_REQUEST, std::vector<uint8_t>(11)}));
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::ANTOMA_DOWNLOAD_END, {0}}));
  EXPECT_FALSE(decode_from_metalogger(Packet{msg::MATOAN_METACHANGES_LOG, {0x55}}));  // wrong direction
}

TEST(MetaloggerMessages, ChangeEntryCarriesItsTextNulTerminated) {
  auto frame = encode(MetaChange{5, "1|SESADD(x)"});
  ASSERT_EQ(frame.size(), 8u + 9 + 11 + 1);
  EXPECT_EQ(frame[8], 0xFF);
  EXPECT_EQ(frame.back(), 0);
  auto decoded = decode_from_master(packet_of(frame));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(std::get<MetaChange>(*decoded), (MetaChange{5, "1|SESADD(x)"}));
  EXPECT_EQ(encode(ChangelogRotated{}), (std::vector<uint8_t>{0, 0, 0, 51, 0, 0, 0, 1, 0x55}));
  EXPECT_TRUE(std::holds_alternative<ChangelogRotated>(*decode_from_master(packet_of(encode(ChangelogRotated{})))));
}

TEST(MetaloggerMessages, MalformedChangeEntriesAreRejected) {
  std::vector<uint8_t> good = packet_of(encode(MetaChange{5, "abc"})).payload;
  auto with = [&](auto change) {
    auto payload = good;
    change(payload);
    return decode_from_master(Packet{msg::MATOAN_METACHANGES_LOG, payload});
  };
  EXPECT_TRUE(with([](auto&) {}));
  EXPECT_FALSE(with([](auto& p) { p[0] = 0xAA; }));  // Pro's acknowledged entry
  EXPECT_FALSE(with([](auto& p) { p.back() = 'x'; }));
  EXPECT_FALSE(with([](auto& p) { p[10] = 0; }));
  EXPECT_FALSE(with([](auto& p) { p.resize(9); }));
  EXPECT_FALSE(decode_from_master(Packet{msg::MATOAN_METACHANGES_LOG, {0x56}}));
  EXPECT_FALSE(decode_from_master(Packet{msg::MATOAN_METACHANGES_LOG, {}}));
}

TEST(MetaloggerMessages, DownloadAnswers) {
  EXPECT_EQ(encode(DownloadInfo{}), (std::vector<uint8_t>{0, 0, 0, 61, 0, 0, 0, 1, 0xFF}));
  EXPECT_EQ(std::get<DownloadInfo>(*decode_from_master(packet_of(encode(DownloadInfo{1234})))), DownloadInfo{1234});
  EXPECT_EQ(std::get<DownloadInfo>(*decode_from_master(packet_of(encode(DownloadInfo{})))), DownloadInfo{});
  EXPECT_FALSE(decode_from_master(Packet{msg::MATOAN_DOWNLOAD_INFO, {0}}));
  EXPECT_FALSE(decode_from_master(Packet{msg::MATOAN_DOWNLOAD_INFO, std::vector<uint8_t>(4)}));

  std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  auto frame = encode(DownloadData{77, 0, data});
  auto decoded = decode_from_master(packet_of(frame));
  ASSERT_TRUE(decoded);
  const auto& block = std::get<DownloadData>(*decoded);
  EXPECT_EQ(block.offset, 77u);
  EXPECT_EQ(block.data, data);
  EXPECT_EQ(block.crc, crc32(data));  // computed by encode
  auto payload = packet_of(frame).payload;
  payload.pop_back();  // shorter than its length field says
  EXPECT_FALSE(decode_from_master(Packet{msg::MATOAN_DOWNLOAD_DATA, payload}));
  EXPECT_FALSE(decode_from_master(Packet{msg::MATOAN_DOWNLOAD_DATA, std::vector<uint8_t>(15)}));
  EXPECT_FALSE(decode_from_master(Packet{msg::ANTOMA_REGISTER, {1, 0, 3, 0, 0xEA, 0, 60}}));  // wrong direction
}

}  // namespace
}  // namespace mfs::mlmsg
