#include "mfsmaster/chunk_table.h"

#include <algorithm>

namespace mfs::master {

ChunkRecord* ChunkTable::record_or_null(uint64_t id) const {
  auto it = chunks_.find(id);
  return it == chunks_.end() ? nullptr : it->second.get();
}

ChunkRecord* ChunkTable::find(uint64_t id) {
  ChunkRecord* record = record_or_null(id);
  if (record) {
    changed_.insert(id);
    touched_.insert(id);
  }
  return record;
}

std::vector<uint64_t> ChunkTable::take_changed() {
  std::vector<uint64_t> changed(changed_.begin(), changed_.end());
  changed_.clear();
  return changed;
}

ChunkRecord& ChunkTable::add(uint64_t id, uint32_t version, uint32_t locked_to) {
  auto record = std::make_unique<ChunkRecord>();
  record->id = id;
  record->version = version;
  record->locked_to = locked_to;
  ChunkRecord& ref = *record;
  chunks_[id] = std::move(record);
  changed_.insert(id);
  next_id_ = std::max(next_id_, id + 1);
  return ref;
}

}  // namespace mfs::master
