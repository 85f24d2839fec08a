// AppendReservations: each append starts after the file's end and the reservations before.
#include "mfsmaster/append_reservations.h"

#include <gtest/gtest.h>

namespace mfs::master {
namespace {

TEST(AppendReservationsTest, AnAppendStartsAfterTheEndAndTheLastReservation) {
  AppendReservations reservations;
  EXPECT_EQ(reservations.next_start(7, 1000, 0), 1000u);
  reservations.reserve_to(7, 1100, 0);
  EXPECT_EQ(reservations.next_start(7, 1000, 0), 1100u);
  EXPECT_EQ(reservations.next_start(7, 5000, 0), 5000u);  // the file grew past it
  EXPECT_EQ(reservations.next_start(8, 10, 0), 10u);
}

TEST(AppendReservationsTest, ATruncateOrTimeEndsAReservation) {
  AppendReservations reservations;
  reservations.reserve_to(7, 1100, 0);
  reservations.forget(7);
  EXPECT_EQ(reservations.next_start(7, 10, 0), 10u);
  reservations.reserve_to(7, 1100, 0);
  EXPECT_EQ(reservations.next_start(7, 10, 120), 1100u);
  EXPECT_EQ(reservations.next_start(7, 10, 121), 10u);
}

TEST(AppendReservationsTest, OldReservationsAreDroppedOnceThereAreMany) {
  AppendReservations reservations;
  reservations.reserve_to(1, 100, 0);
  for (uint32_t inode = 2; inode <= 5000; ++inode) reservations.reserve_to(inode, 100, 1000);
  EXPECT_EQ(reservations.next_start(1, 10, 0), 10u);  // gone, even asked as of its time
  EXPECT_EQ(reservations.next_start(5000, 10, 1000), 100u);
}

}  // namespace
}  // namespace mfs::master
