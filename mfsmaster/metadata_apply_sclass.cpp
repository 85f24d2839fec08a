// apply() of the storage class entries (spec 30 §4.3): SCSET (create / change), SCDEL,
// SCDUP and SCREN. Each checks that the class ids come out as the entry recorded them.
#include <algorithm>
#include <string>

#include "mfsmaster/metadata.h"

namespace mfs::master {
namespace {

Status mismatch(const std::string& what) { return Status(StatusCode::kMismatch, what); }

// "W2", "K2", "A1": a label count with its letter.
size_t labelled_count(ChangelogArgs& args, char letter, bool& ok) {
  std::string_view text = args.text();
  if (text.size() != 2 || text[0] != letter || text[1] < '1' || text[1] > '9') ok = false;
  return ok ? static_cast<size_t>(text[1] - '0') : 0;
}

}  // namespace

// SCSET(name,new,Wc,Kk,Aa,mode,arch_delay,admin_only,masks…):id
Status Metadata::apply_scset(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  StorageClass defined;
  defined.name = std::string(args.text());
  uint8_t is_new = args.number<uint8_t>();
  bool counts_ok = true;
  size_t counts[3] = {labelled_count(args, 'W', counts_ok), labelled_count(args, 'K', counts_ok),
                      labelled_count(args, 'A', counts_ok)};
  defined.mode = args.number<uint8_t>();
  defined.arch_delay = args.number<uint16_t>();
  defined.admin_only = args.number<uint8_t>();
  LabelSet* sets[3] = {&defined.create, &defined.keep, &defined.archive};
  for (size_t set = 0; set < 3 && counts_ok; ++set) {
    sets[set]->resize(counts[set]);
    for (CopyLabels& copy : *sets[set]) {
      for (uint32_t& mask : copy) mask = args.number<uint32_t>();
    }
  }
  uint8_t id = args.result<uint8_t>();
  if (!args.ok() || !counts_ok || args.has_more_args() || is_new > 1 || defined.mode > class_mode::kStrict ||
      defined.admin_only > 1 || !valid_class_name(defined.name)) {
    return mismatch("SCSET: malformed arguments");
  }
  std::optional<uint8_t> existing = storage_classes_.id_named(defined.name);
  if (is_new) {
    if (existing || storage_classes_.free_id() != id) return mismatch("SCSET: class id differs");
  } else if (existing != id) {
    return mismatch("SCSET: no such class");
  }
  uint8_t old_goal = storage_classes_.goal(id);
  storage_classes_.set(id, std::move(defined));
  classes_changed(old_goal != storage_classes_.goal(id));
  return Status::ok();
}

// SCDEL(name):id
Status Metadata::apply_scdel(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  std::string_view name = args.text();
  uint8_t id = args.result<uint8_t>();
  if (!args.ok()) return args.status();
  if (storage_classes_.id_named(name) != id || id < kFirstUserClassId) return mismatch("SCDEL: class id differs");
  storage_classes_.erase(id);
  classes_changed(false);
  return Status::ok();
}

// SCDUP(src,dst):src_id,dst_id (a copy under a new id) and SCREN(src,dst):id (same id).
Status Metadata::apply_scdup_or_scren(const ChangelogEntry& entry) {
  bool rename = entry.operation == "SCREN";
  ChangelogArgs args(entry);
  std::string_view source = args.text();
  std::string name(args.text());
  uint8_t source_id = args.result<uint8_t>();
  uint8_t id = rename ? source_id : args.result<uint8_t>();
  if (!args.ok()) return args.status();
  bool target_ok = rename ? id >= kFirstUserClassId : storage_classes_.free_id() == id;
  if (!valid_class_name(name) || storage_classes_.id_named(source) != source_id || storage_classes_.id_named(name) ||
      !target_ok) {
    return mismatch(entry.operation + ": class ids differ");
  }
  StorageClass stored = *storage_classes_.find(source_id);
  stored.name = std::move(name);
  storage_classes_.set(id, std::move(stored));
  classes_changed(false);
  return Status::ok();
}

void Metadata::classes_changed(bool goals_changed) {
  fs_.set_class_goals(storage_classes_.goals());
  // The realsize of every file, and the goal of every chunk, in a class whose copy count
  // changed is now different.
  if (!goals_changed) return;
  fs_.recompute_usage();
  recount_chunk_references();
}

}  // namespace mfs::master
