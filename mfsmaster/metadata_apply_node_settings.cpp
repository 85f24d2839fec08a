// apply() of the tools' setting changes (spec 30 §4.3): SETSCLASS (and the older SETGOAL),
// SETTRASHTIME and SETEATTR. Each repeats the request's walk and checks that it gives the
// counters the entry recorded.
#include <algorithm>
#include <utility>

#include "mfsmaster/metadata.h"
#include "mfsmaster/node_settings.h"
#include "mfsmaster/subtree_walk.h"

namespace mfs::master {

// SETSCLASS(inode,uid,src,dst,smode), SETGOAL(inode,uid,goal,smode),
// SETTRASHTIME(inode,uid,seconds,smode) and SETEATTR(inode,uid,eattr,smode), each
// with the results changed,notchanged,notpermitted.
Status Metadata::apply_node_setting(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  SettingChange change;
  change.setting = entry.operation == "SETTRASHTIME" ? NodeSetting::kTrashTime
                   : entry.operation == "SETEATTR"   ? NodeSetting::kExtraAttributes
                                                     : NodeSetting::kStorageClass;
  uint32_t inode = args.number<uint32_t>();
  change.uid = args.number<uint32_t>();
  if (entry.operation == "SETSCLASS") change.source = args.number<uint8_t>();
  change.value =
      change.setting == NodeSetting::kTrashTime ? trash_hours_of(args.number<uint32_t>()) : args.number<uint8_t>();
  change.smode = args.number<uint8_t>();
  SettingCounters recorded{args.result<uint32_t>(), args.result<uint32_t>(), args.result<uint32_t>()};
  if (!args.ok()) return args.status();
  const Node* target = std::as_const(fs_).find(inode);
  if (!target) return Status(StatusCode::kMismatch, entry.operation + ": no such node");
  std::optional<SettingPlan> remembered = take_remembered_plan(inode, change);
  SettingPlan plan = remembered ? std::move(*remembered) : plan_setting_change(*target, change);
  if (plan.counters != recorded && change.setting == NodeSetting::kStorageClass && !remembered) {
    // The entry does not say whether the session was admin: a non-admin one could not
    // touch admin-only classes, which gives other counters.
    change.locked_classes = storage_classes_.admin_only_classes();
    plan = plan_setting_change(*target, change);
  }
  if (plan.counters != recorded) return Status(StatusCode::kMismatch, entry.operation + ": counters differ");
  // The plan's nodes are scattered in memory: their cache lines are asked for a few
  // changes ahead, as the walk that planned them did.
  constexpr size_t kPrefetchDistance = 8;
  for (size_t i = 0; i < plan.changes.size(); ++i) {
    if (i + kPrefetchDistance < plan.changes.size()) prefetch_node(plan.changes[i + kPrefetchDistance].first);
    const auto& [planned, value] = plan.changes[i];
    // Usage (quotas) depends on the class only through the goal of the chunks' disk space.
    bool usage_changes = change.setting == NodeSetting::kStorageClass && !planned->chunks.empty();
    Node& node = usage_changes ? fs_.edit(*planned) : fs_.edit_keeping_usage(*planned);
    node.ctime = entry.timestamp;
    switch (change.setting) {
      case NodeSetting::kStorageClass: {
        uint8_t old_class = std::exchange(node.sclass, static_cast<uint8_t>(value));
        update_chunk_goals(node, old_class);
        break;
      }
      case NodeSetting::kTrashTime:
        node.trash_hours = static_cast<uint16_t>(value);
        break;
      case NodeSetting::kExtraAttributes:
        node.eattr = static_cast<uint8_t>(value);
        break;
    }
  }
  if (plan.changes.capacity() <= kSparePlanListMax) spare_plan_list_ = std::move(plan.changes);
  return Status::ok();
}

void Metadata::remember_setting_plan(uint32_t inode, const SettingChange& change, SettingPlan plan) const {
  remembered_plan_ = RememberedPlan{version_, inode, change, std::move(plan)};
}

std::optional<SettingPlan> Metadata::take_remembered_plan(uint32_t inode, const SettingChange& change) {
  std::optional<RememberedPlan> remembered = std::exchange(remembered_plan_, std::nullopt);
  // The admin-only classes a live request could not touch are not in the entry: they are
  // part of the plan, not of the key.
  if (!remembered || remembered->version != version_ || remembered->inode != inode ||
      remembered->change.setting != change.setting || remembered->change.uid != change.uid ||
      remembered->change.smode != change.smode || remembered->change.value != change.value ||
      remembered->change.source != change.source) {
    return std::nullopt;
  }
  return std::move(remembered->plan);
}

void Metadata::update_chunk_goals(const Node& file, uint8_t old_class) {
  if (old_class == file.sclass || !file.is_file_like()) return;
  for (uint64_t chunk_id : file.chunks) {
    ChunkRecord* chunk = chunk_id ? chunks_.find(chunk_id) : nullptr;
    if (!chunk) continue;
    chunk_classes_.remove(*chunk, old_class);
    chunk_classes_.add(*chunk, file.sclass);
  }
}

}  // namespace mfs::master
