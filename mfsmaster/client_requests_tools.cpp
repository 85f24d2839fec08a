// Requests of the MooseFS tools (spec 11) that the master core answers.
#include <algorithm>
#include <array>
#include <utility>

#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/subtree_statistics.h"

namespace mfs::master {
namespace {

constexpr size_t kCheckCounters = 12;  // copies 0..10 (10 = "10 or more"), then empty slots
constexpr size_t kMaxReportedCopies = 100;

}  // namespace

// CLTOMA_FUSE_CHECK: per-file copy counts (form A), or one chunk's copies (form B).
bool ClientProtocol::handle_check(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 8 && size != 12) return fail("bad CHECK size");
  uint32_t inode = in.u32();
  RequestContext request = context(0, {0});
  const Node* file = operations_.resolve(request, inode);
  if (!file) {
    reply_status(msg::MATOCL_FUSE_CHECK, msgid, StatusCode::kENOENT);
    return true;
  }
  if (!file->is_file_like()) {
    reply_status(msg::MATOCL_FUSE_CHECK, msgid, StatusCode::kEPERM);
    return true;
  }
  PacketWriter reply(msg::MATOCL_FUSE_CHECK);
  reply.u32(msgid);
  if (size == 8) {
    std::array<uint32_t, kCheckCounters> counters{};
    for (const ChunkList::Slot& slot : file->chunks) {
      ++counters[std::min<size_t>(services_.chunks.valid_copies(slot.id).size(), 10)];
    }
    counters[kCheckCounters - 1] += static_cast<uint32_t>(file->chunks.size() - file->chunks.chunk_count());
    for (uint32_t counter : counters) reply.u32(counter);
    send(reply.take());
    return true;
  }
  uint32_t index = in.u32();
  if (index > kMaxChunkIndex) {
    reply_status(msg::MATOCL_FUSE_CHECK, msgid, StatusCode::kIndexTooBig);
    return true;
  }
  uint64_t chunk_id = file->chunks[index];
  const ChunkRecord* chunk = chunk_id ? std::as_const(services_.metadata).chunks().find(chunk_id) : nullptr;
  if (chunk_id != 0 && !chunk) {
    reply_status(msg::MATOCL_FUSE_CHECK, msgid, StatusCode::kNoChunk);
    return true;
  }
  reply.u64(chunk_id).u32(chunk ? chunk->version : 0);
  if (chunk) {
    auto copies = services_.chunks.copy_report(chunk_id);
    if (copies.size() > kMaxReportedCopies) copies.resize(kMaxReportedCopies);
    for (const auto& copy : copies) reply.u32(copy.server->ip).u16(copy.server->port).u8(copy.type);
  }
  send(reply.take());
  return true;
}

// CLTOMA_FUSE_GETDIRSTATS (mfsdirinfo): statistics of a node and its subtree.
bool ClientProtocol::handle_dir_stats(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 8) return fail("bad GETDIRSTATS size");
  uint32_t inode = in.u32();
  const Node* node = operations_.resolve(context(0, {0}), inode);
  if (!node) {
    reply_status(msg::MATOCL_FUSE_GETDIRSTATS, msgid, StatusCode::kENOENT);
    return true;
  }
  if (!node->is_file_like() && !node->is_directory()) {
    reply_status(msg::MATOCL_FUSE_GETDIRSTATS, msgid, StatusCode::kEPERM);
    return true;
  }
  SubtreeStatistics stats = subtree_statistics(*node, std::as_const(services_.metadata).fs().class_goals());
  PacketWriter reply(msg::MATOCL_FUSE_GETDIRSTATS, 44);
  reply.u32(msgid).u32(stats.inodes).u32(stats.directories).u32(stats.files).u32(stats.chunks);
  send(reply.u64(stats.length).u64(stats.size).u64(stats.realsize).take());
  return true;
}

}  // namespace mfs::master
