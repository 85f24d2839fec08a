#include "mfscommon/outgoing_connection.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mfscommon/ip_address.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/tcp_listener.h"

namespace mfs {

namespace asio = boost::asio;
using asio::ip::tcp;

Result<uint32_t> bind_address(const std::string& bind_host) {
  if (bind_host.empty() || bind_host == "*") return uint32_t{0};
  auto bind = listen_endpoint(bind_host, 0);
  if (!bind) return bind.status();
  return bind->address().to_v4().to_uint();
}

asio::awaitable<Result<std::shared_ptr<PacketConnection>>> connect_with_retries(
    uint32_t ip, uint16_t port, std::span<const std::chrono::milliseconds> attempts, ConnectionLimits limits,
    uint32_t bind_ip) {
  auto executor = co_await asio::this_coro::executor;
  tcp::endpoint endpoint(asio::ip::address_v4(ip), port);
  std::string last_error = "no attempt";
  for (std::chrono::milliseconds timeout : attempts) {
    // Shared with the deadline's handler, which may run after this iteration: it closes
    // the socket, which fails the pending connect.
    struct Attempt {
      explicit Attempt(const asio::any_io_executor& executor) : socket(executor) {}
      tcp::socket socket;
      bool timed_out = false;
    };
    auto attempt = std::make_shared<Attempt>(executor);
    asio::steady_timer deadline(executor, timeout);
    deadline.async_wait([attempt](boost::system::error_code ec) {
      if (!ec && attempt->socket.is_open()) {
        attempt->timed_out = true;
        boost::system::error_code ignored;
        attempt->socket.close(ignored);
      }
    });
    boost::system::error_code ec;
    if (bind_ip != 0) {
      attempt->socket.open(tcp::v4(), ec);
      if (!ec) attempt->socket.bind(tcp::endpoint(asio::ip::address_v4(bind_ip), 0), ec);
      if (ec) co_return Status(StatusCode::kCantConnect, "can't bind to " + ip_to_string(bind_ip) + ": " + ec.message());
    }
    co_await attempt->socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    deadline.cancel();
    if (!ec && !attempt->timed_out) {
      co_return std::make_shared<PacketConnection>(std::move(attempt->socket), limits);
    }
    last_error = attempt->timed_out ? "timeout" : ec.message();
  }
  co_return Status(StatusCode::kCantConnect,
                   "can't connect to " + ip_to_string(ip) + ":" + std::to_string(port) + ": " + last_error);
}

asio::awaitable<std::optional<Packet>> read_skipping_nops(PacketConnection& connection) {
  while (true) {
    std::optional<Packet> packet = co_await connection.read();
    if (!packet || packet->type != msg::ANTOAN_NOP) co_return packet;
  }
}

}  // namespace mfs
