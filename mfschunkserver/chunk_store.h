// The chunks of all disks: which file holds each chunk, the operations the master
// commands (spec 20 §2.6) and the block reads and writes of clients and replication.
// Every call is made on the network thread; file work runs on the BlockingPool under
// the chunk's lock, so the operations on one chunk run one at a time, in order.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "mfschunkserver/blocking_pool.h"
#include "mfschunkserver/chunk_file.h"
#include "mfschunkserver/chunk_locks.h"
#include "mfschunkserver/disk.h"
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

// Status of a write request before it touches the disk: BNUMTOOBIG, WRONGSIZE,
// WRONGOFFSET (spec 20 §3.4), or CRC when `crc` is not the CRC of `data`.
Status check_write_request(uint16_t block, uint32_t offset, std::span<const uint8_t> data, uint32_t crc);

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
  // Reads every block and checks its CRC.
  boost::asio::awaitable<Status> test(uint64_t chunkid, uint32_t version);

  boost::asio::awaitable<Result<ChunkSummary>> summary(uint64_t chunkid, uint32_t version);

  boost::asio::awaitable<Result<OpenedChunk>> open(uint64_t chunkid, uint32_t version);
  boost::asio::awaitable<Result<uint32_t>> read_block(const OpenedChunk& chunk, uint16_t block, Block& out);
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

 private:
  struct Record {
    Disk* disk = nullptr;
    uint8_t folder = 0;
    uint32_t version = 0;
    std::weak_ptr<ChunkFile> file;  // shared by everyone using the chunk
  };

  // A chunk held by one operation: its lock, its record and its open file.
  struct Held {
    ChunkLocks::Guard guard;
    Record* record;
    std::shared_ptr<ChunkFile> file;
  };

  // The record of a chunk, with the version check (NOCHUNK reports the chunk lost).
  Result<Record*> find(uint64_t chunkid, uint32_t version);
  // Locks the chunk, checks its version and opens its file.
  boost::asio::awaitable<Result<Held>> hold(uint64_t chunkid, uint32_t version);
  // The chunk's open file, opening it if no one has it open. Call under the chunk lock.
  boost::asio::awaitable<Result<std::shared_ptr<ChunkFile>>> file_of(uint64_t chunkid, Record& record);
  // Renames the file and rewrites its header to `new_version`. Under the chunk lock.
  boost::asio::awaitable<Status> change_version(uint64_t chunkid, Record& record, ChunkFile& file,
                                                uint32_t new_version);
  // A damaging status (IO, CRC) is reported; any status is returned unchanged.
  Status note(uint64_t chunkid, Status status);
  Disk* disk_for_new_chunk() const;
  void add(uint64_t chunkid, Disk* disk, uint8_t folder, uint32_t version);

  std::vector<std::unique_ptr<Disk>> disks_;
  BlockingPool& pool_;
  ChunkReports& reports_;
  bool fsync_before_close_;
  ChunkLocks locks_;
  std::unordered_map<uint64_t, Record> chunks_;
};

}  // namespace mfs::cs
