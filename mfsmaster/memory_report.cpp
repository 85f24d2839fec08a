#include "mfsmaster/memory_report.h"

namespace mfs::master {
namespace {

constexpr uint64_t kPointer = sizeof(void*);
// A freed inode waiting for reuse: its number and time in a queue and in a map.
constexpr uint64_t kFreedInodeRecord = 2 * sizeof(uint32_t) + sizeof(std::pair<const uint32_t, uint32_t>) + kPointer;

MemoryUse same(uint64_t bytes) { return {bytes, bytes}; }

}  // namespace

std::array<MemoryUse, 11> memory_report(const Metadata& metadata, const ChunkManager& chunks) {
  enum { kChunkHash, kChunks, kCopyLists, kEdgeHash, kEdges, kNodeHash, kNodes, kFreedNodes, kChunkTabs, kSymlinks, kQuota };
  std::array<MemoryUse, 11> use{};
  const auto& chunk_table = metadata.chunks().all();
  use[kChunkHash] = {chunk_table.bucket_count() * kPointer, chunk_table.size() * kPointer};
  use[kChunks] = same(chunk_table.size() * (sizeof(ChunkRecord) + kPointer));
  uint64_t copies = 0;
  for (const auto& [id, chunk] : chunk_table) copies += chunks.copy_count(id);
  use[kCopyLists] = same(copies * sizeof(ChunkCopy));

  const FsTree& fs = metadata.fs();
  auto add_edge = [&](const Edge& edge) { use[kEdges].used += sizeof(Edge) + edge.name.capacity(); };
  for (const Node* node : fs.all_nodes()) {
    use[kNodes].used += sizeof(Node);
    use[kChunkTabs].allocated += node->chunks.allocated_bytes();
    use[kChunkTabs].used += node->chunks.used_bytes();
    use[kSymlinks].used += node->extras().symlink_target.size();
    if (!node->directory) continue;
    const auto& children = node->directory->children;
    use[kNodes].used += sizeof(DirectoryData) + node->directory->child_nodes.capacity() * kPointer;
    use[kEdgeHash].allocated += children.bucket_count() * kPointer;
    use[kEdgeHash].used += children.size() * kPointer;
    for (const Edge& edge : children) add_edge(edge);
  }
  for (const auto& [inode, edge] : fs.trash()) add_edge(*edge);
  for (const auto& [inode, edge] : fs.sustained()) add_edge(*edge);
  use[kEdges].allocated = use[kEdges].used;
  use[kNodes].allocated = use[kNodes].used;
  use[kSymlinks].allocated = use[kSymlinks].used;
  use[kNodeHash] = {fs.node_buckets() * kPointer, fs.node_count() * kPointer};
  use[kFreedNodes] = same(fs.recently_freed().size() * kFreedInodeRecord);
  use[kQuota] = same(metadata.quotas().all().size() * (sizeof(QuotaRecord) + 4 * kPointer));
  return use;
}

}  // namespace mfs::master
