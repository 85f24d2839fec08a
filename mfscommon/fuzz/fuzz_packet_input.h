// The input format of the codec fuzz targets, `type:u32 | payload`: the packet a decoder
// gets, and the frame a canonical encoder would make of it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "mfscommon/packet.h"

namespace mfs::fuzz {

struct PacketInput {
  Packet packet;
  std::vector<uint8_t> frame;
};

inline std::optional<PacketInput> packet_input(const uint8_t* data, size_t size) {
  if (size < 4) return std::nullopt;
  PacketInput input{Packet{get_u32_be(data), std::vector<uint8_t>(data + 4, data + size)}, {}};
  PacketWriter writer(input.packet.type);
  writer.bytes(input.packet.payload);
  input.frame = writer.take();
  return input;
}

}  // namespace mfs::fuzz
