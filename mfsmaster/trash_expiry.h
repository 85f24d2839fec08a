// Trash expiry as 3.0.117 does it (observed, see docs/protocol-notes.md): once a second
// the next of the 4096 trash buckets (inode % 4096), from bucket 0 at start. A trash file
// whose atime, mtime and ctime all lie more than its trash time in the past goes: freed,
// or sustained while a session holds it open. Logged as
// EMPTYTRASH(bucket):freed,sustained,inode_checksum, the checksum being the XOR of the
// inodes that went; apply() recomputes the expiry and compares.
#pragma once
#include <cstdint>
#include <vector>

#include "mfsmaster/fs_tree.h"

namespace mfs::master {

struct TrashExpiry {
  std::vector<uint32_t> inodes;
  uint32_t freed = 0;
  uint32_t sustained = 0;  // still open: they move to the sustained list
  uint32_t inode_checksum = 0;
};

TrashExpiry expired_trash(const FsTree& fs, uint32_t bucket, uint32_t now);

}  // namespace mfs::master
