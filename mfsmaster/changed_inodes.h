// The i-nodes changed since they were last taken, for the checkpoint and for the quota
// usage sums. A node is marked on every change, several times per operation for a busy
// directory and once per node of a snapshot; a sorted set paid an allocation per mark and
// took 40% of a snapshot's time, so marks are appended and made unique when taken, or when
// repeated marks of the same nodes pile up.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace mfs::master {

class ChangedInodes {
 public:
  void mark(uint32_t inode) {
    if (!marks_.empty() && marks_.back() == inode) return;
    marks_.push_back(inode);
    if (marks_.size() >= compact_at_) compact();
  }
  // The marked i-nodes, each once, in increasing order; none are marked afterwards.
  std::vector<uint32_t> take() {
    compact();
    compact_at_ = kFirstCompaction;
    return std::exchange(marks_, {});
  }
  void clear() {
    marks_.clear();
    compact_at_ = kFirstCompaction;
  }

 private:
  static constexpr size_t kFirstCompaction = 1024;

  void compact() {
    std::sort(marks_.begin(), marks_.end());
    marks_.erase(std::unique(marks_.begin(), marks_.end()), marks_.end());
    compact_at_ = std::max(kFirstCompaction, 2 * marks_.size());
  }

  std::vector<uint32_t> marks_;
  size_t compact_at_ = kFirstCompaction;
};

}  // namespace mfs::master
