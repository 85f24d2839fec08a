// CLTOMA_FUSE_REGISTER (spec 10 §3): password challenge, new sessions (mount and meta),
// reconnects, old-style tool sessions and closing.
#include <openssl/rand.h>

#include <cstdio>
#include <cstring>
#include <utility>

#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {
namespace {

constexpr std::string_view kRegisterBlob = "DjI1GAQDULI5d2YjA26ypc3ovkhjvhciTQVx3CS4nYgtBoUcsljiVpsErJENHaw0";

namespace rcode {
constexpr uint8_t kGetRandom = 1, kNewSession = 2, kReconnect = 3, kTools = 4, kNewMetaSession = 5, kCloseSession = 6;
}  // namespace rcode

constexpr uint32_t kVersionWithReconnectVersion = pack_version(3, 0, 95);
constexpr uint32_t kVersionWithDisables = pack_version(3, 0, 112);
constexpr uint32_t kVersionWithUmask = pack_version(3, 0, 72);
constexpr uint32_t kVersionWithMetaId = pack_version(3, 0, 11);

std::string strip_nul(std::string_view text) {
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  return std::string(text);
}

std::vector<std::string> session_fields(const SessionParameters& p) {
  char umask[8];
  char disables[16];
  std::snprintf(umask, sizeof umask, "0%03o", p.umask & 0777);
  std::snprintf(disables, sizeof disables, "0x%08X", p.disables);
  return {"#" + std::to_string(p.exports_checksum),
          std::to_string(p.root_inode),
          std::to_string(p.sesflags),
          umask,
          std::to_string(p.root_uid),
          std::to_string(p.root_gid),
          std::to_string(p.mapall_uid),
          std::to_string(p.mapall_gid),
          std::to_string(p.min_goal),
          std::to_string(p.max_goal),
          std::to_string(p.min_trashtime),
          std::to_string(p.max_trashtime),
          disables,
          std::to_string(p.peer_ip),
          p.info};
}

}  // namespace

bool ClientProtocol::handle_register(const Packet& packet) {
  const auto& payload = packet.payload;
  if (payload.size() < 65) return fail("register packet too short");
  if (std::memcmp(payload.data(), kRegisterBlob.data(), kRegisterBlob.size()) != 0) {
    return fail("register packet with a wrong blob");
  }
  PacketReader in(payload);
  in.bytes(kRegisterBlob.size());
  uint8_t code = in.u8();
  if (state_ != State::kUnregistered && code != rcode::kCloseSession) return fail("second registration");
  switch (code) {
    case rcode::kGetRandom:
      if (payload.size() != 65) return fail("bad GETRANDOM size");
      RAND_bytes(random_.data(), static_cast<int>(random_.size()));
      random_sent_ = true;
      send(PacketWriter(msg::MATOCL_FUSE_REGISTER).bytes(random_).take());
      return true;
    case rcode::kNewSession:
    case rcode::kNewMetaSession:
      return register_new_session(in, code, payload.size());
    case rcode::kReconnect:
    case rcode::kTools:
      return register_reconnect(in, code, payload.size());
    case rcode::kCloseSession:
      if (state_ == State::kUnregistered) return fail("CLOSESESSION before registration");
      return close_session(in, payload.size());
    default:
      return fail("unknown register code " + std::to_string(code));
  }
}

bool ClientProtocol::register_new_session(PacketReader& in, uint8_t code, size_t payload_size) {
  bool meta = code == rcode::kNewMetaSession;
  uint32_t version = in.u32();
  std::string info = strip_nul(in.string32());
  std::string_view path;
  if (!meta) {
    path = in.string32();
    if (!path.empty() && path.back() != '\0') return fail("NEWSESSION path without terminating NUL");
  }
  if (!in.ok()) return fail("bad NEWSESSION size");
  // Optional tail: [sessionid [metaid]] [passcode]
  size_t extra = in.remaining();
  if (extra != 0 && extra != 4 && extra != 12 && extra != 16 && extra != 20 && extra != 28) {
    return fail("bad NEWSESSION size " + std::to_string(payload_size));
  }
  uint32_t requested_session = 0;
  uint64_t requested_meta_id = 0;
  bool has_meta_id = extra == 12 || extra == 28;
  if (extra == 4 || extra == 20 || has_meta_id) requested_session = in.u32();
  if (has_meta_id) requested_meta_id = in.u64();
  const uint8_t* passcode = extra >= 16 ? in.bytes(16).data() : nullptr;
  client_version_ = version;

  std::string normalized(strip_nul(path));
  while (!normalized.empty() && normalized.front() == '/') normalized.erase(normalized.begin());
  while (!normalized.empty() && normalized.back() == '/') normalized.pop_back();

  const uint8_t* random = random_sent_ ? random_.data() : nullptr;
  auto entry = services_.exports().match(link_->peer_ip(), version, normalized, meta, random, passcode);
  if (!entry) {
    send(PacketWriter(msg::MATOCL_FUSE_REGISTER).u8(entry.status().wire()).take());
    return true;
  }
  const ExportEntry& granted = **entry;

  uint32_t root_inode = 0;
  if (!meta) {
    const Node* node = std::as_const(services_.metadata).fs().root();
    size_t start = 0;
    while (start <= normalized.size() && !normalized.empty()) {
      size_t slash = normalized.find('/', start);
      std::string_view component = std::string_view(normalized).substr(start, slash - start);
      StatusCode failure = StatusCode::kOk;
      if (!FsOperations::valid_name(component)) {
        failure = StatusCode::kEINVAL;
      } else if (const Edge* edge = std::as_const(services_.metadata).fs().lookup(*node, component); !edge) {
        failure = StatusCode::kENOENT;
      } else if (!edge->child->is_directory()) {
        failure = StatusCode::kENOTDIR;
      } else {
        node = edge->child;
      }
      if (failure != StatusCode::kOk) {
        send(PacketWriter(msg::MATOCL_FUSE_REGISTER).u8(static_cast<uint8_t>(failure)).take());
        return true;
      }
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    root_inode = node->inode;
  }

  SessionParameters parameters;
  parameters.exports_checksum = services_.exports().checksum();
  parameters.root_inode = root_inode;
  parameters.sesflags = granted.sesflags;
  parameters.umask = granted.umask;
  parameters.root_uid = granted.rootuid;
  parameters.root_gid = granted.rootgid;
  parameters.mapall_uid = granted.mapalluid;
  parameters.mapall_gid = granted.mapallgid;
  parameters.min_goal = granted.mingoal;
  parameters.max_goal = granted.maxgoal;
  parameters.min_trashtime = granted.mintrashtime;
  parameters.max_trashtime = granted.maxtrashtime;
  parameters.disables = granted.disables;
  parameters.peer_ip = link_->peer_ip();
  parameters.info = info;

  Sessions& sessions = services_.metadata.sessions();
  bool reuse = requested_session != 0 && sessions.find(requested_session) &&
               (!has_meta_id || requested_meta_id == std::as_const(services_.metadata).meta_id());
  ChangelogEntry change = ChangelogEntry::make(reuse ? "SESCHANGED" : "SESADD", services_.now());
  if (reuse) change.arg(requested_session);
  for (std::string& field : session_fields(parameters)) change.arg(field);
  if (!reuse) change.result(sessions.next_id());
  uint32_t session_id = reuse ? requested_session : sessions.next_id();
  Status committed = services_.mutations.commit({std::move(change)});
  if (!committed) {
    send(PacketWriter(msg::MATOCL_FUSE_REGISTER).u8(committed.wire()).take());
    return true;
  }
  session_id_ = session_id;
  state_ = State::kSession;
  attach_to_session(*sessions.find(session_id));

  PacketWriter reply(msg::MATOCL_FUSE_REGISTER);
  reply.u32(kOwnVersion).u32(session_id);
  if (meta) {
    if (version >= kVersionWithMetaId) reply.u64(std::as_const(services_.metadata).meta_id());
    reply.u8(parameters.sesflags).u8(parameters.min_goal).u8(parameters.max_goal);
    reply.u32(parameters.min_trashtime).u32(parameters.max_trashtime);
  } else {
    if (version >= kVersionWithMetaId) reply.u64(std::as_const(services_.metadata).meta_id());
    reply.u8(parameters.sesflags);
    if (version >= kVersionWithUmask) reply.u16(parameters.umask);
    reply.u32(parameters.root_uid).u32(parameters.root_gid).u32(parameters.mapall_uid).u32(parameters.mapall_gid);
    reply.u8(parameters.min_goal).u8(parameters.max_goal);
    reply.u32(parameters.min_trashtime).u32(parameters.max_trashtime);
    if (version >= kVersionWithDisables) reply.u32(parameters.disables);
  }
  // Notifications may follow the reply, never precede it.
  services_.mutations.when_durable(
      [link = link_, frame = reply.take(), &notifier = services_.notifier, session_id, version]() mutable {
        link->send(std::move(frame));
        notifier.attach(link, session_id, version);
      });
  return true;
}

bool ClientProtocol::register_reconnect(PacketReader& in, uint8_t code, size_t payload_size) {
  if (payload_size < 73) return fail("bad RECONNECT size");
  uint32_t requested_session = in.u32();
  uint32_t version = in.u32();
  bool has_meta_id = payload_size >= 81;
  uint64_t meta_id = has_meta_id ? in.u64() : 0;
  client_version_ = version;
  StatusCode status = StatusCode::kOk;
  Session* existing = services_.metadata.sessions().find(requested_session);
  if (has_meta_id && meta_id != std::as_const(services_.metadata).meta_id()) {
    status = StatusCode::kBadSessionId;
  } else if (!existing || existing->parameters.peer_ip == 0) {
    status = StatusCode::kBadSessionId;
  } else if (existing->parameters.exports_checksum != services_.exports().checksum() ||
             (!(existing->parameters.sesflags & sesflag::kDynamicIp) &&
              existing->parameters.peer_ip != link_->peer_ip())) {
    status = StatusCode::kEPERM;
  }
  PacketWriter reply(msg::MATOCL_FUSE_REGISTER);
  if (code == rcode::kReconnect && version >= kVersionWithReconnectVersion) reply.u32(kOwnVersion);
  reply.u8(static_cast<uint8_t>(status));
  send(reply.take());
  if (status == StatusCode::kOk) {
    session_id_ = requested_session;
    state_ = code == rcode::kReconnect ? State::kSession : State::kOldTools;
    attach_to_session(*existing);
    if (state_ == State::kSession) services_.notifier.attach(link_, session_id_, client_version_);
  }
  return true;
}

void ClientProtocol::attach_to_session(Session& session) {
  session.client_version = client_version_;
  session.closed = false;
  ++session.connections;
}

bool ClientProtocol::close_session(PacketReader& in, size_t payload_size) {
  if (payload_size < 69) return fail("bad CLOSESESSION size");
  uint32_t requested_session = in.u32();
  bool has_meta_id = payload_size >= 77;
  uint64_t meta_id = has_meta_id ? in.u64() : 0;
  StatusCode status = StatusCode::kOk;
  if (has_meta_id && meta_id != std::as_const(services_.metadata).meta_id()) {
    status = StatusCode::kBadSessionId;
  } else if (Session* existing = services_.metadata.sessions().find(requested_session);
             existing && existing->connections == 1) {
    existing->closed = true;
  }
  send(PacketWriter(msg::MATOCL_FUSE_REGISTER).u8(static_cast<uint8_t>(status)).take());
  link_->close_after_flush();
  return true;
}

}  // namespace mfs::master
