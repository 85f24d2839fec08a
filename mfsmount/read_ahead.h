// Read-ahead (mfsreadaheadsize / mfsreadaheadleng / mfsreadaheadtrigger, spec 40 C.9):
// once an inode has been read sequentially for `trigger` bytes, a read that misses fetches
// `window` bytes from the chunkservers in one go and keeps what the caller did not ask for;
// the next sequential reads are served from it; reads that arrive while that fetch is under
// way (the kernel sends a stream's pieces from several threads) wait for it instead of
// fetching the same bytes again. All windows together stay within `budget`
// bytes (the oldest window makes room). Bookkeeping only: FileData does the I/O, and drops
// an inode's window whenever its chunk locations are dropped (writes, truncates, master
// notifications, opens).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace mfs::mount {

struct ReadAheadSettings {
  size_t budget = 256u << 20;  // 0: no read-ahead
  uint32_t window = 1u << 20;
  uint64_t trigger = 10u << 20;
};

class ReadAhead {
 public:
  explicit ReadAhead(ReadAheadSettings settings) : settings_(settings) {}

  // The requested bytes when the inode's window holds all of them, waiting for a fetch
  // under way that will (nullopt: read them). Notes the read for the sequential-stream
  // detection either way.
  std::optional<std::vector<uint8_t>> take(uint32_t inode, uint64_t offset, uint32_t size);
  // How many bytes to fetch at `offset` for a read of `size` that missed: `size`, or the
  // window when the stream has earned it and no fetch ahead is under way. A window-sized
  // answer must be followed by keep() or fetch_failed().
  uint32_t fetch_size(uint32_t inode, uint64_t offset, uint32_t size);
  // Keeps `data` (read at `offset`) beyond the first `used` bytes as the inode's window,
  // unless the inode was forgotten while it was read.
  void keep(uint32_t inode, uint64_t offset, std::vector<uint8_t> data, uint32_t used);
  void fetch_failed(uint32_t inode);
  void forget(uint32_t inode);
  void forget_all();

  size_t kept_bytes() const;

 private:
  struct Stream {
    uint64_t next = 0;        // where a sequential read would start
    uint64_t sequential = 0;  // bytes read in sequence so far
    uint64_t window_offset = 0;
    std::vector<uint8_t> window;
    bool fetching = false;  // a window-sized fetch of [fetch_offset, fetch_end) is under way
    uint64_t fetch_offset = 0;
    uint64_t fetch_end = 0;
  };
  void end_fetch(Stream& stream);
  void note_read(Stream& stream, uint64_t offset, uint32_t size);
  void drop_window(uint32_t inode, Stream& stream);

  ReadAheadSettings settings_;
  mutable std::mutex mutex_;
  std::condition_variable fetched_;
  std::map<uint32_t, Stream> streams_;
  std::list<uint32_t> window_order_;  // inodes with a window, oldest first
  size_t kept_bytes_ = 0;
};

}  // namespace mfs::mount
