// Session flag bits (sesflags) an export grants (spec 40 §C.4.5, spec 10 §3.3).
#pragma once
#include <cstdint>

namespace mfs::sesflag {

inline constexpr uint8_t kReadOnly = 0x01;
inline constexpr uint8_t kDynamicIp = 0x02;
inline constexpr uint8_t kIgnoreGid = 0x04;
inline constexpr uint8_t kAdmin = 0x08;
inline constexpr uint8_t kMapAll = 0x10;

}  // namespace mfs::sesflag
