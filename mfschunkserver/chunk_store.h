// The chunks of all disks: which file holds each chunk, the operations the master
// commands (spec 20 §2.6) and the block reads and writes of clients and replication.
// Every call is made on the network thread; file work runs on the BlockingPool under
// the chunk's lock, so the operations on one chunk run one at a time, in order.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "mfschunkserver/blocking_pool.h"
#include "mfschunkserver/chunk_file.h"
#include "mfschunkserver/chunk_locks.h"
#include "mfschunkserver/disk.h"
#include "mfschunkserver/rebalance_policy.h"
#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/chunkserver_master_messages.h"

namespace mfs::cs {

// What the master must be told (spec 20 §2.5).
class ChunkReports {
 public:
  virtual ~ChunkReports() = default;
  // Something asked for a chunk this server does not have.
  virtual void chunk_lost(uint64_t chunkid) = 0;
  // A copy failed its CRC or an I/O; one error counted for the disk.
  virtual void chunk_damaged(uint64_t chunkid) = 0;
};

// A chunk opened for a read, a write transaction or a replication.
struct OpenedChunk {
  uint64_t chunkid = 0;
  std::shared_ptr<ChunkFile> file;
};

// What the chunk information requests (spec 20 §3.5) report.
struct ChunkSummary {
  uint16_t blocks = 0;
  CrcTable crcs{};
};

// What read_blocks() got: `count` blocks, then `status` (OK, or the error that stopped it).
struct BlocksRead {
  uint16_t count = 0;
  Status status;
};

// Status of a write request before it touches the disk: BNUMTOOBIG, WRONGSIZE,
// WRONGOFFSET (spec 20 §3.4), or CRC when `crc` is not the CRC of `data`.
Status check_write_request(uint16_t block, uint32_t offset, std::span<const uint8_t> data, uint32_t crc);

// HDD_ERROR_TOLERANCE_COUNT / HDD_ERROR_TOLERANCE_PERIOD (spec 40 §C.6): a disk with more
// I/O errors than `count` within `period` is marked damaged.
struct ErrorTolerance {
  uint32_t count = 2;
  std::chrono::seconds period{600};
};

// A chunk as the background test sees it.
struct ChunkId {
  uint64_t chunkid = 0;
  uint32_t version = 0;
};

class ChunkStore {
 public:
  ChunkStore(std::vector<std::unique_ptr<Disk>> disks, BlockingPool& pool, ChunkReports& reports,
             bool fsync_before_close);

  // Lists the chunks of every disk (blocking; at start-up, before the network runs).
  Status load();

  // Master commands; a version of 0 means "any" where spec 20 §2.6 says so.
  boost::asio::awaitable<Status> create(uint64_t chunkid, uint32_t version);
  boost::asio::awaitable<Status> remove(uint64_t chunkid, uint32_t version);
  boost::asio::awaitable<Status> set_version(uint64_t chunkid, uint32_t new_version, uint32_t old_version);
  // DUPLICATE, or DUPTRUNC when `length` is given (the copy is truncated).
  boost::asio::awaitable<Status> duplicate(uint64_t new_chunkid, uint32_t new_version, uint64_t old_chunkid,
                                           uint32_t old_version, std::optional<uint32_t> length);
  boost::asio::awaitable<Status> truncate(uint64_t chunkid, uint32_t length, uint32_t new_version,
                                          uint32_t old_version);
  // Reads every block and checks its CRC (a mismatch is reported as damage).
  boost::asio::awaitable<Status> test(uint64_t chunkid, uint32_t version);
  // The background test of one chunk: the number of blocks checked, 0 when the chunk
  // has gone meanwhile (not an error).
  boost::asio::awaitable<Result<uint16_t>> scrub(const ChunkId& chunk);
  // The chunks of `disk` no client has opened for `min_idle`.
  std::vector<ChunkId> idle_chunks(const Disk& disk, std::chrono::seconds min_idle) const;

  // Local rebalancing: the role of each disk of disks() (rebalance_policy.h) ...
  std::vector<RebalanceRole> rebalance_roles() const;
  // ... and the move of one chunk's file to `destination` (chunk_move.h). The master is
  // not told: the chunk stays on this server all along. kChunkBusy when a client or a
  // replication has the chunk open (its file would go away under it), kNoChunk when the
  // chunk or this version has gone meanwhile.
  boost::asio::awaitable<Status> move(const ChunkId& chunk, Disk& destination);
  // Marks damaged, as for I/O errors, the disks whose file system's size changed much
  // since start (not for `~` disks: Disk::size_changed).
  void check_disk_sizes();

  boost::asio::awaitable<Result<ChunkSummary>> summary(uint64_t chunkid, uint32_t version);

  boost::asio::awaitable<Result<OpenedChunk>> open(uint64_t chunkid, uint32_t version);
  // Blocks `first`, `first + 1`, ... into `out` (one disk job for all, so that a long read
  // does not pay a thread hop per block; one block in the page cache is read without a
  // disk job), each checked against its CRC, which goes to
  // `crcs` (as long as `out`). Stops at the first error.
  boost::asio::awaitable<BlocksRead> read_blocks(const OpenedChunk& chunk, uint16_t first, std::span<Block> out,
                                                 std::span<uint32_t> crcs);
  // `data` must stay valid until the call completes.
  boost::asio::awaitable<Status> write(const OpenedChunk& chunk, uint16_t block, uint32_t offset,
                                       std::span<const uint8_t> data, uint32_t crc);
  // End of a write transaction: fsync when HDD_FSYNC_BEFORE_CLOSE asks for it.
  boost::asio::awaitable<Status> close(const OpenedChunk& chunk);

  // The registration list (flag set for chunks on disks marked for removal).
  std::vector<csmsg::ChunkEntry> chunk_list() const;
  csmsg::SpaceInfo space() const;
  std::vector<csdata::DiskEntry> disk_entries() const;
  const std::vector<std::unique_ptr<Disk>>& disks() const { return disks_; }
  void set_fsync_before_close(bool fsync) { fsync_before_close_ = fsync; }
  void set_error_tolerance(ErrorTolerance tolerance) { error_tolerance_ = tolerance; }

 private:
  struct Record {
    Disk* disk = nullptr;
    uint8_t folder = 0;
    uint32_t version = 0;
    std::weak_ptr<ChunkFile> file;  // shared by everyone using the chunk
    std::shared_ptr<ChunkFile> kept;  // keeps `file` open between uses (see keep_open)
    std::chrono::steady_clock::time_point last_used{};  // opened by a client or replication
  };

  // A chunk held by one operation: its lock, its record and its open file.
  struct Held {
    ChunkLocks::Guard guard;
    Record* record;
    std::shared_ptr<ChunkFile> file;
  };

  // The record of a chunk, with the version check (NOCHUNK reports the chunk lost).
  Result<Record*> find(uint64_t chunkid, uint32_t version);
  // The record of a chunk, nullptr when there is none. A record of a damaged disk is
  // dropped here, under the chunk's lock, where no one else holds it. Call under the lock.
  Record* live(uint64_t chunkid);
  // Locks the chunk, checks its version and opens its file.
  boost::asio::awaitable<Result<Held>> hold(uint64_t chunkid, uint32_t version);
  // The chunk's open file, opening it if no one has it open. Call under the chunk lock.
  boost::asio::awaitable<Result<std::shared_ptr<ChunkFile>>> file_of(uint64_t chunkid, Record& record);
  // Renames the file and rewrites its header to `new_version`. Under the chunk lock.
  boost::asio::awaitable<Status> change_version(uint64_t chunkid, Record& record, ChunkFile& file,
                                                uint32_t new_version);
  // A damaging status (IO, CRC) is reported; an I/O error counts against `disk`.
  // Any status is returned unchanged.
  Status note(uint64_t chunkid, Disk* disk, Status status);
  // The same for a chunk with a record.
  Status note(uint64_t chunkid, Status status);
  // Gives up a disk for `reason`: its chunks are reported lost and the master copies them
  // elsewhere.
  void mark_damaged(Disk& disk, const std::string& reason);
  // Start-up found `chunk` on `disk` while `record` already holds it.
  void resolve_duplicate(const ScannedChunk& chunk, Disk& disk, Record& record,
                         const std::vector<RebalanceRole>& roles);
  // Reads every block of `file` and checks its CRC. Under the chunk lock.
  boost::asio::awaitable<Status> check_blocks(uint64_t chunkid, ChunkFile& file);
  // Remembers `file` as the chunk's open file and keeps it open for the next users: the
  // last kKeptOpen files opened stay open, which saves a disk job per request to a chunk
  // in use (a small file's create then write, random reads).
  void keep_open(uint64_t chunkid, Record& record, const std::shared_ptr<ChunkFile>& file);
  Disk* disk_for_new_chunk() const;
  void add(uint64_t chunkid, Disk* disk, uint8_t folder, uint32_t version,
           std::chrono::steady_clock::time_point last_used = {});

  std::vector<std::unique_ptr<Disk>> disks_;
  BlockingPool& pool_;
  ChunkReports& reports_;
  bool fsync_before_close_;
  ErrorTolerance error_tolerance_;
  ChunkLocks locks_;
  std::unordered_map<uint64_t, Record> chunks_;
  std::deque<uint64_t> kept_open_;  // chunks whose `kept` is set, oldest first
};

}  // namespace mfs::cs
