// libFuzzer target for the chunkserver <-> master codecs. Input: `type:u32 | payload`.
// Both directions' decoders must never crash, and whatever they accept must re-encode to
// the input (canonical encoding), except ignorable packets whose payload is dropped.
#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/fuzz/fuzz_packet_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = mfs::fuzz::packet_input(data, size);
  if (!input) return 0;
  auto encode = [](const auto& message) { return mfs::csmsg::encode(message); };
  mfs::fuzz::check_reencodes(mfs::csmsg::decode_from_chunkserver(input->packet), *input, encode);
  mfs::fuzz::check_reencodes(mfs::csmsg::decode_from_master(input->packet), *input, encode);
  return 0;
}
