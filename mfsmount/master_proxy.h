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
#include <string_view>
#include <thread>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmount/master_connection.h"
#include "mfsmount/tcp_socket.h"

namespace mfs::mount {

// `.masterinfo` (spec 10 §13): a read-only file in every folder of the mount whose 14 bytes
// tell the tools where the proxy listens.
inline constexpr uint32_t kMasterInfoInode = 0x7FFFFFFF;
inline constexpr std::string_view kMasterInfoName = ".masterinfo";
inline constexpr uint64_t kMasterInfoSize = 14;

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
  // The content of `.masterinfo`: `ip:u32 port:u16 sessionid:u32 masterversion:u32`.
  std::vector<uint8_t> master_info() const;

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
