#include "mfsmount/master_connection.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "mfscommon/auth_digest.h"
#include "mfscommon/ip_address.h"
#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/session_flags.h"
#include "mfsmount/accepted_connection.h"

namespace mfs::mount {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kConnectTimeout{2000};
constexpr milliseconds kRegisterTimeout{5000};
constexpr milliseconds kReadTimeout{10000};   // the master sends a NOP every second
constexpr milliseconds kReconnectDelay{1000};
constexpr milliseconds kNopAfter{2000};
constexpr milliseconds kCloseSessionWait{500};
constexpr uint32_t kMaxReplyPayload = 50000000;

int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(Clock::now().time_since_epoch()).count();
}

// Exact sizes of the msgid-0 packets (spec 10 §11).
std::optional<size_t> notification_size(uint32_t type) {
  switch (type) {
    case msg::ANTOAN_NOP: return 4;
    case msg::MATOCL_FUSE_CHUNK_HAS_CHANGED: return 33;
    case msg::MATOCL_FUSE_FLENG_HAS_CHANGED: return 16;
    case msg::MATOCL_FUSE_TIME_SYNC: return 12;
    case msg::MATOCL_FUSE_INVALIDATE_CHUNK_CACHE: return 4;
    default: return std::nullopt;
  }
}

std::string describe_session(const SessionReply& session) {
  return std::string((session.sesflags & sesflag::kReadOnly) ? "read-only" : "read-write") + ", session " +
         std::to_string(session.session_id);
}

}  // namespace

MasterConnection::MasterConnection(MasterSettings settings) : settings_(std::move(settings)) {}

MasterConnection::~MasterConnection() { stop(); }

SessionReply MasterConnection::session() const {
  std::lock_guard lock(mutex_);
  return session_;
}

Status MasterConnection::start(NotificationHandler on_notification, TickHandler on_tick, bool delayed) {
  on_notification_ = std::move(on_notification);
  on_tick_ = std::move(on_tick);
  if (!delayed) {
    if (Status s = connect_and_register(); !s) return s;
  }
  receiver_ = std::thread([this] { receiver_loop(); });
  housekeeping_ = std::thread([this] { housekeeping_loop(); });
  return Status::ok();
}

Status MasterConnection::register_session(TcpSocket& socket, bool reuse_session_id) {
  std::optional<std::array<uint8_t, 16>> passcode;
  if (settings_.password_md5) {
    if (Status s = socket.write_all(register_get_random()); !s) return s;
    Result<Packet> reply = socket.read_packet(1000);
    if (!reply) return reply.status();
    Result<std::vector<uint8_t>> random = decode_random(reply->payload);
    if (!random) return random.status();
    std::array<uint8_t, 32> challenge{};
    std::copy(random->begin(), random->end(), challenge.begin());
    const auto& md5 = *settings_.password_md5;
    passcode = auth_digest(challenge, std::string_view(reinterpret_cast<const char*>(md5.data()), md5.size()));
  }
  uint32_t session_id = 0;
  uint64_t meta_id = 0;
  if (reuse_session_id) {
    std::lock_guard lock(mutex_);
    session_id = session_.session_id;
    meta_id = session_.meta_id;
  }
  const uint8_t* proof = passcode ? passcode->data() : nullptr;
  Frame request = settings_.meta ? register_new_meta_session(settings_.info, session_id, meta_id, proof)
                                 : register_new_session(settings_.info, settings_.subfolder, session_id, meta_id, proof);
  if (Status s = socket.write_all(request); !s) return s;
  Result<Packet> reply = socket.read_packet(1000);
  if (!reply) return reply.status();
  if (reply->type != msg::MATOCL_FUSE_REGISTER) return Status(StatusCode::kIO, "unexpected answer to registration");
  Result<SessionReply> session =
      settings_.meta ? decode_new_meta_session(reply->payload) : decode_new_session(reply->payload);
  if (!session && reply->payload.size() == 1) {  // refused: in 3.0.117's words
    {
      std::lock_guard lock(mutex_);
      registration_refused_ = true;
    }
    state_changed_.notify_all();
    return Status(session.status().code(),
                  "mfsmaster register error: " + std::string(status_text(session.status().code())));
  }
  if (!session) return session.status();
  std::lock_guard lock(mutex_);
  if (have_session_ && session->session_id != session_.session_id) {
    MFS_LOG_WARNING("master: session %u lost, new session %u", session_.session_id, session->session_id);
  }
  session_ = *session;
  have_session_ = true;
  registration_refused_ = false;
  if (settings_.forget_password && settings_.password_md5) {
    OPENSSL_cleanse(settings_.password_md5->data(), settings_.password_md5->size());
    settings_.password_md5.reset();
  }
  return Status::ok();
}

Status MasterConnection::connect_and_register() {
  Result<uint32_t> ip = resolve_ipv4(settings_.host);
  if (!ip) return ip.status();
  Result<TcpSocket> socket = TcpSocket::connect(*ip, settings_.port, settings_.bind_ip, kConnectTimeout);
  if (!socket) {
    return Status(socket.code(), "can't connect to mfsmaster (\"" + settings_.host + "\":\"" +
                                     std::to_string(settings_.port) + "\"): " + socket.status().message());
  }
  socket->set_timeout(kRegisterTimeout);
  bool reconnected = false;
  uint32_t session_id = 0;
  {
    std::lock_guard lock(mutex_);
    session_id = have_session_ ? session_.session_id : 0;
  }
  bool reuse_id = false;
  if (session_id != 0) {
    // RECONNECT keeps the session; EPERM asks for NEWSESSION with the same id (spec 10 §14).
    uint64_t meta_id = session().meta_id;
    if (Status s = socket->write_all(register_reconnect(session_id, meta_id)); !s) return s;
    Result<Packet> reply = socket->read_packet(1000);
    if (!reply) return reply.status();
    Status status = decode_reconnect(reply->payload);
    if (status) {
      reconnected = true;
    } else if (status.code() == StatusCode::kEPERM) {
      reuse_id = true;
    } else if (status.code() == StatusCode::kIO) {
      return status;
    }
  }
  if (!reconnected) {
    if (Status s = register_session(*socket, reuse_id); !s) return s;
  }
  socket->set_timeout(kReadTimeout);
  SessionReply session;
  {
    std::lock_guard lock(mutex_);
    socket_ = std::make_shared<TcpSocket>(std::move(*socket));
    session = session_;
  }
  last_write_ms_ = now_ms();
  state_changed_.notify_all();
  if (reconnected) {
    MFS_LOG_NOTICE("registered to master again (%s)", describe_session(session).c_str());
  } else {
    MFS_LOG_NOTICE("%s", accepted_connection_message(session, settings_.meta, local_id_names()).c_str());
  }
  if (session_id != 0 && on_notification_) on_notification_(Packet{0, {}});  // caches are stale now
  return Status::ok();
}

Status MasterConnection::write_frame(const std::shared_ptr<TcpSocket>& socket, const Frame& frame) {
  std::lock_guard lock(send_mutex_);
  Status status = socket->write_all(frame);
  last_write_ms_ = now_ms();
  return status;
}

uint32_t MasterConnection::take_msgid() {
  uint32_t msgid = next_msgid_++;
  if (next_msgid_ == 0) next_msgid_ = 1;  // 0 marks notifications
  return msgid;
}

Result<std::vector<uint8_t>> MasterConnection::call(Frame frame, uint32_t reply_type, uint32_t* received_type) {
  Status last_error(StatusCode::kIO, "no answer from the master");
  IoRetries retries(settings_.io_retries);
  for (uint32_t attempt = 0; retries.wait_for_try(attempt); ++attempt) {
    Slot slot;
    slot.reply_type = reply_type;
    uint32_t msgid = 0;
    std::shared_ptr<TcpSocket> socket;
    {
      std::unique_lock lock(mutex_);
      state_changed_.wait_for(lock, kReadTimeout,
                              [&] { return socket_ != nullptr || stopping_ || registration_refused_; });
      if (stopping_) return Status(StatusCode::kIO, "unmounting");
      if (!socket_ && registration_refused_) return Status(StatusCode::kIO, "the master refuses this mount's session");
      if (!socket_) {
        last_error = Status(StatusCode::kIO, "not connected to the master");
        continue;
      }
      socket = socket_;
      msgid = take_msgid();
      slots_[msgid] = &slot;
    }
    put_u32_be(frame.data() + kPacketHeaderSize, msgid);
    if (Status s = write_frame(socket, frame); !s) drop_connection(socket, "write error: " + s.to_string());
    std::unique_lock lock(mutex_);
    slot.ready.wait(lock, [&] { return slot.reply.has_value() || slot.lost; });
    slots_.erase(msgid);
    if (slot.reply) {
      if (received_type != nullptr) *received_type = slot.received_type;
      return std::move(*slot.reply);
    }
    last_error = Status(StatusCode::kIO, "connection to the master lost");
  }
  return retries.gave_up(last_error);
}

void MasterConnection::send_unanswered(const Frame& frame) {
  std::shared_ptr<TcpSocket> socket;
  {
    std::lock_guard lock(mutex_);
    socket = socket_;
  }
  if (!socket) return;
  if (Status s = write_frame(socket, frame); !s) drop_connection(socket, "write error: " + s.to_string());
}

void MasterConnection::send_detached(Frame frame, uint32_t reply_type, std::string what) {
  std::shared_ptr<TcpSocket> socket;
  uint32_t msgid = 0;
  {
    std::lock_guard lock(mutex_);
    if (!socket_) return;
    socket = socket_;
    msgid = take_msgid();
    detached_[msgid] = Detached{reply_type, std::move(what)};
  }
  put_u32_be(frame.data() + kPacketHeaderSize, msgid);
  if (Status s = write_frame(socket, frame); !s) drop_connection(socket, "write error: " + s.to_string());
}

void MasterConnection::drop_connection(const std::shared_ptr<TcpSocket>& socket, const std::string& reason) {
  std::lock_guard lock(mutex_);
  if (socket_ != socket || !socket_) return;
  socket_->shutdown();
  socket_.reset();
  for (auto& [msgid, slot] : slots_) {
    slot->lost = true;
    slot->ready.notify_all();
  }
  detached_.clear();
  if (!stopping_) MFS_LOG_WARNING("master: connection lost (%s)", reason.c_str());
  state_changed_.notify_all();
}

void MasterConnection::handle_packet(const std::shared_ptr<TcpSocket>& socket, Packet packet) {
  if (packet.type == msg::MATOCL_FUSE_REGISTER && packet.payload.size() == 1) {  // CLOSESESSION answer
    std::lock_guard lock(mutex_);
    if (stopping_) {
      close_answered_ = true;
      state_changed_.notify_all();
      return;
    }
  }
  if (packet.payload.size() < 4) return drop_connection(socket, "packet without msgid");
  uint32_t msgid = get_u32_be(packet.payload.data());
  if (msgid == 0) {
    if (packet.type == msg::ANTOAN_UNKNOWN_COMMAND || packet.type == msg::ANTOAN_BAD_COMMAND_SIZE) return;
    std::optional<size_t> size = notification_size(packet.type);
    if (!size) return drop_connection(socket, "unknown packet type " + std::to_string(packet.type));
    if (packet.payload.size() != *size) {
      return drop_connection(socket, "packet type " + std::to_string(packet.type) + " of wrong size");
    }
    if (packet.type != msg::ANTOAN_NOP && packet.type != msg::MATOCL_FUSE_TIME_SYNC && on_notification_) {
      on_notification_(packet);
    }
    return;
  }
  {
    std::lock_guard lock(mutex_);
    auto found = slots_.find(msgid);
    if (found != slots_.end() && !found->second->reply &&
        (found->second->reply_type == packet.type || found->second->reply_type == kAnyReply)) {
      found->second->received_type = packet.type;
      found->second->reply.emplace(packet.payload.begin() + 4, packet.payload.end());
      found->second->ready.notify_all();
      return;
    }
    if (auto detached = detached_.find(msgid); detached != detached_.end() && detached->second.reply_type == packet.type) {
      Body body = Body(packet.payload).subspan(4);
      if (Status status = is_status_reply(body) ? status_of(body) : Status::ok(); !status) {
        MFS_LOG_WARNING("%s: the master answered %s", detached->second.what.c_str(), status.to_string().c_str());
      }
      detached_.erase(detached);
      return;
    }
  }
  drop_connection(socket, "unexpected reply type " + std::to_string(packet.type) + " msgid " + std::to_string(msgid));
}

void MasterConnection::receiver_loop() {
  bool logged_failure = false;
  while (true) {
    std::shared_ptr<TcpSocket> socket;
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      socket = socket_;
    }
    if (!socket) {
      Status s = connect_and_register();
      if (!s) {
        if (!logged_failure) MFS_LOG_WARNING("%s", s.to_string().c_str());
        logged_failure = true;
        std::unique_lock lock(mutex_);
        state_changed_.wait_for(lock, kReconnectDelay, [&] { return stopping_; });
      } else {
        logged_failure = false;
      }
      continue;
    }
    Result<Packet> packet = socket->read_packet(kMaxReplyPayload);
    if (!packet) {
      drop_connection(socket, packet.status().to_string());
      continue;
    }
    handle_packet(socket, std::move(*packet));
  }
}

void MasterConnection::housekeeping_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    state_changed_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    if (stopping_) return;
    std::shared_ptr<TcpSocket> socket = socket_;
    lock.unlock();
    if (socket && now_ms() - last_write_ms_ > kNopAfter.count()) {
      if (Status s = write_frame(socket, nop()); !s) drop_connection(socket, "write error: " + s.to_string());
    }
    if (on_tick_) on_tick_();
    lock.lock();
  }
}

void MasterConnection::stop() {
  std::shared_ptr<TcpSocket> socket;
  SessionReply session;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    socket = socket_;
    session = session_;
  }
  state_changed_.notify_all();
  if (housekeeping_.joinable()) housekeeping_.join();
  if (socket && receiver_.joinable()) {
    write_frame(socket, register_close_session(session.session_id, session.meta_id));
    std::unique_lock lock(mutex_);
    state_changed_.wait_for(lock, kCloseSessionWait, [&] { return close_answered_ || socket_ == nullptr; });
  }
  if (socket) socket->shutdown();
  if (receiver_.joinable()) receiver_.join();
}

}  // namespace mfs::mount
