#include "mfsmaster/unique_copies.h"

#include <algorithm>

namespace mfs::master {

bool CopyPlaces::same_place(uint32_t a, uint32_t b) const {
  switch (mode_) {
    case UniqueMode::kNone:
      return false;
    case UniqueMode::kIp:
      return a == b;
    case UniqueMode::kRack:
      return topology_.distance(a, b) <= 1;
  }
  return false;
}

bool CopyPlaces::taken(std::span<const uint32_t> copy_ips, uint32_t ip) const {
  return std::any_of(copy_ips.begin(), copy_ips.end(), [&](uint32_t copy) { return same_place(copy, ip); });
}

std::vector<bool> CopyPlaces::repeated(std::span<const uint32_t> copy_ips) const {
  std::vector<bool> result(copy_ips.size(), false);
  for (size_t i = 0; i < copy_ips.size(); ++i) result[i] = taken(copy_ips.first(i), copy_ips[i]);
  return result;
}

void CopyPlaces::put_free_places_first(std::vector<Chunkserver*>& servers, std::span<const uint32_t> copy_ips) const {
  if (!enabled()) return;
  std::vector<uint32_t> places(copy_ips.begin(), copy_ips.end());
  std::vector<Chunkserver*> first;
  std::vector<Chunkserver*> rest;
  for (Chunkserver* server : servers) {
    if (taken(places, server->ip)) {
      rest.push_back(server);
    } else {
      places.push_back(server->ip);
      first.push_back(server);
    }
  }
  first.insert(first.end(), rest.begin(), rest.end());
  servers = std::move(first);
}

std::vector<size_t> CopyPlaces::surplus(std::span<const uint32_t> copy_ips, const std::vector<bool>& serving,
                                        size_t count) const {
  std::vector<bool> gone(copy_ips.size(), false);
  auto shares_place = [&](size_t i) {
    for (size_t j = 0; j < copy_ips.size(); ++j) {
      if (j != i && !gone[j] && same_place(copy_ips[i], copy_ips[j])) return true;
    }
    return false;
  };
  std::vector<size_t> chosen;
  while (chosen.size() < std::min(count, copy_ips.size())) {
    // Lowest (serves labels, has its place alone, position) first.
    size_t best = copy_ips.size();
    bool best_serving = true;
    bool best_alone = true;
    for (size_t i = 0; i < copy_ips.size(); ++i) {
      if (gone[i]) continue;
      bool alone = !shares_place(i);
      if (best == copy_ips.size() || std::pair(serving[i], alone) < std::pair(best_serving, best_alone)) {
        best = i;
        best_serving = serving[i];
        best_alone = alone;
      }
    }
    gone[best] = true;
    chosen.push_back(best);
  }
  return chosen;
}

}  // namespace mfs::master
