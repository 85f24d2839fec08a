#include "mfsmaster/mutation_log.h"

#include "mfscommon/log.h"

namespace mfs::master {

Status MutationLog::commit(std::vector<ChangelogEntry> entries) {
  // A change that can no longer be made durable must not be made at all.
  if (!writer_.failure()) return Status(StatusCode::kIO, "changelog unavailable: " + writer_.failure().to_string());
  for (ChangelogEntry& entry : entries) {
    entry.id = metadata_.version();
    Status status = metadata_.apply(entry);
    if (!status) {
      MFS_LOG_ERROR("change %s rejected by apply (%s) - not logged; this is a master bug",
                    format_changelog_line(entry).c_str(), status.to_string().c_str());
      return status;
    }
    writer_.append(format_changelog_line(entry), entry.id);
  }
  return Status::ok();
}

void MutationLog::when_durable(std::function<void()> done) {
  writer_.on_durable(metadata_.version() - 1, std::move(done));
}

}  // namespace mfs::master
