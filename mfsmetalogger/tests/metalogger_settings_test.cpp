// mfsmetalogger.cfg defaults and clamps (spec 40 §C.8).
#include "mfsmetalogger/metalogger_settings.h"

#include <gtest/gtest.h>

namespace mfs::ml {
namespace {

TEST(MetaloggerSettings, Defaults) {
  MetaloggerSettings settings = MetaloggerSettings::from(ConfigFile());
  EXPECT_EQ(settings.back_logs, 50u);
  EXPECT_EQ(settings.back_meta_keep_previous, 3u);
  EXPECT_EQ(settings.meta_download_freq, 24u);
  EXPECT_EQ(settings.reconnection_delay, 5u);
  EXPECT_EQ(settings.bind_host, "*");
  EXPECT_EQ(settings.master_host, "mfsmaster");
  EXPECT_EQ(settings.master_port, 9419);
  EXPECT_EQ(settings.master_timeout, 10);
}

TEST(MetaloggerSettings, Clamps) {
  MetaloggerSettings low = MetaloggerSettings::from(
      ConfigFile::parse("BACK_LOGS = 1\nMASTER_TIMEOUT = 3\nMETA_DOWNLOAD_FREQ = 10\n"));
  EXPECT_EQ(low.back_logs, 5u);
  EXPECT_EQ(low.master_timeout, 10);
  EXPECT_EQ(low.meta_download_freq, 2u);  // at most BACK_LOGS / 2
  MetaloggerSettings high = MetaloggerSettings::from(
      ConfigFile::parse("BACK_LOGS = 20000\nMASTER_TIMEOUT = 100000\nBACK_META_KEEP_PREVIOUS = 150\n"));
  EXPECT_EQ(high.back_logs, 10000u);
  EXPECT_EQ(high.master_timeout, 65535);
  EXPECT_EQ(high.back_meta_keep_previous, 99u);
}

TEST(MetaloggerSettings, OnlyTheMasterAddressNeedsANewConnection) {
  MetaloggerSettings settings;
  MetaloggerSettings other = settings;
  other.master_timeout = 60;
  other.back_logs = 10;
  EXPECT_TRUE(settings.same_master(other));
  other.master_port = 9500;
  EXPECT_FALSE(settings.same_master(other));
  other = settings;
  other.bind_host = "10.0.0.1";
  EXPECT_FALSE(settings.same_master(other));
}

}  // namespace
}  // namespace mfs::ml
