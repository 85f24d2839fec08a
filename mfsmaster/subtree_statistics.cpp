#include "mfsmaster/subtree_statistics.h"

#include <vector>

#include "mfsmaster/node_settings.h"
#include "mfsmaster/subtree_walk.h"

namespace mfs::master {
namespace {

constexpr uint64_t kChunkHeaderSize = 8192;
constexpr uint64_t kBlockSize = 65536;

// Disk use of a file's chunks; holes count nothing.
uint64_t file_size(const Node& file, uint32_t& chunks) {
  uint64_t size = 0;
  for (const ChunkList::Slot& slot : file.chunks) {
    uint64_t chunk = chunk_disk_size(file, slot.index);
    if (chunk != 0) ++chunks;
    size += chunk;
  }
  return size;
}

}  // namespace

ClassGoals predefined_class_goals() {
  ClassGoals goals{};
  for (uint8_t id = 1; id < kFirstUserClass; ++id) goals[id] = id;
  return goals;
}

uint64_t chunk_disk_size(const Node& file, uint64_t index) {
  uint64_t last_index = file.length == 0 ? 0 : (file.length - 1) / kChunkSize;
  if (index > last_index) return 0;
  if (index < last_index) return kChunkSize + kChunkHeaderSize;
  uint64_t used = file.length == 0 ? 0 : ((file.length - 1) % kChunkSize + kBlockSize) / kBlockSize * kBlockSize;
  return used + kChunkHeaderSize;
}

SubtreeUsage node_usage(const Node& node, const ClassGoals& goals) {
  SubtreeUsage usage;
  usage.inodes = 1;
  if (node.is_file_like()) {
    uint32_t chunks = 0;
    usage.length = node.length;
    usage.size = file_size(node, chunks);
    usage.realsize = usage.size * goals[node.sclass];
  } else if (node.type == NodeType::kSymlink) {
    usage.length = node.extras().symlink_target.size();
  }
  return usage;
}

SubtreeUsage full_chunk_usage(const Node& file, const ClassGoals& goals) {
  SubtreeUsage usage;
  usage.size = kChunkSize + kChunkHeaderSize;
  usage.realsize = usage.size * goals[file.sclass];
  return usage;
}

SubtreeStatistics subtree_statistics(const Node& node, const ClassGoals& goals) {
  SubtreeStatistics stats;
  walk_subtree(node, true, [&](const Node& current) {
    ++stats.inodes;
    if (current.is_directory()) {
      ++stats.directories;
      return;
    }
    if (current.is_file_like()) {
      ++stats.files;
      file_size(current, stats.chunks);
    }
    SubtreeUsage usage = node_usage(current, goals);
    stats.length += usage.length;
    stats.size += usage.size;
    stats.realsize += usage.realsize;
  });
  return stats;
}

}  // namespace mfs::master
