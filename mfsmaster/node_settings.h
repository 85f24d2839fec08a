// The per-node settings the tools read and change over whole subtrees (spec 11 §3, §5.1-5.6):
// storage class (goal), trash time and extra attributes. Reading tallies values. Changing
// is planned first (the changed / not changed / not permitted counters, read-only, so that
// request validation and apply() can both run it: apply() checks the changelog entry's
// results), then made by a second walk that takes the same decisions node by node.
#pragma once
#include <bitset>
#include <cstdint>
#include <functional>
#include <map>

#include "mfsmaster/fs_tree.h"

namespace mfs::master {

enum class NodeSetting : uint8_t { kStorageClass, kTrashTime, kExtraAttributes };

// smode of the set requests: a type in bits 0-1 and the recursive flag.
namespace smode {
inline constexpr uint8_t kSet = 0, kIncrease = 1, kDecrease = 2, kExchange = 3;
inline constexpr uint8_t kTypeMask = 3, kRecursive = 4, kHighest = 7;
}  // namespace smode

// Storage class ids below this are the predefined goal classes "1".."9".
inline constexpr uint8_t kFirstUserClass = 10;

struct SettingChange {
  NodeSetting setting = NodeSetting::kStorageClass;
  uint32_t uid = 0;  // after the session's remapping
  uint8_t smode = smode::kSet;
  uint32_t value = 0;   // class id, trash hours or eattr bits
  uint32_t source = 0;  // EXCHANGE: the class that is replaced
  // Storage classes the requester may neither set nor change nodes away from (admin-only
  // classes, for a session without the admin flag).
  std::bitset<256> locked_classes;
};

struct SettingCounters {
  uint32_t changed = 0;
  uint32_t not_changed = 0;
  uint32_t not_permitted = 0;

  bool operator==(const SettingCounters&) const = default;
};

struct SettingPlan {
  SettingCounters counters;
  // Storage class changes planned with quota_growth_of: the realsize added by the files
  // whose goal grows (size x the goal increase, spec 11 §5.2).
  uint64_t added_realsize = 0;
};

// Visits `target` and, when smode is recursive, every node below it (once per link).
// `quota_growth_of`: the tree, when the realsize growth is needed (quotas exist).
SettingPlan plan_setting_change(const Node& target, const SettingChange& change,
                                const FsTree* quota_growth_of = nullptr);

// Makes the change plan_setting_change planned on this state: the same walk, each node
// changed at most once (every smode is idempotent, so a node met again through another
// link is left as it is), its ctime set to `now`. `class_changed(file, old_class)` is
// called for each file with chunks whose class changed.
using ClassChangeListener = std::function<void(const Node& file, uint8_t old_class)>;
void make_setting_change(FsTree& fs, const Node& target, const SettingChange& change, uint32_t now,
                         const ClassChangeListener& class_changed);

// Nodes counted per value, files (and trash/sustained files) apart from directories.
struct SettingTally {
  std::map<uint32_t, uint32_t> files;
  std::map<uint32_t, uint32_t> directories;
};

SettingTally tally_setting(const Node& target, NodeSetting setting, bool recursive);

// Storage class and trash time exist only on files, directories, trash and sustained files.
inline bool carries_setting(const Node& node, NodeSetting setting) {
  return setting == NodeSetting::kExtraAttributes || node.is_file_like() || node.is_directory();
}

// The node's value as tools see it (for eattr, non-directories never show noentrycache).
uint32_t setting_value(const Node& node, NodeSetting setting);

// Trash time as stored: hours rounded up, in 32-bit arithmetic then cut to 16 bits as
// 3.0.117 does (spec 11 §5.4).
inline uint16_t trash_hours_of(uint32_t seconds) { return static_cast<uint16_t>((seconds + 3599u) / 3600u); }

}  // namespace mfs::master
