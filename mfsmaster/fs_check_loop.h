// The filesystem check loop behind mfscli -SIL's "check loop" and -SMF (FSTEST_INFO and
// MISSING_CHUNKS, spec 40 B.3.9-B.3.10): a background walk over every inode that counts the
// files and their chunks, and those under their goal or without any valid copy. A pass
// takes FS_CHECK_LOOP_TIME seconds however big the namespace (MooseNG only; 3.0.117 has no
// option: its first pass began 10 minutes after start and took 55 minutes for 14 inodes).
// The walk goes through inode numbers in slices, as the archive delay's does. What a pass
// found is kept until the next one ends.
// The chunks it finds missing go to the "missing log" (MISSING_LOG_CAPACITY entries) that
// mfscli -SMF lists; as on 3.0.117, they are not repeated in the pass's messages, which
// stay empty (3.0.117 keeps them for structure errors, which our tree does not have).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "mfscommon/config_file.h"
#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/metadata.h"

namespace mfs::master {

// Why a chunk has no valid copy (MISSING_CHUNKS mode 1).
enum class MissingChunkType : uint8_t { kNoCopy = 0, kInvalidCopies = 1, kWrongVersions = 2 };

struct MissingChunk {
  uint64_t chunk_id = 0;
  uint32_t inode = 0;
  uint32_t index = 0;
  MissingChunkType type = MissingChunkType::kNoCopy;
};

struct FsCheckPass {
  uint32_t start = 0;
  uint32_t end = 0;
  uint32_t files = 0;
  uint32_t undergoal_files = 0;
  uint32_t missing_files = 0;            // in the tree
  uint32_t missing_trash_files = 0;      // in the trash
  uint32_t missing_sustained_files = 0;  // unlinked but still open
  uint32_t chunks = 0;
  uint32_t undergoal_chunks = 0;
  uint32_t missing_chunks = 0;
  std::vector<MissingChunk> missing_log;
};

class FsCheckLoop {
 public:
  static constexpr uint32_t kDefaultPassSeconds = 3600;
  static constexpr uint32_t kLeastPassSeconds = 10;

  // MISSING_LOG_CAPACITY, FS_CHECK_LOOP_TIME.
  void configure(const ConfigFile& config);
  // Checks the next slice of inode numbers, so that a pass ends FS_CHECK_LOOP_TIME ticks
  // after it began.
  void tick(const Metadata& metadata, const ChunkManager& chunks, uint32_t now);
  // The last completed pass; none before the first ends.
  const std::optional<FsCheckPass>& last_pass() const { return last_; }

 private:
  void check_file(const ChunkManager& chunks, const Node& file);

  size_t missing_log_capacity_ = 100000;
  uint32_t pass_seconds_ = kDefaultPassSeconds;
  uint32_t cursor_ = 1;  // the next inode number to check
  int64_t credit_ = 0;
  FsCheckPass current_;
  std::optional<FsCheckPass> last_;
};

}  // namespace mfs::master
