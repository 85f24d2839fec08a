// libFuzzer target for the client and chunkserver protocol handlers: the input is a stream
// of packets from several peers (format in protocol_packet_stream.h). Each input sets up a
// whole master, which covers so many features that the entropic schedule's bookkeeping
// dominates: run with -entropic=0 (and TMPDIR on a tmpfs, for the changelog's syncs), e.g.
//   TMPDIR=/dev/shm protocol_packet_stream_fuzz CORPUS -entropic=0 -len_control=0 -close_fd_mask=2
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "mfsmaster/fuzz/protocol_packet_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto violation = mfs::master::testing::protocol_packet_stream_violation(std::span<const uint8_t>(data, size));
  if (violation) {
    std::fprintf(stderr, "%s\n", violation->c_str());
    std::abort();
  }
  return 0;
}
