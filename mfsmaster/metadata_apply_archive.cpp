// apply() handler for ARCHCHG (spec 30 §4.3): the archive flags of a subtree's chunks.
#include "mfsmaster/archive_flags.h"
#include "mfsmaster/metadata.h"

namespace mfs::master {

Status Metadata::apply_archchg(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t uid = args.number<uint32_t>();
  uint8_t command = args.number<uint8_t>();
  ArchiveCounters expected;
  expected.changed = args.result<uint64_t>();
  expected.not_changed = args.result<uint64_t>();
  expected.not_permitted = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  if (command != archive_command::kSet && command != archive_command::kClear) {
    return Status(StatusCode::kMismatch, "ARCHCHG: unknown command");
  }
  const Node* target = std::as_const(fs_).find(inode);
  if (!target) return Status(StatusCode::kMismatch, "ARCHCHG: no such node");
  bool set = command == archive_command::kSet;
  ArchivePlan plan = plan_archive_change(*target, chunks_, uid, set);
  if (plan.counters != expected) return Status(StatusCode::kMismatch, "ARCHCHG: counters differ");
  for (uint64_t chunk_id : plan.chunks_to_change) chunks_.find(chunk_id)->archived = set;
  // Clearing restarts the archive delay of every permitted file, changed or not.
  if (!set) {
    for (const Node* file : plan.permitted_files) fs_.find(file->inode)->ctime = entry.timestamp;
  }
  return Status::ok();
}

}  // namespace mfs::master
