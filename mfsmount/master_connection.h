// The mount's single connection to the master (ADR 0004): registration and
// re-registration (spec 10 §3, §14), pipelined requests matched by msgid, keep-alive,
// and the msgid-0 notifications. Safe to use from any number of FUSE worker threads.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mfscommon/packet.h"
#include "mfscommon/status.h"
#include "mfsmount/io_retries.h"
#include "mfsmount/master_messages.h"
#include "mfsmount/tcp_socket.h"

namespace mfs::mount {

struct MasterSettings {
  std::string host;
  uint16_t port = 9421;
  uint32_t bind_ip = 0;
  std::string subfolder = "/";
  std::string info;  // the mount point, shown in the master's session list
  bool meta = false;  // a meta session (trash and sustained files, spec 10 §3.4) instead of `subfolder`
  std::optional<std::array<uint8_t, 16>> password_md5;
  bool forget_password = false;  // wipe password_md5 once a session is registered
  IoRetrySettings io_retries;
};

// call()'s reply type for "whatever the master answers" (the master proxy's forwarding).
inline constexpr uint32_t kAnyReply = 0;

class MasterConnection {
 public:
  // Called on the receiver thread for CHUNK_HAS_CHANGED, FLENG_HAS_CHANGED and
  // INVALIDATE_CHUNK_CACHE (payload validated), and with type 0 after a reconnection.
  using NotificationHandler = std::function<void(const Packet&)>;
  // Called once a second on the housekeeping thread.
  using TickHandler = std::function<void()>;

  explicit MasterConnection(MasterSettings settings);
  ~MasterConnection();
  MasterConnection(const MasterConnection&) = delete;
  MasterConnection& operator=(const MasterConnection&) = delete;

  // Connects and registers a new session; a refusal (bad password, no export) is returned.
  // Then starts the receiver and housekeeping threads.
  // With `delayed` (mfsdelayedinit) nothing is awaited: the receiver thread connects and
  // registers in the background, and requests wait for it.
  Status start(NotificationHandler on_notification, TickHandler on_tick, bool delayed = false);
  // Sends `frame` (its msgid is filled in) and returns the reply body after the msgid.
  // A reply of another type than `reply_type` (unless kAnyReply) drops the connection; the
  // type received goes to `received_type`. A lost connection is retried, with MooseFS's
  // back-off, while io_retries allows (then EIO).
  Result<std::vector<uint8_t>> call(Frame frame, uint32_t reply_type, uint32_t* received_type = nullptr);
  // A packet without msgid and reply; dropped when not connected.
  void send_unanswered(const Frame& frame);
  // Sends `frame` (msgid filled in) without waiting: its reply, of `reply_type`, is only
  // checked, and an error status is logged with `what`. Not retried after a lost
  // connection (the caller's state is restored by the reconnection itself).
  void send_detached(Frame frame, uint32_t reply_type, std::string what);
  // CLOSESESSION (waits at most 0.5 s for its answer), then stops the threads.
  void stop();

  SessionReply session() const;

 private:
  struct Slot {
    uint32_t reply_type = 0;
    uint32_t received_type = 0;
    std::optional<std::vector<uint8_t>> reply;
    bool lost = false;
    std::condition_variable ready;
  };

  Status connect_and_register();
  Status register_session(TcpSocket& socket, bool reuse_session_id);
  void receiver_loop();
  void housekeeping_loop();
  void handle_packet(const std::shared_ptr<TcpSocket>& socket, Packet packet);
  void drop_connection(const std::shared_ptr<TcpSocket>& socket, const std::string& reason);
  uint32_t take_msgid();  // with mutex_ held
  Status write_frame(const std::shared_ptr<TcpSocket>& socket, const Frame& frame);

  MasterSettings settings_;
  NotificationHandler on_notification_;
  TickHandler on_tick_;

  mutable std::mutex mutex_;  // everything below except send_mutex_
  std::condition_variable state_changed_;
  std::shared_ptr<TcpSocket> socket_;  // null while disconnected
  std::map<uint32_t, Slot*> slots_;
  struct Detached {
    uint32_t reply_type;
    std::string what;
  };
  std::map<uint32_t, Detached> detached_;  // msgid -> a reply nobody waits for
  uint32_t next_msgid_ = 1;
  SessionReply session_;
  bool have_session_ = false;
  // The master refused the last registration (a password it wants, an export gone): calls
  // fail at once, as 3.0.117's do, until a registration is accepted again.
  bool registration_refused_ = false;
  bool stopping_ = false;
  bool close_answered_ = false;

  std::mutex send_mutex_;
  std::atomic<int64_t> last_write_ms_{0};

  std::thread receiver_;
  std::thread housekeeping_;
};

}  // namespace mfs::mount
