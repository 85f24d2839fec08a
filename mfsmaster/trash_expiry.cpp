#include "mfsmaster/trash_expiry.h"

#include <algorithm>

namespace mfs::master {

TrashExpiry expired_trash(const FsTree& fs, uint32_t bucket, uint32_t now) {
  TrashExpiry expiry;
  for (const Edge* entry : fs.trash_bucket(bucket)) {
    const Node& file = *entry->child;
    uint64_t last_change = std::max({file.atime, file.mtime, file.ctime});
    if (last_change + uint64_t{file.trash_hours} * 3600 >= now) continue;
    expiry.inodes.push_back(file.inode);
    ++(fs.is_open(file.inode) ? expiry.sustained : expiry.freed);
    expiry.inode_checksum ^= file.inode;
  }
  return expiry;
}

}  // namespace mfs::master
