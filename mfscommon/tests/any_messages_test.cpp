#include "mfscommon/any_messages.h"

#include <gtest/gtest.h>

#include "mfscommon/packet.h"
#include "mfscommon/version.h"

namespace mfs::anymsg {
namespace {

std::span<const uint8_t> payload_of(const std::vector<uint8_t>& frame) {
  return std::span<const uint8_t>(frame).subspan(kPacketHeaderSize);
}

TEST(AnyMessages, GetVersionWithAndWithoutMsgid) {
  EXPECT_EQ(encode(GetVersion{}), (std::vector<uint8_t>{0, 0, 0, 10, 0, 0, 0, 0}));
  auto with_msgid = encode(GetVersion{0x01020304});
  EXPECT_EQ(with_msgid, (std::vector<uint8_t>{0, 0, 0, 10, 0, 0, 0, 4, 1, 2, 3, 4}));
  EXPECT_EQ(*decode_get_version(payload_of(with_msgid)), GetVersion{0x01020304});
  EXPECT_EQ(*decode_get_version({}), GetVersion{});
  std::vector<uint8_t> three = {1, 2, 3};
  EXPECT_FALSE(decode_get_version(three));
}

TEST(AnyMessages, VersionReplyLayout) {
  auto frame = encode(own_version_reply(GetVersion{7}));
  std::vector<uint8_t> expected = {0, 0, 0, 11, 0, 0, 0, 17, 0, 0, 0, 7, 0x00, 0x03, 0x00, 0xEA,
                                   '3', '.', '0', '.', '1', '1', '7', '-', '1'};
  EXPECT_EQ(frame, expected);
  auto decoded = decode_version(payload_of(frame), true);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, (Version{7, kOwnVersion, "3.0.117-1"}));

  auto without = encode(own_version_reply(GetVersion{}));
  EXPECT_EQ(without.size(), 8u + 4 + 9);
  EXPECT_EQ(*decode_version(payload_of(without), false), (Version{std::nullopt, kOwnVersion, "3.0.117-1"}));
  std::vector<uint8_t> short_payload = {0, 0, 0, 1, 0, 3};
  EXPECT_FALSE(decode_version(short_payload, true));
  EXPECT_TRUE(decode_version(short_payload, false));
}

TEST(AnyMessages, ConfigQueryRoundTripsAndChecksLength) {
  GetConfig query{.msgid = 9, .name = "WORKING_USER"};
  auto frame = encode(query);
  EXPECT_EQ(frame.size(), 8u + 5 + 12);
  EXPECT_EQ(*decode_get_config(payload_of(frame)), query);
  std::vector<uint8_t> long_name = {0, 0, 0, 9, 2, 'a'};
  EXPECT_FALSE(decode_get_config(long_name));
  std::vector<uint8_t> trailing = {0, 0, 0, 9, 1, 'a', 'b'};
  EXPECT_FALSE(decode_get_config(trailing));
  EXPECT_FALSE(decode_get_config({}));
}

TEST(AnyMessages, ConfigValueIsTruncatedTo255) {
  ConfigValue value{.msgid = 1, .value = std::string(300, 'x')};
  auto frame = encode(value);
  EXPECT_EQ(frame.size(), 8u + 5 + 255);
  auto decoded = decode_config_value(payload_of(frame));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->value, std::string(255, 'x'));
  EXPECT_EQ(*decode_config_value(payload_of(encode(ConfigValue{.msgid = 2, .value = ""}))),
            (ConfigValue{2, ""}));
  std::vector<uint8_t> truncated = {0, 0, 0};
  EXPECT_FALSE(decode_config_value(truncated));
}

TEST(AnyMessages, IgnorableTypes) {
  EXPECT_TRUE(is_ignorable(msg::ANTOAN_NOP));
  EXPECT_TRUE(is_ignorable(msg::ANTOAN_UNKNOWN_COMMAND));
  EXPECT_TRUE(is_ignorable(msg::ANTOAN_BAD_COMMAND_SIZE));
  EXPECT_FALSE(is_ignorable(msg::ANTOAN_GET_VERSION));
  EXPECT_EQ(encode(Ignorable{msg::ANTOAN_UNKNOWN_COMMAND}), (std::vector<uint8_t>{0, 0, 0, 1, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace mfs::anymsg
