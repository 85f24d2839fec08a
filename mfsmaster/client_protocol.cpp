#include "mfsmaster/client_protocol.h"

#include <set>
#include <utility>

#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"
#include "mfsmaster/attr_record.h"

namespace mfs::master {
namespace {

// Spec 11 §2.6: what a REGISTER_TOOLS connection may send besides the any-to-any packets
// and REGISTER; anything else kills the connection.
bool allowed_for_old_tools(uint32_t type) {
  switch (type) {
    case msg::CLTOMA_FUSE_READ_CHUNK:
    case msg::CLTOMA_FUSE_CHECK:
    case msg::CLTOMA_FUSE_GETTRASHTIME:
    case msg::CLTOMA_FUSE_SETTRASHTIME:
    case msg::CLTOMA_FUSE_GETSCLASS:
    case msg::CLTOMA_FUSE_SETSCLASS:
    case msg::CLTOMA_FUSE_APPEND_SLICE:
    case msg::CLTOMA_FUSE_GETDIRSTATS:
    case msg::CLTOMA_FUSE_TRUNCATE:
    case msg::CLTOMA_FUSE_REPAIR:
    case msg::CLTOMA_FUSE_SNAPSHOT:
    case msg::CLTOMA_FUSE_GETEATTR:
    case msg::CLTOMA_FUSE_SETEATTR:
    case msg::CLTOMA_FUSE_QUOTACONTROL:
    case msg::CLTOMA_FUSE_ARCHCTL:
    case msg::CLTOMA_SCLASS_CREATE:
    case msg::CLTOMA_SCLASS_CHANGE:
    case msg::CLTOMA_SCLASS_DELETE:
    case msg::CLTOMA_SCLASS_DUPLICATE:
    case msg::CLTOMA_SCLASS_RENAME:
    case msg::CLTOMA_SCLASS_LIST:
      return true;
    default:
      return false;
  }
}

}  // namespace

ClientProtocol::ClientProtocol(ClientServices& services, std::shared_ptr<ClientLink> link)
    : services_(services), link_(std::move(link)), operations_(services.metadata) {}

bool ClientProtocol::fail(std::string reason) {
  error_ = std::move(reason);
  return false;
}

const Session* ClientProtocol::session() const {
  return std::as_const(services_.metadata).sessions().find(session_id_);
}

bool ClientProtocol::with_winattr() const { return client_version_ >= kVersionWithWinattr; }

RequestContext ClientProtocol::context(uint32_t uid, std::vector<uint32_t> gids) const {
  RequestContext context;
  const Session* current = session();
  context.session_id = session_id_;
  context.session = &current->parameters;
  context.credentials = map_credentials(current->parameters.mapping(), uid, std::move(gids));
  context.now = services_.now();
  return context;
}

void ClientProtocol::put_attr_for(PacketWriter& out, const Node& node, const RequestContext& context,
                                  bool parent_no_entry_cache) const {
  put_attr(out, node, {context.credentials, parent_no_entry_cache, with_winattr(), true});
}

void ClientProtocol::reply_status(uint32_t type, uint32_t msgid, const Status& status) {
  send(PacketWriter(type, 5).u32(msgid).u8(status.wire()).take());
}

void ClientProtocol::commit_and_reply(ClientServices& services, const std::shared_ptr<ClientLink>& link,
                                      uint32_t reply_type, uint32_t msgid, Entries entries,
                                      const std::function<void(PacketWriter&)>& build_reply) {
  bool awaits_durability = MutationLog::reply_awaits_durability(entries);
  Status committed = services.mutations.commit(std::move(entries));
  PacketWriter reply(reply_type);
  reply.u32(msgid);
  if (committed) {
    build_reply(reply);
  } else {
    reply.u8(committed.wire());
  }
  if (committed && !awaits_durability) {
    link->send(reply.take());
    return;
  }
  services.mutations.when_durable([link, frame = reply.take()]() mutable { link->send(std::move(frame)); });
}

bool ClientProtocol::handle(const Packet& packet) {
  switch (packet.type) {
    case msg::ANTOAN_NOP:
    case msg::ANTOAN_UNKNOWN_COMMAND:
    case msg::ANTOAN_BAD_COMMAND_SIZE:
      return true;
    case msg::ANTOAN_GET_VERSION:
    case msg::ANTOAN_GET_CONFIG:
      return handle_any_to_any(packet);
    case msg::CLTOMA_FUSE_REGISTER:
      return handle_register(packet);
    case msg::CLTOMA_INFO:
      return handle_info(packet);
    case msg::CLTOMA_CSERV_LIST:
      return handle_chunkserver_list(packet);
    case msg::CLTOMA_CSSERV_COMMAND:
      return handle_chunkserver_command(packet);
    case msg::CLTOMA_SESSION_LIST:
      return handle_session_list(packet);
    case msg::CLTOMA_SESSION_COMMAND:
      return handle_session_command(packet);
    case msg::CLTOMA_EXPORTS_INFO:
      return handle_exports_info(packet);
    case msg::CLTOMA_CHUNKS_MATRIX:
      return handle_chunks_matrix(packet);
    case msg::CLTOMA_MLOG_LIST:
      return handle_metalogger_list(packet);
    case msg::CLTOMA_CHUNKSTEST_INFO:
      return handle_chunks_test_info(packet);
    case msg::CLTOMA_MEMORY_INFO:
      return handle_memory_info(packet);
    case msg::CLTOMA_FSTEST_INFO:
      return handle_fs_test_info(packet);
    case msg::CLTOMA_MISSING_CHUNKS:
      return handle_missing_chunks(packet);
    case msg::CLTOMA_LIST_OPEN_FILES:
      return handle_open_files(packet);
    case msg::CLTOMA_LIST_ACQUIRED_LOCKS:
      return handle_acquired_locks(packet);
    case msg::CLTOMA_MASS_RESOLVE_PATHS:
      return handle_resolve_paths(packet);
    case msg::CLTOMA_QUOTA_INFO:
      return handle_quota_info(packet);
    case msg::CLTOMA_SCLASS_INFO:
      return handle_sclass_info(packet);
    default:
      break;
  }
  if (state_ == State::kUnregistered) return fail("command " + std::to_string(packet.type) + " before registration");
  if (state_ == State::kOldTools && !allowed_for_old_tools(packet.type)) {
    return fail("command " + std::to_string(packet.type) + " not allowed on a tools connection");
  }
  switch (packet.type) {
    case msg::CLTOMA_FUSE_TIME_SYNC:
      return handle_time_sync(packet);
    case msg::CLTOMA_FUSE_SUSTAINED_INODES:
    case msg::CLTOMA_FUSE_SUSTAINED_INODES_LEGACY:
      return handle_sustained_inodes(packet);
    case msg::CLTOMA_FUSE_AMTIME_INODES:
      return handle_amtime_inodes(packet);
    default:
      break;
  }
  if (packet.payload.size() < 4) return fail("packet without msgid");
  services_.session_stats.count(session_id_, packet.type, services_.now());
  PacketReader in(packet.payload);
  uint32_t msgid = in.u32();
  size_t size = packet.payload.size();
  switch (packet.type) {
    case msg::CLTOMA_FUSE_STATFS:
      return handle_statfs(msgid, in);
    case msg::CLTOMA_FUSE_ACCESS:
      return handle_access(msgid, in, size);
    case msg::CLTOMA_FUSE_LOOKUP:
      return handle_lookup(msgid, in, size);
    case msg::CLTOMA_FUSE_GETATTR:
      return handle_getattr(msgid, in, size);
    case msg::CLTOMA_FUSE_SETATTR:
      return handle_setattr(msgid, in, size);
    case msg::CLTOMA_FUSE_READLINK:
      return handle_readlink(msgid, in, size);
    case msg::CLTOMA_FUSE_SYMLINK:
      return handle_symlink(msgid, in, size);
    case msg::CLTOMA_FUSE_MKNOD:
      return handle_mknod(msgid, in, size);
    case msg::CLTOMA_FUSE_MKDIR:
      return handle_mkdir(msgid, in, size);
    case msg::CLTOMA_FUSE_UNLINK:
      return handle_unlink(msgid, in, size, false);
    case msg::CLTOMA_FUSE_RMDIR:
      return handle_unlink(msgid, in, size, true);
    case msg::CLTOMA_FUSE_RENAME:
      return handle_rename(msgid, in, size);
    case msg::CLTOMA_FUSE_LINK:
      return handle_link(msgid, in, size);
    case msg::CLTOMA_FUSE_READDIR:
      return handle_readdir(msgid, in, size);
    case msg::CLTOMA_FUSE_OPEN:
      return handle_open(msgid, in, size);
    case msg::CLTOMA_FUSE_CREATE:
      return handle_create(msgid, in, size);
    case msg::CLTOMA_FUSE_READ_CHUNK:
      return handle_read_chunk(msgid, in, size);
    case msg::CLTOMA_FUSE_WRITE_CHUNK:
      return handle_write_chunk(msgid, in, size);
    case msg::CLTOMA_FUSE_WRITE_CHUNK_END:
      return handle_write_chunk_end(msgid, in, size);
    case msg::CLTOMA_FUSE_TRUNCATE:
      return handle_truncate(msgid, in, size);
    case msg::CLTOMA_FUSE_GETXATTR:
      return handle_getxattr(msgid, in, size);
    case msg::CLTOMA_FUSE_SETXATTR:
      return handle_setxattr(msgid, in, size);
    case msg::CLTOMA_FUSE_GETFACL:
      return handle_getfacl(msgid, in, size);
    case msg::CLTOMA_FUSE_SETFACL:
      return handle_setfacl(msgid, in, size);
    case msg::CLTOMA_FUSE_FLOCK:
      return handle_flock(msgid, in, size);
    case msg::CLTOMA_FUSE_POSIX_LOCK:
      return handle_posix_lock(msgid, in, size);
    case msg::CLTOMA_FUSE_CHECK:
      return handle_check(msgid, in, size);
    case msg::CLTOMA_FUSE_GETDIRSTATS:
      return handle_dir_stats(msgid, in, size);
    case msg::CLTOMA_FUSE_GETSCLASS:
    case msg::CLTOMA_FUSE_GETTRASHTIME:
    case msg::CLTOMA_FUSE_GETEATTR:
      return handle_get_setting(packet.type, msgid, in, size);
    case msg::CLTOMA_FUSE_SETSCLASS:
      return handle_setsclass(msgid, in, size);
    case msg::CLTOMA_FUSE_SETTRASHTIME:
      return handle_settrashtime(msgid, in, size);
    case msg::CLTOMA_FUSE_SETEATTR:
      return handle_seteattr(msgid, in, size);
    case msg::CLTOMA_FUSE_GETTRASH:
    case msg::CLTOMA_FUSE_GETSUSTAINED:
      return handle_detached_list(packet.type, msgid, in, size);
    case msg::CLTOMA_FUSE_GETDETACHEDATTR:
      return handle_detached_attr(msgid, in, size);
    case msg::CLTOMA_FUSE_GETTRASHPATH:
      return handle_trash_path(msgid, in, size);
    case msg::CLTOMA_FUSE_SETTRASHPATH:
      return handle_set_trash_path(msgid, in, size);
    case msg::CLTOMA_FUSE_UNDEL:
    case msg::CLTOMA_FUSE_PURGE:
      return handle_trash_change(packet.type, msgid, in, size);
    case msg::CLTOMA_FUSE_PATHS:
      return handle_paths(msgid, in, size);
    case msg::CLTOMA_FUSE_ARCHCTL:
      return handle_archive_control(msgid, in, size);
    case msg::CLTOMA_FUSE_QUOTACONTROL:
      return handle_quota_control(msgid, in, size);
    case msg::CLTOMA_FUSE_SNAPSHOT:
      return handle_snapshot(msgid, in, size);
    case msg::CLTOMA_FUSE_APPEND_SLICE:
      return handle_append_slice(msgid, in, size);
    case msg::CLTOMA_FUSE_REPAIR:
      return handle_repair(msgid, in, size);
    case msg::CLTOMA_NODE_INFO:
      return handle_node_info(msgid, in, size);
    case msg::CLTOMA_SCLASS_CREATE:
      return handle_sclass_create(msgid, in);
    case msg::CLTOMA_SCLASS_CHANGE:
      return handle_sclass_change(msgid, in);
    case msg::CLTOMA_SCLASS_DELETE:
      return handle_sclass_delete(msgid, in);
    case msg::CLTOMA_SCLASS_DUPLICATE:
    case msg::CLTOMA_SCLASS_RENAME:
      return handle_sclass_copy_or_rename(packet.type, msgid, in);
    case msg::CLTOMA_SCLASS_LIST:
      return handle_sclass_list(msgid, in);
    default:
      return fail("unknown command " + std::to_string(packet.type));
  }
}

bool ClientProtocol::handle_any_to_any(const Packet& packet) {
  PacketReader in(packet.payload);
  if (packet.type == msg::ANTOAN_GET_VERSION) {
    if (packet.payload.size() != 0 && packet.payload.size() != 4) return fail("bad GET_VERSION size");
    PacketWriter reply(msg::ANTOAN_VERSION);
    if (packet.payload.size() == 4) reply.u32(in.u32());
    send(reply.u32(kOwnVersion).bytes(std::string_view(kOwnVersionText)).take());
    return true;
  }
  uint32_t msgid = in.u32();
  std::string_view name = in.name8();
  if (!in.finished()) return fail("bad GET_CONFIG size");
  std::string value = services_.config().get_string(name, "");
  if (value.size() > 255) value.resize(255);
  send(PacketWriter(msg::ANTOAN_CONFIG_VALUE).u32(msgid).name8(value).take());
  return true;
}

void ClientProtocol::disconnected() {
  if (state_ == State::kUnregistered || session_id_ == 0) return;
  services_.notifier.detach(*link_);
  Session* current = services_.metadata.sessions().find(session_id_);
  if (!current || current->connections == 0) return;
  if (--current->connections == 0) {
    // A closed session is deleted with its open files; others wait for a reconnect.
    // Copied first: SESDEL frees `current`.
    std::set<uint32_t> held = current->open_inodes;
    bool closed = current->closed;
    services_.mutations.commit(
        {ChangelogEntry::make(closed ? "SESDEL" : "SESDISCONNECTED", services_.now()).arg(session_id_)});
    if (closed) {
      for (uint32_t inode : held) services_.locks.locks_released(inode);
    }
  }
}

}  // namespace mfs::master
