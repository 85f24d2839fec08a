// Process-wide settings from mfsmount's options (spec 40 C.9): scheduling priority
// (mfsnice), open-files limit (mfsrlimitnofile), malloc arenas (mfslimitarenas), memory
// locked in RAM (mfsmemlock) and protection from the OOM killer (unless mfsallowoomkiller).
// Applied before any thread starts: on Linux the nice value belongs to a thread, and new
// threads inherit their creator's.
#pragma once
#include <cstdint>
#include <functional>

#include "mfsmount/mount_options.h"

namespace mfs::mount {

// Returns the open-files limit set, for log_open_files_limit.
uint64_t apply_process_settings(const MountOptions& options);
// 3.0.117's lines when the limit set is below mfsrlimitnofile; it writes them after the
// master's acceptance, so the caller logs them then.
void log_open_files_limit(const MountOptions& options, uint64_t limit);

// The open-files limit reached by asking for `wanted` and, while refused, for half as
// much, as the 3.0.117 client does (100000 under a hard limit of 20000 gives 12500).
// 0 when even a limit of 1 is refused.
uint64_t settle_open_files_limit(uint64_t wanted, const std::function<bool(uint64_t)>& try_limit);

enum class MemoryLock { kLimitRefused, kLockFailed, kLocked };
// mfsmemlock as the 3.0.117 client does it: the locked-memory limit is raised to unlimited
// first, and only when that is allowed is all memory locked (mlockall, now and future).
MemoryLock lock_memory(const std::function<bool()>& raise_limit, const std::function<bool()>& lock_all);

}  // namespace mfs::mount
