// MooseFS packed versions (spec 00 §5): MAJ<<16 | MID<<8 | MIN, the minor doubled for
// majors >= 2. We present ourselves as 3.0.117 so that peers pick the 3.0.117 protocol.
#pragma once
#include <cstdint>

namespace mfs {

constexpr uint32_t pack_version(uint32_t major, uint32_t mid, uint32_t minor) {
  return (major << 16) | (mid << 8) | (major > 1 ? minor * 2 : minor);
}

inline constexpr uint32_t kOwnVersion = pack_version(3, 0, 117);
inline constexpr const char* kOwnVersionText = "3.0.117-1";

}  // namespace mfs
