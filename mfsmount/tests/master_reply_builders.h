// Building master replies in the mount's tests: what a decoder gets is the payload after
// the frame header (the msgid is part of it only where a test says so).
#pragma once
#include <cstdint>
#include <vector>

#include "mfscommon/packet.h"

namespace mfs::mount::testing {

inline std::vector<uint8_t> body(PacketWriter out) {
  std::vector<uint8_t> frame = out.take();
  return std::vector<uint8_t>(frame.begin() + kPacketHeaderSize, frame.end());
}

// An attribute record: mode 0644 of node `type` (1: file), uid 1000, gid 100, length 12345.
inline PacketWriter& put_attr(PacketWriter& out, uint8_t type = 1) {
  return out.u8(0x04).u16(static_cast<uint16_t>(type << 12 | 0644)).u32(1000).u32(100).u32(1).u32(2).u32(3).u32(1)
      .u64(12345).u8(0);
}

}  // namespace mfs::mount::testing
