// The i-nodes changed since they were last taken, for the checkpoint and for the quota
// usage sums. A node is marked on every change, several times per operation for a busy
// directory and once per node of a snapshot or a recursive setting change (100,000 marks
// for one request): a bit per i-node makes repeated marks free and a mark a few
// instructions; the marked i-nodes are also listed, so that taking a few marks does not
// scan the whole bitmap, while taking many scans it in order instead of sorting them.
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
    if (inode >= kBitmapInodes) {
      marked_.push_back(inode);  // made unique when taken
      return;
    }
    size_t word = inode / 64;
    uint64_t bit = uint64_t{1} << (inode % 64);
    if (word >= bits_.size()) bits_.resize(std::max(word + 1, 2 * bits_.size()), 0);
    if (bits_[word] & bit) return;
    bits_[word] |= bit;
    marked_.push_back(inode);
  }
  // The marked i-nodes, each once, in increasing order; none are marked afterwards.
  std::vector<uint32_t> take() {
    std::vector<uint32_t> taken;
    if (marked_.size() * kBitsScannedPerMark < bits_.size() * 64) {
      std::sort(marked_.begin(), marked_.end());
      marked_.erase(std::unique(marked_.begin(), marked_.end()), marked_.end());
      for (uint32_t inode : marked_) {
        if (inode < kBitmapInodes) bits_[inode / 64] = 0;
      }
      taken = std::exchange(marked_, {});
    } else {
      std::vector<uint32_t> high;
      for (uint32_t inode : marked_) {
        if (inode >= kBitmapInodes) high.push_back(inode);
      }
      std::sort(high.begin(), high.end());
      high.erase(std::unique(high.begin(), high.end()), high.end());
      taken.reserve(marked_.size());
      for (size_t word = 0; word < bits_.size(); ++word) {
        for (uint64_t rest = bits_[word]; rest != 0; rest &= rest - 1) {
          taken.push_back(static_cast<uint32_t>(word * 64 + static_cast<size_t>(__builtin_ctzll(rest))));
        }
        bits_[word] = 0;
      }
      taken.insert(taken.end(), high.begin(), high.end());
      marked_.clear();
    }
    return taken;
  }
  // About how many i-nodes are marked (a few high ones may count twice).
  size_t marked_count() const { return marked_.size(); }
  void clear() {
    bits_.clear();
    marked_.clear();
  }

 private:
  // i-nodes from 0 up to this have a bit (at most 32 MiB of bitmap); MooseFS numbers nodes
  // from 1 and reuses freed numbers, so higher ones are rare and only listed.
  static constexpr uint32_t kBitmapInodes = uint32_t{1} << 28;
  // Scanning a bitmap word costs about as much as one step of sorting a marked i-node.
  static constexpr size_t kBitsScannedPerMark = 64 * 16;

  std::vector<uint64_t> bits_;
  std::vector<uint32_t> marked_;
};

}  // namespace mfs::master
