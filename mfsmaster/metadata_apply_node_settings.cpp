// apply() of the tools' setting changes (spec 30 §4.3): SETSCLASS (and the older SETGOAL),
// SETTRASHTIME and SETEATTR. Each plans the change again (unless the live request just did)
// and checks that it gives the counters the entry recorded, then makes it.
#include <utility>

#include "mfsmaster/metadata.h"
#include "mfsmaster/node_settings.h"

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
  auto plans_as_recorded = [&] { return plan_setting_change(*target, change).counters == recorded; };
  if (std::optional<SettingChange> planned = take_setting_plan(inode, change, recorded)) {
    change = std::move(*planned);
  } else if (!plans_as_recorded()) {
    // The entry does not say whether the session was admin: a non-admin one could not
    // touch admin-only classes, which gives other counters.
    bool classes = change.setting == NodeSetting::kStorageClass;
    if (classes) change.locked_classes = storage_classes_.admin_only_classes();
    if (!classes || !plans_as_recorded()) return Status(StatusCode::kMismatch, entry.operation + ": counters differ");
  }
  make_setting_change(fs_, *target, change, entry.timestamp,
                      [this](const Node& file, uint8_t old_class) { update_chunk_goals(file, old_class); });
  return Status::ok();
}

std::optional<SettingChange> Metadata::take_setting_plan(uint32_t inode, const SettingChange& change,
                                                         const SettingCounters& recorded) {
  // The admin-only classes a live request could not touch are not in the entry: they are
  // part of the plan, not of the key.
  auto planned = live_setting_plan_.take(version_, [&](const PlannedSetting& plan) {
    return plan.inode == inode && plan.change.setting == change.setting && plan.change.uid == change.uid &&
           plan.change.smode == change.smode && plan.change.value == change.value &&
           plan.change.source == change.source && plan.counters == recorded;
  });
  if (!planned) return std::nullopt;
  return std::move(planned->change);
}

void Metadata::update_chunk_goals(const Node& file, uint8_t old_class) {
  if (old_class == file.sclass || !file.is_file_like()) return;
  for (const ChunkList::Slot& slot : file.chunks) {
    ChunkRecord* chunk = chunks_.find(slot.id);
    if (!chunk) continue;
    chunk_classes_.remove(*chunk, old_class);
    chunk_classes_.add(*chunk, file.sclass);
  }
}

}  // namespace mfs::master
