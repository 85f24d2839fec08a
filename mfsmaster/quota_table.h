// Directory quotas (spec 11 §5.7, spec 30 §3.9 and the QUOTA changelog entry, spec 40
// B.3.11): soft and hard limits on the inodes, length, size and realsize below a
// directory, and the soft limits' grace period. The usage they are measured against is
// DirectoryData::usage, kept up to date by FsTree.
//
// Behaviour observed on the 3.0.117 master (docs/protocol-notes.md "Quotas"):
// * An operation is refused (QUOTA, 34) when it grows a measure past a hard limit, or
//   past a soft limit whose grace period is over ("exceeded"); shrinking is always allowed.
// * Once a second the master notes when a soft limit became exceeded (stimestamp), when
//   its grace period ran out (exceeded = 1: the soft limits now act as hard ones) and when
//   the usage is back within the soft limits (both cleared), each as a QUOTA entry.
//
// For other features: `QuotaTable::check(fs, directory, growth)` is the test every
// operation that adds to a directory calls before it creates its changelog entries
// (snapshots: growth = FsTree::subtree_usage of the source).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "mfscommon/config_file.h"
#include "mfscommon/status.h"
#include "mfsmaster/changelog_entry.h"
#include "mfsmaster/fs_node.h"

namespace mfs::master {

class FsTree;

// qflags of QUOTACONTROL, QUOTA_INFO, the QUOT section and the QUOTA entry.
namespace quota_flag {
inline constexpr uint8_t kSoftInodes = 0x01, kSoftLength = 0x02, kSoftSize = 0x04, kSoftRealsize = 0x08;
inline constexpr uint8_t kHardInodes = 0x10, kHardLength = 0x20, kHardSize = 0x40, kHardRealsize = 0x80;
inline constexpr uint8_t kAllSoft = 0x0F, kAllHard = 0xF0;
}  // namespace quota_flag

// QUOTA_DEFAULT_GRACE_PERIOD (or its old name QUOTA_TIME_LIMIT), default 7 days (spec 40):
// the grace period of quotas that have none of their own.
inline constexpr uint32_t kDefaultQuotaGracePeriod = 604800;
uint32_t quota_default_grace_period(const ConfigFile& config);

struct QuotaRecord {
  uint32_t inode = 0;
  uint32_t grace_period = 0;  // seconds; 0 = the master's default
  bool exceeded = false;      // the grace period is over: soft limits block like hard ones
  uint8_t flags = 0;          // quota_flag bits: which limits are set (others are stored as 0)
  uint32_t soft_since = 0;    // when a soft limit became exceeded, 0 = within the soft limits
  SubtreeUsage soft;
  SubtreeUsage hard;

  // True if `growth` added to `current` passes a hard limit, or an expired soft one.
  bool blocks(const SubtreeUsage& current, const SubtreeUsage& growth) const;
  // True if `current` is above some soft limit.
  bool soft_exceeded(const SubtreeUsage& current) const;
  uint32_t effective_grace_period(uint32_t default_grace_period) const {
    return grace_period != 0 ? grace_period : default_grace_period;
  }
  // Seconds until the soft limits block: 0xFFFFFFFF within them, 0 once the grace is over.
  uint32_t time_to_block(uint32_t now, uint32_t default_grace_period) const;
  bool operator==(const QuotaRecord&) const = default;
};

// QUOTACONTROL's change of a directory's quota (`current` null when it has none). Set:
// the flagged limits take the request's values, a non-zero grace period replaces the
// stored one. Delete: the flagged limits go. Flags 0 in the result remove the quota.
QuotaRecord changed_quota(const QuotaRecord* current, uint32_t inode, uint8_t qflags, bool set, uint32_t grace_period,
                          const SubtreeUsage& soft, const SubtreeUsage& hard);

// The QUOTA changelog entry that makes `record` the directory's quota (flags 0 removes it).
ChangelogEntry quota_entry(const QuotaRecord& record, uint32_t now);

class QuotaTable {
 public:
  const QuotaRecord* find(uint32_t inode) const;
  const std::map<uint32_t, QuotaRecord>& all() const { return records_; }
  // What a QUOTA entry does: stores `record`, or removes the directory's quota when no
  // limit is left.
  void set(const QuotaRecord& record);
  // The directory was freed.
  void erase(uint32_t inode);
  void clear();
  // Directories whose quota changed (or went) since the last call, for the checkpoint.
  std::vector<uint32_t> take_changed();

  // QUOTA if adding `growth` below `directory` passes a limit of it or of a directory
  // above it. With `already_inside` (a move's source parent), directories that already
  // hold it (the quota realm the subtree stays in) are not tested.
  Status check(const FsTree& fs, const Node& directory, const SubtreeUsage& growth,
               const Node* already_inside = nullptr) const;
  // The same for growth of a non-directory: tested under each of its parents.
  Status check_file(const FsTree& fs, const Node& file, const SubtreeUsage& growth) const;
  // The QUOTA entries the once-a-second check logs at `now` (see the top of this file).
  std::vector<ChangelogEntry> soft_limit_changes(const FsTree& fs, uint32_t now, uint32_t default_grace_period) const;
  // STATFS: the space left under the length and size limits of `root` and the
  // directories above it, if any.
  std::optional<uint64_t> space_left(const FsTree& fs, const Node& root) const;

 private:
  std::map<uint32_t, QuotaRecord> records_;
  std::set<uint32_t> changed_;
};

}  // namespace mfs::master
