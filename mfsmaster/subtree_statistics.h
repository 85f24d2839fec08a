// What mfsdirinfo shows of a node and everything below it (spec 11 §1 "chunk size", §5.9):
// inodes, directories, files, chunks, length, size on disk and size times the goal.
#pragma once
#include <array>
#include <cstdint>

#include "mfsmaster/fs_node.h"

namespace mfs::master {

// The keep-max goal of each storage class id (StorageClassTable::goals(), 0 = undefined):
// a file's realsize is its size times its class's goal.
using ClassGoals = std::array<uint8_t, 256>;
// Goals of the predefined classes only: id N has goal N for N = 1..9.
ClassGoals predefined_class_goals();

struct SubtreeStatistics {
  uint32_t inodes = 0;
  uint32_t directories = 0;
  uint32_t files = 0;
  uint32_t chunks = 0;
  uint64_t length = 0;
  uint64_t size = 0;
  uint64_t realsize = 0;
};

// Disk use of chunk `index` of `file` (spec 11 §1 "chunk size"): a whole chunk before the
// last, the used 64 KiB blocks of the last, each with its 8 KiB header; 0 past the end.
uint64_t chunk_disk_size(const Node& file, uint64_t index);

// What `node` alone adds to the statistics of the directories above it: one inode, and
// for files (length, size on disk, size times the goal) and symlinks (target length).
// Shared by GETDIRSTATS and the incremental quota usage of FsTree.
SubtreeUsage node_usage(const Node& node, const ClassGoals& goals);
// What one more full chunk of `file` would add (size and realsize only): the growth a
// chunk write is tested against quotas with, before the written length is known.
SubtreeUsage full_chunk_usage(const Node& file, const ClassGoals& goals);

// Counts `node` itself and, for a directory, its whole subtree (a node linked twice counts
// twice).
SubtreeStatistics subtree_statistics(const Node& node, const ClassGoals& goals);

}  // namespace mfs::master
