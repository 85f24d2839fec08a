#include "mfsmaster/quota_table.h"

#include <algorithm>
#include <array>

#include "mfsmaster/fs_tree.h"

namespace mfs::master {
namespace {

// The four measures in flag order: inodes, length, size, realsize.
std::array<uint64_t, 4> measures(const SubtreeUsage& usage) {
  return {usage.inodes, usage.length, usage.size, usage.realsize};
}

uint8_t soft_flag(size_t measure) { return static_cast<uint8_t>(quota_flag::kSoftInodes << measure); }
uint8_t hard_flag(size_t measure) { return static_cast<uint8_t>(quota_flag::kHardInodes << measure); }

bool grows_past(uint64_t current, uint64_t growth, uint64_t limit) { return growth > 0 && current + growth > limit; }

// `directory` and every directory above it, nearest first.
template <typename Visit>
void for_each_ancestor(const FsTree& fs, const Node& directory, Visit visit) {
  for (const Node* dir = &directory; dir != nullptr;) {
    if (!visit(*dir)) return;
    if (dir->parents.empty() || dir->parents.front()->parent == 0) return;
    dir = fs.find(dir->parents.front()->parent);
  }
}

}  // namespace

uint32_t quota_default_grace_period(const ConfigFile& config) {
  uint64_t seconds =
      config.get_uint("QUOTA_DEFAULT_GRACE_PERIOD", config.get_uint("QUOTA_TIME_LIMIT", kDefaultQuotaGracePeriod));
  return static_cast<uint32_t>(std::min<uint64_t>(seconds, UINT32_MAX));
}

bool QuotaRecord::blocks(const SubtreeUsage& current, const SubtreeUsage& growth) const {
  auto now = measures(current), more = measures(growth), soft_limits = measures(soft), hard_limits = measures(hard);
  for (size_t i = 0; i < now.size(); ++i) {
    if ((flags & hard_flag(i)) && grows_past(now[i], more[i], hard_limits[i])) return true;
    if (exceeded && (flags & soft_flag(i)) && grows_past(now[i], more[i], soft_limits[i])) return true;
  }
  return false;
}

bool QuotaRecord::soft_exceeded(const SubtreeUsage& current) const {
  auto now = measures(current), soft_limits = measures(soft);
  for (size_t i = 0; i < now.size(); ++i) {
    if ((flags & soft_flag(i)) && now[i] > soft_limits[i]) return true;
  }
  return false;
}

uint32_t QuotaRecord::time_to_block(uint32_t now, uint32_t default_grace_period) const {
  if (soft_since == 0) return 0xFFFFFFFF;
  uint64_t blocks_at = uint64_t{soft_since} + effective_grace_period(default_grace_period);
  return blocks_at > now ? static_cast<uint32_t>(blocks_at - now) : 0;
}

QuotaRecord changed_quota(const QuotaRecord* current, uint32_t inode, uint8_t qflags, bool set, uint32_t grace_period,
                          const SubtreeUsage& soft, const SubtreeUsage& hard) {
  QuotaRecord none;
  none.inode = inode;
  QuotaRecord record = current ? *current : none;
  auto soft_limits = measures(record.soft), hard_limits = measures(record.hard);
  auto soft_request = measures(soft), hard_request = measures(hard);
  for (size_t i = 0; i < soft_limits.size(); ++i) {
    if (qflags & soft_flag(i)) soft_limits[i] = set ? soft_request[i] : 0;
    if (qflags & hard_flag(i)) hard_limits[i] = set ? hard_request[i] : 0;
  }
  auto to_usage = [](const std::array<uint64_t, 4>& values) {
    return SubtreeUsage{static_cast<uint32_t>(values[0]), values[1], values[2], values[3]};
  };
  record.soft = to_usage(soft_limits);
  record.hard = to_usage(hard_limits);
  record.flags = set ? record.flags | qflags : record.flags & ~qflags;
  if (set && grace_period != 0) record.grace_period = grace_period;
  if (record.flags == 0) record = none;
  return record;
}

ChangelogEntry quota_entry(const QuotaRecord& record, uint32_t now) {
  return ChangelogEntry::make("QUOTA", now)
      .arg(record.inode)
      .arg(record.exceeded ? 1 : 0)
      .arg(record.flags)
      .arg(record.soft_since)
      .arg(record.soft.inodes)
      .arg(record.hard.inodes)
      .arg(record.soft.length)
      .arg(record.hard.length)
      .arg(record.soft.size)
      .arg(record.hard.size)
      .arg(record.soft.realsize)
      .arg(record.hard.realsize)
      .arg(record.grace_period);
}

const QuotaRecord* QuotaTable::find(uint32_t inode) const {
  auto it = records_.find(inode);
  return it == records_.end() ? nullptr : &it->second;
}

void QuotaTable::set(const QuotaRecord& record) {
  changed_.insert(record.inode);
  if (record.flags == 0) {
    records_.erase(record.inode);
  } else {
    records_[record.inode] = record;
  }
}

void QuotaTable::erase(uint32_t inode) {
  if (records_.erase(inode) != 0) changed_.insert(inode);
}

void QuotaTable::clear() {
  for (const auto& [inode, record] : records_) changed_.insert(inode);
  records_.clear();
}

std::vector<uint32_t> QuotaTable::take_changed() {
  std::vector<uint32_t> changed(changed_.begin(), changed_.end());
  changed_.clear();
  return changed;
}

Status QuotaTable::check(const FsTree& fs, const Node& directory, const SubtreeUsage& growth,
                         const Node* already_inside) const {
  if (records_.empty()) return Status::ok();
  bool blocked = false;
  for_each_ancestor(fs, directory, [&](const Node& dir) {
    const QuotaRecord* record = find(dir.inode);
    if (record && dir.is_directory() && !(already_inside && fs.is_ancestor(dir, *already_inside))) {
      blocked = record->blocks(dir.directory->usage, growth);
    }
    return !blocked;
  });
  return blocked ? Status(StatusCode::kQuota) : Status::ok();
}

Status QuotaTable::check_file(const FsTree& fs, const Node& file, const SubtreeUsage& growth) const {
  for (const Edge* edge : file.parents) {
    const Node* parent = edge->parent != 0 ? fs.find(edge->parent) : nullptr;
    if (!parent) continue;  // trash and sustained files are in no directory
    if (Status status = check(fs, *parent, growth); !status) return status;
  }
  return Status::ok();
}

std::vector<ChangelogEntry> QuotaTable::soft_limit_changes(const FsTree& fs, uint32_t now,
                                                           uint32_t default_grace_period) const {
  std::vector<ChangelogEntry> entries;
  for (const auto& [inode, record] : records_) {
    const Node* dir = fs.find(inode);
    if (!dir || !dir->is_directory()) continue;
    QuotaRecord next = record;
    if (!record.soft_exceeded(dir->directory->usage)) {
      next.soft_since = 0;
      next.exceeded = false;
    } else if (record.soft_since == 0) {
      next.soft_since = now;
    } else if (now > uint64_t{record.soft_since} + record.effective_grace_period(default_grace_period)) {
      next.exceeded = true;  // observed: the first check after the grace period's last second
    }
    if (!(next == record)) entries.push_back(quota_entry(next, now));
  }
  return entries;
}

std::optional<uint64_t> QuotaTable::space_left(const FsTree& fs, const Node& root) const {
  std::optional<uint64_t> left;
  if (records_.empty()) return left;
  for_each_ancestor(fs, root, [&](const Node& dir) {
    const QuotaRecord* record = find(dir.inode);
    if (!record || !dir.is_directory()) return true;
    const SubtreeUsage& used = dir.directory->usage;
    auto limit = [&](uint8_t flag, uint64_t value, uint64_t current) {
      if (!(record->flags & flag)) return;
      uint64_t remaining = value > current ? value - current : 0;
      left = std::min(left.value_or(remaining), remaining);
    };
    limit(quota_flag::kSoftLength, record->soft.length, used.length);
    limit(quota_flag::kHardLength, record->hard.length, used.length);
    limit(quota_flag::kSoftSize, record->soft.size, used.size);
    limit(quota_flag::kHardSize, record->hard.size, used.size);
    return true;
  });
  return left;
}

}  // namespace mfs::master
