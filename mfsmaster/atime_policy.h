// When a read access moves a node's atime: master option ATIME_MODE (spec 10 §8.7).
#pragma once

#include <cstdint>
#include <optional>

#include "mfsmaster/changelog_entry.h"
#include "mfsmaster/fs_node.h"

namespace mfs::master {

inline constexpr uint32_t kRelatimeWindow = 86400;

// 0 always, 1 files only, 2 relatime, 3 relatime for files only, 4 never. `file`: a file's
// data was read; otherwise a directory was listed or a symlink read.
inline bool atime_update_due(uint64_t atime_mode, const Node& node, uint32_t now, bool file) {
  bool relatime_due = node.atime <= node.ctime || node.atime <= node.mtime || node.atime + kRelatimeWindow < now;
  switch (atime_mode) {
    case 0: return true;
    case 1: return file;
    case 2: return relatime_due;
    case 3: return file && relatime_due;
    default: return false;
  }
}

// The ACCESS(inode) entry the 3.0.117 master logs for a listed directory or a read symlink.
inline std::optional<ChangelogEntry> access_entry(uint64_t atime_mode, const Node& node, uint32_t now) {
  if (!atime_update_due(atime_mode, node, now, false)) return std::nullopt;
  return ChangelogEntry::make("ACCESS", now).arg(node.inode);
}

}  // namespace mfs::master
