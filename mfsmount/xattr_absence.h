// Inodes the master last described as having no extended attributes and no ACLs (the
// NOXATTR attribute flag, spec 10 §5). The kernel asks for `security.capability` before
// every write; as the 3.0.117 client does, such requests are answered "no such attribute"
// here instead of costing a master round trip. An inode's answer is trusted for as long as
// the kernel may trust its attributes.
#pragma once
#include <cstdint>

#include "mfsmount/expiring_map.h"

namespace mfs::mount {

class XattrAbsence {
 public:
  using Clock = std::chrono::steady_clock;

  // Attributes of `inode` arrived with the given NOXATTR flag, valid for `fresh_for`.
  void note(uint32_t inode, bool no_xattrs, Clock::duration fresh_for, Clock::time_point now = Clock::now()) {
    if (no_xattrs && fresh_for > Clock::duration::zero()) {
      absent_.put(inode, true, now + fresh_for, now);
    } else {
      absent_.erase(inode);
    }
  }
  // `inode`'s attributes may have changed (an xattr or ACL was set through this mount).
  void forget(uint32_t inode) { absent_.erase(inode); }
  bool known_absent(uint32_t inode, Clock::time_point now = Clock::now()) { return absent_.find(inode, now).has_value(); }

 private:
  ExpiringMap<uint32_t, bool> absent_{65536};
};

}  // namespace mfs::mount
