#include "mfsmaster/topology_placement.h"

#include <algorithm>
#include <limits>

namespace mfs::master {

void put_near_first(std::vector<Chunkserver*>& servers, uint32_t ip, uint32_t limit, const Topology& topology) {
  if (limit == 0) return;
  std::stable_partition(servers.begin(), servers.end(),
                        [&](const Chunkserver* server) { return topology.distance(ip, server->ip) < limit; });
}

void order_by_distance_to_any(std::vector<Chunkserver*>& servers, std::span<const uint32_t> ips,
                              const Topology& topology) {
  auto nearest = [&](const Chunkserver* server) {
    uint32_t best = std::numeric_limits<uint32_t>::max();
    for (uint32_t ip : ips) best = std::min(best, topology.distance(ip, server->ip));
    return best;
  };
  std::vector<std::pair<uint32_t, Chunkserver*>> keyed;
  keyed.reserve(servers.size());
  for (Chunkserver* server : servers) keyed.emplace_back(nearest(server), server);
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < servers.size(); ++i) servers[i] = keyed[i].second;
}

size_t closest_source(std::span<Chunkserver* const> sources, uint32_t ip, const Topology& topology) {
  size_t best = 0;
  for (size_t i = 1; i < sources.size(); ++i) {
    if (topology.distance(ip, sources[i]->ip) < topology.distance(ip, sources[best]->ip)) best = i;
  }
  return best;
}

}  // namespace mfs::master
