#include "mfscommon/status.h"

#include <gtest/gtest.h>

namespace mfs {
namespace {

TEST(Status, TextsMatchSpec) {
  EXPECT_EQ(status_text(StatusCode::kOk), "OK");
  EXPECT_EQ(status_text(StatusCode::kENOENT), "No such file or directory");
  EXPECT_EQ(status_text(StatusCode::kQuota), "Quota exceeded");
  EXPECT_EQ(status_text(StatusCode::kClassInUse), "Class in use");
  EXPECT_EQ(status_text(uint8_t{54}), "Unknown MFS error");
  EXPECT_EQ(status_text(uint8_t{255}), "Unknown MFS error");
}

TEST(Status, ResultCarriesValueOrStatus) {
  Result<int> good = 5;
  Result<int> bad = Status(StatusCode::kEACCES, "no X on parent");
  EXPECT_TRUE(good.is_ok());
  EXPECT_EQ(*good, 5);
  EXPECT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.code(), StatusCode::kEACCES);
  EXPECT_EQ(bad.status().to_string(), "Permission denied: no X on parent");
  EXPECT_EQ(good.code(), StatusCode::kOk);
}

}  // namespace
}  // namespace mfs
