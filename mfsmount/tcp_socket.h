// Blocking TCP sockets with deadlines for the client: FUSE worker threads block anyway
// (ADR 0004), so a connect, a write or a packet read is one plain call with a timeout.
#pragma once
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "mfscommon/packet.h"
#include "mfscommon/status.h"

namespace mfs::mount {

// The IPv4 address of `host` (a name or a dotted quad) as a MooseFS u32.
Result<uint32_t> resolve_ipv4(const std::string& host);

class TcpSocket {
 public:
  TcpSocket() = default;
  explicit TcpSocket(int fd) : fd_(fd) {}
  TcpSocket(TcpSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  TcpSocket& operator=(TcpSocket&& other) noexcept;
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;
  ~TcpSocket();

  // Connects to ip:port within `timeout`, from `bind_ip` when it is not 0; TCP_NODELAY.
  static Result<TcpSocket> connect(uint32_t ip, uint16_t port, uint32_t bind_ip,
                                   std::chrono::milliseconds timeout);

  // Send and receive timeouts of every later call (SO_SNDTIMEO / SO_RCVTIMEO).
  void set_timeout(std::chrono::milliseconds timeout);
  Status write_all(std::span<const uint8_t> data);
  // One whole packet; a payload longer than `max_payload` is an error (the caller closes).
  Result<Packet> read_packet(uint32_t max_payload);
  // Wakes a thread blocked in read_packet on this socket (it then fails).
  void shutdown();
  bool is_open() const { return fd_ >= 0; }

 private:
  Status read_exact(uint8_t* out, size_t size);
  int fd_ = -1;
};

}  // namespace mfs::mount
