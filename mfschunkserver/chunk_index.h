// A LevelDB copy of one disk's chunk list, `<disk>/.mfsng_index` (DESIGN §4), so that a
// start after a clean stop reads the list instead of scanning the 256 folders. It is
// written at a clean stop together with a fingerprint of the folders, and trusted at
// the next start only if the folders are unchanged since (a MooseFS chunkserver may have
// used the disk meanwhile). Reading it invalidates it, so a crash means a scan next time.
#pragma once
#include <leveldb/db.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mfschunkserver/disk.h"
#include "mfscommon/status.h"

namespace mfs::cs {

class ChunkIndex {
 public:
  static constexpr const char* kDirectoryName = ".mfsng_index";

  // Opens (or creates) the index of the disk at `disk_path` (with its trailing '/').
  static Result<std::unique_ptr<ChunkIndex>> open(const std::string& disk_path);

  // The list stored at the last clean stop when `fingerprint` is the one stored with it.
  // Either way the stored list stops being valid.
  std::optional<std::vector<ScannedChunk>> take(uint64_t fingerprint);
  // Replaces the stored list, valid while the folders keep `fingerprint`.
  Status store(const std::vector<ScannedChunk>& chunks, uint64_t fingerprint);

 private:
  explicit ChunkIndex(std::unique_ptr<leveldb::DB> db) : db_(std::move(db)) {}

  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace mfs::cs
