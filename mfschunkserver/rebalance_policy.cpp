#include "mfschunkserver/rebalance_policy.h"

#include <algorithm>

namespace mfs::cs {
namespace {

// Free shares closer than this are a tie: folders on one file system, read one after the
// other while something else writes to it, must not look different.
constexpr double kSameShare = 0.001;

}  // namespace

std::vector<RebalanceRole> rebalance_roles(std::span<const RebalanceDisk> disks) {
  auto usable_with = [&](bool RebalanceDisk::*marker) {
    return std::any_of(disks.begin(), disks.end(), [&](const RebalanceDisk& d) { return d.usable && d.*marker; });
  };
  // `>` decides when present: its disks fill from all others; else `<` disks empty.
  bool fill = usable_with(&RebalanceDisk::move_in);
  bool drain = !fill && usable_with(&RebalanceDisk::move_out);
  std::vector<RebalanceRole> roles(disks.size(), RebalanceRole::kNone);
  if (!fill && !drain) return roles;
  bool any_destination = false;
  for (size_t i = 0; i < disks.size(); ++i) {
    if (!disks[i].usable) continue;
    bool destination = fill ? disks[i].move_in : !disks[i].move_out;
    roles[i] = destination ? RebalanceRole::kDestination : RebalanceRole::kSource;
    any_destination = any_destination || destination;
  }
  if (!any_destination) std::fill(roles.begin(), roles.end(), RebalanceRole::kNone);
  return roles;
}

std::optional<size_t> pick_destination(std::span<const RebalanceDisk> disks, std::span<const RebalanceRole> roles,
                                       uint64_t size, uint32_t max_moves_in) {
  std::optional<size_t> best;
  auto free_share = [&](size_t i) {
    return disks[i].total == 0 ? 0.0 : static_cast<double>(disks[i].available) / static_cast<double>(disks[i].total);
  };
  auto coming = [&](size_t i) { return uint64_t{disks[i].chunks} + disks[i].moves_in; };
  for (size_t i = 0; i < disks.size() && i < roles.size(); ++i) {
    const RebalanceDisk& disk = disks[i];
    if (roles[i] != RebalanceRole::kDestination || disk.moves_in >= max_moves_in) continue;
    // Moves in flight may not have taken their room yet.
    if (disk.available < size * (uint64_t{disk.moves_in} + 1)) continue;
    double difference = best ? free_share(i) - free_share(*best) : 0;
    if (!best || difference > kSameShare || (difference >= -kSameShare && coming(i) < coming(*best))) best = i;
  }
  return best;
}

bool keep_second_copy(RebalanceRole first, RebalanceRole second) {
  return second == RebalanceRole::kDestination && first != RebalanceRole::kDestination;
}

}  // namespace mfs::cs
