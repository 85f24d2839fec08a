// Replay of QUOTA(ino,exceeded,flags,stimestamp,sinodes,hinodes,slength,hlength,ssize,hsize,
// srealsize,hrealsize,graceperiod) (spec 30 §4): the directory's whole quota record.
#include <utility>

#include "mfsmaster/changelog_args.h"
#include "mfsmaster/metadata.h"

namespace mfs::master {

Status Metadata::apply_quota(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  QuotaRecord record;
  record.inode = args.number<uint32_t>();
  uint8_t exceeded = args.number<uint8_t>();
  record.flags = args.number<uint8_t>();
  record.soft_since = args.number<uint32_t>();
  record.soft.inodes = args.number<uint32_t>();
  record.hard.inodes = args.number<uint32_t>();
  record.soft.length = args.number<uint64_t>();
  record.hard.length = args.number<uint64_t>();
  record.soft.size = args.number<uint64_t>();
  record.hard.size = args.number<uint64_t>();
  record.soft.realsize = args.number<uint64_t>();
  record.hard.realsize = args.number<uint64_t>();
  record.grace_period = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  if (exceeded > 1) return Status(StatusCode::kMismatch, "QUOTA: bad exceeded flag");
  record.exceeded = exceeded == 1;
  const Node* directory = std::as_const(fs_).find(record.inode);
  if (!directory || !directory->is_directory()) {
    return Status(StatusCode::kMismatch, "QUOTA: i-node " + std::to_string(record.inode) + " is not a directory");
  }
  quotas_.set(record);
  return Status::ok();
}

}  // namespace mfs::master
