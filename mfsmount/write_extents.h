// The data written to one file and not yet sent to the chunkservers: non-overlapping,
// non-touching extents (offset -> bytes); a later write overrides what it overlaps.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <vector>

namespace mfs::mount {

class WriteExtents {
 public:
  using Map = std::map<uint64_t, std::vector<uint8_t>>;

  void add(uint64_t offset, std::span<const uint8_t> data);
  // Hands over the extents and empties the buffer.
  Map take();

  size_t bytes() const { return bytes_; }
  bool empty() const { return extents_.empty(); }
  // One past the last buffered byte (0 when empty).
  uint64_t end() const;
  const Map& extents() const { return extents_; }

 private:
  Map extents_;
  size_t bytes_ = 0;
};

// An extent cut at chunk and 64 KiB block boundaries, as WRITE_DATA packets carry it.
struct ChunkPiece {
  uint32_t chunk_index = 0;
  uint32_t chunk_offset = 0;
  std::span<const uint8_t> data;
};
std::vector<ChunkPiece> split_into_blocks(const WriteExtents::Map& extents);

}  // namespace mfs::mount
