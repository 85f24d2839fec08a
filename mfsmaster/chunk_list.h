// A file's chunk ids by 64 MiB index; an index without a chunk is a hole. Legal offsets
// reach 2^57 (spec 00), so one write far past a file's end makes a table of up to 2^31
// slots, nearly all holes. Only the chunks are stored, in index order, so that the memory
// of a table and every walk over it cost what the file's chunks are, not its length.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace mfs::master {

class ChunkList {
 public:
  struct Slot {
    uint32_t index;
    uint64_t id;
    bool operator==(const Slot&) const = default;
  };
  using const_iterator = std::vector<Slot>::const_iterator;

  ChunkList() = default;
  // Slots 0, 1, 2…; a 0 is a hole.
  ChunkList(std::initializer_list<uint64_t> slots);

  // Slots, holes included: the file's table may end with holes (a chunk removed at its end,
  // a table read from a metadata file), as MooseFS's does.
  uint32_t size() const { return slots_.empty() ? 0 : slots_.back().index + 1; }
  bool empty() const { return slots_.empty(); }
  // The chunk at `index`; 0 for a hole or an index past the end.
  uint64_t operator[](uint64_t index) const;
  // Puts a chunk at `index` (0 makes a hole there); an index past the end grows the table.
  void set(uint32_t index, uint64_t id);
  // Cuts the table at `size` slots (its chunks from there on are dropped) or grows it with holes.
  void resize(uint32_t size);
  void drop_trailing_holes() { drop_size_mark(); }
  // mfsappendchunks: the table cut or grown to `base` slots, then slots [first, end) of
  // `source` after it.
  void append_slice(const ChunkList& source, uint32_t first, uint32_t end, uint32_t base);

  // The chunks, not the holes, by index.
  const_iterator begin() const { return slots_.begin(); }
  const_iterator end() const { return has_size_mark() ? slots_.end() - 1 : slots_.end(); }
  // The chunks at `index` and after.
  const_iterator from(uint64_t index) const { return std::min(slots_.begin() + position(index), end()); }
  size_t chunk_count() const { return static_cast<size_t>(end() - begin()); }

  size_t allocated_bytes() const { return slots_.capacity() * sizeof(Slot); }
  size_t used_bytes() const { return slots_.size() * sizeof(Slot); }
  void shrink_to_fit() { slots_.shrink_to_fit(); }

  bool operator==(const ChunkList&) const = default;

 private:
  // A table that ends with holes keeps a last slot with id 0 for its size: that is the only
  // slot without a chunk, and only ever the last one, so equal tables are equal vectors.
  bool has_size_mark() const { return !slots_.empty() && slots_.back().id == 0; }
  void drop_size_mark();
  void mark_size(uint32_t size);
  // Where the first slot at or after `index` is (slots_.size() if none).
  std::ptrdiff_t position(uint64_t index) const;

  std::vector<Slot> slots_;
};

}  // namespace mfs::master
