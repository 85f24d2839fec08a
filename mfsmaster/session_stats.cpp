#include "mfsmaster/session_stats.h"

#include <optional>

#include "mfscommon/protocol_ids.h"

namespace mfs::master {
namespace {

std::optional<size_t> kind_of(uint32_t type) {
  switch (type) {
    case msg::CLTOMA_FUSE_STATFS: return 0;
    case msg::CLTOMA_FUSE_GETATTR: return 1;
    case msg::CLTOMA_FUSE_SETATTR: return 2;
    case msg::CLTOMA_FUSE_LOOKUP: return 3;
    case msg::CLTOMA_FUSE_MKDIR: return 4;
    case msg::CLTOMA_FUSE_RMDIR: return 5;
    case msg::CLTOMA_FUSE_SYMLINK: return 6;
    case msg::CLTOMA_FUSE_READLINK: return 7;
    case msg::CLTOMA_FUSE_MKNOD: return 8;
    case msg::CLTOMA_FUSE_UNLINK: return 9;
    case msg::CLTOMA_FUSE_RENAME: return 10;
    case msg::CLTOMA_FUSE_LINK: return 11;
    case msg::CLTOMA_FUSE_READDIR: return 12;
    case msg::CLTOMA_FUSE_OPEN: return 13;
    case msg::CLTOMA_FUSE_READ_CHUNK: return 14;
    case msg::CLTOMA_FUSE_WRITE_CHUNK: return 15;
    default: return std::nullopt;
  }
}

constexpr uint32_t kHour = 3600;

}  // namespace

SessionStats::Hours SessionStats::as_of(const Counted& counted, uint32_t hour) {
  if (hour == counted.hour) return counted.counts;
  Hours later;
  if (hour == counted.hour + 1) later.previous = counted.counts.current;
  return later;
}

void SessionStats::count(uint32_t session_id, uint32_t type, uint32_t now) {
  std::optional<size_t> kind = kind_of(type);
  if (!kind) return;
  uint32_t hour = now / kHour;
  Counted& counted = sessions_[session_id];
  counted.counts = as_of(counted, hour);
  counted.hour = hour;
  ++counted.counts.current[*kind];
}

SessionStats::Hours SessionStats::counts(uint32_t session_id, uint32_t now) const {
  auto found = sessions_.find(session_id);
  return found == sessions_.end() ? Hours{} : as_of(found->second, now / kHour);
}

void SessionStats::keep_only(const std::set<uint32_t>& session_ids) {
  std::erase_if(sessions_, [&](const auto& entry) { return session_ids.count(entry.first) == 0; });
}

}  // namespace mfs::master
