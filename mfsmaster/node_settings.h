// The per-node settings the tools read and change over whole subtrees (spec 11 §3, §5.1-5.6):
// storage class (goal), trash time and extra attributes. Reading tallies values; changing
// plans every node's new value and the changed / not changed / not permitted counters.
// Planning only reads, so request validation and apply() run the same walk: apply() checks
// that the counters match the changelog entry's results.
#pragma once
#include <bitset>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "mfsmaster/fs_node.h"

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
  using Changes = std::vector<std::pair<const Node*, uint32_t>>;  // node, its new value
  Changes changes;
};

// Visits `target` and, when smode is recursive, every node below it (once per link).
// `reused`: a list whose memory the plan takes (see Metadata::take_spare_plan_list).
SettingPlan plan_setting_change(const Node& target, const SettingChange& change,
                                SettingPlan::Changes reused = {});

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
