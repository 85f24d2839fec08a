// Tool requests that share or repair chunks (spec 11 §5.11-5.13): SNAPSHOT
// (mfsmakesnapshot, mfsrmsnapshot), APPEND_SLICE (mfsappendchunks) and REPAIR
// (mfsfilerepair).
#include <utility>

#include "mfscommon/protocol_ids.h"
#include "mfsmaster/client_credentials.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/snapshot_tree.h"

namespace mfs::master {
namespace {

constexpr size_t kLegacySnapshotTail = 9;  // uid gid smode: no umask
constexpr size_t kSnapshotTail = 3;        // smode umask after the credentials
constexpr uint32_t kWholeSourceEnd = 0x80000000;

void ok_reply(PacketWriter& out) { out.u8(0); }

}  // namespace

bool ClientProtocol::handle_snapshot(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t source = in.u32();
  uint32_t parent = in.u32();
  std::string_view name = in.name8();
  RequestIds ids;
  uint8_t smode = 0;
  uint16_t umask = 0;
  if (in.remaining() == kLegacySnapshotTail) {
    ids.uid = in.u32();
    ids.gids = {in.u32()};
    smode = in.u8() & ~snapshot_mode::kCpLike;  // without a umask a cp-like copy is not asked for
  } else {
    if (!read_request_ids(in, kSnapshotTail, ids)) return fail("bad SNAPSHOT size");
    smode = in.u8();
    umask = in.u16();
  }
  if (!in.finished()) return fail("bad SNAPSHOT size");
  RequestContext request = context(ids.uid, ids.gids);
  auto entries = operations_.snapshot(request, source, parent, name, smode, umask);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_SNAPSHOT, msgid, entries.status());
    return true;
  }
  commit_then_reply(msg::MATOCL_FUSE_SNAPSHOT, msgid, std::move(*entries), ok_reply);
  return true;
}

bool ClientProtocol::handle_append_slice(uint32_t msgid, PacketReader& in, size_t size) {
  // 3.0.92+ tools send an odd length (flags and slice), older ones an even one.
  bool sliced = size % 2 == 1;
  uint8_t flags = sliced ? in.u8() : 0;
  uint32_t inode = in.u32();
  uint32_t source = in.u32();
  uint32_t from = sliced ? in.u32() : 0;
  uint32_t to = sliced ? in.u32() : kWholeSourceEnd;
  RequestIds ids;
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad APPEND_SLICE size");
  RequestContext request = context(ids.uid, ids.gids);
  auto entries = operations_.append_slice(request, inode, source, flags, from, to);
  if (!entries) {
    reply_status(msg::MATOCL_FUSE_APPEND_SLICE, msgid, entries.status());
    return true;
  }
  bool appends = !entries->empty();
  commit_then_reply(msg::MATOCL_FUSE_APPEND_SLICE, msgid, std::move(*entries), ok_reply);
  if (appends) {
    const Node* file = std::as_const(services_.metadata).fs().find(inode);
    if (!file) return true;
    uint64_t length = file->length;
    services_.data_cache.modified(inode, session_id_);
    services_.mutations.when_durable([&notifier = services_.notifier, origin = link_, inode, length] {
      notifier.length_changed(origin.get(), inode, length);
    });
  }
  return true;
}

bool ClientProtocol::handle_repair(uint32_t msgid, PacketReader& in, size_t) {
  uint32_t inode = in.u32();
  RequestIds ids;
  if (!read_request_ids(in, 0, ids) || !in.finished()) return fail("bad REPAIR size");
  RequestContext request = context(ids.uid, ids.gids);
  auto file = operations_.repair(request, inode);
  if (!file) {
    reply_status(msg::MATOCL_FUSE_REPAIR, msgid, file.status());
    return true;
  }
  ChunkManager::RepairCounts counts = services_.chunks.repair_file((*file)->inode, request.now);
  PacketWriter reply(msg::MATOCL_FUSE_REPAIR, 16);
  reply.u32(msgid).u32(counts.not_changed).u32(counts.erased).u32(counts.repaired);
  services_.mutations.when_durable([link = link_, frame = reply.take()]() mutable { link->send(std::move(frame)); });
  return true;
}

}  // namespace mfs::master
