// flock and POSIX lock requests (spec 10 §9).
#include "mfscommon/protocol_ids.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {

LockManager::Reply ClientProtocol::lock_reply(uint32_t reply_type, uint32_t msgid) {
  return [link = link_, &mutations = services_.mutations, reply_type, msgid](StatusCode status) {
    std::vector<uint8_t> frame = PacketWriter(reply_type, 5).u32(msgid).u8(static_cast<uint8_t>(status)).take();
    mutations.when_durable([link, frame = std::move(frame)]() mutable { link->send(std::move(frame)); });
  };
}

bool ClientProtocol::handle_flock(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 21) return fail("bad FLOCK size");
  uint32_t inode = in.u32();
  uint32_t reqid = in.u32();
  uint64_t owner = in.u64();
  uint8_t command = in.u8();
  services_.locks.flock(inode, reqid, {session_id_, owner}, command, lock_reply(msg::MATOCL_FUSE_FLOCK, msgid), link_);
  return true;
}

bool ClientProtocol::handle_posix_lock(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 42) return fail("bad POSIX_LOCK size");
  LockManager::PosixRequest request;
  request.inode = in.u32();
  request.reqid = in.u32();
  request.who = {session_id_, in.u64()};
  request.pid = in.u32();
  request.command = in.u8();
  request.type = in.u8();
  request.start = in.u64();
  request.end = in.u64();
  auto conflict = services_.locks.posix(request, lock_reply(msg::MATOCL_FUSE_POSIX_LOCK, msgid), link_);
  if (conflict) {
    PacketWriter reply(msg::MATOCL_FUSE_POSIX_LOCK, 25);
    reply.u32(msgid).u32(conflict->pid).u8(conflict->type).u64(conflict->start).u64(conflict->end);
    send(reply.take());
  }
  return true;
}

}  // namespace mfs::master
