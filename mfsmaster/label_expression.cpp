#include "mfsmaster/label_expression.h"

#include <algorithm>
#include <functional>

namespace mfs::master {

bool server_matches(uint32_t server_labels, const CopyLabels& copy) {
  if (copy[0] == 0) return true;
  for (uint32_t alternative : copy) {
    if (alternative == 0) break;  // alternatives end at the first 0 word
    if ((server_labels & alternative) == alternative) return true;
  }
  return false;
}

bool matches_any_server(const LabelSet& labels) {
  return std::all_of(labels.begin(), labels.end(), [](const CopyLabels& copy) { return copy[0] == 0; });
}

std::vector<std::optional<size_t>> assign_servers(const LabelSet& copies, const std::vector<uint32_t>& servers) {
  std::vector<std::optional<size_t>> copy_server(copies.size());
  std::vector<std::optional<size_t>> server_copy(servers.size());
  // Kuhn's algorithm: at most 9 copies, so the quadratic search is cheap.
  std::vector<bool> visited;
  std::function<bool(size_t)> place = [&](size_t copy) {
    for (size_t server = 0; server < servers.size(); ++server) {
      if (visited[server] || !server_matches(servers[server], copies[copy])) continue;
      visited[server] = true;
      if (!server_copy[server] || place(*server_copy[server])) {
        server_copy[server] = copy;
        copy_server[copy] = server;
        return true;
      }
    }
    return false;
  };
  // Labelled copies first, so that "any server" copies do not take the only matching server.
  std::vector<size_t> order(copies.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_partition(order.begin(), order.end(), [&](size_t copy) { return copies[copy][0] != 0; });
  for (size_t copy : order) {
    visited.assign(servers.size(), false);
    place(copy);
  }
  return copy_server;
}

size_t placeable_copies(const LabelSet& copies, const std::vector<uint32_t>& servers) {
  auto assigned = assign_servers(copies, servers);
  auto placed = [](const std::optional<size_t>& server) { return server.has_value(); };
  return static_cast<size_t>(std::count_if(assigned.begin(), assigned.end(), placed));
}

}  // namespace mfs::master
