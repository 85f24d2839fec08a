// Inodes the master last described as having no extended attributes and no ACLs (the
// NOXATTR attribute flag, spec 10 §5). The kernel asks for `security.capability` before
// every write; as the 3.0.117 client does, such requests are answered "no such attribute"
// here instead of costing a master round trip. An inode's answer is trusted for as long as
// the kernel may trust its attributes.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace mfs::mount {

class XattrAbsence {
 public:
  using Clock = std::chrono::steady_clock;

  // Attributes of `inode` arrived with the given NOXATTR flag, valid for `fresh_for`.
  void note(uint32_t inode, bool no_xattrs, Clock::duration fresh_for, Clock::time_point now = Clock::now());
  // `inode`'s attributes may have changed (an xattr or ACL was set through this mount).
  void forget(uint32_t inode);
  bool known_absent(uint32_t inode, Clock::time_point now = Clock::now());

 private:
  // Past this many entries the expired ones are dropped, so the map stays small.
  static constexpr size_t kPruneAbove = 65536;

  std::mutex mutex_;
  std::unordered_map<uint32_t, Clock::time_point> until_;
};

}  // namespace mfs::mount
