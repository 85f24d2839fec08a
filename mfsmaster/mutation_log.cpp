#include "mfsmaster/mutation_log.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "mfscommon/log.h"

namespace mfs::master {

Status MutationLog::commit(std::vector<ChangelogEntry> entries) {
  // A change that can no longer be made durable must not be made at all.
  if (!writer_.failure()) return Status(StatusCode::kIO, "changelog unavailable: " + writer_.failure().to_string());
  last_commit_ = std::chrono::steady_clock::now();
  std::string lines;
  uint64_t last_id = 0;
  Status status;
  for (ChangelogEntry& entry : entries) {
    entry.id = metadata_.version();
    status = metadata_.apply(entry);
    if (!status) {
      MFS_LOG_ERROR("change %s rejected by apply (%s) - not logged; this is a master bug",
                    format_changelog_line(entry).c_str(), status.to_string().c_str());
      break;
    }
    lines += format_changelog_line(entry);
    last_id = entry.id;
  }
  if (last_id != 0) {
    writer_.append(std::move(lines), last_id,
                   reply_awaits_durability(entries) ? ChangelogWriter::Sync::kNow : ChangelogWriter::Sync::kLazily);
  }
  return status;
}

bool MutationLog::reply_awaits_durability(const std::vector<ChangelogEntry>& entries) {
  static const std::set<std::string_view> kBookkeeping = {"ACQUIRE", "RELEASE", "AMTIME", "UNLOCK"};
  return entries.empty() || !std::all_of(entries.begin(), entries.end(), [](const ChangelogEntry& entry) {
           return kBookkeeping.count(entry.operation) != 0;
         });
}

void MutationLog::when_durable(std::function<void()> done) {
  writer_.on_durable(metadata_.version() - 1, std::move(done));
}

}  // namespace mfs::master
