#include "mfscommon/crc32.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace mfs {
namespace {

uint32_t crc_of(std::string_view text) {
  return crc32(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

// Test vectors of spec 20 §5.
TEST(Crc32, SpecVectors) {
  EXPECT_EQ(crc_of("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc_of(""), 0u);
  EXPECT_EQ(crc_of("a"), 0xE8B7BE43u);
  EXPECT_EQ(crc_of("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
  EXPECT_EQ(crc32(std::vector<uint8_t>(1, 0)), 0xD202EF8Du);
  EXPECT_EQ(crc32(std::vector<uint8_t>(4514, 0)), 0xF92DA399u);
  EXPECT_EQ(crc32(std::vector<uint8_t>(65536, 0)), kEmptyBlockCrc);
  EXPECT_EQ(crc32(std::vector<uint8_t>(65536, 0xFF)), 0xDEAB7E4Eu);
  std::vector<uint8_t> ramp(65536);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(crc32(ramp), 0xB11DE6A1u);
}

TEST(Crc32, Continues) {
  std::string_view text = "123456789";
  auto bytes = std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  EXPECT_EQ(crc32(crc32(bytes.first(4)), bytes.subspan(4)), 0xCBF43926u);
}

TEST(Crc32, Combine) {
  EXPECT_EQ(crc32_combine(crc_of("1234"), crc_of("56789"), 5), 0xCBF43926u);
  EXPECT_EQ(crc32_zeros(65536), kEmptyBlockCrc);
  EXPECT_EQ(crc32_zeros(512), 0xB2AA7578u);
  EXPECT_EQ(crc32_combine(crc_of("abc"), crc32_zeros(65533), 65533), 0xAD6E9A4Au);
  EXPECT_EQ(crc32_combine(crc_of("abc"), 0, 0), crc_of("abc"));
}

}  // namespace
}  // namespace mfs
