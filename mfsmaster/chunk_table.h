// The persistent part of the chunk table (spec 30 §3.16): every chunk's id, version,
// write lock and archive flag, and the id the next new chunk gets. Which files
// reference a chunk is derived (reference counts); where copies live is live state of
// the chunkserver registry, not persisted.
#pragma once
#include <cstdint>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace mfs::master {

struct ChunkRecord {
  uint64_t id = 0;
  uint32_t version = 0;
  uint32_t locked_to = 0;  // time until which a writer holds the chunk (0 = unlocked)
  // The lock is a version change's (WRITE that raised the version, or TRUNC) until its
  // UNLOCK; a rewrite that kept the version (WRITE opflag 0) locks without one. Only the
  // first shows a change that a kill may have cut short (ChunkManager's take-back).
  bool locked_by_version_change = false;
  bool archived = false;
  uint32_t file_references = 0;  // file slots holding this chunk (snapshots share chunks)
  uint8_t goal = 0;              // highest keep-max goal of the referencing files' classes
  uint8_t sclass = 0;            // the class with that goal: its labels place the copies

  void lock(uint32_t until, bool by_version_change) {
    locked_to = until;
    locked_by_version_change = by_version_change;
  }
  void unlock() { lock(0, false); }
};

class ChunkTable {
 public:
  // Non-const access marks the chunk as changed (for the checkpoint) and as touched (for
  // the chunk manager: its references, goal or lock may have changed).
  ChunkRecord* find(uint64_t id);
  const ChunkRecord* find(uint64_t id) const { return record_or_null(id); }
  ChunkRecord& add(uint64_t id, uint32_t version, uint32_t locked_to);
  void remove(uint64_t id) {
    chunks_.erase(id);
    changed_.insert(id);
  }
  // Chunks changed (or removed) since the last call.
  std::vector<uint64_t> take_changed();
  // Chunks accessed for change since the last call.
  std::unordered_set<uint64_t> take_touched() { return std::exchange(touched_, {}); }
  size_t size() const { return chunks_.size(); }
  const std::unordered_map<uint64_t, std::unique_ptr<ChunkRecord>>& all() const { return chunks_; }

  uint64_t next_id() const { return next_id_; }
  void set_next_id(uint64_t id) { next_id_ = id; }

 private:
  ChunkRecord* record_or_null(uint64_t id) const;

  std::unordered_map<uint64_t, std::unique_ptr<ChunkRecord>> chunks_;
  std::set<uint64_t> changed_;
  std::unordered_set<uint64_t> touched_;
  uint64_t next_id_ = 1;
};

}  // namespace mfs::master
