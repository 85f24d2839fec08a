#include "mfsmount/process_settings.h"

#include <malloc.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "mfscommon/log.h"

namespace mfs::mount {

uint64_t settle_open_files_limit(uint64_t wanted, const std::function<bool(uint64_t)>& try_limit) {
  for (uint64_t limit = wanted; limit > 0; limit /= 2) {
    if (try_limit(limit)) return limit;
  }
  return 0;
}

void apply_process_settings(const MountOptions& options) {
  if (setpriority(PRIO_PROCESS, 0, options.nice) != 0) {
    MFS_LOG_WARNING("can't change the priority to %d (mfsnice): %s", options.nice, std::strerror(errno));
  }
  uint64_t limit = settle_open_files_limit(options.open_files_limit, [](uint64_t value) {
    rlimit wanted{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
    return setrlimit(RLIMIT_NOFILE, &wanted) == 0;
  });
  if (limit != options.open_files_limit) {
    MFS_LOG_WARNING("open files limit: %lu asked (mfsrlimitnofile), %lu set",
                    static_cast<unsigned long>(options.open_files_limit), static_cast<unsigned long>(limit));
  }
  if (options.malloc_arenas != 0 && mallopt(M_ARENA_MAX, static_cast<int>(options.malloc_arenas)) != 1) {
    MFS_LOG_WARNING("can't limit malloc arenas to %u (mfslimitarenas)", options.malloc_arenas);
  }
}

}  // namespace mfs::mount
