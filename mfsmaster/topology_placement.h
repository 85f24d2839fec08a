// How mfstopology.cfg steers chunk placement (spec 40, mfsmaster.cfg): new chunks near the
// writing client (CREATIONS_RESPECT_TOPOLOGY = N: servers at distance < N first) and
// replication between close servers (REPLICATIONS_RESPECT_TOPOLOGY: 1 the source closest
// to the destination, 2 also destinations close to the existing copies). Only orders:
// which servers may take a copy at all (space, labels) is decided before.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "mfsmaster/chunkservers.h"
#include "mfsmaster/topology.h"

namespace mfs::master {

struct TopologyPolicy {
  uint32_t creations_distance = 0;  // CREATIONS_RESPECT_TOPOLOGY; 0 = ignore the topology
  uint32_t replications_mode = 0;   // REPLICATIONS_RESPECT_TOPOLOGY: 0, 1 or 2
};

// Servers at distance < `limit` from `ip` first, the others after; the order within each
// group is kept (space, labels). No-op for limit 0.
void put_near_first(std::vector<Chunkserver*>& servers, uint32_t ip, uint32_t limit, const Topology& topology);

// Servers ordered by their distance to the closest of `ips` (stable: ties keep their order).
void order_by_distance_to_any(std::vector<Chunkserver*>& servers, std::span<const uint32_t> ips,
                              const Topology& topology);

// The index in `sources` of the one closest to `ip` (the first of equals); sources not empty.
size_t closest_source(std::span<Chunkserver* const> sources, uint32_t ip, const Topology& topology);

}  // namespace mfs::master
