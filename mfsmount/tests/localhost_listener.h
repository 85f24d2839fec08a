// A listening TCP socket on 127.0.0.1 with a port chosen by the OS, for the fake peers
// (master, chunkserver) of the client's tests.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace mfs::mount::testing {

inline constexpr uint32_t kLocalhost = 0x7F000001;

class LocalhostListener {
 public:
  LocalhostListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(kLocalhost);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    ::listen(fd_, 4);
  }
  ~LocalhostListener() { ::close(fd_); }
  LocalhostListener(const LocalhostListener&) = delete;
  LocalhostListener& operator=(const LocalhostListener&) = delete;

  int accept() { return ::accept(fd_, nullptr, nullptr); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace mfs::mount::testing
