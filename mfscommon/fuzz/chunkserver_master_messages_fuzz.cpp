// libFuzzer target for the chunkserver <-> master codecs. Input: `type:u32 | payload`.
// Both directions' decoders must never crash, and whatever they accept must re-encode to
// the input (canonical encoding), except ignorable packets whose payload is dropped.
#include <cstdlib>

#include "mfscommon/chunkserver_master_messages.h"

namespace {

template <typename Variant>
void check_reencodes(const mfs::Result<Variant>& decoded, const mfs::Packet& packet,
                     const std::vector<uint8_t>& frame) {
  if (!decoded) return;
  if (std::holds_alternative<mfs::anymsg::Ignorable>(*decoded) && !packet.payload.empty()) return;
  if (mfs::csmsg::encode(*decoded) != frame) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  mfs::Packet packet{mfs::get_u32_be(data), std::vector<uint8_t>(data + 4, data + size)};
  mfs::PacketWriter writer(packet.type);
  writer.bytes(packet.payload);
  auto frame = writer.take();
  check_reencodes(mfs::csmsg::decode_from_chunkserver(packet), packet, frame);
  check_reencodes(mfs::csmsg::decode_from_master(packet), packet, frame);
  return 0;
}
