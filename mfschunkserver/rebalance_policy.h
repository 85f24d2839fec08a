// Local rebalancing decisions (mfshdd.cfg `<` and `>`, spec 30 §5.1, spec 40 §C.7), kept
// apart from the file work so that they can be tested alone. Observed with 3.0.117
// (docs/protocol-notes.md "Local rebalancing"): with a `>` disk every other disk is
// emptied into the `>` disks; without one, the `<` disks are emptied into the others.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace mfs::cs {

enum class RebalanceRole { kNone, kSource, kDestination };

// What the decisions need to know of one disk.
struct RebalanceDisk {
  bool move_out = false;  // '<'
  bool move_in = false;   // '>'
  // Damaged disks and disks marked for removal ('*') take no part: the master moves the
  // chunks of the latter, and a chunk moved off them would change the flag it knows.
  bool usable = true;
  uint64_t available = 0;  // bytes a new chunk file may take
  uint64_t total = 0;
  uint32_t chunks = 0;
  uint32_t moves_in = 0;  // moves to this disk in flight
};

// One role per disk. All kNone when no disk has a marker or nothing could receive chunks.
std::vector<RebalanceRole> rebalance_roles(std::span<const RebalanceDisk> disks);

// Where a chunk file of `size` bytes goes: the destination with the largest free share
// that has room for it besides the `size` each of its moves in flight may take (the fewest
// chunks, counting those on their way, when the shares differ by less than 0.1 %, which
// spreads chunks evenly over destinations on one file system, as 3.0.117 does) and fewer
// than `max_moves_in` moves in flight; nullopt when none.
std::optional<size_t> pick_destination(std::span<const RebalanceDisk> disks, std::span<const RebalanceRole> roles,
                                       uint64_t size, uint32_t max_moves_in);

// Two complete copies of one chunk version (a move cut short between the copy and the
// removal of the source): true when the copy on the disk of `second` is the one to keep,
// i.e. when it is where rebalancing moves chunks to and the first is not.
bool keep_second_copy(RebalanceRole first, RebalanceRole second);

}  // namespace mfs::cs
