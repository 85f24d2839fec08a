// Append reservations (TRUNCATE with RESERVE, spec 10 §7.6): an appending client asks for
// a range at the file's end, and the next appender gets the range after it, before the
// first one's data has arrived. As on 3.0.117 (observed: no LENGTH is logged for them),
// they live in memory only and the file's length changes when the data's write ends. So a
// reservation whose reply a master restart lost, retried by the client, gets the same
// offset again instead of a second range and a hole the size of the first.
#pragma once
#include <cstdint>
#include <unordered_map>

namespace mfs::master {

class AppendReservations {
 public:
  // Where the next append to a file of `length` bytes starts at `now`.
  uint64_t next_start(uint32_t inode, uint64_t length, uint32_t now) const;
  // Records a reservation up to `end`, made at `now`.
  void reserve_to(uint32_t inode, uint64_t end, uint32_t now);
  // The file's length was set (truncate, O_TRUNC): appends start from it again.
  void forget(uint32_t inode) { reservations_.erase(inode); }

 private:
  struct Reservation {
    uint64_t end = 0;
    uint32_t made_at = 0;
  };
  std::unordered_map<uint32_t, Reservation> reservations_;
};

}  // namespace mfs::master
