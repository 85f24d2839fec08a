#include "mfsmaster/live_plan.h"

#include <gtest/gtest.h>

#include <string>

namespace mfs::master {
namespace {

TEST(LivePlanTest, APlanIsTakenOnceAtItsVersionWhenItMatches) {
  LivePlan<std::string> plan;
  plan.remember(7, "seven");
  auto any = [](const std::string&) { return true; };
  EXPECT_EQ(plan.take(8, any), std::nullopt) << "a plan of another state was used";
  EXPECT_EQ(plan.take(7, any), std::nullopt) << "a plan was kept after a take";
  plan.remember(7, "seven");
  EXPECT_EQ(plan.take(7, [](const std::string& p) { return p == "other"; }), std::nullopt);
  plan.remember(7, "seven");
  EXPECT_EQ(plan.take(7, any), "seven");
  EXPECT_EQ(plan.take(7, any), std::nullopt);
}

}  // namespace
}  // namespace mfs::master
