// Validation of the tools' storage class, trash time and extra attribute requests
// (spec 11 §3, §5.1-5.6), in the order of checks the spec gives.
#include "mfsmaster/fs_operations.h"

#include "mfsmaster/subtree_statistics.h"

namespace mfs::master {
namespace {

constexpr uint8_t kAdminOnlyBits = eattr::kUndeletable | eattr::kAppendOnly | eattr::kImmutable;

// The export's limits: SET and EXCHANGE need min <= value <= max, INCREASE only the
// maximum, DECREASE only the minimum.
bool within_limits(uint8_t mode, uint32_t value, uint32_t minimum, uint32_t maximum) {
  uint8_t type = mode & smode::kTypeMask;
  if (type != smode::kDecrease && value > maximum) return false;
  return type == smode::kIncrease || value >= minimum;
}

}  // namespace

Result<SettingTally> FsOperations::tally_setting(const RequestContext& context, uint32_t inode, NodeSetting setting,
                                                 uint8_t gmode) const {
  const Node* node = resolve(context, inode);
  if (!node) return StatusCode::kENOENT;
  if (!carries_setting(*node, setting)) return StatusCode::kEPERM;
  if (gmode > 1) return StatusCode::kEINVAL;
  return master::tally_setting(*node, setting, gmode == 1);
}

Result<SettingUpdate> FsOperations::change_setting(const RequestContext& context, uint32_t inode,
                                                   const SettingChange& change, std::string_view operation,
                                                   std::initializer_list<uint32_t> values) const {
  const Node* node = resolve(context, inode);
  if (!node) return StatusCode::kENOENT;
  if (!carries_setting(*node, change.setting)) return StatusCode::kEPERM;
  uint8_t type = change.smode & smode::kTypeMask;
  // Without any quota the realsize a class change adds limits nothing: not summed.
  bool growth_limited = !metadata_.quotas().all().empty() && change.setting == NodeSetting::kStorageClass &&
                        (type == smode::kSet || type == smode::kIncrease);
  SettingPlan plan = plan_setting_change(*node, change, growth_limited ? &metadata_.fs() : nullptr);
  if (growth_limited) {
    SubtreeUsage growth;
    growth.realsize = plan.added_realsize;
    const QuotaTable& quotas = metadata_.quotas();
    Status quota = node->is_directory() ? quotas.check(metadata_.fs(), *node, growth)
                                        : quotas.check_file(metadata_.fs(), *node, growth);
    if (!quota) return quota;
  }
  const SettingCounters& counters = plan.counters;
  bool refused = counters.not_permitted > 0 && counters.changed == 0 && counters.not_changed == 0;
  if (!(change.smode & smode::kRecursive) && refused) return StatusCode::kEPERM;
  ChangelogEntry entry = ChangelogEntry::make(std::string(operation), context.now).arg(node->inode).arg(change.uid);
  for (uint32_t value : values) entry.arg(value);
  entry.arg(change.smode).result(counters.changed).result(counters.not_changed).result(counters.not_permitted);
  SettingUpdate update;
  update.entries.push_back(std::move(entry));
  update.counters = counters;
  metadata_.remember_setting_plan(node->inode, change, counters);
  return update;
}

Result<SettingUpdate> FsOperations::set_storage_class(const RequestContext& context, uint32_t inode, uint8_t source,
                                                      uint8_t target, uint8_t mode) const {
  if (context.disabled(disable::kSetSclass)) return StatusCode::kEPERM;
  uint8_t type = mode & smode::kTypeMask;
  if (mode > smode::kHighest || target == 0 || (type == smode::kExchange && source == 0)) return StatusCode::kEINVAL;
  if (target < kFirstUserClass && !within_limits(mode, target, context.session->min_goal, context.session->max_goal)) {
    return StatusCode::kEPERM;
  }
  if ((type == smode::kIncrease || type == smode::kDecrease) && target >= kFirstUserClass) {
    return StatusCode::kEINVAL;
  }
  if (context.read_only()) return StatusCode::kEROFS;
  SettingChange change;
  change.setting = NodeSetting::kStorageClass;
  change.uid = context.credentials.uid;
  change.smode = mode;
  change.value = target;
  change.source = source;
  if (!(context.session->sesflags & sesflag::kAdmin)) {
    change.locked_classes = metadata_.storage_classes().admin_only_classes();
  }
  return change_setting(context, inode, change, "SETSCLASS", {source, target});
}

Result<SettingUpdate> FsOperations::set_trash_time(const RequestContext& context, uint32_t inode, uint32_t seconds,
                                                   uint8_t mode) const {
  if (context.disabled(disable::kSetTrash)) return StatusCode::kEPERM;
  if (!within_limits(mode, seconds, context.session->min_trashtime, context.session->max_trashtime)) {
    return StatusCode::kEPERM;
  }
  if (mode > smode::kHighest) return StatusCode::kEINVAL;
  if (context.read_only()) return StatusCode::kEROFS;
  SettingChange change;
  change.setting = NodeSetting::kTrashTime;
  change.uid = context.credentials.uid;
  change.smode = mode;
  change.value = trash_hours_of(seconds);
  return change_setting(context, inode, change, "SETTRASHTIME", {seconds});
}

Result<SettingUpdate> FsOperations::set_extra_attributes(const RequestContext& context, uint32_t inode, uint8_t bits,
                                                         uint8_t mode) const {
  if (context.disabled(disable::kSetEattr)) return StatusCode::kEPERM;
  if (mode > smode::kHighest) return StatusCode::kEINVAL;
  if (context.read_only()) return StatusCode::kEROFS;
  if (!(context.session->sesflags & sesflag::kAdmin) && (bits & kAdminOnlyBits)) return StatusCode::kEPERM;
  SettingChange change;
  change.setting = NodeSetting::kExtraAttributes;
  change.uid = context.credentials.uid;
  change.smode = mode;
  change.value = bits;
  return change_setting(context, inode, change, "SETEATTR", {bits});
}

}  // namespace mfs::master
