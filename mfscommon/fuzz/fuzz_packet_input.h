// The input format of the codec fuzz targets, `type:u32 | payload`: the packet a decoder
// gets, and the frame a canonical encoder would make of it; and the re-encoding check.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "mfscommon/any_messages.h"
#include "mfscommon/packet.h"
#include "mfscommon/status.h"

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

// Aborts unless an accepted packet re-encodes to its frame (canonical encoding), given the
// decoder's result and `encode` of the decoded variant. An ignorable packet is left out:
// its payload is dropped.
template <typename Variant, typename Encode>
void check_reencodes(const Result<Variant>& decoded, const PacketInput& input, Encode encode) {
  if (!decoded) return;
  if (std::holds_alternative<anymsg::Ignorable>(*decoded) && !input.packet.payload.empty()) return;
  if (encode(*decoded) != input.frame) std::abort();
}

}  // namespace mfs::fuzz
