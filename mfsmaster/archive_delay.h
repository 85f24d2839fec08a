// Storage classes with an archive delay (mfsscadmin -d DAYS) as 3.0.117 applies them
// (observed, see docs/protocol-notes.md): a background walk over the inodes sets the archive
// flag of the chunks of each file whose class has a delay and whose ctime lies that many
// days in the past, logged as mfssetarchive's ARCHCHG(inode,0,1) by root; from then on the
// chunks follow the class's archive labels (ChunkManager::wanted_labels). mfsclrarchive sets
// the ctime, so a cleared file waits a whole delay again; any later change of the file
// (a write, chmod...) sets the ctime too but does not clear the flag. A chunk several files
// share (snapshots) is archived as soon as one of them is old enough, as the real master's
// per-file ARCHCHG does.
#pragma once
#include <cstdint>
#include <vector>

#include "mfsmaster/changelog_entry.h"
#include "mfsmaster/metadata.h"

namespace mfs::master {

class ArchiveDelayLoop {
 public:
  // The ARCHCHG entries for the next slice of inode numbers (a pass over all inodes takes
  // max_inode / kInodesPerTick ticks; 3.0.117's walk is slower still).
  std::vector<ChangelogEntry> next_tick(const Metadata& metadata, uint32_t now);

  static constexpr uint32_t kInodesPerTick = 10000;

 private:
  uint32_t cursor_ = 1;
};

// True once `file`'s class has an archive delay and its ctime lies that long in the past.
bool archive_delay_passed(const Node& file, const StorageClassTable& classes, uint32_t now);

}  // namespace mfs::master
