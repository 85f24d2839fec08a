#include "mfsmetalogger/changelog_store.h"

#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "mfscommon/log.h"

namespace mfs::ml {

std::string changelog_file_name(uint32_t n) { return "changelog_ml." + std::to_string(n) + ".mfs"; }

ChangelogStore::ChangelogStore(std::string dir, uint32_t back_logs) : dir_(std::move(dir)), back_logs_(back_logs) {}

ChangelogStore::~ChangelogStore() { close(); }

std::string ChangelogStore::path(uint32_t n) const { return dir_ + "/" + changelog_file_name(n); }

std::optional<ChangelogStore::Gap> ChangelogStore::append(uint64_t version, std::string_view text) {
  if (last_version_ && version != *last_version_ + 1) {
    Gap gap{*last_version_, version};
    MFS_LOG_WARNING("some changes lost: [%" PRIu64 "-%" PRIu64 "], download metadata again", gap.last,
                    version - 1);
    delete_all();
    last_version_.reset();
    return gap;
  }
  last_version_ = version;
  if (!file_) {
    file_ = std::fopen(path(0).c_str(), "a");
    write_failed_ = false;
    if (!file_) {
      MFS_LOG_ERROR("can't open changelog file %s: %s", path(0).c_str(), std::strerror(errno));
      return std::nullopt;
    }
  }
  if (std::fprintf(file_, "%" PRIu64 ": %.*s\n", version, static_cast<int>(text.size()), text.data()) < 0 &&
      !write_failed_) {
    write_failed_ = true;
    MFS_LOG_ERROR("can't write changelog file %s: %s", path(0).c_str(), std::strerror(errno));
  }
  return std::nullopt;
}

void ChangelogStore::flush() {
  if (file_ && std::fflush(file_) != 0 && !write_failed_) {
    write_failed_ = true;
    MFS_LOG_ERROR("can't write changelog file %s: %s", path(0).c_str(), std::strerror(errno));
  }
}

void ChangelogStore::close() {
  if (!file_) return;
  flush();
  std::fclose(file_);
  file_ = nullptr;
}

void ChangelogStore::rotate() {
  close();
  for (uint32_t i = back_logs_; i >= 1; --i) std::rename(path(i - 1).c_str(), path(i).c_str());
}

void ChangelogStore::delete_all() {
  close();
  for (uint32_t i = 0; i <= back_logs_; ++i) std::remove(path(i).c_str());
}

}  // namespace mfs::ml
