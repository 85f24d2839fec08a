// Reads and writes against a scripted fake chunkserver on 127.0.0.1: good answers work,
// hostile ones (bad CRC, data out of place, statuses out of order, garbage) fail cleanly.
#include "mfsmount/chunkserver_io.h"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "mfsmount/tests/localhost_listener.h"
#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/crc32.h"

namespace mfs::mount {
namespace {

using testing::kLocalhost;
constexpr uint64_t kChunk = 0x1234;

class FakeChunkserver {
 public:
  explicit FakeChunkserver(std::function<void(TcpSocket&)> script) {
    thread_ = std::thread([this, script] {
      TcpSocket peer(listener_.accept());
      peer.set_timeout(std::chrono::milliseconds(5000));
      script(peer);
    });
  }
  ~FakeChunkserver() {
    thread_.join();
  }
  ChunkCopy copy() const { return ChunkCopy{kLocalhost, listener_.port(), 0}; }

 private:
  testing::LocalhostListener listener_;
  std::thread thread_;
};

std::vector<uint8_t> pattern(size_t size) {
  std::vector<uint8_t> data(size);
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 7);
  return data;
}

void send(TcpSocket& socket, const std::vector<uint8_t>& frame) { ASSERT_TRUE(socket.write_all(frame)); }

csdata::ReadData read_data(uint16_t block, uint16_t offset, std::span<const uint8_t> data) {
  csdata::ReadData message;
  message.chunkid = kChunk;
  message.blocknum = block;
  message.offset = offset;
  message.crc = crc32(data);
  message.data = data;
  return message;
}

TEST(ChunkserverIo, ReadAcrossBlocks) {
  std::vector<uint8_t> data = pattern(70000);
  FakeChunkserver server([&](TcpSocket& peer) {
    ASSERT_TRUE(peer.read_packet(100));
    send(peer, encode(csdata::ReadData(read_data(0, 50, std::span(data).subspan(0, 65486)))));
    send(peer, encode(csdata::ReadData(read_data(1, 0, std::span(data).subspan(65486)))));
    send(peer, encode(csdata::ReadStatus{kChunk, StatusCode::kOk}));
  });
  ChunkserverPool pool(0);
  std::vector<uint8_t> out(data.size());
  Status status = read_from_copy(pool, server.copy(), kChunk, 1, 50, out);
  EXPECT_TRUE(status) << status.to_string();
  EXPECT_EQ(out, data);
}

void expect_read_fails(const std::function<void(TcpSocket&, std::span<const uint8_t>)>& script) {
  std::vector<uint8_t> data = pattern(100);
  FakeChunkserver server([&](TcpSocket& peer) {
    ASSERT_TRUE(peer.read_packet(100));
    script(peer, data);
  });
  ChunkserverPool pool(0);
  std::vector<uint8_t> out(data.size());
  EXPECT_FALSE(read_from_copy(pool, server.copy(), kChunk, 1, 0, out));
}

TEST(ChunkserverIo, ReadRejectsBadCrc) {
  expect_read_fails([](TcpSocket& peer, std::span<const uint8_t> data) {
    csdata::ReadData message = read_data(0, 0, data);
    message.crc ^= 1;
    send(peer, encode(message));
    send(peer, encode(csdata::ReadStatus{kChunk, StatusCode::kOk}));
  });
}

TEST(ChunkserverIo, ReadRejectsDataOutOfPlace) {
  expect_read_fails([](TcpSocket& peer, std::span<const uint8_t> data) {
    send(peer, encode(read_data(0, 1, data)));  // starts one byte late
    send(peer, encode(csdata::ReadStatus{kChunk, StatusCode::kOk}));
  });
}

TEST(ChunkserverIo, ReadRejectsTooMuchData) {
  expect_read_fails([](TcpSocket& peer, std::span<const uint8_t> data) {
    std::vector<uint8_t> more(data.begin(), data.end());
    more.push_back(0);
    send(peer, encode(read_data(0, 0, more)));
  });
}

TEST(ChunkserverIo, ReadRejectsEarlyOkAndErrors) {
  expect_read_fails([](TcpSocket& peer, std::span<const uint8_t> data) {
    send(peer, encode(read_data(0, 0, data.subspan(0, 10))));
    send(peer, encode(csdata::ReadStatus{kChunk, StatusCode::kOk}));
  });
  expect_read_fails([](TcpSocket& peer, std::span<const uint8_t>) {
    send(peer, encode(csdata::ReadStatus{kChunk, StatusCode::kWrongVersion}));
  });
  expect_read_fails([](TcpSocket& peer, std::span<const uint8_t>) {
    send(peer, PacketWriter(9999).u32(1).take());  // an unknown packet
  });
  expect_read_fails([](TcpSocket& peer, std::span<const uint8_t>) {
    send(peer, PacketWriter(csdata::ReadData::kType).u32(0xFFFFFFFF).take());  // a cut data packet
  });
  expect_read_fails([](TcpSocket&, std::span<const uint8_t>) {});  // hang-up
}

ChunkLocation location_of(const FakeChunkserver& server) {
  return ChunkLocation{0, kChunk, 1, {server.copy()}};
}

// The data follows the init without waiting for its status: this chunkserver answers
// nothing before it has every packet.
TEST(ChunkserverIo, WriteTransaction) {
  std::vector<uint8_t> data = pattern(100);
  std::vector<BlockPiece> pieces = {{0, std::span(data).subspan(0, 50)}, {65536, std::span(data).subspan(50)}};
  FakeChunkserver server([&](TcpSocket& peer) {
    auto init = peer.read_packet(100000);
    ASSERT_TRUE(init);
    EXPECT_EQ(init->type, csdata::WriteInit::kType);
    for (uint32_t writeid = 1; writeid <= 2; ++writeid) {
      auto packet = peer.read_packet(100000);
      ASSERT_TRUE(packet);
      auto message = csdata::decode_to_chunkserver(*packet);
      ASSERT_TRUE(message);
      auto& write = std::get<csdata::WriteData>(*message);
      EXPECT_EQ(write.writeid, writeid);
      EXPECT_EQ(write.crc, crc32(write.data));
      EXPECT_EQ(write.blocknum, writeid == 1 ? 0 : 1);
    }
    for (uint32_t writeid = 0; writeid <= 2; ++writeid) {
      send(peer, encode(csdata::WriteStatus{kChunk, writeid, StatusCode::kOk}));
    }
    auto finish = peer.read_packet(100);
    ASSERT_TRUE(finish);
    EXPECT_EQ(finish->type, csdata::WriteFinish::kType);
  });
  ChunkserverPool pool(0);
  Status status = write_to_chain(pool, location_of(server), pieces);
  EXPECT_TRUE(status) << status.to_string();
}

TEST(ChunkserverIo, WriteRejectsStatusesOutOfOrderAndErrors) {
  std::vector<uint8_t> data = pattern(10);
  std::vector<BlockPiece> pieces = {{0, data}};
  for (auto bad_status : {csdata::WriteStatus{kChunk, 7, StatusCode::kOk}, csdata::WriteStatus{kChunk + 1, 1, StatusCode::kOk},
                          csdata::WriteStatus{kChunk, 1, StatusCode::kCRC}}) {
    FakeChunkserver server([&](TcpSocket& peer) {
      ASSERT_TRUE(peer.read_packet(100000));
      send(peer, encode(csdata::WriteStatus{kChunk, 0, StatusCode::kOk}));
      ASSERT_TRUE(peer.read_packet(100000));
      send(peer, encode(bad_status));
    });
    ChunkserverPool pool(0);
    EXPECT_FALSE(write_to_chain(pool, location_of(server), pieces));
  }
}

TEST(ChunkserverIo, WriteInitRefused) {
  std::vector<uint8_t> data = pattern(10);
  std::vector<BlockPiece> pieces = {{0, data}};
  FakeChunkserver server([&](TcpSocket& peer) {
    ASSERT_TRUE(peer.read_packet(100000));
    send(peer, encode(csdata::WriteStatus{kChunk, 0, StatusCode::kWrongVersion}));
  });
  ChunkserverPool pool(0);
  Status status = write_to_chain(pool, location_of(server), pieces);
  EXPECT_EQ(status.code(), StatusCode::kWrongVersion);
}

TEST(ChunkserverIo, WriteWithoutCopies) {
  ChunkserverPool pool(0);
  EXPECT_EQ(write_to_chain(pool, ChunkLocation{}, {}).code(), StatusCode::kNoChunkServers);
}

}  // namespace
}  // namespace mfs::mount
