#include "mfscommon/config_file.h"

#include <gtest/gtest.h>

namespace mfs {
namespace {

TEST(ConfigFile, ParsesDefinitionsCommentsAndLastWins) {
  std::vector<std::string> warnings;
  auto config = ConfigFile::parse(
      "# comment\n"
      "DATA_PATH = /var/lib/mfs  \n"
      "  WORKING_USER=mfs\n"
      "X = 5 # not a comment\n"
      "garbage line\n"
      "\n"
      "DATA_PATH = /other\n",
      &warnings);
  EXPECT_EQ(config.get_string("DATA_PATH", ""), "/other");
  EXPECT_EQ(config.get_string("WORKING_USER", ""), "mfs");
  EXPECT_EQ(config.raw("X"), "5 # not a comment");
  EXPECT_EQ(config.get_uint("X", 0), 5u);
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_FALSE(config.raw("MISSING").has_value());
}

TEST(ConfigFile, NumbersUseBaseZero) {
  auto config = ConfigFile::parse("UMASK = 027\nHEX=0x10\nDEC=19\nNEG=-4\nD=2.5\n");
  EXPECT_EQ(config.get_uint("UMASK", 0), 027u);
  EXPECT_EQ(config.get_uint("HEX", 0), 16u);
  EXPECT_EQ(config.get_uint("DEC", 0), 19u);
  EXPECT_EQ(config.get_int("NEG", 0), -4);
  EXPECT_DOUBLE_EQ(config.get_double("D", 0), 2.5);
  EXPECT_EQ(config.get_uint("MISSING", 77), 77u);
  EXPECT_EQ(config.get_uint_clamped("DEC", 0, 1, 10), 10u);
}

TEST(ConfigFile, HashNotInFirstColumnIsPartOfLine) {
  auto config = ConfigFile::parse(" # X = 1\n");
  EXPECT_FALSE(config.raw("#").has_value());
  EXPECT_FALSE(config.raw("X").has_value());
}

TEST(ConfigFile, MissingFileIsAnError) {
  auto config = ConfigFile::load("/nonexistent/mfsmaster.cfg");
  EXPECT_FALSE(config.is_ok());
}

}  // namespace
}  // namespace mfs
