#include "mfsmaster/append_reservations.h"

#include <algorithm>

namespace mfs::master {
namespace {

// A reservation older than a write lock no longer counts: its data has been written by
// then, or its writer gave up. Past this many files, such reservations are dropped.
constexpr uint32_t kReservationSeconds = 120;
constexpr size_t kSweepAbove = 4096;

}  // namespace

uint64_t AppendReservations::next_start(uint32_t inode, uint64_t length, uint32_t now) const {
  auto it = reservations_.find(inode);
  if (it == reservations_.end() || it->second.made_at + kReservationSeconds < now) return length;
  return std::max(length, it->second.end);
}

void AppendReservations::reserve_to(uint32_t inode, uint64_t end, uint32_t now) {
  reservations_[inode] = {end, now};
  if (reservations_.size() <= kSweepAbove) return;
  std::erase_if(reservations_, [now](const auto& entry) { return entry.second.made_at + kReservationSeconds < now; });
}

}  // namespace mfs::master
