// mfscli's views of the maintenance loops and of memory (spec 40 B.3.6, B.3.8-B.3.10):
// -SIL (CHUNKSTEST_INFO, FSTEST_INFO), -SMF (MISSING_CHUNKS) and -SMU (MEMORY_INFO).
#include "mfscommon/protocol_ids.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/memory_report.h"

namespace mfs::master {

bool ClientProtocol::handle_chunks_test_info(const Packet& packet) {
  if (!packet.payload.empty()) return fail("bad CHUNKSTEST_INFO size");
  PacketWriter reply(msg::MATOCL_CHUNKSTEST_INFO, 72);
  const std::optional<ChunkLoopPass>& pass = services_.chunks.last_loop_pass();
  if (!pass) {  // all zeros: mfscli prints "no data"
    for (int i = 0; i < 18; ++i) reply.u32(0);
  } else {
    const ChunkLoopCounters& did = pass->counters;
    reply.u32(pass->start).u32(pass->end);
    reply.u32(did.deleted_invalid).u32(did.kept_invalid).u32(did.deleted_unused).u32(did.kept_unused);
    reply.u32(did.deleted_disk_clean).u32(did.kept_disk_clean).u32(did.deleted_overgoal).u32(did.kept_overgoal);
    reply.u32(did.copied_undergoal).u32(did.not_copied_undergoal);
    reply.u32(did.copied_wrong_labels).u32(did.not_copied_wrong_labels).u32(did.copied_rebalance);
    reply.u32(did.labels_dont_match).u32(did.locked_unused).u32(did.locked_used);
  }
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_fs_test_info(const Packet& packet) {
  // The 1-byte form (any value; mfscli 3.0.117 sends it) adds the trash and sustained
  // counts. Before the first pass ends everything is 0: mfscli prints "no data".
  if (packet.payload.size() > 1) return fail("bad FSTEST_INFO size");
  static const FsCheckPass kNoPass;
  const std::optional<FsCheckPass>& last = services_.fs_check.last_pass();
  const FsCheckPass& pass = last ? *last : kNoPass;
  PacketWriter reply(msg::MATOCL_FSTEST_INFO);
  reply.u32(pass.start).u32(pass.end).u32(pass.files).u32(pass.undergoal_files).u32(pass.missing_files);
  if (packet.payload.size() == 1) reply.u32(pass.missing_trash_files).u32(pass.missing_sustained_files);
  reply.u32(pass.chunks).u32(pass.undergoal_chunks).u32(pass.missing_chunks);
  reply.u32(0);  // no messages (fs_check_loop.h)
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_missing_chunks(const Packet& packet) {
  // Mode 0 (empty request): 16-byte records; any mode byte adds each chunk's type.
  if (packet.payload.size() > 1) return fail("bad MISSING_CHUNKS size");
  const bool with_type = packet.payload.size() == 1 && packet.payload[0] != 0;
  PacketWriter reply(msg::MATOCL_MISSING_CHUNKS);
  if (const std::optional<FsCheckPass>& pass = services_.fs_check.last_pass()) {
    for (const MissingChunk& missing : pass->missing_log) {
      reply.u64(missing.chunk_id).u32(missing.inode).u32(missing.index);
      if (with_type) reply.u8(static_cast<uint8_t>(missing.type));
    }
  }
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_memory_info(const Packet& packet) {
  if (!packet.payload.empty()) return fail("bad MEMORY_INFO size");
  PacketWriter reply(msg::MATOCL_MEMORY_INFO, 176);
  for (const MemoryUse& use : memory_report(services_.metadata, services_.chunks)) {
    reply.u64(use.allocated).u64(use.used);
  }
  send(reply.take());
  return true;
}

}  // namespace mfs::master
