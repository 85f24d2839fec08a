// The storage class a chunk's copies follow: among the files referencing it (snapshots and
// appended chunks share chunks), the one whose class keeps the most copies, as in 3.0.117.
// A chunk whose files are all in one class (nearly every chunk) costs nothing here; for the
// others the references per class are counted, so that a file leaving the chunk or changing
// class lowers its goal without a look at the other files.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mfsmaster/chunk_table.h"
#include "mfsmaster/storage_class_table.h"

namespace mfs::master {

class ChunkClasses {
 public:
  explicit ChunkClasses(const StorageClassTable& classes) : classes_(classes) {}

  // A file of class `sclass` references the chunk one more time.
  void add(ChunkRecord& chunk, uint8_t sclass);
  // A file of class `sclass` references the chunk one time less.
  void remove(ChunkRecord& chunk, uint8_t sclass);
  // No references counted any more (before a recount).
  void clear() { mixed_.clear(); }
  size_t mixed_count() const { return mixed_.size(); }

 private:
  using Counts = std::vector<std::pair<uint8_t, uint32_t>>;  // class -> references
  // The chunk follows the counted class with the highest goal (the current one among equals).
  void follow_highest(ChunkRecord& chunk, const Counts& counts) const;

  const StorageClassTable& classes_;
  // Chunks referenced by files of more than one class. Any other chunk's references are
  // all of its `sclass`.
  std::unordered_map<uint64_t, Counts> mixed_;
};

}  // namespace mfs::master
