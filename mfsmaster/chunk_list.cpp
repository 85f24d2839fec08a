#include "mfsmaster/chunk_list.h"

#include <algorithm>

namespace mfs::master {

ChunkList::ChunkList(std::initializer_list<uint64_t> slots) {
  uint32_t index = 0;
  for (uint64_t id : slots) {
    if (id != 0) slots_.push_back({index, id});
    ++index;
  }
  mark_size(index);
}

uint64_t ChunkList::operator[](uint64_t index) const {
  auto at = slots_.begin() + position(index);
  return at != slots_.end() && at->index == index ? at->id : 0;
}

void ChunkList::set(uint32_t index, uint64_t id) {
  uint32_t new_size = std::max(size(), index + 1);
  drop_size_mark();
  auto at = slots_.begin() + position(index);
  if (at != slots_.end() && at->index == index) {
    if (id != 0) {
      at->id = id;
    } else {
      slots_.erase(at);
    }
  } else if (id != 0) {
    slots_.insert(at, Slot{index, id});
  }
  mark_size(new_size);
}

void ChunkList::resize(uint32_t new_size) {
  drop_size_mark();
  slots_.erase(slots_.begin() + position(new_size), slots_.end());
  mark_size(new_size);
}

void ChunkList::append_slice(const ChunkList& source, uint32_t first, uint32_t end, uint32_t base) {
  resize(base);
  drop_size_mark();
  for (auto slot = source.from(first); slot != source.end() && slot->index < end; ++slot) {
    slots_.push_back({base + (slot->index - first), slot->id});
  }
  mark_size(base + (end - first));
}

void ChunkList::drop_size_mark() {
  if (has_size_mark()) slots_.pop_back();
}

void ChunkList::mark_size(uint32_t new_size) {
  if (new_size > size()) slots_.push_back({new_size - 1, 0});
}

std::ptrdiff_t ChunkList::position(uint64_t index) const {
  // Appending at the end is the common case: no search.
  if (slots_.empty() || slots_.back().index < index) return std::ssize(slots_);
  return std::lower_bound(slots_.begin(), slots_.end(), index,
                          [](const Slot& slot, uint64_t wanted) { return slot.index < wanted; }) -
         slots_.begin();
}

}  // namespace mfs::master
