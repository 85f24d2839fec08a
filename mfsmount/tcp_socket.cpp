#include "mfsmount/tcp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mfscommon/ip_address.h"

namespace mfs::mount {

namespace {

Status io_error(const std::string& what, int error) {
  return Status(StatusCode::kIO, what + ": " + std::strerror(error));
}

sockaddr_in make_address(uint32_t ip, uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(ip);
  address.sin_port = htons(port);
  return address;
}

}  // namespace

Result<uint32_t> resolve_ipv4(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Status(StatusCode::kEINVAL, "can't resolve '" + host + "': " + gai_strerror(rc));
  }
  uint32_t ip = ntohl(reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr.s_addr);
  freeaddrinfo(found);
  return ip;
}

TcpSocket& TcpSocket::operator=(TcpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

TcpSocket::~TcpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Result<TcpSocket> TcpSocket::connect(uint32_t ip, uint16_t port, uint32_t bind_ip,
                                     std::chrono::milliseconds timeout) {
  TcpSocket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket.is_open()) return io_error("socket", errno);
  int one = 1;
  setsockopt(socket.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (bind_ip != 0) {
    sockaddr_in local = make_address(bind_ip, 0);
    if (::bind(socket.fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      return io_error("bind to " + ip_to_string(bind_ip), errno);
    }
  }
  // Non-blocking connect, so that the deadline holds; blocking afterwards.
  int flags = fcntl(socket.fd_, F_GETFL);
  fcntl(socket.fd_, F_SETFL, flags | O_NONBLOCK);
  sockaddr_in remote = make_address(ip, port);
  std::string peer = ip_to_string(ip) + ":" + std::to_string(port);
  if (::connect(socket.fd_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) {
    if (errno != EINPROGRESS) return io_error("connect to " + peer, errno);
    pollfd waiting{socket.fd_, POLLOUT, 0};
    int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) return Status(StatusCode::kCantConnect, "connect to " + peer + ": timed out");
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(socket.fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return io_error("connect to " + peer, error);
  }
  fcntl(socket.fd_, F_SETFL, flags);
  return socket;
}

void TcpSocket::set_timeout(std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

Status TcpSocket::write_all(std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("write", n < 0 ? errno : EPIPE);
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

Status TcpSocket::read_exact(uint8_t* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::recv(fd_, out + done, size - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return Status(StatusCode::kDisconnected, "connection closed by peer");
    if (n < 0) return io_error("read", errno == EAGAIN ? ETIMEDOUT : errno);
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

Result<Packet> TcpSocket::read_packet(uint32_t max_payload) {
  uint8_t header[kPacketHeaderSize];
  if (Status s = read_exact(header, sizeof(header)); !s) return s;
  Packet packet;
  packet.type = get_u32_be(header);
  uint32_t length = get_u32_be(header + 4);
  if (length > max_payload) {
    return Status(StatusCode::kEINVAL, "packet type " + std::to_string(packet.type) + " of " +
                                           std::to_string(length) + " bytes is too long");
  }
  packet.payload.resize(length);
  if (Status s = read_exact(packet.payload.data(), length); !s) return s;
  return packet;
}

void TcpSocket::shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace mfs::mount
