// Sustained expiry as 3.0.117 does it (observed, see docs/protocol-notes.md): a sustained
// file (unlinked while open) is not freed when its last holder lets it go (RELEASE, SESDEL)
// but when its bucket comes: once a second the next of the 256 sustained buckets
// (inode % 256), in step with the trash buckets. A bucket with files no session holds
// frees them and logs EMPTYSUSTAINED(bucket):freed,inode_checksum, the checksum being the
// XOR of their inodes; apply() recomputes the set and compares.
#pragma once
#include <cstdint>
#include <vector>

#include "mfsmaster/fs_tree.h"

namespace mfs::master {

struct SustainedExpiry {
  std::vector<uint32_t> inodes;
  uint32_t inode_checksum = 0;
};

SustainedExpiry released_sustained(const FsTree& fs, uint32_t bucket);

}  // namespace mfs::master
