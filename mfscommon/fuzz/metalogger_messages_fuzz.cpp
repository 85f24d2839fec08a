// libFuzzer target for the metalogger <-> master codecs. Input: `type:u32 | payload`.
// Both directions' decoders must never crash, and whatever they accept must re-encode to
// the input, except ignorable packets (payload dropped) and download blocks with a wrong
// CRC (encode computes it).
#include "mfscommon/crc32.h"
#include "mfscommon/fuzz/fuzz_packet_input.h"
#include "mfscommon/metalogger_messages.h"

namespace {

// Unqualified: each message's own namespace (mlmsg or anymsg) has its encode.
std::vector<uint8_t> encode_variant(const auto& message) {
  return std::visit([](const auto& alternative) { return encode(alternative); }, message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = mfs::fuzz::packet_input(data, size);
  if (!input) return 0;
  mfs::fuzz::check_reencodes(mfs::mlmsg::decode_from_metalogger(input->packet), *input,
                             [](const auto& message) { return encode_variant(message); });
  auto from_master = mfs::mlmsg::decode_from_master(input->packet);
  // encode() computes the CRC: a block received with a wrong one does not re-encode.
  if (from_master) {
    auto* block = std::get_if<mfs::mlmsg::DownloadData>(&*from_master);
    if (block && block->crc != mfs::crc32(block->data)) return 0;
  }
  mfs::fuzz::check_reencodes(from_master, *input, [](const auto& message) { return encode_variant(message); });
  return 0;
}
