// What an open file's handle number (fuse_file_info::fh) carries from the open to the
// requests on it: the kernel brings `fh` back with every READ, FLUSH and RELEASE, but not the
// open's `direct_io` flag nor anything else of the open.
#pragma once
#include <chrono>
#include <cstdint>

namespace mfs::mount {

struct FileHandle {
  using Clock = std::chrono::steady_clock;

  bool direct = false;       // direct mode: reads neither use nor fill the disk cache
  Clock::time_point opened;  // mfsfsyncmintime: a young handle's close does not wait for its data

  // Bit 0 the direct flag, the rest the open's time in nanoseconds of the steady clock
  // (which counts from boot: 63 bits last 146 years).
  uint64_t number() const {
    auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(opened.time_since_epoch()).count();
    return (static_cast<uint64_t>(nanoseconds) << 1) | (direct ? 1 : 0);
  }
  static FileHandle from_number(uint64_t number) {
    auto since_boot = std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(number >> 1));
    return {(number & 1) != 0, Clock::time_point(since_boot)};
  }
};

}  // namespace mfs::mount
