// mfsfilepaths (CLTOMA_FUSE_PATHS, spec 11 §5.14) and mfschkarchive / mfssetarchive /
// mfsclrarchive (CLTOMA_FUSE_ARCHCTL, §5.15).
#include "mfscommon/protocol_ids.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {

bool ClientProtocol::handle_paths(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 8) return fail("bad PATHS size");
  auto paths = operations_.paths(context(0, {0}), in.u32());
  if (!paths) {
    reply_status(msg::MATOCL_FUSE_PATHS, msgid, paths.status());
    return true;
  }
  PacketWriter reply(msg::MATOCL_FUSE_PATHS);
  reply.u32(msgid);
  for (const std::string& path : *paths) reply.u32(static_cast<uint32_t>(path.size())).bytes(std::string_view(path));
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_archive_control(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 9 && size != 13) return fail("bad ARCHCTL size");
  uint32_t inode = in.u32();
  uint8_t command = in.u8();
  bool get = command == archive_command::kGet;
  // The length must match the command: GET has no uid, SET and CLR have one.
  if ((size == 9) != get || command > archive_command::kGet) return fail("ARCHCTL command and size do not match");
  if (get) {
    auto status = operations_.archive_status(context(0, {0}), inode);
    if (!status) {
      reply_status(msg::MATOCL_FUSE_ARCHCTL, msgid, status.status());
      return true;
    }
    PacketWriter reply(msg::MATOCL_FUSE_ARCHCTL, 32);
    reply.u32(msgid).u64(status->archived_chunks).u64(status->not_archived_chunks);
    send(reply.u32(status->archived_files).u32(status->partially_archived_files).u32(status->not_archived_files).take());
    return true;
  }
  uint32_t uid = in.u32();
  auto update = operations_.change_archive(context(uid, {0}), inode, command == archive_command::kSet);
  if (!update) {
    reply_status(msg::MATOCL_FUSE_ARCHCTL, msgid, update.status());
    return true;
  }
  ArchiveCounters counters = update->counters;
  commit_then_reply(msg::MATOCL_FUSE_ARCHCTL, msgid, std::move(update->entries), [counters](PacketWriter& reply) {
    reply.u64(counters.changed).u64(counters.not_changed).u32(counters.not_permitted);
  });
  return true;
}

}  // namespace mfs::master
