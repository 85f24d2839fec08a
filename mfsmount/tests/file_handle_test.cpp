#include "mfsmount/file_handle.h"

#include <gtest/gtest.h>

namespace mfs::mount {
namespace {

TEST(FileHandle, NumberCarriesTheDirectFlagAndTheOpenTime) {
  FileHandle::Clock::time_point now = FileHandle::Clock::now();
  for (bool direct : {false, true}) {
    FileHandle back = FileHandle::from_number(FileHandle{direct, now}.number());
    EXPECT_EQ(back.direct, direct);
    EXPECT_EQ(back.opened, now);
  }
  EXPECT_FALSE(FileHandle::from_number(0).direct);  // an fh never set: not direct, opened at boot
}

}  // namespace
}  // namespace mfs::mount
