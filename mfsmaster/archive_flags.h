// The chunks' archive flags as mfschkarchive, mfssetarchive and mfsclrarchive see them
// (spec 11 §5.15): always over the whole subtree. A change is planned from the state
// alone, so request validation and apply() (ARCHCHG) run the same walk and apply()
// checks that the counters match the changelog entry's results.
#pragma once
#include <cstdint>
#include <vector>

#include "mfsmaster/changelog_entry.h"
#include "mfsmaster/chunk_table.h"
#include "mfsmaster/fs_node.h"

namespace mfs::master {

namespace archive_command {
inline constexpr uint8_t kClear = 0, kSet = 1, kGet = 2;
}  // namespace archive_command

struct ArchiveStatus {
  uint64_t archived_chunks = 0;
  uint64_t not_archived_chunks = 0;
  uint32_t archived_files = 0;  // every chunk archived
  uint32_t partially_archived_files = 0;
  uint32_t not_archived_files = 0;  // no chunk archived (files without chunks count nowhere)
};

// Files (and trash/sustained files) in the subtree, counted once per link.
ArchiveStatus archive_status(const Node& target, const ChunkTable& chunks);

struct ArchiveCounters {
  uint64_t changed = 0;  // chunks
  uint64_t not_changed = 0;
  uint32_t not_permitted = 0;  // files

  bool operator==(const ArchiveCounters&) const = default;
};

struct ArchivePlan {
  ArchiveCounters counters;
  std::vector<const Node*> permitted_files;  // a clear also sets their ctime
  std::vector<uint64_t> chunks_to_change;
};

// Files failing the owner test (or immutable) are not permitted; a chunk shared by
// several files (hard links, snapshots) changes once.
ArchivePlan plan_archive_change(const Node& target, const ChunkTable& chunks, uint32_t uid, bool set);

// ARCHCHG(inode,uid,cmd):changed,not_changed,not_permitted for a planned change.
ChangelogEntry archive_change_entry(uint32_t inode, uint32_t uid, bool set, const ArchiveCounters& counters,
                                    uint32_t now);

}  // namespace mfs::master
