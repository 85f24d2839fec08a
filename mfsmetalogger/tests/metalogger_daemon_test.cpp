// The schedule of the periodic metadata download: 630 s past each multiple of the period.
#include "mfsmetalogger/metalogger_daemon.h"

#include <gtest/gtest.h>

namespace mfs::ml {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

TEST(MetaloggerDaemon, DownloadsAt630SecondsPastThePeriod) {
  Clock::time_point day(std::chrono::hours(24 * 20000));  // a midnight UTC
  EXPECT_EQ(next_metadata_download(day, 24), day + 630s);
  EXPECT_EQ(next_metadata_download(day + 629s, 24), day + 630s);
  EXPECT_EQ(next_metadata_download(day + 630s, 24), day + 24h + 630s);  // strictly later
  EXPECT_EQ(next_metadata_download(day + 5h, 24), day + 24h + 630s);
  EXPECT_EQ(next_metadata_download(day + 5h, 2), day + 6h + 630s);
  EXPECT_EQ(next_metadata_download(day + 5h + 1800s, 1), day + 6h + 630s);
}

}  // namespace
}  // namespace mfs::ml
