#include "mfschunkserver/rebalance_policy.h"

#include <gtest/gtest.h>

namespace mfs::cs {
namespace {

using enum RebalanceRole;

RebalanceDisk disk(bool move_out, bool move_in, uint64_t available = 100, uint64_t total = 1000, uint32_t chunks = 0) {
  return {move_out, move_in, true, available, total, chunks};
}

TEST(RebalanceRoles, NoMarkerMovesNothing) {
  std::vector<RebalanceDisk> disks = {disk(false, false), disk(false, false)};
  EXPECT_EQ(rebalance_roles(disks), (std::vector{kNone, kNone}));
}

// Observed: "<d0 d1 d2" empties d0 into d1 and d2.
TEST(RebalanceRoles, OutMarkedDisksEmptyIntoTheOthers) {
  std::vector<RebalanceDisk> disks = {disk(true, false), disk(false, false), disk(false, false)};
  EXPECT_EQ(rebalance_roles(disks), (std::vector{kSource, kDestination, kDestination}));
}

// Observed: "d0 >d1 d2" empties d0 and d2 into d1.
TEST(RebalanceRoles, InMarkedDisksTakeFromAllOthers) {
  std::vector<RebalanceDisk> disks = {disk(false, false), disk(false, true), disk(false, false)};
  EXPECT_EQ(rebalance_roles(disks), (std::vector{kSource, kDestination, kSource}));
  disks[0].move_out = true;
  EXPECT_EQ(rebalance_roles(disks), (std::vector{kSource, kDestination, kSource}));
}

TEST(RebalanceRoles, NothingMovesWithoutADestination) {
  std::vector<RebalanceDisk> disks = {disk(true, false), disk(true, false)};
  EXPECT_EQ(rebalance_roles(disks), (std::vector{kNone, kNone}));
}

TEST(RebalanceRoles, UnusableDisksTakeNoPart) {
  std::vector<RebalanceDisk> disks = {disk(true, false), disk(false, false), disk(false, false)};
  disks[2].usable = false;  // damaged or marked for removal
  EXPECT_EQ(rebalance_roles(disks), (std::vector{kSource, kDestination, kNone}));
  disks[1].usable = false;
  EXPECT_EQ(rebalance_roles(disks), (std::vector{kNone, kNone, kNone}));
  // A '>' disk that cannot be used does not turn the others into sources.
  std::vector<RebalanceDisk> in = {disk(false, false), disk(false, true)};
  in[1].usable = false;
  EXPECT_EQ(rebalance_roles(in), (std::vector{kNone, kNone}));
}

TEST(RebalanceDestination, LargestFreeShareWithRoom) {
  std::vector<RebalanceDisk> disks = {disk(true, false, 900), disk(false, false, 100, 1000),
                                      disk(false, false, 300, 1000), disk(false, false, 250, 500)};
  auto roles = rebalance_roles(disks);
  EXPECT_EQ(pick_destination(disks, roles, 10, 1), 3u);   // 50 % free
  EXPECT_EQ(pick_destination(disks, roles, 260, 1), 2u);  // the only one with room besides the source
  EXPECT_EQ(pick_destination(disks, roles, 400, 1), std::nullopt);
}

TEST(RebalanceDestination, FewestChunksOnATie) {
  // Disks on one file system have the same free share: chunks spread evenly.
  std::vector<RebalanceDisk> disks = {disk(true, false), disk(false, false, 100, 1000, 5),
                                      disk(false, false, 100, 1000, 4)};
  auto roles = rebalance_roles(disks);
  EXPECT_EQ(pick_destination(disks, roles, 10, 1), 2u);
  disks[2].chunks = 6;
  EXPECT_EQ(pick_destination(disks, roles, 10, 1), 1u);
  // Read a moment apart while something else writes: still a tie.
  disks[1].available = 99'999;
  disks[1].total = 1'000'000;
  disks[2].available = 100'000;
  disks[2].total = 1'000'000;
  EXPECT_EQ(pick_destination(disks, roles, 10, 1), 1u);
}

// High-speed rebalancing (HDD_HIGH_SPEED_REBALANCE_LIMIT): moves in flight count as
// chunks already there, take room, and a destination takes at most `max_moves_in` at once.
TEST(RebalanceDestination, MovesInFlightFillSlotsAndRoom) {
  std::vector<RebalanceDisk> disks = {disk(true, false), disk(false, false, 100, 1000, 4),
                                      disk(false, false, 100, 1000, 4)};
  auto roles = rebalance_roles(disks);
  disks[1].moves_in = 1;
  EXPECT_EQ(pick_destination(disks, roles, 10, 2), 2u);  // spread: 4 + 1 on its way > 4
  disks[2].moves_in = 2;
  EXPECT_EQ(pick_destination(disks, roles, 10, 2), 1u);  // disk 2 has no free slot
  disks[1].moves_in = 2;
  EXPECT_EQ(pick_destination(disks, roles, 10, 2), std::nullopt);
  EXPECT_EQ(pick_destination(disks, roles, 10, 3), 1u);            // a tie: the first
  EXPECT_EQ(pick_destination(disks, roles, 40, 3), std::nullopt);  // 2 × 40 + 40 > 100
  EXPECT_EQ(pick_destination(disks, roles, 33, 3), 1u);
}

TEST(RebalanceDuplicates, KeepsTheCopyWhereRebalancingMovesTo) {
  EXPECT_TRUE(keep_second_copy(kSource, kDestination));
  EXPECT_TRUE(keep_second_copy(kNone, kDestination));
  EXPECT_FALSE(keep_second_copy(kDestination, kSource));
  EXPECT_FALSE(keep_second_copy(kDestination, kDestination));
  EXPECT_FALSE(keep_second_copy(kNone, kNone));
}

}  // namespace
}  // namespace mfs::cs
