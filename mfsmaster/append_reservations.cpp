#include "mfsmaster/append_reservations.h"

#include <algorithm>

namespace mfs::master {
namespace {

// Past this many files, reservations older than a write lock are dropped: their data has
// been written by then, or its writer gave up.
constexpr size_t kSweepAbove = 4096;
constexpr uint32_t kReservationSeconds = 120;

}  // namespace

uint64_t AppendReservations::next_start(uint32_t inode, uint64_t length) const {
  auto it = reservations_.find(inode);
  return it == reservations_.end() ? length : std::max(length, it->second.end);
}

void AppendReservations::reserve_to(uint32_t inode, uint64_t end, uint32_t now) {
  reservations_[inode] = {end, now};
  if (reservations_.size() <= kSweepAbove) return;
  std::erase_if(reservations_, [now](const auto& entry) { return entry.second.made_at + kReservationSeconds < now; });
}

}  // namespace mfs::master
