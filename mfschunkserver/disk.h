// One data folder of mfshdd.cfg (spec 30 §5.2, §5.6): its `.lock` held for the process'
// lifetime, its `.metaid`, the 256 sub-folders `00`..`FF` holding the chunk files, and
// its space as the master is told it.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mfschunkserver/chunk_file.h"
#include "mfschunkserver/hdd_config.h"
#include "mfschunkserver/rebalance_policy.h"
#include "mfscommon/status.h"

namespace mfs::cs {

class ChunkIndex;

inline constexpr unsigned kFolderCount = 256;

// A chunk file found by a scan.
struct ScannedChunk {
  uint64_t chunkid = 0;
  uint32_t version = 0;
  uint8_t folder = 0;
  bool operator==(const ScannedChunk&) const = default;
};

struct DiskSpace {
  uint64_t used = 0;
  uint64_t total = 0;
  uint64_t available = 0;  // for new chunks: free space beyond what must stay free
};

class Disk {
 public:
  Disk(DiskConfig config, uint64_t default_leave_free);
  Disk(const Disk&) = delete;
  Disk& operator=(const Disk&) = delete;
  ~Disk();

  // Creates the folder layout if missing, takes `.lock` (exclusive lockf, so that a
  // second chunkserver - ours or MooseFS's - cannot use the folder at the same time) and
  // opens the chunk index.
  Status open();
  // The `.metaid` of the folder, 0 when there is none.
  uint64_t read_metaid() const;
  Status write_metaid(uint64_t metaid) const;
  // Every chunk file of the sub-folders (blocking): from the index when it is valid,
  // else by reading the 256 folders.
  Result<std::vector<ScannedChunk>> list_chunks();
  // Stores the chunk list in the index for the next start; at a clean stop, once no
  // thread changes chunk files any more.
  void save_index();
  // statvfs of the folder with the mfshdd.cfg limits applied (blocking, but cheap).
  DiskSpace space() const;

  // What local rebalancing needs to know of the disk (blocking: statvfs).
  RebalanceDisk rebalance_state() const;
  // Why the disk must be given up because its file system changed under it since open():
  // its size by more than a tenth (not for a `~` disk), or its read-only flag (spec 30
  // §5.1). nullopt when it did not.
  std::optional<std::string> size_change() const;

  const std::string& path() const { return config_.path; }
  bool marked_for_removal() const { return config_.marked_for_removal; }
  bool move_out() const { return config_.move_out; }
  std::string chunk_path(uint8_t folder, uint64_t chunkid, uint32_t version) const;

  // Counts one I/O error at `now`; true when the disk has had more than `tolerated`
  // errors within `period` (HDD_ERROR_TOLERANCE_COUNT / _PERIOD) and must be given up.
  bool count_error(std::chrono::steady_clock::time_point now, uint32_t tolerated, std::chrono::seconds period);
  // A damaged disk is not used any more: no new chunks, its chunks count as lost.
  bool damaged() const { return damaged_; }
  void mark_damaged() { damaged_ = true; }

  // Kept by the chunk store (network thread).
  uint32_t chunks = 0;
  uint64_t last_error_chunkid = 0;
  uint32_t last_error_time = 0;

 private:
  Result<std::vector<ScannedChunk>> scan() const;
  // Changes whenever a chunk file is added, removed or renamed (the folders' mtimes);
  // nullopt when a folder cannot be read.
  std::optional<uint64_t> folders_fingerprint() const;

  DiskConfig config_;
  uint64_t leave_free_;
  int lock_fd_ = -1;
  uint64_t opened_size_ = 0;      // bytes of the file system at open()
  bool opened_read_only_ = false;
  std::unique_ptr<ChunkIndex> index_;  // none when it could not be opened
  std::deque<std::chrono::steady_clock::time_point> error_times_;  // within the tolerance period
  bool damaged_ = false;
};

}  // namespace mfs::cs
