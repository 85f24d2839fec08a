#include "mfsmaster/sustained_expiry.h"

namespace mfs::master {

SustainedExpiry released_sustained(const FsTree& fs, uint32_t bucket) {
  SustainedExpiry expiry;
  for (const Edge* entry : fs.sustained_bucket(bucket)) {
    const Node& file = *entry->child;
    if (fs.is_open(file.inode)) continue;
    expiry.inodes.push_back(file.inode);
    expiry.inode_checksum ^= file.inode;
  }
  return expiry;
}

}  // namespace mfs::master
