#include "mfsmaster/fs_check_loop.h"

#include <algorithm>

namespace mfs::master {

void FsCheckLoop::configure(const ConfigFile& config) {
  missing_log_capacity_ = config.get_uint("MISSING_LOG_CAPACITY", 100000);
  pass_seconds_ = static_cast<uint32_t>(
      config.get_uint_clamped("FS_CHECK_LOOP_TIME", kDefaultPassSeconds, kLeastPassSeconds, 7 * 86400));
}

void FsCheckLoop::tick(const Metadata& metadata, const ChunkManager& chunks, uint32_t now) {
  const FsTree& fs = metadata.fs();
  if (current_.start == 0) current_.start = now;
  // Credit in inode-seconds, as the chunk loop's: each tick adds the inode range, each
  // inode checked costs the pass time, so a pass takes that many ticks.
  credit_ = std::min<int64_t>(credit_ + fs.max_inode(), int64_t{pass_seconds_} * fs.max_inode());
  while (credit_ >= pass_seconds_) {
    credit_ -= pass_seconds_;
    const Node* node = fs.find(cursor_++);
    if (node && node->is_file_like()) check_file(chunks, *node);
    if (cursor_ > fs.max_inode()) {
      cursor_ = 1;
      current_.end = now;
      last_ = std::move(current_);
      current_ = FsCheckPass{};
      current_.start = now;
    }
  }
}

void FsCheckLoop::check_file(const ChunkManager& chunks, const Node& file) {
  ++current_.files;
  bool missing = false;
  bool undergoal = false;
  for (const auto& [index, chunk_id] : file.chunks) {
    ++current_.chunks;
    uint32_t valid = 0;
    bool wrong_version = false;
    bool invalid = false;
    for (const ChunkManager::CopyReport& copy : chunks.copy_report(chunk_id)) {
      valid += copy.type <= 1;
      wrong_version |= copy.type == 2 || copy.type == 3;
      invalid |= copy.type == 4;
    }
    if (valid == 0) {
      missing = true;
      ++current_.missing_chunks;
      MissingChunkType type = wrong_version ? MissingChunkType::kWrongVersions
                              : invalid     ? MissingChunkType::kInvalidCopies
                                            : MissingChunkType::kNoCopy;
      if (current_.missing_log.size() < missing_log_capacity_) {
        current_.missing_log.push_back({chunk_id, file.inode, index, type});
      }
    } else if (valid < chunks.target_copies(chunk_id)) {
      undergoal = true;
      ++current_.undergoal_chunks;
    }
  }
  if (missing) {
    ++(file.type == NodeType::kTrash       ? current_.missing_trash_files
       : file.type == NodeType::kSustained ? current_.missing_sustained_files
                                           : current_.missing_files);
  } else if (undergoal) {
    ++current_.undergoal_files;
  }
}

}  // namespace mfs::master
