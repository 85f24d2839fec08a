// The unregistered information queries and commands mfscli sends to the client port (spec 40
// B.2-B.3).
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <set>
#include <utility>

#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {
namespace {

constexpr uint8_t kNoHighAvailability = 0xFF;  // state bytes meaning "no HA, this is the leader"
constexpr uint8_t kCommandBackToWork = 1;
constexpr uint8_t kCommandRemoveSession = 0;
constexpr uint8_t kStatusOk = 0, kStatusInvalid = 6, kStatusNotFound = 41, kStatusActive = 42;
constexpr uint8_t kNewestSessionListMode = 4;  // what mfscli 3.0.117 asks for

uint64_t resident_memory() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  uint64_t resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

// Valid copies of a chunk: all of them, and those not on disks marked for removal.
struct ValidCopies {
  uint32_t all = 0;
  uint32_t regular = 0;
};

ValidCopies valid_copies(const ChunkManager& chunks, uint64_t chunk_id) {
  ValidCopies valid;
  for (const auto& copy : chunks.copy_report(chunk_id)) {
    valid.all += copy.type == 0 || copy.type == 1;
    valid.regular += copy.type == 0;
  }
  return valid;
}

// A request `[msgid:u32] id:u32` (spec 40 B.3.15, B.3.16): the id, after echoing the msgid,
// if there is one, into the reply; nullopt when the size is neither 4 nor 8.
std::optional<uint32_t> id_after_optional_msgid(const Packet& packet, PacketWriter& reply) {
  if (packet.payload.size() != 4 && packet.payload.size() != 8) return std::nullopt;
  PacketReader in(packet.payload);
  if (packet.payload.size() == 8) reply.u32(in.u32());
  return in.u32();
}

uint64_t now_microseconds() {
  timeval now{};
  gettimeofday(&now, nullptr);
  return uint64_t(now.tv_sec) * 1000000 + uint64_t(now.tv_usec);
}

}  // namespace

bool ClientProtocol::handle_info(const Packet& packet) {
  if (!packet.payload.empty()) return fail("bad INFO size");
  const Metadata& metadata = services_.metadata;
  const FsTree& fs = metadata.fs();
  uint64_t trash_space = 0;
  uint64_t sustained_space = 0;
  for (const auto& [inode, edge] : fs.trash()) trash_space += edge->child->length;
  for (const auto& [inode, edge] : fs.sustained()) sustained_space += edge->child->length;
  uint32_t directories = 0;
  uint32_t files = 0;
  for (const Node* node : fs.all_nodes()) {
    directories += node->is_directory();
    files += node->is_file_like();
  }
  uint32_t all_copies = 0;
  uint32_t regular_copies = 0;
  for (const auto& [id, chunk] : metadata.chunks().all()) {
    ValidCopies valid = valid_copies(services_.chunks, id);
    all_copies += std::min<uint32_t>(valid.all, 10);
    regular_copies += std::min<uint32_t>(valid.regular, 10);
  }
  const Chunkservers& servers = services_.chunks.servers();
  PacketWriter reply(msg::MATOCL_INFO, 149);
  reply.u32(kOwnVersion).u64(resident_memory()).u64(0).u64(0);
  reply.u64(servers.total_space()).u64(servers.free_space()).u64(servers.free_space());
  reply.u64(trash_space).u32(static_cast<uint32_t>(fs.trash().size()));
  reply.u64(sustained_space).u32(static_cast<uint32_t>(fs.sustained().size()));
  reply.u32(static_cast<uint32_t>(fs.node_count())).u32(directories).u32(files);
  reply.u32(static_cast<uint32_t>(metadata.chunks().size())).u32(all_copies).u32(regular_copies);
  reply.u32(0).u32(0).u8(0xFF);  // last metadata store: none, this master checkpoints continuously
  reply.u8(kNoHighAvailability).u8(kNoHighAvailability).u8(kNoHighAvailability).u8(kNoHighAvailability);
  reply.u32(0).u32(0);
  reply.u64(metadata.version()).u64(services_.exports().checksum()).u64(now_microseconds()).u32(0);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_chunkserver_list(const Packet& packet) {
  if (!packet.payload.empty()) return fail("bad CSERV_LIST size");
  PacketWriter reply(msg::MATOCL_CSERV_LIST);
  for (const auto& [csid, server] : services_.chunks.servers().all()) {
    uint32_t grace = server->gracetime(services_.chunks.now());
    reply.u8(0).u8(static_cast<uint8_t>(server->version >> 16)).u8(static_cast<uint8_t>(server->version >> 8));
    reply.u8(static_cast<uint8_t>(server->version));
    reply.u32(server->ip).u16(server->port).u16(server->csid);
    reply.u64(server->used_space).u64(server->total_space).u32(server->chunk_count);
    reply.u64(server->removal_used_space).u64(server->removal_total_space).u32(server->removal_chunk_count);
    reply.u32(server->errors).u32(server->load).u32(grace).u32(server->labels).u8(0);
  }
  send(reply.take());
  return true;
}

}  // namespace mfs::master

namespace mfs::master {

bool ClientProtocol::handle_chunkserver_command(const Packet& packet) {
  // Spec 40 B.3.2: the 7-byte form; of its commands only BACKTOWORK is served here.
  if (packet.payload.size() != 7) return fail("bad CSSERV_COMMAND size");
  PacketReader in(packet.payload);
  uint8_t command = in.u8();
  uint32_t ip = in.u32();
  uint16_t port = in.u16();
  if (command != kCommandBackToWork) return fail("CSSERV_COMMAND " + std::to_string(command) + " not supported");
  ChunkManager& chunks = services_.chunks;
  Chunkserver* server = chunks.servers().find_by_address(ip, port);
  uint8_t status = kStatusNotFound;
  if (server) {
    if (chunks.servers().back_to_work(*server, chunks.now())) chunks.new_target_available();
    status = kStatusOk;
  }
  send(PacketWriter(msg::MATOCL_CSSERV_COMMAND, 1).u8(status).take());
  return true;
}

bool ClientProtocol::handle_session_list(const Packet& packet) {
  // Spec 40 B.3.3: modes 0 and 1 list connected sessions in a shorter record, 2 to 4 all
  // sessions, each mode adding fields.
  if (packet.payload.size() > 1) return fail("bad SESSION_LIST size");
  uint8_t mode = packet.payload.empty() ? 0 : packet.payload[0];
  if (mode > kNewestSessionListMode) return fail("SESSION_LIST mode " + std::to_string(mode) + " not known");
  const Metadata& metadata = services_.metadata;
  uint32_t now = services_.now();
  uint32_t sustain = static_cast<uint32_t>(
      services_.config().get_uint_clamped("SESSION_SUSTAIN_TIME", 86400, 60, 7 * 86400));
  PacketWriter reply(msg::MATOCL_SESSION_LIST);
  reply.u16(SessionStats::kKinds);
  std::set<uint32_t> ids;
  for (const auto& [id, session] : metadata.sessions().all()) {
    ids.insert(id);
    bool connected = session->connections != 0;
    if (mode < 2 && !connected) continue;
    const SessionParameters& parameters = session->parameters;
    std::string path = ".";  // a meta session
    if (parameters.root_inode != 0) {
      const Node* root = metadata.fs().find(parameters.root_inode);
      path = "/" + (root ? metadata.fs().path_of(*root) : std::string());
    }
    reply.u32(id).u32(parameters.peer_ip).u32(session->client_version);
    if (mode >= 2) {
      uint32_t expire = 0xFFFFFFFF;
      if (!connected) {
        uint64_t ends = uint64_t{session->disconnected_at} + sustain;
        expire = session->closed || ends <= now ? 0 : static_cast<uint32_t>(ends - now);
      }
      reply.u32(static_cast<uint32_t>(session->open_inodes.size()));
      reply.u8(static_cast<uint8_t>(std::min<uint32_t>(session->connections, 255))).u32(expire);
    }
    reply.string32(parameters.info).string32(path);
    reply.u8(parameters.sesflags);
    if (mode >= 3) reply.u16(parameters.umask);
    reply.u32(parameters.root_uid).u32(parameters.root_gid).u32(parameters.mapall_uid).u32(parameters.mapall_gid);
    if (mode >= 1) {
      reply.u8(parameters.min_goal).u8(parameters.max_goal);
      reply.u32(parameters.min_trashtime).u32(parameters.max_trashtime);
    }
    if (mode >= 4) reply.u32(parameters.disables);
    SessionStats::Hours hours = services_.session_stats.counts(id, now);
    for (uint32_t count : hours.current) reply.u32(count);
    for (uint32_t count : hours.previous) reply.u32(count);
  }
  services_.session_stats.keep_only(ids);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_session_command(const Packet& packet) {
  // Spec 40 B.3.4: only REMOVE, of a session without a connection.
  if (packet.payload.size() != 5) return fail("bad SESSION_COMMAND size");
  PacketReader in(packet.payload);
  uint8_t command = in.u8();
  uint32_t id = in.u32();
  const Session* session = std::as_const(services_.metadata).sessions().find(id);
  uint8_t status = kStatusOk;
  if (command != kCommandRemoveSession) {
    status = kStatusInvalid;
  } else if (!session) {
    status = kStatusNotFound;
  } else if (session->connections != 0) {
    status = kStatusActive;
  }
  std::vector<uint8_t> reply = PacketWriter(msg::MATOCL_SESSION_COMMAND, 1).u8(status).take();
  if (status != kStatusOk) {
    send(std::move(reply));
    return true;
  }
  std::set<uint32_t> held = session->open_inodes;  // copied first: SESDEL frees the session
  Status removed = services_.mutations.commit({ChangelogEntry::make("SESDEL", services_.now()).arg(id)});
  if (!removed) {
    send(PacketWriter(msg::MATOCL_SESSION_COMMAND, 1).u8(removed.wire()).take());
    return true;
  }
  for (uint32_t inode : held) services_.locks.locks_released(inode);
  services_.mutations.when_durable([link = link_, frame = std::move(reply)]() mutable { link->send(std::move(frame)); });
  return true;
}

bool ClientProtocol::handle_exports_info(const Packet& packet) {
  // Spec 40 B.3.12: one record per line of mfsexports.cfg; each mode adds fields.
  if (packet.payload.size() > 1) return fail("bad EXPORTS_INFO size");
  uint8_t mode = packet.payload.empty() ? 0 : packet.payload[0];
  PacketWriter reply(msg::MATOCL_EXPORTS_INFO);
  for (const ExportEntry& entry : services_.exports().entries()) {
    reply.u32(entry.fromip).u32(entry.toip).string32(entry.meta ? "." : "/" + entry.path).u32(entry.minversion);
    reply.u8(static_cast<uint8_t>((entry.alldirs ? 1 : 0) | (entry.needs_password() ? 2 : 0))).u8(entry.sesflags);
    if (mode >= 2) reply.u16(entry.umask);
    reply.u32(entry.rootuid).u32(entry.rootgid).u32(entry.mapalluid).u32(entry.mapallgid);
    if (mode >= 1) reply.u8(entry.mingoal).u8(entry.maxgoal).u32(entry.mintrashtime).u32(entry.maxtrashtime);
    if (mode >= 3) reply.u32(entry.disables);
  }
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_metalogger_list(const Packet& packet) {
  // Spec 40 B.3.13: the registered metaloggers.
  if (!packet.payload.empty()) return fail("bad MLOG_LIST size");
  const auto& followers = services_.metaloggers.followers();
  PacketWriter reply(msg::MATOCL_MLOG_LIST, followers.size() * 8);
  for (const auto& [handle, follower] : followers) reply.u32(follower.version).u32(follower.ip);
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_open_files(const Packet& packet) {
  // Spec 40 B.3.15: `[msgid] sessionid`; session 0 lists every session's open files.
  PacketWriter reply(msg::MATOCL_LIST_OPEN_FILES);
  std::optional<uint32_t> session_id = id_after_optional_msgid(packet, reply);
  if (!session_id) return fail("bad LIST_OPEN_FILES size");
  uint32_t wanted = *session_id;
  for (const auto& [id, session] : services_.metadata.sessions().all()) {
    if (wanted != 0 && id != wanted) continue;
    for (uint32_t inode : session->open_inodes) {
      if (wanted == 0) reply.u32(id);
      reply.u32(inode);
    }
  }
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_resolve_paths(const Packet& packet) {
  // Spec 40 B.3.14: every path of each inode, from the root; none for a missing inode.
  if (packet.payload.size() % 4 != 0) return fail("bad MASS_RESOLVE_PATHS size");
  static const SessionParameters kWholeTree;  // root inode 1
  RequestContext context;
  context.session = &kWholeTree;
  PacketReader in(packet.payload);
  PacketWriter reply(msg::MATOCL_MASS_RESOLVE_PATHS);
  while (in.remaining() > 0) {
    uint32_t inode = in.u32();
    if (inode == 0) continue;
    Result<std::vector<std::string>> paths = operations_.paths(context, inode);
    std::vector<std::string> found = paths ? std::move(*paths) : std::vector<std::string>{};
    uint32_t size = 0;
    for (const std::string& path : found) size += 4 + static_cast<uint32_t>(path.size());
    reply.u32(inode).u32(size);
    for (const std::string& path : found) reply.string32(path);
  }
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_chunks_matrix(const Packet& packet) {
  // Spec 40 B.3.7: chunks counted by goal (row) and valid copies (column), 10 meaning 10 or
  // more; matrix 0 counts copies on disks marked for removal too, matrix 1 does not.
  if (packet.payload.size() > 1) return fail("bad CHUNKS_MATRIX size");
  constexpr uint32_t kCells = 11;
  std::array<std::array<std::array<uint32_t, kCells>, kCells>, 2> matrices{};
  for (const auto& [id, chunk] : services_.metadata.chunks().all()) {
    uint32_t goal = std::min(services_.chunks.target_copies(id), kCells - 1);
    ValidCopies valid = valid_copies(services_.chunks, id);
    ++matrices[0][goal][std::min(valid.all, kCells - 1)];
    ++matrices[1][goal][std::min(valid.regular, kCells - 1)];
  }
  PacketWriter reply(msg::MATOCL_CHUNKS_MATRIX);
  auto put = [&reply](const auto& matrix) {
    for (const auto& row : matrix) {
      for (uint32_t count : row) reply.u32(count);
    }
  };
  if (packet.payload.empty()) {
    reply.u8(0);  // progress: the counts are the chunk manager's current ones
    put(matrices[0]);
    put(matrices[1]);
  } else if (uint8_t id = packet.payload[0]; id < 2) {
    put(matrices[id]);
  } else {
    put(std::array<std::array<uint32_t, kCells>, kCells>{});  // as 3.0.117: an unknown matrix is all zeros
  }
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_acquired_locks(const Packet& packet) {
  // Spec 40 B.3.16: `[msgid] inode`; inode 0 lists every inode's locks, each record then
  // starting with its inode. POSIX ranges first, then flock holders (3.0.117 writes the
  // flock records over the POSIX ones; the spec says to list both).
  PacketWriter reply(msg::MATOCL_LIST_ACQUIRED_LOCKS);
  std::optional<uint32_t> inode = id_after_optional_msgid(packet, reply);
  if (!inode) return fail("bad LIST_ACQUIRED_LOCKS size");
  uint32_t wanted = *inode;
  const LockTable& locks = services_.metadata.locks();
  std::vector<uint32_t> inodes = wanted == 0 ? locks.locked_inodes() : std::vector<uint32_t>{wanted};
  auto put = [&](uint32_t inode, const LockOwner& who, uint32_t pid, uint64_t start, uint64_t end, uint8_t type) {
    if (wanted == 0) reply.u32(inode);
    reply.u32(who.session).u64(who.owner).u32(pid).u64(start).u64(end).u8(type);
  };
  constexpr uint8_t kRead = 1, kWrite = 2;
  for (uint32_t inode : inodes) {
    if (const auto* ranges = locks.posix_locks(inode)) {
      for (const PosixRange& range : *ranges) {
        put(inode, range.who, range.pid, range.start, range.end, range.write ? kWrite : kRead);
      }
    }
  }
  for (uint32_t inode : inodes) {
    if (const auto* holders = locks.flocks(inode)) {
      for (const FlockHolder& holder : *holders) put(inode, holder.who, 0, 0, 0, holder.exclusive ? kWrite : kRead);
    }
  }
  send(reply.take());
  return true;
}

}  // namespace mfs::master
