#include "mfscommon/packet_connection.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <thread>

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
  asio::co_spawn(
      pair.io,
      [&]() -> asio::awaitable<void> {
        got = co_await connection->read();
        connection->close();  // stops the read deadline, which would keep run() going
      },
      asio::detached);
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


TEST(PacketConnection, ReadsPacketsThatShareSegmentsAndBigPayloadsInPieces) {
  SocketPair pair;
  auto connection = std::make_shared<PacketConnection>(std::move(pair.server), ConnectionLimits{.max_payload = 1 << 20});
  std::vector<uint8_t> big(300000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  std::vector<uint8_t> stream = PacketWriter(1).u8(1).take();
  for (uint8_t byte : PacketWriter(2).bytes(big).take()) stream.push_back(byte);
  for (uint8_t byte : PacketWriter(3).take()) stream.push_back(byte);
  std::vector<Packet> got;
  asio::co_spawn(
      pair.io,
      [&]() -> asio::awaitable<void> {
        while (got.size() < 3) {
          std::optional<Packet> packet = co_await connection->read();
          if (!packet) break;
          got.push_back(std::move(*packet));
        }
        connection->close();
      },
      asio::detached);
  // Written in uneven pieces while the reader runs: headers and payloads split anywhere.
  std::thread writer([&] {
    for (size_t at = 0; at < stream.size();) {
      size_t piece = std::min<size_t>(stream.size() - at, at % 3 == 0 ? 5 : 70001);
      asio::write(pair.client, asio::buffer(stream.data() + at, piece));
      at += piece;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  pair.io.run();
  writer.join();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, 1u);
  EXPECT_EQ(got[0].payload, (std::vector<uint8_t>{1}));
  EXPECT_EQ(got[1].type, 2u);
  EXPECT_EQ(got[1].payload, big);
  EXPECT_EQ(got[2].type, 3u);
  EXPECT_TRUE(got[2].payload.empty());
}

TEST(PacketConnection, TheTimeoutCountsFromTheStartOfEachRead) {
  SocketPair pair;
  auto connection = std::make_shared<PacketConnection>(
      std::move(pair.server), ConnectionLimits{.read_timeout = std::chrono::milliseconds(300)});
  int packets = 0;
  asio::co_spawn(
      pair.io,
      [&]() -> asio::awaitable<void> {
        while (co_await connection->read()) ++packets;
      },
      asio::detached);
  // Each packet comes 200 ms after the previous one: later than the first read's deadline
  // for the second packet, but within each read's own.
  std::thread writer([&] {
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      boost::system::error_code ec;  // a reader that timed out early has closed
      asio::write(pair.client, asio::buffer(PacketWriter(1).take()), ec);
    }
  });
  pair.io.run();
  writer.join();
  EXPECT_EQ(packets, 3);
  EXPECT_EQ(connection->close_reason(), "read timeout");
}

TEST(PacketConnection, CorkedFramesGoOutTogetherAtUncork) {
  SocketPair pair;
  auto connection = std::make_shared<PacketConnection>(std::move(pair.server), ConnectionLimits{});
  connection->cork();
  connection->send(PacketWriter(1).u8(1).take());
  connection->send(PacketWriter(2).u8(2).take());
  connection->close_after_flush();
  pair.io.poll();
  uint8_t byte;
  EXPECT_EQ(::recv(pair.client.native_handle(), &byte, 1, MSG_DONTWAIT), -1) << "written while corked";
  EXPECT_TRUE(connection->is_open());
  connection->uncork();
  EXPECT_FALSE(connection->is_open()) << "closed once the queue was written";
  std::vector<uint8_t> received(18);
  boost::asio::read(pair.client, asio::buffer(received));
  EXPECT_EQ(received, (std::vector<uint8_t>{0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 2, 0, 0, 0, 1, 2}));
}

TEST(PacketConnection, UncorkLeavesWhatTheSocketDoesNotTakeToTheWriteLoop) {
  SocketPair pair;
  auto connection = std::make_shared<PacketConnection>(std::move(pair.server), ConnectionLimits{});
  std::vector<uint8_t> big(32 << 20, 0x5a);
  connection->cork();
  connection->send(PacketWriter(1).bytes(big).take());
  connection->send(PacketWriter(2).u8(2).take());
  connection->uncork();
  EXPECT_GT(connection->queued_bytes(), 0u) << "32 MiB fit in the socket buffers at once";
  connection->close_after_flush();
  std::vector<uint8_t> received(8 + big.size() + 9);
  std::thread reader([&] { boost::asio::read(pair.client, asio::buffer(received)); });
  pair.io.run();
  reader.join();
  EXPECT_EQ(received[3], 1);
  EXPECT_TRUE(std::equal(big.begin(), big.end(), received.begin() + 8));
  EXPECT_EQ(received.back(), 2);
  EXPECT_EQ(connection->queued_bytes(), 0u);
}

}  // namespace
}  // namespace mfs
