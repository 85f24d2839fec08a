#include "mfsmaster/node_settings.h"

#include <algorithm>
#include <unordered_map>

#include "mfsmaster/subtree_walk.h"

namespace mfs::master {
namespace {

bool permitted(const Node& node, const SettingChange& change) {
  if (owner_test_fails(node, change.uid)) return false;
  if (change.setting == NodeSetting::kStorageClass &&
      (change.locked_classes.test(node.sclass) || change.locked_classes.test(change.value & 0xFF))) {
    return false;
  }
  if (!(node.eattr & eattr::kImmutable)) return true;
  // Immutable blocks eattr changes only when they touch noowner, which bypasses the owner test.
  return change.setting == NodeSetting::kExtraAttributes && !(change.value & eattr::kNoOwner);
}

uint32_t desired_value(const Node& node, uint32_t current, const SettingChange& change) {
  uint32_t requested = change.value;
  bool bits = change.setting == NodeSetting::kExtraAttributes;
  if (bits && !node.is_directory()) requested &= ~uint32_t{eattr::kNoEntryCache};
  switch (change.smode & smode::kTypeMask) {
    case smode::kIncrease:
      return bits ? (current | requested) : std::max(current, requested);
    case smode::kDecrease:
      return bits ? (current & ~requested) : std::min(current, requested);
    case smode::kExchange:
      // Only storage classes are exchanged; the other settings take it as a plain set.
      if (change.setting == NodeSetting::kStorageClass) return current == change.source ? requested : current;
      return requested;
    default:
      return requested;
  }
}

}  // namespace

uint32_t setting_value(const Node& node, NodeSetting setting) {
  switch (setting) {
    case NodeSetting::kStorageClass:
      return node.sclass;
    case NodeSetting::kTrashTime:
      return node.trash_hours;
    case NodeSetting::kExtraAttributes:
      return node.is_directory() ? node.eattr : node.eattr & ~eattr::kNoEntryCache;
  }
  return 0;
}

SettingPlan plan_setting_change(const Node& target, const SettingChange& change,
                                SettingPlan::Changes reused) {
  SettingPlan plan;
  plan.changes = std::move(reused);
  plan.changes.clear();
  // Room for every node below (the count may lag behind a little): growing the list step by
  // step would copy it and fault in its memory again and again. Pages never written cost
  // nothing.
  bool recursive = change.smode & smode::kRecursive;
  if (recursive && target.is_directory()) plan.changes.reserve(size_t{target.directory->usage.inodes} + 1);
  // A node with several links is met again: it must then show the value planned for it.
  std::unordered_map<const Node*, uint32_t> planned_linked;
  walk_subtree(target, recursive, [&](const Node& node) {
    if (!carries_setting(node, change.setting)) return;
    if (!permitted(node, change)) {
      ++plan.counters.not_permitted;
      return;
    }
    uint32_t current = setting_value(node, change.setting);
    if (node.parents.size() > 1) {
      if (auto planned = planned_linked.find(&node); planned != planned_linked.end()) current = planned->second;
    }
    uint32_t desired = desired_value(node, current, change);
    if (desired == current) {
      ++plan.counters.not_changed;
      return;
    }
    ++plan.counters.changed;
    plan.changes.emplace_back(&node, desired);
    if (node.parents.size() > 1) planned_linked[&node] = desired;
  });
  return plan;
}

SettingTally tally_setting(const Node& target, NodeSetting setting, bool recursive) {
  SettingTally tally;
  walk_subtree(target, recursive, [&](const Node& node) {
    if (!carries_setting(node, setting)) return;
    auto& counts = node.is_directory() ? tally.directories : tally.files;
    ++counts[setting_value(node, setting)];
  });
  return tally;
}

}  // namespace mfs::master
