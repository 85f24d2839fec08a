#include "mfsmaster/chunkserver_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/keep_alive.h"
#include "mfscommon/log.h"
#include "mfscommon/packet_connection.h"

namespace mfs::master {

namespace asio = boost::asio;

namespace {

constexpr uint32_t kMaxChunkserverPacket = 500000000;
constexpr uint16_t kInitialTimeout = 10;

class ConnectionLink : public ChunkserverLink {
 public:
  explicit ConnectionLink(std::shared_ptr<PacketConnection> connection) : connection_(std::move(connection)) {}
  void send(std::vector<uint8_t> frame) override { connection_->send(std::move(frame)); }
  uint32_t peer_ip() const override { return connection_->peer_ip(); }
  void set_timeout(uint16_t seconds) override {
    connection_->set_limits({kMaxChunkserverPacket, std::chrono::seconds(seconds), 256u << 20});
  }

 private:
  std::shared_ptr<PacketConnection> connection_;
};

}  // namespace

asio::awaitable<void> serve_chunkserver(asio::ip::tcp::socket socket, ChunkserverServices& services) {
  auto connection = std::make_shared<PacketConnection>(
      std::move(socket), ConnectionLimits{kMaxChunkserverPacket, std::chrono::seconds(kInitialTimeout), 256u << 20});
  auto link = std::make_shared<ConnectionLink>(connection);
  ChunkserverProtocol protocol(services, link);
  asio::co_spawn(co_await asio::this_coro::executor, keep_alive(connection), asio::detached);
  while (connection->is_open()) {
    std::optional<Packet> packet = co_await connection->read();
    if (!packet) {
      MFS_LOG_NOTICE("chunkserver %s: connection lost (%s)", connection->peer_name().c_str(),
                     connection->close_reason().c_str());
      break;
    }
    if (!protocol.handle(*packet)) {
      MFS_LOG_WARNING("chunkserver %s: %s - closing connection", connection->peer_name().c_str(),
                      protocol.error().c_str());
      connection->close("protocol error");
      break;
    }
    if (protocol.wants_close()) {
      connection->close_after_flush();
      break;
    }
  }
  protocol.disconnected();
}

}  // namespace mfs::master
