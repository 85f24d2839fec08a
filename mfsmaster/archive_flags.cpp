#include "mfsmaster/archive_flags.h"

#include <unordered_set>

#include "mfsmaster/subtree_walk.h"

namespace mfs::master {

ArchiveStatus archive_status(const Node& target, const ChunkTable& chunks) {
  ArchiveStatus status;
  walk_subtree(target, true, [&](const Node& node) {
    if (!node.is_file_like()) return;
    uint64_t archived = 0;
    uint64_t not_archived = 0;
    for (const ChunkList::Slot& slot : node.chunks) {
      const ChunkRecord* chunk = chunks.find(slot.id);
      if (chunk == nullptr) continue;
      ++(chunk->archived ? archived : not_archived);
    }
    status.archived_chunks += archived;
    status.not_archived_chunks += not_archived;
    if (archived != 0 && not_archived != 0) {
      ++status.partially_archived_files;
    } else if (archived != 0) {
      ++status.archived_files;
    } else if (not_archived != 0) {
      ++status.not_archived_files;
    }
  });
  return status;
}

ArchivePlan plan_archive_change(const Node& target, const ChunkTable& chunks, uint32_t uid, bool set) {
  ArchivePlan plan;
  std::unordered_set<uint64_t> planned;
  walk_subtree(target, true, [&](const Node& node) {
    if (!node.is_file_like()) return;
    if (owner_test_fails(node, uid) || (node.eattr & eattr::kImmutable)) {
      ++plan.counters.not_permitted;
      return;
    }
    plan.permitted_files.push_back(&node);
    for (const ChunkList::Slot& slot : node.chunks) {
      const ChunkRecord* chunk = chunks.find(slot.id);
      if (chunk == nullptr) continue;
      if (chunk->archived == set || planned.count(slot.id)) {
        ++plan.counters.not_changed;
        continue;
      }
      ++plan.counters.changed;
      planned.insert(slot.id);
      plan.chunks_to_change.push_back(slot.id);
    }
  });
  return plan;
}

ChangelogEntry archive_change_entry(uint32_t inode, uint32_t uid, bool set, const ArchiveCounters& counters,
                                    uint32_t now) {
  return ChangelogEntry::make("ARCHCHG", now)
      .arg(inode)
      .arg(uid)
      .arg(set ? archive_command::kSet : archive_command::kClear)
      .result(counters.changed)
      .result(counters.not_changed)
      .result(counters.not_permitted);
}

}  // namespace mfs::master
