#include "mfschunkserver/chain_connections.h"

#include <sys/socket.h>

#include <cerrno>

#include "mfscommon/outgoing_connection.h"

namespace mfs::cs {

namespace asio = boost::asio;

namespace {

// The data port closes a connection after 5 s without a packet (spec 20 §3.1): an idle
// connection is reused well before that, so the peer does not close it under our feet.
constexpr std::chrono::seconds kMaxIdle{3};
// Idle connections kept per peer (each holds a descriptor on both sides).
constexpr size_t kMaxIdlePerPeer = 8;

// False when the peer has closed the connection (or sent something unexpected, which a
// later read would reject anyway); a pending NOP is fine.
bool still_open(PacketConnection& connection) {
  if (!connection.is_open()) return false;
  uint8_t byte;
  ssize_t got = ::recv(connection.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
  return got > 0 && byte == 0;  // a NOP starts with a zero byte (type 0)
}

}  // namespace

asio::awaitable<Result<ChainConnections::Opened>> ChainConnections::open(
    uint32_t ip, uint16_t port, std::span<const std::chrono::milliseconds> attempts, ConnectionLimits limits,
    bool reuse_idle) {
  expire(std::chrono::steady_clock::now());
  auto found = idle_.find({ip, port});
  if (reuse_idle && found != idle_.end()) {
    std::shared_ptr<PacketConnection> connection = std::move(found->second.back().connection);
    found->second.pop_back();
    if (found->second.empty()) idle_.erase(found);
    connection->set_limits(limits);
    co_return Opened{std::move(connection), true};
  }
  auto connected = co_await connect_with_retries(ip, port, attempts, limits);
  if (!connected) co_return connected.status();
  co_return Opened{std::move(*connected), false};
}

void ChainConnections::give_back(uint32_t ip, uint16_t port, std::shared_ptr<PacketConnection> connection) {
  auto now = std::chrono::steady_clock::now();
  expire(now);
  std::vector<Idle>& idle = idle_[{ip, port}];
  if (idle.size() >= kMaxIdlePerPeer) {
    connection->close_after_flush();
    return;
  }
  idle.push_back({std::move(connection), now});
}

void ChainConnections::expire(std::chrono::steady_clock::time_point now) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    std::erase_if(it->second, [&](Idle& entry) {
      if (now - entry.since < kMaxIdle && still_open(*entry.connection)) return false;
      entry.connection->close_after_flush();
      return true;
    });
    it = it->second.empty() ? idle_.erase(it) : std::next(it);
  }
}

}  // namespace mfs::cs
