// File contents: reads from the chunkservers with fail-over between copies, and
// write-back buffering per inode, written through chunk chains on flush (ADR 0004).
//
// A full buffer is written in the background while the writer fills the next one, as the
// 3.0.117 client keeps writing while earlier data goes out. Each chunk's part of it is one
// write ("flight"): flights of different chunks run side by side, as 3.0.117 writes several
// chunks of a file at once; those of one chunk run in order. The writer waits only while
// more than the write cache's size is in flight. Once data of an inode could not be
// written, every later write, flush and release of it fails with that error, and what it
// buffers is dropped, until its last release: a later fsync must not report success for a
// file with lost data.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmount/chunkserver_io.h"
#include "mfsmount/disk_cache.h"
#include "mfsmount/io_retries.h"
#include "mfsmount/label_preference.h"
#include "mfsmount/master_connection.h"
#include "mfsmount/read_ahead.h"
#include "mfsmount/write_extents.h"

namespace mfs::mount {

struct FileDataSettings {
  IoRetrySettings io_retries;
  LabelPreference preferred_labels;  // the order in which a read tries the copies
  size_t write_buffer_bytes = 256u << 20;  // all inodes together
  bool error_on_lost_chunk = false;
  bool error_on_no_space = false;
  ReadAheadSettings read_ahead;
  DiskCache* disk_cache = nullptr;  // mfsdiskcachepath; none when null
};

class FileData {
 public:
  // `on_written(inode)` runs after data of the inode reached the chunkservers.
  FileData(MasterConnection& master, ChunkserverPool& pool, FileDataSettings settings,
           std::function<void(uint32_t)> on_written);
  ~FileData();  // waits for the writes in flight
  FileData(const FileData&) = delete;
  FileData& operator=(const FileData&) = delete;

  // Up to `size` bytes at `offset` (fewer at the end of the file). Flushes the inode first;
  // a sequential stream is read ahead, in the background (read_ahead.h). The disk cache, if
  // any, serves and keeps the data unless `use_disk_cache` is false (a direct-mode open).
  Result<std::vector<uint8_t>> read(uint32_t inode, uint64_t offset, uint32_t size, bool use_disk_cache);
  // Buffers the data; a full buffer starts its write in the background.
  Status write(uint32_t inode, uint64_t offset, std::span<const uint8_t> data);
  // Sends the inode's buffered data to the chunkservers and its length to the master, and
  // waits for the write in flight.
  Status flush(uint32_t inode);
  // Starts writing the inode's buffered data and returns without waiting for it (a close
  // under mfsfsyncmintime); a failure that comes later is logged. The error if data of the
  // inode was already lost.
  Status write_behind(uint32_t inode);
  // A file handle of the inode was released: flushes (`wait`) or writes behind, and forgets
  // the inode's buffer once nothing of it is left to write.
  Status release(uint32_t inode, bool wait);
  // Forgets the buffers of released inodes whose writes behind have all landed (housekeeping).
  void drop_released_buffers();
  // TRUNCATE (the caller has flushed): the master cuts the last chunk on its chunkservers,
  // so an answer that they are away (a master just restarted, before they register again),
  // or that the chunk is being written, is retried as a write's WRITE_CHUNK would be.
  Result<Attr> truncate(const Frame& request);
  // Waits for the writes and the fetches ahead in flight (at unmount: they may still need
  // the master and the callback's owner).
  void finish_background_io();
  // One past the last byte of the inode buffered or being written, if there is any.
  std::optional<uint64_t> buffered_end(uint32_t inode);

  // What a LOOKUP answer says of the file's chunk 0: its location, kept for the open that
  // follows, or nothing, and then a chunk-0 location cached earlier may be stale (the file
  // may have grown past one chunk since) and is dropped.
  void lookup_answered(uint32_t inode, const std::optional<ChunkLocation>& chunk0);
  // Cached chunk locations, and data read ahead, are dropped for one inode. With
  // `keep_fresh_lookup`, a chunk-0 location from a LOOKUP of the last second stays: an open
  // keeps what the LOOKUP just before it brought.
  void forget_locations(uint32_t inode, bool keep_fresh_lookup = false);
  // All cached locations and data read ahead (a chunkserver went away: INVALIDATE_CHUNK_CACHE).
  void forget_all_locations();
  // The inode's data in the disk cache is dropped (an open that does not keep the page cache).
  void forget_cached_data(uint32_t inode);
  // Locations, data read ahead and data in the disk cache are dropped for one inode (it
  // changed: a write, a truncate, a master notification) or all (a new session, which
  // may have missed notifications).
  void forget(uint32_t inode);
  void forget_all();

 private:
  // The background write of one chunk's part of a buffer.
  struct Flight {
    uint32_t chunk_index = 0;
    uint64_t end = 0;  // one past its last byte
    std::shared_future<Status> done;
  };
  struct InodeBuffer {
    std::mutex flushing;  // one flush or start of flights of an inode at a time
    // Guarded by mutex_:
    WriteExtents extents;
    std::vector<Flight> flights;  // in start order; finished ones go at the next start or flush
    Status lost;                  // why data of the inode was not written
    bool released = false;        // released with writes behind still on their way
  };

  // Starts the flights of the inode's buffer, and waits for all its flights (`wait`) or only
  // while more than the write cache's size is in flight. Writes nothing, and fails, once
  // data of the inode was lost.
  Status write_out(uint32_t inode, bool wait);
  // Under mutex_: forgets the flights that landed.
  static void drop_landed_flights(InodeBuffer& buffer);
  // Under `flushing`: waits until fewer than kMaxBackgroundFlights run in the background and
  // the inode has fewer than kMaxFlightsPerInode flights.
  void wait_for_room_to_start(InodeBuffer& buffer);
  // Under `flushing`: takes what the inode has buffered and starts a flight per chunk, each
  // after the flight before it of the same chunk; nothing, and the error, once data of the
  // inode was lost. Flights started `by_caller` run on the thread that waits for them (a
  // flush: no thread to start for a small file's one flight).
  Status start_flights(uint32_t inode, const std::shared_ptr<InodeBuffer>& buffer, bool by_caller);
  // Under `flushing`: waits for the inode's flights; the error if data of the inode was lost.
  Status wait_for_flights(InodeBuffer& buffer);
  // Writes one chunk's pieces of the inode; a failure is kept as `buffer.lost`.
  Status write_pieces(uint32_t inode, InodeBuffer& buffer, std::span<const ChunkPiece> pieces);
  // Starts the inode's next fetch ahead, if its stream wants one now.
  void fetch_ahead_in_background(uint32_t inode, bool use_disk_cache);
  Result<std::vector<uint8_t>> read_from_chunkservers(uint32_t inode, uint64_t offset, uint32_t size,
                                                      bool use_disk_cache);
  Result<ChunkLocation> locate_for_read(uint32_t inode, uint32_t chunk_index);
  // locate_for_read, retried as mfsioretries says while the master answers "not now" (a
  // chunk still LOCKED after it parked the request 30 s) or fails in another retryable way.
  Result<ChunkLocation> locate_for_read_retrying(uint32_t inode, uint32_t chunk_index);
  Status read_chunk_range(uint32_t inode, uint32_t chunk_index, uint32_t offset, std::span<uint8_t> out,
                          bool use_disk_cache);
  // Reads the whole blocks around `out` from the copy, keeps them in the disk cache, and
  // copies the part asked for.
  Status read_through_disk_cache(const DiskCache::Fill& fill, const ChunkCopy& copy, uint64_t chunk_data_end,
                                 uint32_t offset, std::span<uint8_t> out);
  Status write_chunk(uint32_t inode, uint32_t chunk_index, std::span<const BlockPiece> pieces, uint64_t file_end);
  // Whether a master status for a chunk request is worth retrying (spec 10 §8.5).
  bool retryable(StatusCode code) const;
  // Whether a status of a namespace request that changes a chunk says "not now" about the
  // chunk, not "no" about the request.
  bool chunk_unavailable(StatusCode code) const;
  std::shared_ptr<InodeBuffer> buffer_of(uint32_t inode, bool create);

  MasterConnection& master_;
  ChunkserverPool& pool_;
  FileDataSettings settings_;
  std::function<void(uint32_t)> on_written_;

  std::mutex mutex_;  // the maps and the extents of every buffer
  std::map<uint32_t, std::shared_ptr<InodeBuffer>> buffers_;
  size_t buffered_bytes_ = 0;   // in buffers, not yet in flight
  size_t in_flight_bytes_ = 0;
  size_t background_flights_ = 0;  // flights on threads of their own
  std::condition_variable flight_landed_;
  void remember_location(uint32_t inode, uint32_t chunk_index, const ChunkLocation& location, bool from_lookup);
  struct CachedLocation {
    ChunkLocation location;
    std::chrono::steady_clock::time_point since;
    bool from_lookup = false;
  };
  std::map<std::pair<uint32_t, uint32_t>, CachedLocation> locations_;
  ReadAhead read_ahead_;
  std::vector<std::future<void>> fetches_ahead_;  // guarded by mutex_
};

}  // namespace mfs::mount
