#include "mfsmaster/chunk_classes.h"

#include <algorithm>

namespace mfs::master {

void ChunkClasses::add(ChunkRecord& chunk, uint8_t sclass) {
  if (chunk.file_references++ == 0) {
    chunk.sclass = sclass;
    chunk.goal = classes_.goal(sclass);
    return;
  }
  auto it = mixed_.find(chunk.id);
  if (it == mixed_.end()) {
    if (sclass == chunk.sclass) return;
    it = mixed_.emplace(chunk.id, Counts{{chunk.sclass, chunk.file_references - 1}}).first;
  }
  Counts& counts = it->second;
  auto found = std::find_if(counts.begin(), counts.end(), [&](const auto& entry) { return entry.first == sclass; });
  if (found == counts.end()) {
    counts.emplace_back(sclass, 1);
  } else {
    ++found->second;
  }
  follow_highest(chunk, counts);
}

void ChunkClasses::remove(ChunkRecord& chunk, uint8_t sclass) {
  if (chunk.file_references == 0) return;
  --chunk.file_references;
  auto it = mixed_.find(chunk.id);
  if (it == mixed_.end()) return;
  Counts& counts = it->second;
  auto found = std::find_if(counts.begin(), counts.end(), [&](const auto& entry) { return entry.first == sclass; });
  if (found != counts.end() && --found->second == 0) counts.erase(found);
  follow_highest(chunk, counts);
  if (counts.size() <= 1) mixed_.erase(it);
}

void ChunkClasses::follow_highest(ChunkRecord& chunk, const Counts& counts) const {
  if (counts.empty()) return;
  // From the current class if it is still counted: an equal goal changes nothing.
  auto best = std::find_if(counts.begin(), counts.end(), [&](const auto& entry) { return entry.first == chunk.sclass; });
  if (best == counts.end()) best = counts.begin();
  for (auto it = counts.begin(); it != counts.end(); ++it) {
    if (classes_.goal(it->first) > classes_.goal(best->first)) best = it;
  }
  chunk.sclass = best->first;
  chunk.goal = classes_.goal(best->first);
}

}  // namespace mfs::master
