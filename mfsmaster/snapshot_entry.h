// The SNAPSHOT changelog entry of MooseFS 3.0.117 (spec 30 §4.3):
//   SNAPSHOT(src,parent,name,smode,sesflags,uid,[g1,g2,...],cumask):inodecheck,removed,same,existing,hardlinks,new
#pragma once
#include <cstdint>

#include "mfscommon/status.h"
#include "mfsmaster/changelog_entry.h"
#include "mfsmaster/snapshot_tree.h"

namespace mfs::master {

// The session flag bit 3.0.117 adds to every session's flags in this entry ("new
// attribute record", spec 30 §3.4).
inline constexpr uint8_t kSnapshotEntrySesflags = 0x40;

ChangelogEntry snapshot_entry(const SnapshotRequest& request, const SnapshotCounts& counts, uint32_t now);

struct LoggedSnapshot {
  SnapshotRequest request;
  SnapshotCounts counts;
};
// Only the bracketed gid list form of 3.0.117 is read.
Result<LoggedSnapshot> parse_snapshot_entry(const ChangelogEntry& entry);

}  // namespace mfs::master
