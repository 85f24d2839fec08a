// What the metadata's structures take in memory, as MEMORY_INFO reports it for mfscli -SMU
// (spec 40 B.3.6): eleven (allocated, used) byte counts in 3.0.117's order. Ours keeps its
// structures differently (standard containers, no pools of fixed records), so the figures
// are what the containers hold and what their elements are sized: an estimate, which the
// spec allows ("informational").
#pragma once
#include <array>
#include <cstdint>

#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/metadata.h"

namespace mfs::master {

struct MemoryUse {
  uint64_t allocated = 0;
  uint64_t used = 0;
};

// chunk hash, chunks, cs lists, edge hash, edges, node hash, nodes, deleted nodes, chunk
// tabs, symlinks, quota. Walks every node and chunk.
std::array<MemoryUse, 11> memory_report(const Metadata& metadata, const ChunkManager& chunks);

}  // namespace mfs::master
