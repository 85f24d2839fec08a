#include "mfschunkserver/hdd_config.h"

#include <gtest/gtest.h>

namespace mfs::cs {
namespace {

TEST(ParseSize, DecimalAndBinarySuffixes) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("1234"), 1234u);
  EXPECT_EQ(parse_size("256MiB"), 256ull << 20);
  EXPECT_EQ(parse_size("256Mi"), 256ull << 20);
  EXPECT_EQ(parse_size("4M"), 4000000u);
  EXPECT_EQ(parse_size("1.5Gi"), 3ull << 29);
  EXPECT_EQ(parse_size("10kB"), 10000u);
  EXPECT_EQ(parse_size("2Ki"), 2048u);
  EXPECT_EQ(parse_size("1TiB"), 1ull << 40);
  EXPECT_EQ(parse_size(".5k"), 500u);
}

TEST(ParseSize, RejectsOtherText) {
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("MiB"));
  EXPECT_FALSE(parse_size("10K"));   // 'K' only as "Ki"
  EXPECT_FALSE(parse_size("10ki"));  // 'k' only decimal
  EXPECT_FALSE(parse_size("10 GiB"));
  EXPECT_FALSE(parse_size("10GiBx"));
  EXPECT_FALSE(parse_size("-5"));
}

TEST(HddConfig, LinesPrefixesAndLimits) {
  std::vector<std::string> warnings;
  auto disks = parse_hdd_config(
      "# comment\n"
      "\n"
      "/mnt/hdd1\n"
      "  /mnt/hdd2/   \r\n"
      "*/mnt/old\n"
      "~<>/mnt/grow -10GiB\n"
      "/mnt/small 5GiB\n"
      "/mnt/with space/disk\n"
      "/mnt/bad 12xyz\n",
      &warnings);
  ASSERT_EQ(disks.size(), 7u);
  EXPECT_EQ(disks[0], (DiskConfig{"/mnt/hdd1/", false, std::nullopt, std::nullopt}));
  EXPECT_EQ(disks[1].path, "/mnt/hdd2/");
  EXPECT_EQ(disks[2], (DiskConfig{"/mnt/old/", true, std::nullopt, std::nullopt}));
  EXPECT_EQ(disks[3], (DiskConfig{"/mnt/grow/", false, 10ull << 30, std::nullopt, true, true, true}));
  EXPECT_FALSE(disks[2].move_out || disks[2].move_in || disks[2].tolerate_size_change);
  EXPECT_EQ(disks[4], (DiskConfig{"/mnt/small/", false, std::nullopt, 5ull << 30}));
  EXPECT_EQ(disks[5].path, "/mnt/with space/disk/");
  EXPECT_EQ(disks[6].path, "/mnt/bad/");
  EXPECT_FALSE(disks[6].size_limit);
  ASSERT_EQ(warnings.size(), 1u);
}

}  // namespace
}  // namespace mfs::cs
