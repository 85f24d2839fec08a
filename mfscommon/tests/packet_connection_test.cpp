#include "mfscommon/packet_connection.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace mfs {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct SocketPair {
  asio::io_context io;
  tcp::socket client{io};
  tcp::socket server{io};
  SocketPair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
};

TEST(PacketConnection, ReadsFramedPacket) {
  SocketPair pair;
  auto connection = std::make_shared<PacketConnection>(std::move(pair.server), ConnectionLimits{});
  auto frame = PacketWriter(42).u32(7).take();
  asio::write(pair.client, asio::buffer(frame));
  std::optional<Packet> got;
  asio::co_spawn(pair.io, [&]() -> asio::awaitable<void> { got = co_await connection->read(); }, asio::detached);
  pair.io.run();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->type, 42u);
  EXPECT_EQ(got->payload, (std::vector<uint8_t>{0, 0, 0, 7}));
}

TEST(PacketConnection, OversizedLengthClosesConnection) {
  SocketPair pair;
  auto connection = std::make_shared<PacketConnection>(std::move(pair.server), ConnectionLimits{.max_payload = 16});
  std::vector<uint8_t> header = {0, 0, 0, 1, 0, 0, 0, 17};
  asio::write(pair.client, asio::buffer(header));
  std::optional<Packet> got;
  asio::co_spawn(pair.io, [&]() -> asio::awaitable<void> { got = co_await connection->read(); }, asio::detached);
  pair.io.run();
  EXPECT_FALSE(got.has_value());
  EXPECT_FALSE(connection->is_open());
  EXPECT_NE(connection->close_reason().find("packet too long"), std::string::npos);
}

TEST(PacketConnection, ReadTimesOut) {
  SocketPair pair;
  auto connection = std::make_shared<PacketConnection>(
      std::move(pair.server), ConnectionLimits{.read_timeout = std::chrono::milliseconds(50)});
  std::optional<Packet> got;
  asio::co_spawn(pair.io, [&]() -> asio::awaitable<void> { got = co_await connection->read(); }, asio::detached);
  pair.io.run();
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(connection->close_reason(), "read timeout");
}

TEST(PacketConnection, TruncatedPayloadIsClosedByPeer) {
  SocketPair pair;
  auto connection = std::make_shared<PacketConnection>(std::move(pair.server), ConnectionLimits{});
  std::vector<uint8_t> partial = {0, 0, 0, 1, 0, 0, 0, 8, 1, 2};
  asio::write(pair.client, asio::buffer(partial));
  pair.client.close();
  std::optional<Packet> got;
  asio::co_spawn(pair.io, [&]() -> asio::awaitable<void> { got = co_await connection->read(); }, asio::detached);
  pair.io.run();
  EXPECT_FALSE(got.has_value());
}

TEST(PacketConnection, SendsQueuedFramesInOrder) {
  SocketPair pair;
  auto connection = std::make_shared<PacketConnection>(std::move(pair.server), ConnectionLimits{});
  connection->send(PacketWriter(1).u8(1).take());
  connection->send(PacketWriter(2).u8(2).take());
  connection->close_after_flush();
  pair.io.run();
  std::vector<uint8_t> received(18);
  boost::asio::read(pair.client, asio::buffer(received));
  EXPECT_EQ(received, (std::vector<uint8_t>{0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 2, 0, 0, 0, 1, 2}));
  EXPECT_FALSE(connection->is_open());
}

}  // namespace
}  // namespace mfs
