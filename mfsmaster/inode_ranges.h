// A set of inode numbers kept as disjoint ranges, so "every unused number below the
// highest one" costs memory per gap, not per number.
#pragma once
#include <cstdint>
#include <map>
#include <optional>

namespace mfs::master {

class InodeRanges {
 public:
  void insert(uint32_t inode);
  // Adds [first, last].
  void insert_range(uint32_t first, uint32_t last);
  void erase(uint32_t inode);
  std::optional<uint32_t> lowest() const;
  // Calls f(inode) for the lowest `count` members in increasing order (fewer if smaller);
  // returns how many were visited.
  template <typename F>
  uint32_t for_each_lowest(uint32_t count, F f) const {
    uint32_t visited = 0;
    for (auto it = ranges_.begin(); it != ranges_.end() && visited < count; ++it) {
      for (uint64_t inode = it->first; inode <= it->second && visited < count; ++inode, ++visited) {
        f(static_cast<uint32_t>(inode));
      }
    }
    return visited;
  }
  bool contains(uint32_t inode) const;
  void clear() { ranges_.clear(); }
  bool empty() const { return ranges_.empty(); }

 private:
  std::map<uint32_t, uint32_t> ranges_;  // first -> last, inclusive, disjoint, not adjacent
};

}  // namespace mfs::master
