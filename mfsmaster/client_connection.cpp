#include "mfsmaster/client_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"

namespace mfs::master {

namespace asio = boost::asio;

namespace {

constexpr uint32_t kMaxClientPacket = 50000000;
constexpr auto kClientReadTimeout = std::chrono::seconds(10);
constexpr auto kKeepAliveInterval = std::chrono::seconds(1);

class ConnectionLink : public ClientLink {
 public:
  explicit ConnectionLink(std::shared_ptr<PacketConnection> connection) : connection_(std::move(connection)) {}
  void send(std::vector<uint8_t> frame) override { connection_->send(std::move(frame)); }
  void close_after_flush() override { connection_->close_after_flush(); }
  uint32_t peer_ip() const override { return connection_->peer_ip(); }

 private:
  std::shared_ptr<PacketConnection> connection_;
};

// A NOP with msgid 0 whenever nothing was written for a second (not to old-style tools).
asio::awaitable<void> keep_alive(std::shared_ptr<PacketConnection> connection,
                                 std::shared_ptr<ClientProtocol> protocol) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (connection->is_open()) {
    timer.expires_after(kKeepAliveInterval);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!connection->is_open()) break;
    bool idle = std::chrono::steady_clock::now() - connection->last_write() >= kKeepAliveInterval;
    if (idle && protocol->state() != ClientProtocol::State::kOldTools && connection->queued_bytes() == 0) {
      connection->send(PacketWriter(msg::ANTOAN_NOP, 4).u32(0).take());
    }
  }
}

}  // namespace

asio::awaitable<void> serve_client(asio::ip::tcp::socket socket, ClientServices& services) {
  auto connection = std::make_shared<PacketConnection>(
      std::move(socket), ConnectionLimits{kMaxClientPacket, kClientReadTimeout, 64u << 20});
  auto protocol = std::make_shared<ClientProtocol>(services, std::make_shared<ConnectionLink>(connection));
  asio::co_spawn(co_await asio::this_coro::executor, keep_alive(connection, protocol), asio::detached);
  while (connection->is_open()) {
    std::optional<Packet> packet = co_await connection->read();
    if (!packet) {
      // The one line for a length beyond the limit too: the reader closes for it.
      MFS_LOG_INFO("client %s: connection lost (%s)", connection->peer_name().c_str(),
                   connection->close_reason().c_str());
      break;
    }
    // Replies sent while handling go out together in one write when it is done.
    connection->cork();
    bool handled = protocol->handle(*packet);
    connection->uncork();
    if (!handled) {
      MFS_LOG_WARNING("client %s: %s - closing connection", connection->peer_name().c_str(), protocol->error().c_str());
      connection->close("protocol error");
      break;
    }
    co_await connection->wait_writable();
  }
  protocol->disconnected();
}

}  // namespace mfs::master
