#include "mfsmaster/snapshot_entry.h"

#include <charconv>
#include <string>

#include "mfsmaster/changelog_args.h"

namespace mfs::master {
namespace {

std::string gid_list(const std::vector<uint32_t>& gids) {
  std::string text = "[";
  for (size_t i = 0; i < gids.size(); ++i) {
    if (i) text += ',';
    text += std::to_string(gids[i]);
  }
  return text + "]";
}

// "[g1,g2,...]" with at least one gid.
bool parse_gid_list(std::string_view text, std::vector<uint32_t>& gids) {
  if (text.size() < 3 || text.front() != '[' || text.back() != ']') return false;
  const char* position = text.data() + 1;
  const char* end = text.data() + text.size() - 1;
  while (true) {
    uint32_t gid = 0;
    auto [next, error] = std::from_chars(position, end, gid);
    if (error != std::errc() || next == position) return false;
    gids.push_back(gid);
    if (next == end) return true;
    if (*next != ',') return false;
    position = next + 1;
  }
}

}  // namespace

ChangelogEntry snapshot_entry(const SnapshotRequest& request, const SnapshotCounts& counts, uint32_t now) {
  return ChangelogEntry::make("SNAPSHOT", now)
      .arg(request.source)
      .arg(request.parent)
      .arg(request.name)
      .arg(request.smode)
      .arg(request.sesflags)
      .arg(request.uid)
      .arg(gid_list(request.gids))
      .arg(request.cumask)
      .result(counts.inode_check)
      .result(counts.removed)
      .result(counts.same)
      .result(counts.existing)
      .result(counts.hardlinks)
      .result(counts.created);
}

Result<LoggedSnapshot> parse_snapshot_entry(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  LoggedSnapshot logged;
  SnapshotRequest& request = logged.request;
  request.source = args.number<uint32_t>();
  request.parent = args.number<uint32_t>();
  request.name = std::string(args.text());
  request.smode = args.number<uint8_t>();
  request.sesflags = args.number<uint8_t>();
  request.uid = args.number<uint32_t>();
  std::string_view gids = args.text();
  request.cumask = args.number<uint16_t>();
  SnapshotCounts& counts = logged.counts;
  counts.inode_check = args.result<uint32_t>();
  counts.removed = args.result<uint32_t>();
  counts.same = args.result<uint32_t>();
  counts.existing = args.result<uint32_t>();
  counts.hardlinks = args.result<uint32_t>();
  counts.created = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  if (!parse_gid_list(gids, request.gids)) return Status(StatusCode::kMismatch, "SNAPSHOT: bad gid list");
  return logged;
}

}  // namespace mfs::master
