// CHUNKS_UNIQUE_MODE (spec 40, mfsmaster.cfg): the copies of a chunk on distinct IP
// addresses (1) or distinct racks of mfstopology.cfg (2). As in 3.0.117 (docs/protocol-notes.md)
// it is a preference, not a limit: servers at a place without a copy are chosen first, a
// chunk with more copies than places still gets all of them, a copy sharing its place goes
// first when there is a surplus, and moves to a free place once one appears.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "mfsmaster/chunkservers.h"
#include "mfsmaster/topology.h"

namespace mfs::master {

enum class UniqueMode : uint8_t { kNone = 0, kIp = 1, kRack = 2 };

class CopyPlaces {
 public:
  CopyPlaces(UniqueMode mode, const Topology& topology) : mode_(mode), topology_(topology) {}

  bool enabled() const { return mode_ != UniqueMode::kNone; }
  // Same address (kIp) or same rack path (kRack; addresses outside the topology share the
  // empty path); never for kNone.
  bool same_place(uint32_t a, uint32_t b) const;
  bool taken(std::span<const uint32_t> copy_ips, uint32_t ip) const;
  // Per copy: whether an earlier copy in the list is at the same place.
  std::vector<bool> repeated(std::span<const uint32_t> copy_ips) const;
  // Candidates for new copies: servers at a place with no copy (and not taken by an earlier
  // candidate) first, the others after; the order is otherwise kept.
  void put_free_places_first(std::vector<Chunkserver*>& servers, std::span<const uint32_t> copy_ips) const;
  // The `count` copies to delete, given their addresses in the order they should go and
  // whether each serves one of the class's label requirements: copies serving none first,
  // then copies sharing their place with another remaining copy, then the order.
  std::vector<size_t> surplus(std::span<const uint32_t> copy_ips, const std::vector<bool>& serving,
                              size_t count) const;

 private:
  UniqueMode mode_;
  const Topology& topology_;
};

}  // namespace mfs::master
