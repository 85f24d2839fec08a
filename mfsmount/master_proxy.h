// The mount's local master proxy (spec 11 §2.5): the real mfstools read `.masterinfo`,
// connect here, register (answered locally) and send their requests, which are forwarded
// on the mount's own master session; the master's replies go back with the tool's msgid.
#pragma once
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mfscommon/status.h"
#include "mfsmount/master_connection.h"
#include "mfsmount/tcp_socket.h"

namespace mfs::mount {

class MasterProxy {
 public:
  explicit MasterProxy(MasterConnection& master) : master_(master) {}
  ~MasterProxy() { stop(); }
  MasterProxy(const MasterProxy&) = delete;
  MasterProxy& operator=(const MasterProxy&) = delete;

  // Listens on ip:0 (the OS picks the port) and serves tools in threads.
  Status start(uint32_t ip);
  void stop();
  uint32_t ip() const { return ip_; }
  uint16_t port() const { return port_; }

 private:
  // One tool connection and the thread serving it.
  struct Worker {
    std::shared_ptr<TcpSocket> tool;
    std::shared_ptr<std::atomic<bool>> done;
    std::thread thread;
  };

  void accept_loop();
  void serve(TcpSocket& tool);

  MasterConnection& master_;
  uint32_t ip_ = 0;
  uint16_t port_ = 0;
  int listener_ = -1;
  std::thread acceptor_;
  std::mutex mutex_;
  bool stopping_ = false;
  std::list<Worker> workers_;
};

}  // namespace mfs::mount
