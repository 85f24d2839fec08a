#include "mfsmount/io_retries.h"

#include <gtest/gtest.h>

namespace mfs::mount {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(IoRetriesTest, RetriesAreCountedWithoutTimeLimitByDefault) {
  IoRetries::Clock::time_point start{};
  IoRetries retries(IoRetrySettings{3, 0, 5}, start);
  EXPECT_EQ(retries.delay_before(0, start), IoRetries::Clock::duration::zero());
  EXPECT_EQ(retries.delay_before(2, start + seconds(100000)), milliseconds(301));
  EXPECT_FALSE(retries.delay_before(3, start));
  EXPECT_FALSE(retries.out_of_time(start + seconds(100000)));
  EXPECT_TRUE(IoRetries(IoRetrySettings{0, 0, 5}, start).delay_before(0, start));  // one try at least
}

TEST(IoRetriesTest, TimeoutCutsTheBackOffAndStopsTheRetries) {
  IoRetries::Clock::time_point start{};
  IoRetries retries(IoRetrySettings{1000, 10, 5}, start);
  EXPECT_EQ(retries.delay_before(5, start + seconds(5)), milliseconds(1201));
  EXPECT_EQ(retries.delay_before(40, start + seconds(9)), seconds(1));  // 10 s of back-off cut at the deadline
  EXPECT_FALSE(retries.delay_before(5, start + seconds(10)));
  EXPECT_TRUE(retries.out_of_time(start + seconds(10)));
  EXPECT_TRUE(retries.delay_before(0, start + seconds(10)));  // the first try is always made
  EXPECT_FALSE(IoRetries(IoRetrySettings{2, 10, 5}, start).delay_before(2, start));  // and the count still holds
  Status lost(StatusCode::kChunkLost, "no copy");
  EXPECT_EQ(retries.gave_up(lost, start + seconds(10)).code(), StatusCode::kIO);
  EXPECT_EQ(retries.gave_up(lost, start + seconds(9)).code(), StatusCode::kChunkLost);
}

// Spec 10 §8.5: LOCKED and EAGAIN are waited out; the back-off keeps growing with each try.
TEST(IoRetriesTest, LockedAndEagainDoNotCountAgainstTheRetries) {
  IoRetries::Clock::time_point start{};
  IoRetries retries(IoRetrySettings{2, 0, 5}, start);
  retries.failed_with(StatusCode::kLocked);
  retries.failed_with(StatusCode::kEAGAIN);
  retries.failed_with(StatusCode::kIO);
  EXPECT_EQ(retries.delay_before(3, start), milliseconds(601));
  EXPECT_FALSE(retries.delay_before(4, start));
  IoRetries timed(IoRetrySettings{2, 10, 5}, start);
  timed.failed_with(StatusCode::kLocked);
  EXPECT_TRUE(timed.delay_before(2, start + seconds(9)));
  EXPECT_FALSE(timed.delay_before(2, start + seconds(10)));  // mfstimeout still ends it
}

TEST(IoRetriesTest, FailuresAreLoggedFromLogRetryOn) {
  // 3.0.117 with mfsioretries=8 logs 3 failed tries by default, 8 with mfslogretry=0.
  IoRetries retries(IoRetrySettings{30, 0, 5});
  EXPECT_FALSE(retries.worth_logging(0));
  EXPECT_FALSE(retries.worth_logging(4));
  EXPECT_TRUE(retries.worth_logging(5));
  EXPECT_TRUE(IoRetries(IoRetrySettings{30, 0, 0}).worth_logging(0));
}

}  // namespace
}  // namespace mfs::mount
