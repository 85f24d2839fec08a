// The client port protocol (spec 10, and the tool requests of spec 11 as they are
// added): decodes each request with exact length checks, calls the state modules, and
// encodes the reply. One ClientProtocol per connection; it holds no file-system logic.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mfscommon/config_file.h"
#include "mfscommon/packet.h"
#include "mfscommon/packet_connection.h"
#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/client_notifier.h"
#include "mfsmaster/data_cache_tracker.h"
#include "mfsmaster/exports.h"
#include "mfsmaster/fs_check_loop.h"
#include "mfsmaster/fs_operations.h"
#include "mfsmaster/lock_manager.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/metalogger_feed.h"
#include "mfsmaster/mutation_log.h"
#include "mfsmaster/session_stats.h"

namespace mfs::master {

// The connection as the protocol sees it, so tests can drive the protocol without sockets.
class ClientLink {
 public:
  virtual ~ClientLink() = default;
  virtual void send(std::vector<uint8_t> frame) = 0;
  // Flushes what is queued, then closes.
  virtual void close_after_flush() = 0;
  virtual uint32_t peer_ip() const = 0;
};

// What the client protocol needs from the rest of the master.
struct ClientServices {
  Metadata& metadata;
  MutationLog& mutations;
  ChunkManager& chunks;
  LockManager& locks;
  std::function<const Exports&()> exports;
  std::function<uint32_t()> now;
  std::function<const ConfigFile&()> config;
  ClientNotifier& notifier;
  DataCacheTracker& data_cache;
  AppendReservations& append_reservations;
  SessionStats& session_stats;
  const MetaloggerFeed& metaloggers;
  const FsCheckLoop& fs_check;
};

class ClientProtocol {
 public:
  enum class State { kUnregistered, kSession, kOldTools };

  ClientProtocol(ClientServices& services, std::shared_ptr<ClientLink> link);
  ClientProtocol(const ClientProtocol&) = delete;
  ClientProtocol& operator=(const ClientProtocol&) = delete;

  // Handles one request. False means the request was invalid (wrong length, unknown or
  // not allowed in this state): the caller logs `error()` and closes the connection.
  bool handle(const Packet& packet);
  void disconnected();
  const std::string& error() const { return error_; }
  State state() const { return state_; }

 private:
  bool fail(std::string reason);
  void send(std::vector<uint8_t> frame) { link_->send(std::move(frame)); }
  // Commits the entries and sends the reply built after they are applied, once durable
  // (at once for session bookkeeping, see MutationLog::reply_awaits_durability).
  // On a failed commit the client gets the status instead.
  void commit_then_reply(uint32_t reply_type, uint32_t msgid, Entries entries,
                         std::function<void(PacketWriter&)> build_reply) {
    commit_and_reply(services_, link_, reply_type, msgid, std::move(entries), std::move(build_reply));
  }
  // The same, usable from callbacks that may outlive this connection's protocol object.
  static void commit_and_reply(ClientServices& services, const std::shared_ptr<ClientLink>& link, uint32_t reply_type,
                               uint32_t msgid, Entries entries, const std::function<void(PacketWriter&)>& build_reply);
  void reply_status(uint32_t type, uint32_t msgid, const Status& status);
  RequestContext context(uint32_t uid, std::vector<uint32_t> gids) const;
  const Session* session() const;
  bool with_winattr() const;
  void put_attr_for(PacketWriter& out, const Node& node, const RequestContext& context,
                    bool parent_no_entry_cache) const;

  bool handle_any_to_any(const Packet& packet);
  bool handle_register(const Packet& packet);
  bool register_new_session(PacketReader& in, uint8_t rcode, size_t payload_size);
  bool register_reconnect(PacketReader& in, uint8_t rcode, size_t payload_size);
  bool close_session(PacketReader& in, size_t payload_size);
  void attach_to_session(Session& session);

  bool handle_statfs(uint32_t msgid, PacketReader& in);
  bool handle_access(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_lookup(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_getattr(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_setattr(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_readlink(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_symlink(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_mknod(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_mkdir(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_unlink(uint32_t msgid, PacketReader& in, size_t size, bool directory);
  bool handle_rename(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_link(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_readdir(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_open(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_create(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_read_chunk(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_write_chunk(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_write_chunk_end(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_truncate(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_getxattr(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_setxattr(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_getfacl(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_setfacl(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_flock(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_posix_lock(uint32_t msgid, PacketReader& in, size_t size);
  // A reply for a lock request, sent once the lock change is durable.
  LockManager::Reply lock_reply(uint32_t reply_type, uint32_t msgid);
  bool handle_check(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_dir_stats(uint32_t msgid, PacketReader& in, size_t size);
  // GETSCLASS, GETTRASHTIME and GETEATTR share their request and differ in the setting.
  bool handle_get_setting(uint32_t request_type, uint32_t msgid, PacketReader& in, size_t size);
  bool handle_setsclass(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_settrashtime(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_seteattr(uint32_t msgid, PacketReader& in, size_t size);
  // The meta mount (client_requests_meta.cpp): GETTRASH and GETSUSTAINED share a format.
  bool handle_detached_list(uint32_t request_type, uint32_t msgid, PacketReader& in, size_t size);
  bool handle_detached_attr(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_trash_path(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_set_trash_path(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_trash_change(uint32_t request_type, uint32_t msgid, PacketReader& in, size_t size);
  // Commits `entries` and answers `msgid | 0`, or answers the error status.
  void reply_status_after_commit(uint32_t reply_type, uint32_t msgid, Result<Entries> entries);
  bool handle_paths(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_archive_control(uint32_t msgid, PacketReader& in, size_t size);
  void reply_setting_update(uint32_t reply_type, uint32_t msgid, Result<SettingUpdate> update);
  bool handle_quota_control(uint32_t msgid, PacketReader& in, size_t size);
  bool handle_quota_info(const Packet& packet);
  bool handle_snapshot(uint32_t msgid, PacketReader& in, size_t size);      // client_requests_snapshot.cpp
  bool handle_append_slice(uint32_t msgid, PacketReader& in, size_t size);  // client_requests_snapshot.cpp
  bool handle_repair(uint32_t msgid, PacketReader& in, size_t size);        // client_requests_snapshot.cpp
  bool handle_node_info(uint32_t msgid, PacketReader& in, size_t size);     // client_requests_node_info.cpp
  // Storage class administration (client_requests_sclass.cpp).
  bool is_admin_session() const;
  bool handle_sclass_create(uint32_t msgid, PacketReader& in);
  bool handle_sclass_change(uint32_t msgid, PacketReader& in);
  bool handle_sclass_delete(uint32_t msgid, PacketReader& in);
  bool handle_sclass_copy_or_rename(uint32_t request_type, uint32_t msgid, PacketReader& in);
  bool handle_sclass_list(uint32_t msgid, PacketReader& in);
  bool handle_sclass_info(const Packet& packet);
  bool handle_info(const Packet& packet);
  bool handle_chunkserver_list(const Packet& packet);
  bool handle_chunkserver_command(const Packet& packet);
  bool handle_session_list(const Packet& packet);
  bool handle_session_command(const Packet& packet);
  bool handle_exports_info(const Packet& packet);
  bool handle_chunks_matrix(const Packet& packet);
  bool handle_metalogger_list(const Packet& packet);
  // The loops' and memory views (client_requests_loops.cpp).
  bool handle_chunks_test_info(const Packet& packet);
  bool handle_memory_info(const Packet& packet);
  bool handle_fs_test_info(const Packet& packet);
  bool handle_missing_chunks(const Packet& packet);
  bool handle_open_files(const Packet& packet);
  bool handle_acquired_locks(const Packet& packet);
  bool handle_resolve_paths(const Packet& packet);
  bool handle_time_sync(const Packet& packet);
  bool handle_sustained_inodes(const Packet& packet);
  bool handle_amtime_inodes(const Packet& packet);

  // Replies to a request that created `entries`' node: `msgid inode attr`.
  // A directory listed or a symlink read: its atime moves as ATIME_MODE says (ACCESS entry).
  void note_access(const Node& node);
  void reply_created_node(uint32_t reply_type, uint32_t msgid, Entries entries, const RequestContext& context,
                          uint32_t parent);

  ClientServices& services_;
  std::shared_ptr<ClientLink> link_;
  FsOperations operations_;
  State state_ = State::kUnregistered;
  uint32_t client_version_ = 0;
  uint32_t session_id_ = 0;
  std::array<uint8_t, 32> random_{};
  bool random_sent_ = false;
  std::string error_;
};

}  // namespace mfs::master
