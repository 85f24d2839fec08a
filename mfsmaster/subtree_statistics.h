// What mfsdirinfo shows of a node and everything below it (spec 11 §1 "chunk size", §5.9):
// inodes, directories, files, chunks, length, size on disk and size times the goal.
#pragma once
#include <cstdint>
#include <optional>

#include "mfsmaster/fs_node.h"

namespace mfs::master {

struct SubtreeStatistics {
  uint32_t inodes = 0;
  uint32_t directories = 0;
  uint32_t files = 0;
  uint32_t chunks = 0;
  uint64_t length = 0;
  uint64_t size = 0;
  uint64_t realsize = 0;
};

// Counts `node` itself and, for a directory, its whole subtree (a node linked twice counts
// twice). Empty when a file's storage class is not a goal 1..9, whose copy count is unknown.
std::optional<SubtreeStatistics> subtree_statistics(const Node& node);

}  // namespace mfs::master
