#include "mfsmaster/inode_ranges.h"

#include <algorithm>
#include <iterator>

namespace mfs::master {

void InodeRanges::insert(uint32_t inode) { insert_range(inode, inode); }

void InodeRanges::insert_range(uint32_t first, uint32_t last) {
  if (first > last) return;
  // Merge with every range that overlaps or touches [first, last].
  auto it = ranges_.upper_bound(first);
  if (it != ranges_.begin()) {
    auto previous = std::prev(it);
    if (previous->second >= first || previous->second + 1 == first) it = previous;
  }
  while (it != ranges_.end() && (it->first <= last || it->first == last + 1)) {
    first = std::min(first, it->first);
    last = std::max(last, it->second);
    it = ranges_.erase(it);
  }
  ranges_[first] = last;
}

void InodeRanges::erase(uint32_t inode) {
  auto it = ranges_.upper_bound(inode);
  if (it == ranges_.begin()) return;
  --it;
  auto [first, last] = *it;
  if (inode > last) return;
  ranges_.erase(it);
  if (first < inode) ranges_[first] = inode - 1;
  if (inode < last) ranges_[inode + 1] = last;
}

std::optional<uint32_t> InodeRanges::lowest() const {
  if (ranges_.empty()) return std::nullopt;
  return ranges_.begin()->first;
}

bool InodeRanges::contains(uint32_t inode) const {
  auto it = ranges_.upper_bound(inode);
  if (it == ranges_.begin()) return false;
  return inode <= std::prev(it)->second;
}

}  // namespace mfs::master
