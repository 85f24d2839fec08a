#include "mfsmount/write_extents.h"

#include <algorithm>
#include <cstring>

#include "mfscommon/chunkserver_data_messages.h"

namespace mfs::mount {

void WriteExtents::add(uint64_t offset, std::span<const uint8_t> data) {
  if (data.empty()) return;
  uint64_t start = offset;
  uint64_t end = offset + data.size();
  // The first extent that overlaps or touches [start, end).
  auto first = extents_.upper_bound(start);
  if (first != extents_.begin()) {
    auto previous = std::prev(first);
    if (previous->first + previous->second.size() >= start) first = previous;
  }
  // A sequential writer appends to the end of its last extent: grown in place, instead of
  // copying (and zero-filling) the whole extent again for every write.
  if (first != extents_.end() && first->first + first->second.size() == start) {
    auto next = std::next(first);
    if (next == extents_.end() || next->first > end) {
      first->second.insert(first->second.end(), data.begin(), data.end());
      bytes_ += data.size();
      return;
    }
  }
  auto last = first;
  uint64_t merged_start = start;
  uint64_t merged_end = end;
  for (; last != extents_.end() && last->first <= end; ++last) {
    merged_start = std::min(merged_start, last->first);
    merged_end = std::max(merged_end, last->first + last->second.size());
  }
  std::vector<uint8_t> merged(merged_end - merged_start);
  for (auto it = first; it != last; ++it) {
    std::memcpy(merged.data() + (it->first - merged_start), it->second.data(), it->second.size());
    bytes_ -= it->second.size();
  }
  std::memcpy(merged.data() + (start - merged_start), data.data(), data.size());
  extents_.erase(first, last);
  bytes_ += merged.size();
  extents_.emplace(merged_start, std::move(merged));
}

WriteExtents::Map WriteExtents::take() {
  bytes_ = 0;
  return std::exchange(extents_, {});
}

uint64_t WriteExtents::end() const {
  if (extents_.empty()) return 0;
  const auto& [offset, data] = *extents_.rbegin();
  return offset + data.size();
}

std::vector<ChunkPiece> split_into_blocks(const WriteExtents::Map& extents) {
  std::vector<ChunkPiece> pieces;
  for (const auto& [offset, data] : extents) {
    size_t done = 0;
    while (done < data.size()) {
      uint64_t position = offset + done;
      uint64_t block_end = (position / csdata::kBlockSize + 1) * csdata::kBlockSize;
      size_t size = static_cast<size_t>(std::min<uint64_t>(block_end - position, data.size() - done));
      pieces.push_back({static_cast<uint32_t>(position / csdata::kChunkSize),
                        static_cast<uint32_t>(position % csdata::kChunkSize),
                        std::span<const uint8_t>(data.data() + done, size)});
      done += size;
    }
  }
  return pieces;
}

}  // namespace mfs::mount
