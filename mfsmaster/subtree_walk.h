// Visiting a node and (optionally) everything below it, once per link, as the tools'
// recursive requests do (spec 11 §3.1). Iterative: directory depth is unbounded.
#pragma once
#include <vector>

#include "mfsmaster/fs_node.h"

namespace mfs::master {

// A node spans more than one cache line; the walks read fields from the first two.
inline void prefetch_node(const Node* node) {
  __builtin_prefetch(node);
  __builtin_prefetch(reinterpret_cast<const char*>(node) + 64);
}

template <typename Visit>
void walk_subtree(const Node& target, bool recursive, Visit&& visit) {
  // Nodes are scattered in memory: asking for the cache line of a node a few visits ahead
  // overlaps the misses that visiting them one by one would pay.
  constexpr size_t kPrefetchDistance = 8;
  std::vector<const Node*> pending{&target};
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    if (pending.size() >= kPrefetchDistance) prefetch_node(pending[pending.size() - kPrefetchDistance]);
    visit(*node);
    if (!recursive || !node->is_directory()) continue;
    const std::vector<Node*>& children = node->directory->child_nodes;
    pending.insert(pending.end(), children.begin(), children.end());
  }
}

// The tools' per-node permission rule (spec 11 §3.3, without the eattr exceptions): the
// owner, root, or anyone on a `noowner` node.
inline bool owner_test_fails(const Node& node, uint32_t uid) {
  return !(node.eattr & eattr::kNoOwner) && uid != 0 && uid != node.uid;
}

}  // namespace mfs::master
