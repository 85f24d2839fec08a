// Data requests of spec 10 §7.6 and §8.3-8.5: chunk locations for reading and writing,
// the end of a chunk write, and truncation.
#include <utility>

#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"
#include "mfsmaster/attr_record.h"
#include "mfsmaster/client_credentials.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/location_record.h"

namespace mfs::master {
namespace {

// WRITE_CHUNK flags (spec 10 §8.4).
constexpr uint8_t kCanModifyMtime = 0x01, kContinueOperation = 0x02;
// TRUNCATE flags (spec 10 §7.6): a length published during writes, an append.
constexpr uint8_t kTruncateUpdate = 0x02, kTruncateReserve = 0x08;
constexpr uint32_t kVersionReportingAmtime = pack_version(3, 0, 74);
constexpr uint32_t kVersionWithPrevLength = pack_version(3, 0, 113);
constexpr uint32_t kVersionWithWriteErofs = pack_version(3, 0, 101);

// 0 for a missing node.
uint64_t length_of(const Metadata& metadata, uint32_t inode) {
  const Node* node = metadata.fs().find(inode);
  return node ? node->length : 0;
}

}  // namespace

bool ClientProtocol::handle_read_chunk(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 12 && size != 13) return fail("bad READ_CHUNK size");
  uint32_t inode = in.u32();
  uint32_t index = in.u32();
  RequestContext request = context(0, {0});
  auto file = operations_.read_chunk(request, inode, index);
  if (!file) {
    reply_status(msg::MATOCL_FUSE_READ_CHUNK, msgid, file.status());
    return true;
  }
  auto location = services_.chunks.read_chunk(**file, index);
  if (!location) {
    reply_status(msg::MATOCL_FUSE_READ_CHUNK, msgid, location.status());
    return true;
  }
  const Topology& topology = services_.chunks.topology();
  send(location_reply(msg::MATOCL_FUSE_READ_CHUNK, msgid, *location, link_->peer_ip(), topology));
  return true;
}

bool ClientProtocol::handle_write_chunk(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 12 && size != 13) return fail("bad WRITE_CHUNK size");
  uint32_t inode = in.u32();
  uint32_t index = in.u32();
  uint8_t flags = size == 13 ? in.u8() : kCanModifyMtime;
  // Clients >= 3.0.74 report times through AMTIME_INODES instead.
  bool can_modify_mtime = (flags & kCanModifyMtime) && client_version_ < kVersionReportingAmtime;
  RequestContext request = context(0, {0});
  auto file = operations_.write_chunk(request, inode, index);
  if (!file) {
    StatusCode code = file.code();
    if (code == StatusCode::kEROFS && client_version_ < kVersionWithWriteErofs) code = StatusCode::kIO;
    reply_status(msg::MATOCL_FUSE_WRITE_CHUNK, msgid, code);
    return true;
  }
  uint32_t file_inode = (*file)->inode;
  services_.chunks.write_chunk(
      session_id_, link_->peer_ip(), file_inode, index, can_modify_mtime, flags & kContinueOperation, request.now,
      [link = link_, &services = services_, msgid, file_inode, index,
       session = session_id_](Result<ChunkLocation> location) {
        if (!location) {
          std::vector<uint8_t> frame =
              PacketWriter(msg::MATOCL_FUSE_WRITE_CHUNK, 5).u32(msgid).u8(location.status().wire()).take();
          services.mutations.when_durable([link, frame = std::move(frame)]() mutable { link->send(std::move(frame)); });
          return;
        }
        services.data_cache.modified(file_inode, session);
        ClientNotifier::ChunkChange change{.inode = file_inode,
                                           .index = index,
                                           .chunk_id = location->chunk_id,
                                           .version = location->version,
                                           .file_length = location->file_length};
        std::vector<uint8_t> reply = location_reply(msg::MATOCL_FUSE_WRITE_CHUNK, msgid, *location, link->peer_ip(),
                                                    services.chunks.topology());
        auto send_reply = [link, frame = std::move(reply), &notifier = services.notifier, change]() mutable {
          link->send(std::move(frame));
          notifier.chunk_changed(link.get(), change);
        };
        if (location->only_locked) {
          send_reply();
        } else {
          services.mutations.when_durable(std::move(send_reply));
        }
      });
  return true;
}

bool ClientProtocol::handle_write_chunk_end(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 24 && size != 25 && size != 29) return fail("bad WRITE_CHUNK_END size");
  uint64_t chunk_id = in.u64();
  uint32_t inode = in.u32();
  // The chunk id identifies the slot; the index is only passed on to other mounts.
  uint32_t index = size == 29 ? in.u32() : 0;
  uint64_t length = in.u64();
  uint8_t flags = size >= 25 ? in.u8() : kCanModifyMtime;
  bool can_modify_mtime = (flags & kCanModifyMtime) && client_version_ < kVersionReportingAmtime;
  RequestContext request = context(0, {0});
  uint32_t real_inode = inode == kRootInode ? request.session->root_inode : inode;
  uint64_t length_before = length_of(services_.metadata, real_inode);
  const ChunkRecord* locked = std::as_const(services_.metadata).chunks().find(chunk_id);
  bool ends_a_version_change = locked && locked->locked_by_version_change;
  Status status = Status::ok();
  if (request.disabled(disable::kWrite)) {
    status = StatusCode::kEPERM;
  } else if (request.read_only()) {
    status = client_version_ < kVersionWithWriteErofs ? StatusCode::kIO : StatusCode::kEROFS;
  } else {
    status = services_.chunks.write_end(chunk_id, real_inode, length, can_modify_mtime, request.now);
    services_.data_cache.modified(real_inode, session_id_);
  }
  PacketWriter reply(msg::MATOCL_FUSE_WRITE_CHUNK_END, 5);
  reply.u32(msgid).u8(status.wire());
  // Spec 10 §8.5: the 29-byte form is followed by CHUNK_HAS_CHANGED whatever the status,
  // the legacy forms by FLENG_HAS_CHANGED when the file grew.
  uint64_t length_after = length_of(services_.metadata, real_inode);
  std::function<void()> notify;
  if (size == 29) {
    const ChunkRecord* chunk = std::as_const(services_.metadata).chunks().find(chunk_id);
    ClientNotifier::ChunkChange change{.inode = real_inode,
                                       .index = index,
                                       .chunk_id = chunk_id,
                                       .version = chunk ? chunk->version : 0,
                                       .file_length = length};
    notify = [&notifier = services_.notifier, origin = link_.get(), change] { notifier.chunk_changed(origin, change); };
  } else if (length_after > length_before) {
    notify = [&notifier = services_.notifier, origin = link_.get(), real_inode, length_after] {
      notifier.length_changed(origin, real_inode, length_after);
    };
  }
  auto send_reply = [link = link_, frame = reply.take(), notify = std::move(notify)]() mutable {
    link->send(std::move(frame));
    if (notify) notify();
  };
  // A write that left the length as it was committed no more than its UNLOCK, which is
  // bookkeeping (MutationLog::reply_awaits_durability) - unless it ends a version change:
  // lost, it would leave the change looking unfinished, for the take-back to undo.
  if (status && length_after == length_before && !ends_a_version_change) {
    send_reply();
  } else {
    services_.mutations.when_durable(std::move(send_reply));
  }
  return true;
}

bool ClientProtocol::handle_truncate(uint32_t msgid, PacketReader& in, size_t size) {
  uint32_t inode = in.u32();
  uint8_t flags = 0;
  RequestIds ids;
  if (size == 24) {  // legacy: uid gid length, uid 0 with gid != 0 meaning "opened"
    ids.uid = in.u32();
    ids.gids = {in.u32()};
    if (ids.uid == 0 && ids.gids.front() != 0) flags = 0x01;
  } else {
    flags = in.u8();
    if (!read_request_ids(in, 8, ids)) return fail("bad TRUNCATE size");
  }
  uint64_t length = in.u64();
  if (!in.finished()) return fail("bad TRUNCATE size");
  RequestContext request = context(ids.uid, ids.gids);
  auto plan = operations_.truncate(request, inode, flags, length, services_.append_reservations);
  if (!plan) {
    reply_status(msg::MATOCL_FUSE_TRUNCATE, msgid, plan.status());
    return true;
  }
  uint32_t file_inode = plan->file->inode;
  if (flags & kTruncateReserve) {
    services_.append_reservations.reserve_to(file_inode, plan->new_length, request.now);
  } else if (!(flags & kTruncateUpdate)) {
    services_.append_reservations.forget(file_inode);
  }
  // Built without `this`: a chunk truncation may finish after this connection is gone.
  auto build_reply =
      [&services = services_, credentials = request.credentials, file_inode, previous_length = plan->previous_length,
       with_prev_length = client_version_ >= kVersionWithPrevLength, winattr = with_winattr()](PacketWriter& out) {
        if (with_prev_length) out.u64(previous_length);
        put_attr(out, *std::as_const(services.metadata).fs().find(file_inode), {credentials, false, winattr, true});
      };
  uint64_t new_length = plan->new_length;
  if (!plan->cuts_chunk) {
    bool changes_length = new_length != plan->previous_length;
    commit_then_reply(msg::MATOCL_FUSE_TRUNCATE, msgid, std::move(plan->entries), build_reply);
    if (changes_length) {
      services_.data_cache.modified(file_inode, session_id_);
      services_.mutations.when_durable([&notifier = services_.notifier, origin = link_, file_inode, new_length] {
        notifier.length_changed(origin.get(), file_inode, new_length);
      });
    }
    return true;
  }
  uint32_t chunk_index = plan->chunk_index;
  uint32_t length_in_chunk = static_cast<uint32_t>(new_length % kChunkSize);
  services_.chunks.truncate_chunk(
      session_id_, file_inode, chunk_index, length_in_chunk, request.now,
      [&services = services_, link = link_, entries = std::move(plan->entries), build_reply, msgid, file_inode,
       chunk_index, new_length, session = session_id_, now = request.now](Result<ChunkLocation> location) mutable {
        if (!location) {
          link->send(PacketWriter(msg::MATOCL_FUSE_TRUNCATE, 5).u32(msgid).u8(location.status().wire()).take());
          return;
        }
        entries.insert(entries.begin(), ChangelogEntry::make("UNLOCK", now).arg(location->chunk_id));
        commit_and_reply(services, link, msg::MATOCL_FUSE_TRUNCATE, msgid, std::move(entries), build_reply);
        services.data_cache.modified(file_inode, session);
        ClientNotifier::ChunkChange change{.inode = file_inode,
                                           .index = chunk_index,
                                           .chunk_id = location->chunk_id,
                                           .version = location->version,
                                           .file_length = new_length,
                                           .truncated = true};
        services.mutations.when_durable(
            [&notifier = services.notifier, link, change] { notifier.chunk_changed(link.get(), change); });
      });
  return true;
}

}  // namespace mfs::master
