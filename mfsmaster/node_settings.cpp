#include "mfsmaster/node_settings.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

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

SettingPlan plan_setting_change(const Node& target, const SettingChange& change, const FsTree* quota_growth_of) {
  SettingPlan plan;
  const ClassGoals* goals = quota_growth_of && change.setting == NodeSetting::kStorageClass
                                ? &quota_growth_of->class_goals()
                                : nullptr;
  // A node with several links is met again: it must then show the value planned for it.
  std::unordered_map<const Node*, uint32_t> planned_linked;
  walk_subtree(target, change.smode & smode::kRecursive, [&](const Node& node) {
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
    if (node.parents.size() > 1) planned_linked[&node] = desired;
    if (goals && node.is_file_like() && !node.chunks.empty()) {  // no chunks, no size
      uint8_t old_goal = (*goals)[current & 0xFF];
      uint8_t new_goal = (*goals)[desired & 0xFF];
      if (new_goal > old_goal) plan.added_realsize += quota_growth_of->usage_of(node).size * (new_goal - old_goal);
    }
  });
  return plan;
}

void make_setting_change(FsTree& fs, const Node& target, const SettingChange& change, uint32_t now,
                         const ClassChangeListener& class_changed) {
  walk_subtree(target, change.smode & smode::kRecursive, [&](const Node& visited) {
    if (!carries_setting(visited, change.setting) || !permitted(visited, change)) return;
    uint32_t current = setting_value(visited, change.setting);
    uint32_t desired = desired_value(visited, current, change);
    if (desired == current) return;
    // Quota usage depends on the class only through the goal of the chunks' disk space.
    bool usage_changes = change.setting == NodeSetting::kStorageClass && !visited.chunks.empty();
    Node& node = usage_changes ? fs.edit(visited) : fs.edit_keeping_usage(visited);
    node.ctime = now;
    switch (change.setting) {
      case NodeSetting::kStorageClass: {
        uint8_t old_class = std::exchange(node.sclass, static_cast<uint8_t>(desired));
        if (usage_changes && node.is_file_like()) class_changed(node, old_class);
        break;
      }
      case NodeSetting::kTrashTime:
        node.trash_hours = static_cast<uint16_t>(desired);
        break;
      case NodeSetting::kExtraAttributes:
        node.eattr = static_cast<uint8_t>(desired);
        break;
    }
  });
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
