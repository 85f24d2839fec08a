// AppendReservations: each append starts after the file's end and the reservations before.
#include "mfsmaster/append_reservations.h"

#include <gtest/gtest.h>

namespace mfs::master {
namespace {

TEST(AppendReservationsTest, AnAppendStartsAfterTheEndAndTheLastReservation) {
  AppendReservations reservations;
  EXPECT_EQ(reservations.next_start(7, 1000), 1000u);
  reservations.reserve_to(7, 1100, 0);
  EXPECT_EQ(reservations.next_start(7, 1000), 1100u);
  EXPECT_EQ(reservations.next_start(7, 5000), 5000u);  // the file grew past it
  EXPECT_EQ(reservations.next_start(8, 10), 10u);
}

TEST(AppendReservationsTest, OldReservationsGoOnceThereAreMany) {
  AppendReservations reservations;
  reservations.reserve_to(1, 100, 0);
  for (uint32_t inode = 2; inode <= 5000; ++inode) reservations.reserve_to(inode, 100, 1000);
  EXPECT_EQ(reservations.next_start(1, 10), 10u);
  EXPECT_EQ(reservations.next_start(5000, 10), 100u);
}

}  // namespace
}  // namespace mfs::master
