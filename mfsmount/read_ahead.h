// Read-ahead (mfsreadaheadsize / mfsreadaheadleng / mfsreadaheadtrigger, spec 40 C.9):
// once an inode has been read sequentially for `trigger` bytes, a read that misses fetches
// `window` bytes from the chunkservers in one go and keeps what the caller did not ask for;
// from then on, the next bytes are fetched in the background whenever less than two fetches'
// worth is left ahead of the reader, so the application's reading and the chunkservers'
// sending overlap. Each fetch ahead is twice the last one, up to 4 windows, so that the
// chunkservers read their files in fewer, longer pieces (docs/adr/0004); a read out of
// sequence starts again at one window. Sequential reads are served from the kept bytes;
// reads that arrive while a fetch of their range is under way (the kernel sends a stream's
// pieces from several threads) wait for it instead of fetching the same bytes again. All
// kept bytes together stay within `budget` (the inode whose bytes were kept longest ago
// makes room first).
// Bookkeeping only: FileData does the I/O, and drops an inode's bytes whenever its chunk
// locations are dropped (writes, truncates, master notifications, opens).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
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
  // One fetch of `size` bytes at `offset`; `id` tells a fetch that is still wanted from one
  // of an inode that was forgotten meanwhile.
  struct Fetch {
    uint64_t offset = 0;
    uint32_t size = 0;
    uint64_t id = 0;
  };

  explicit ReadAhead(ReadAheadSettings settings) : settings_(settings) {}

  // The requested bytes when the inode's kept bytes hold all of them, waiting for a fetch
  // under way that will (nullopt: read them). Notes the read for the sequential-stream
  // detection either way.
  std::optional<std::vector<uint8_t>> take(uint32_t inode, uint64_t offset, uint32_t size);
  // For a read of `size` at `offset` that missed: a fetch of a whole window there when the
  // stream has earned it and no fetch is under way (nullopt: read just what was asked).
  std::optional<Fetch> fetch_on_miss(uint32_t inode, uint64_t offset, uint32_t size);
  // The next bytes to fetch in the background, when less than two fetches' worth is kept
  // ahead of the reader and no fetch is under way.
  std::optional<Fetch> fetch_ahead(uint32_t inode);
  // Every fetch started must end in keep() or fetch_failed(). keep() keeps `data` beyond its
  // first `used` bytes, unless the inode was forgotten while it was read.
  void keep(uint32_t inode, const Fetch& fetch, std::vector<uint8_t> data, uint32_t used);
  void fetch_failed(uint32_t inode, const Fetch& fetch);
  void forget(uint32_t inode);
  void forget_all();

  size_t kept_bytes() const;

 private:
  struct Piece {
    uint64_t offset = 0;
    std::vector<uint8_t> data;
    uint64_t end() const { return offset + data.size(); }
  };
  struct Stream {
    uint64_t next = 0;               // where a sequential read would start
    uint64_t sequential = 0;         // bytes read in sequence so far
    std::deque<Piece> kept;          // contiguous, in offset order
    uint64_t file_end = UINT64_MAX;  // where a fetch came back short
    std::optional<Fetch> fetching;   // the fetch under way
    uint32_t ahead_size = 0;         // of the next fetch ahead; 0: one window
    uint64_t kept_end() const { return kept.empty() ? 0 : kept.back().end(); }
  };
  std::optional<Fetch> start_fetch(Stream& stream, uint64_t offset, uint32_t size);
  Stream* fetching_stream(uint32_t inode, const Fetch& fetch);
  void end_fetch(Stream& stream);
  void note_read(Stream& stream, uint64_t offset, uint32_t size);
  // Copies [offset, offset + size) out of the kept pieces, if they hold all of it.
  static std::optional<std::vector<uint8_t>> copy_kept(const Stream& stream, uint64_t offset, uint32_t size);
  void drop_first_piece(uint32_t inode, Stream& stream);
  void drop_pieces_behind(uint32_t inode, Stream& stream, uint64_t offset);
  void drop_kept(uint32_t inode, Stream& stream);

  ReadAheadSettings settings_;
  mutable std::mutex mutex_;
  std::condition_variable fetched_;
  std::map<uint32_t, Stream> streams_;
  std::list<uint32_t> keep_order_;  // inodes with kept bytes, the least recently added first
  size_t kept_bytes_ = 0;
  uint64_t last_fetch_id_ = 0;
};

}  // namespace mfs::mount
