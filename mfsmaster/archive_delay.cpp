#include "mfsmaster/archive_delay.h"

#include <algorithm>

#include "mfsmaster/archive_flags.h"

namespace mfs::master {
namespace {

constexpr uint64_t kSecondsPerDay = 86400;

bool any_archive_delay(const StorageClassTable& classes) {
  for (uint32_t id = 1; id < StorageClassTable::kSlots; ++id) {
    const StorageClass* storage_class = classes.find(id);
    if (storage_class && storage_class->arch_delay != 0) return true;
  }
  return false;
}

}  // namespace

bool archive_delay_passed(const Node& file, const StorageClassTable& classes, uint32_t now) {
  const StorageClass* storage_class = classes.find(file.sclass);
  if (!storage_class || storage_class->arch_delay == 0) return false;
  return uint64_t{file.ctime} + storage_class->arch_delay * kSecondsPerDay <= now;
}

std::vector<ChangelogEntry> ArchiveDelayLoop::next_tick(const Metadata& metadata, uint32_t now) {
  std::vector<ChangelogEntry> entries;
  // Most clusters have no class with a delay: no walk then (it costs a lookup per inode).
  if (!any_archive_delay(metadata.storage_classes())) return entries;
  const FsTree& fs = metadata.fs();
  // Each inode at most once a tick: a plan sees the state before this tick's entries.
  const uint32_t slice = std::min(kInodesPerTick, fs.max_inode());
  for (uint32_t visited = 0; visited < slice; ++visited) {
    if (cursor_ > fs.max_inode()) cursor_ = 1;
    const Node* node = fs.find(cursor_++);
    if (!node || !node->is_file_like() || !archive_delay_passed(*node, metadata.storage_classes(), now)) continue;
    ArchivePlan plan = plan_archive_change(*node, metadata.chunks(), 0, true);
    if (plan.counters.changed == 0) continue;
    entries.push_back(archive_change_entry(node->inode, 0, true, plan.counters, now));
  }
  return entries;
}

}  // namespace mfs::master
