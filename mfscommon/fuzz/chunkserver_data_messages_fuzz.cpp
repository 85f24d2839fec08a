// libFuzzer target for the chunkserver data-port codecs. Input: `type:u32 | payload`.
// Both directions' decoders must never crash, the data views of READ_DATA and WRITE_DATA
// must lie inside the payload, and whatever is accepted must re-encode to the input
// (canonical encoding), except ignorable packets whose payload is dropped and the
// requests this side only receives (no encoder: HDD_LIST, MODULE_INFO requests).
#include <cstdlib>

#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/fuzz/fuzz_packet_input.h"

namespace {

std::vector<uint8_t> encoded(const auto& message) {
  using namespace mfs;
  if constexpr (requires { csdata::encode(message); }) {
    return csdata::encode(message);
  } else if constexpr (requires { csmsg::encode(message); }) {
    return csmsg::encode(message);
  } else if constexpr (requires { anymsg::encode(message); }) {
    return anymsg::encode(message);
  } else {
    return {};
  }
}

bool inside(std::span<const uint8_t> view, const std::vector<uint8_t>& payload) {
  return view.empty() || (view.data() >= payload.data() && view.data() + view.size() <= payload.data() + payload.size());
}

template <typename Variant>
void check(const mfs::Result<Variant>& decoded, const mfs::Packet& packet, const std::vector<uint8_t>& frame) {
  if (!decoded) return;
  std::visit(
      [&](const auto& message) {
        using Message = std::decay_t<decltype(message)>;
        if constexpr (std::is_same_v<Message, mfs::csdata::ReadData> || std::is_same_v<Message, mfs::csdata::WriteData>) {
          if (!inside(message.data, packet.payload)) std::abort();
        }
        if (std::is_same_v<Message, mfs::anymsg::Ignorable> && !packet.payload.empty()) return;
        std::vector<uint8_t> again = encoded(message);
        if (!again.empty() && again != frame) std::abort();
      },
      *decoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = mfs::fuzz::packet_input(data, size);
  if (!input) return 0;
  check(mfs::csdata::decode_to_chunkserver(input->packet), input->packet, input->frame);
  check(mfs::csdata::decode_from_chunkserver(input->packet), input->packet, input->frame);
  return 0;
}
