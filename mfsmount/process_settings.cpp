#include "mfsmount/process_settings.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

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

MemoryLock lock_memory(const std::function<bool()>& raise_limit, const std::function<bool()>& lock_all) {
  if (!raise_limit()) return MemoryLock::kLimitRefused;
  return lock_all() ? MemoryLock::kLocked : MemoryLock::kLockFailed;
}

namespace {

void apply_memory_lock() {
  MemoryLock locked = lock_memory(
      [] {
        rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
        return setrlimit(RLIMIT_MEMLOCK, &unlimited) == 0;
      },
      [] { return mlockall(MCL_CURRENT | MCL_FUTURE) == 0; });
  switch (locked) {
    case MemoryLock::kLocked: MFS_LOG_NOTICE("process memory was successfully locked in RAM"); break;
    case MemoryLock::kLimitRefused:
      MFS_LOG_NOTICE("memory not locked (mfsmemlock): can't raise the locked memory limit: %s", std::strerror(errno));
      break;
    case MemoryLock::kLockFailed:
      MFS_LOG_WARNING("memory not locked (mfsmemlock): %s", std::strerror(errno));
      break;
  }
}

// -1000: the kernel's OOM killer never picks this process (the one that holds the mount).
// One write, tried once, as 3.0.117 does.
void disable_oom_killer() {
  static constexpr char kNever[] = "-1000\n";
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  bool written = fd >= 0 && write(fd, kNever, sizeof(kNever) - 1) == static_cast<ssize_t>(sizeof(kNever) - 1);
  int error = errno;
  if (fd >= 0) close(fd);
  if (written) {
    MFS_LOG_NOTICE("out of memory killer disabled");
  } else {
    MFS_LOG_WARNING("can't disable the out of memory killer (/proc/self/oom_score_adj): %s", std::strerror(error));
  }
}

}  // namespace

uint64_t apply_process_settings(const MountOptions& options) {
  if (setpriority(PRIO_PROCESS, 0, options.nice) != 0) {
    MFS_LOG_WARNING("can't change the priority to %d (mfsnice): %s", options.nice, std::strerror(errno));
  }
  uint64_t limit = settle_open_files_limit(options.open_files_limit, [](uint64_t value) {
    rlimit wanted{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
    return setrlimit(RLIMIT_NOFILE, &wanted) == 0;
  });
  if (options.memlock) apply_memory_lock();
  if (options.malloc_arenas != 0 && mallopt(M_ARENA_MAX, static_cast<int>(options.malloc_arenas)) != 1) {
    MFS_LOG_WARNING("can't limit malloc arenas to %u (mfslimitarenas)", options.malloc_arenas);
  }
  if (!options.allow_oom_killer) disable_oom_killer();
  return limit;
}

void log_open_files_limit(const MountOptions& options, uint64_t limit) {
  if (limit == options.open_files_limit) return;
  MFS_LOG_WARNING("can't set open file limit to %lu", static_cast<unsigned long>(options.open_files_limit));
  MFS_LOG_NOTICE("open file limit set to: %lu", static_cast<unsigned long>(limit));
}

}  // namespace mfs::mount
