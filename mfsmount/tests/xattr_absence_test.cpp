#include "mfsmount/xattr_absence.h"

#include <gtest/gtest.h>

namespace mfs::mount {
namespace {

using namespace std::chrono_literals;
using Clock = XattrAbsence::Clock;

TEST(XattrAbsenceTest, AbsenceIsKnownOnlyWhileTheAttributesAreFresh) {
  XattrAbsence absence;
  Clock::time_point now = Clock::now();
  absence.note(7, true, 1s, now);
  EXPECT_TRUE(absence.known_absent(7, now + 999ms));
  EXPECT_FALSE(absence.known_absent(7, now + 1s));
  EXPECT_FALSE(absence.known_absent(8, now));
}

TEST(XattrAbsenceTest, AttributesWithXattrsOrUncachedOnesClearTheAbsence) {
  XattrAbsence absence;
  Clock::time_point now = Clock::now();
  absence.note(7, true, 1s, now);
  absence.note(7, false, 1s, now);
  EXPECT_FALSE(absence.known_absent(7, now));
  absence.note(7, true, 1s, now);
  absence.note(7, true, 0s, now);  // NOACACHE: the kernel does not trust them either
  EXPECT_FALSE(absence.known_absent(7, now));
}

TEST(XattrAbsenceTest, ForgetClearsTheAbsence) {
  XattrAbsence absence;
  Clock::time_point now = Clock::now();
  absence.note(7, true, 1s, now);
  absence.forget(7);
  EXPECT_FALSE(absence.known_absent(7, now));
}

TEST(XattrAbsenceTest, ManyInodesStayCorrectAfterPruning) {
  XattrAbsence absence;
  Clock::time_point now = Clock::now();
  for (uint32_t inode = 1; inode <= 70000; ++inode) absence.note(inode, true, 1s, now);
  absence.note(1, true, 1s, now + 2s);  // prunes: every other entry has expired by then
  EXPECT_TRUE(absence.known_absent(1, now + 2s));
  EXPECT_FALSE(absence.known_absent(2, now + 2s));
}

}  // namespace
}  // namespace mfs::mount
