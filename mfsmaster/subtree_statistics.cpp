#include "mfsmaster/subtree_statistics.h"

#include <vector>

#include "mfsmaster/node_settings.h"

namespace mfs::master {
namespace {

constexpr uint64_t kChunkHeaderSize = 8192;
constexpr uint64_t kBlockSize = 65536;

// Disk use of a file's chunks: whole chunks before the last, the used blocks of the last,
// each with its header; holes count nothing.
uint64_t file_size(const Node& file, uint32_t& chunks) {
  uint64_t last_index = file.length == 0 ? 0 : (file.length - 1) / kChunkSize;
  uint64_t size = 0;
  for (uint64_t index = 0; index < file.chunks.size(); ++index) {
    if (file.chunks[index] == 0 || index > last_index) continue;
    ++chunks;
    if (index < last_index) {
      size += kChunkSize + kChunkHeaderSize;
    } else {
      uint64_t used = file.length == 0 ? 0 : ((file.length - 1) % kChunkSize + kBlockSize) / kBlockSize * kBlockSize;
      size += used + kChunkHeaderSize;
    }
  }
  return size;
}

}  // namespace

std::optional<SubtreeStatistics> subtree_statistics(const Node& node) {
  SubtreeStatistics stats;
  std::vector<const Node*> pending{&node};
  while (!pending.empty()) {
    const Node* current = pending.back();
    pending.pop_back();
    ++stats.inodes;
    if (current->is_directory()) {
      ++stats.directories;
      for (const auto& [name, edge] : current->directory->children) pending.push_back(edge->child);
    } else if (current->is_file_like()) {
      if (current->sclass == 0 || current->sclass >= kFirstUserClass) return std::nullopt;
      ++stats.files;
      uint64_t size = file_size(*current, stats.chunks);
      stats.length += current->length;
      stats.size += size;
      stats.realsize += size * current->sclass;
    } else if (current->type == NodeType::kSymlink) {
      stats.length += current->symlink_target.size();
    }
  }
  return stats;
}

}  // namespace mfs::master
