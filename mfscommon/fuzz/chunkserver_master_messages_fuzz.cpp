// libFuzzer target for the chunkserver <-> master codecs. Input: `type:u32 | payload`.
// Both directions' decoders must never crash, and whatever they accept must re-encode to
// the input (canonical encoding), except ignorable packets whose payload is dropped.
#include <cstdlib>

#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/fuzz/fuzz_packet_input.h"

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
  auto input = mfs::fuzz::packet_input(data, size);
  if (!input) return 0;
  check_reencodes(mfs::csmsg::decode_from_chunkserver(input->packet), input->packet, input->frame);
  check_reencodes(mfs::csmsg::decode_from_master(input->packet), input->packet, input->frame);
  return 0;
}
