// The optional local disk cache of file data (DESIGN §5, ADR 0007; mfsdiskcachepath,
// mfsdiskcachesize): the 64 KiB blocks this mount read from the chunkservers, kept in files
// under one folder, so that data read again after the page cache let it go comes from the
// local disk instead of the network.
//
// It keeps the page cache's consistency rules, which FileData applies: an inode's blocks
// are forgotten whenever the kernel would drop its pages (an open without keep-cache, the
// master's change notifications, a reconnection) and when this mount writes or truncates
// the inode. A block is found only under the chunk id and version it was read at.
//
// Blocks of one chunk share a file named by a serial number that is never reused, so a
// reader that checked a block and then opens the file either finds the bytes it checked or
// no file. The least recently used chunks make room; a disk error only makes misses.
#pragma once
#include <bitset>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>

#include "mfscommon/status.h"

namespace mfs::mount {

class DiskCache {
 public:
  struct Key {
    uint32_t inode = 0;
    uint64_t chunkid = 0;
    uint32_t version = 0;
  };

  // Takes the folder (creating it if missing) with an exclusive lock, so that two mounts
  // never share it, and empties it: blocks of an earlier mount can't be checked by a new
  // session.
  static Result<std::unique_ptr<DiskCache>> open(const std::string& folder, uint64_t max_bytes);
  ~DiskCache();
  DiskCache(const DiskCache&) = delete;
  DiskCache& operator=(const DiskCache&) = delete;

  // Copies bytes [offset, offset + out.size()) of the chunk into `out` when every block they
  // touch is cached, and says whether it did.
  bool read(const Key& key, uint32_t offset, std::span<uint8_t> out);
  // A read from the chunkservers that is to fill the cache: the chunk's entry when the read
  // began (created then if missing, replacing one of another version).
  struct Fill {
    Key key;
    uint64_t serial = 0;
  };
  Fill begin_fill(const Key& key);
  // Keeps the blocks of `data`, which starts at the block-aligned `offset` of the chunk and
  // covers whole blocks, except a last one that ends the chunk's data. Nothing is kept if
  // the entry was dropped since begin_fill (a forget, or room made for other chunks).
  void store(const Fill& fill, uint32_t offset, std::span<const uint8_t> data);
  void forget(uint32_t inode);
  void forget_all();
  // Bytes of the blocks kept.
  uint64_t bytes();

 private:
  static constexpr uint32_t kBlocks = 1024;  // 64 KiB blocks of a 64 MiB chunk
  static constexpr uint32_t kNoBlock = kBlocks;
  struct Chunk {
    uint32_t version = 0;
    uint64_t serial = 0;          // names the file
    std::bitset<kBlocks> whole;   // blocks cached whole
    uint32_t short_block = kNoBlock;  // the one block cached shorter (it ended the chunk's data)
    uint32_t short_length = 0;
    uint64_t bytes = 0;
    std::list<std::pair<uint32_t, uint64_t>>::iterator recency;
  };
  using ChunkMap = std::map<std::pair<uint32_t, uint64_t>, Chunk>;  // (inode, chunk id)

  DiskCache(std::string folder, uint64_t max_bytes, int lock_fd);
  std::string path_of(uint64_t serial) const;
  // Under mutex_: drops a chunk's blocks and removes its file.
  ChunkMap::iterator drop(ChunkMap::iterator chunk);
  // Under mutex_: bytes of `block` cached.
  static uint32_t cached_length(const Chunk& chunk, uint32_t block);
  // Under mutex_: records that the chunk holds `length` bytes of `block`.
  void mark_cached(Chunk& chunk, uint32_t block, uint32_t length);
  // Under mutex_: drops least recently used chunks, other than the most recent one, until
  // `extra` more bytes fit; says whether they do.
  bool make_room(uint64_t extra);
  // Under mutex_: logs the first disk error only.
  void log_disk_error(const std::string& what);

  const std::string folder_;
  const uint64_t max_bytes_;
  const int lock_fd_;
  std::mutex mutex_;
  ChunkMap chunks_;
  std::list<std::pair<uint32_t, uint64_t>> recency_;  // most recently used first
  uint64_t bytes_ = 0;
  uint64_t next_serial_ = 1;
  bool disk_error_logged_ = false;
};

}  // namespace mfs::mount
