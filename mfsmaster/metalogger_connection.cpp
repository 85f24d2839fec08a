#include "mfsmaster/metalogger_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "mfscommon/keep_alive.h"
#include "mfscommon/log.h"
#include "mfscommon/packet_connection.h"

namespace mfs::master {

namespace asio = boost::asio;

namespace {

constexpr uint16_t kInitialTimeout = 10;
// A download queues a block per request; the change stream to a slow metalogger may queue
// more, until its timeout ends the connection.
constexpr size_t kMaxQueuedOutput = 256u << 20;

class ConnectionLink : public MetaloggerLink {
 public:
  explicit ConnectionLink(std::shared_ptr<PacketConnection> connection) : connection_(std::move(connection)) {}
  void send(std::vector<uint8_t> frame) override { connection_->send(std::move(frame)); }
  uint32_t peer_ip() const override { return connection_->peer_ip(); }
  void set_timeout(uint16_t seconds) override {
    connection_->set_limits({mlmsg::kMaxPayload, std::chrono::seconds(seconds), kMaxQueuedOutput});
  }

 private:
  std::shared_ptr<PacketConnection> connection_;
};

}  // namespace

asio::awaitable<void> serve_metalogger(asio::ip::tcp::socket socket, MetaloggerServices& services) {
  auto connection = std::make_shared<PacketConnection>(
      std::move(socket),
      ConnectionLimits{mlmsg::kMaxPayload, std::chrono::seconds(kInitialTimeout), kMaxQueuedOutput});
  auto link = std::make_shared<ConnectionLink>(connection);
  MetaloggerProtocol protocol(services, link);
  bool keeping_alive = false;
  while (connection->is_open()) {
    std::optional<Packet> packet = co_await connection->read();
    if (!packet) {
      MFS_LOG_NOTICE("metalogger %s: connection lost (%s)", connection->peer_name().c_str(),
                     connection->close_reason().c_str());
      break;
    }
    if (!protocol.handle(*packet)) {
      MFS_LOG_WARNING("metalogger %s: %s - closing connection", connection->peer_name().c_str(),
                      protocol.error().c_str());
      connection->close("protocol error");
      break;
    }
    // As 3.0.117: NOPs go only to a connection that said what it is.
    if (protocol.registered() && !keeping_alive) {
      keeping_alive = true;
      asio::co_spawn(co_await asio::this_coro::executor, keep_alive(connection),
                     asio::detached);
    }
    co_await connection->wait_writable();
  }
  protocol.disconnected();
}

}  // namespace mfs::master
