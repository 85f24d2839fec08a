// The data port against a client written from spec 20 §3: reads, writes and hostile input.
#include "mfschunkserver/data_connection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "mfscommon/crc32.h"
#include "mfscommon/outgoing_connection.h"
#include "mfscommon/tcp_listener.h"

namespace mfs::cs {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class NoReports : public ChunkReports {
 public:
  void chunk_lost(uint64_t) override {}
  void chunk_damaged(uint64_t) override {}
};

class DataConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("data_connection_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::vector<std::unique_ptr<Disk>> disks;
    disks.push_back(std::make_unique<Disk>(DiskConfig{dir_.string() + "/", false, std::nullopt, std::nullopt}, 0));
    ASSERT_TRUE(disks.back()->open());
    store_ = std::make_unique<ChunkStore>(std::move(disks), pool_, reports_, false);
    services_ = std::make_unique<DataServices>(DataServices{
        *store_, [this]() -> const ConfigFile& { return config_; }, [] { return csdata::ModuleInfo{}; }});
    listener_ = std::make_unique<TcpListener>(io_, "test", [this](asio::ip::tcp::socket socket) {
      ++accepted_;
      return serve_data_connection(std::move(socket), *services_);
    });
    ASSERT_TRUE(listener_->listen("127.0.0.1", 0));
    port_ = static_cast<uint16_t>(std::stoi(listener_->address().substr(listener_->address().find(':') + 1)));
    config_.set("LABELS", "A,B");
  }
  void TearDown() override {
    listener_.reset();
    fs::remove_all(dir_);
  }

  // Runs `body` with a connection to the data port until it returns.
  void talk(std::function<asio::awaitable<void>(PacketConnection&)> body) {
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          std::array<std::chrono::milliseconds, 1> attempts = {1000ms};
          auto connection = co_await connect_with_retries(0x7F000001, port_, attempts,
                                                          ConnectionLimits{200000, 5s, 1u << 20});
          EXPECT_TRUE(connection);
          if (connection) co_await body(**connection);
          done = true;
        },
        asio::detached);
    io_.restart();
    while (!done) io_.run_one_for(10s);
  }

  // Chunk `chunkid` (version 1) with `blocks` whole blocks of `fill`.
  asio::awaitable<void> create_chunk(uint64_t chunkid, uint16_t blocks, uint8_t fill) {
    Status created = co_await store_->create(chunkid, 1);
    EXPECT_TRUE(created);
    std::vector<uint8_t> data(kBlockSize, fill);
    auto chunk = co_await store_->open(chunkid, 1);
    for (uint16_t block = 0; block < blocks; ++block) {
      Status written = co_await store_->write(*chunk, block, 0, data, crc32(data));
      EXPECT_TRUE(written);
    }
  }

  // Changes the byte at `offset` of chunk `chunkid`'s data behind the store's back.
  void corrupt(uint64_t chunkid, uint32_t offset) {
    char folder[3];
    std::snprintf(folder, sizeof folder, "%02X", static_cast<unsigned>(chunkid & 0xFF));
    std::fstream file(dir_ / folder / chunk_file_name(chunkid, 1), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(kHeaderSize + kCrcTableSize + offset);
    char byte = static_cast<char>(file.get());
    file.seekp(kHeaderSize + kCrcTableSize + offset);
    file.put(static_cast<char>(byte ^ 1));
  }

  static asio::awaitable<Packet> next(PacketConnection& connection) {
    std::optional<Packet> packet = co_await read_skipping_nops(connection);
    EXPECT_TRUE(packet) << connection.close_reason();
    co_return packet.value_or(Packet{});
  }

  fs::path dir_;
  asio::io_context io_;
  BlockingPool pool_{2};
  NoReports reports_;
  ConfigFile config_;
  std::unique_ptr<ChunkStore> store_;
  std::unique_ptr<DataServices> services_;
  std::unique_ptr<TcpListener> listener_;
  uint16_t port_ = 0;
  int accepted_ = 0;
};

// Port of a listener on 127.0.0.1 (bound to port 0).
uint16_t port_of(const TcpListener& listener) {
  return static_cast<uint16_t>(std::stoi(listener.address().substr(listener.address().find(':') + 1)));
}

// A next chunkserver of a chain that answers OK to one transaction per connection and
// then hangs up, as one whose idle timeout struck would.
asio::awaitable<void> one_transaction_then_hang_up(asio::ip::tcp::socket socket) {
  auto connection = std::make_shared<PacketConnection>(std::move(socket), ConnectionLimits{200000, 5s, 1u << 20});
  while (std::optional<Packet> packet = co_await connection->read()) {
    auto message = csdata::decode_to_chunkserver(*packet);
    if (!message) break;
    if (auto* init = std::get_if<csdata::WriteInit>(&*message)) {
      connection->send(csdata::encode(csdata::WriteStatus{init->chunkid, 0, StatusCode::kOk}));
    } else if (auto* data = std::get_if<csdata::WriteData>(&*message)) {
      connection->send(csdata::encode(csdata::WriteStatus{data->chunkid, data->writeid, StatusCode::kOk}));
    } else if (std::holds_alternative<csdata::WriteFinish>(*message)) {
      break;
    }
  }
  connection->close();
}

// Writes 4 KiB into block 0 of `chunkid` (version 1) through `chain`; every status must be OK.
asio::awaitable<void> write_through_chain(PacketConnection& c, uint64_t chunkid,
                                          const std::vector<csdata::ChainAddress>& chain, uint8_t fill) {
  std::vector<uint8_t> data(4096, fill);
  c.send(csdata::encode(csdata::WriteInit{1, chunkid, 1, chain}));
  c.send(csdata::encode(csdata::WriteData{chunkid, 1, 0, 0, crc32(data), data}));
  for (uint32_t writeid = 0; writeid <= 1; ++writeid) {
    std::optional<Packet> packet = co_await read_skipping_nops(c);
    EXPECT_TRUE(packet) << c.close_reason();
    if (!packet) co_return;
    EXPECT_EQ(std::get<csdata::WriteStatus>(csdata::decode_from_chunkserver(*packet).value()),
              (csdata::WriteStatus{chunkid, writeid, StatusCode::kOk}));
  }
  c.send(csdata::encode(csdata::WriteFinish{chunkid, 1}));
}

TEST_F(DataConnectionTest, WriteThenReadAcrossBlocks) {
  talk([&](PacketConnection& c) -> asio::awaitable<void> {
    Status created = co_await store_->create(1, 1);
    EXPECT_TRUE(created);
    c.send(csdata::encode(csdata::WriteInit{1, 1, 1, {}}));
    Packet init = co_await next(c);
    EXPECT_EQ(std::get<csdata::WriteStatus>(csdata::decode_from_chunkserver(init).value()),
              (csdata::WriteStatus{1, 0, StatusCode::kOk}));
    std::vector<uint8_t> data(70000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
    std::span<const uint8_t> first(data.data(), 65536 - 50), second(data.data() + 65536 - 50, 70000 - 65486);
    c.send(csdata::encode(csdata::WriteData{1, 1, 0, 50, crc32(first), first}));
    c.send(csdata::encode(csdata::WriteData{1, 2, 1, 0, crc32(second), second}));
    for (uint32_t writeid = 1; writeid <= 2; ++writeid) {
      Packet packet = co_await next(c);
      auto status = std::get<csdata::WriteStatus>(csdata::decode_from_chunkserver(packet).value());
      EXPECT_EQ(status, (csdata::WriteStatus{1, writeid, StatusCode::kOk}));
    }
    c.send(csdata::encode(csdata::WriteFinish{1, 1}));
    // spec 20 §3.2 example: offset 50, size 70000 -> 65486 bytes of block 0, 4514 of block 1.
    c.send(csdata::encode(csdata::ReadRequest{1, 1, 1, 50, 70000}));
    Packet p0 = co_await next(c);
    auto d0 = std::get<csdata::ReadData>(csdata::decode_from_chunkserver(p0).value());
    EXPECT_EQ(d0.offset, 50);
    EXPECT_EQ(d0.data.size(), 65486u);
    EXPECT_EQ(d0.crc, crc32(d0.data));
    EXPECT_TRUE(std::equal(d0.data.begin(), d0.data.end(), data.begin()));
    Packet p1 = co_await next(c);
    auto d1 = std::get<csdata::ReadData>(csdata::decode_from_chunkserver(p1).value());
    EXPECT_EQ(d1.blocknum, 1);
    EXPECT_EQ(d1.data.size(), 4514u);
    EXPECT_TRUE(std::equal(d1.data.begin(), d1.data.end(), data.begin() + 65486));
    Packet end = co_await next(c);
    EXPECT_EQ(std::get<csdata::ReadStatus>(csdata::decode_from_chunkserver(end).value()),
              (csdata::ReadStatus{1, StatusCode::kOk}));
  });
}

TEST_F(DataConnectionTest, ChainConnectionIsKeptForTheNextTransaction) {
  talk([&](PacketConnection& c) -> asio::awaitable<void> {
    Status created = co_await store_->create(4, 1);
    EXPECT_TRUE(created);
    // The server is its own next chunkserver: each transaction writes the block twice.
    std::vector<csdata::ChainAddress> chain = {{0x7F000001, port_}};
    for (uint8_t transaction = 0; transaction < 3; ++transaction) {
      co_await write_through_chain(c, 4, chain, transaction);
    }
    c.send(csdata::encode(csdata::ReadRequest{1, 4, 1, 0, 4096}));
    Packet read = co_await next(c);
    auto data = std::get<csdata::ReadData>(csdata::decode_from_chunkserver(read).value());
    EXPECT_EQ(data.data[0], 2);
  });
  EXPECT_EQ(accepted_, 2);  // the client's connection and one chain connection for all three
}

TEST_F(DataConnectionTest, ChainPeerThatHungUpWhileIdleIsReconnected) {
  int connections = 0;
  TcpListener next(io_, "next", [&](asio::ip::tcp::socket socket) {
    ++connections;
    return one_transaction_then_hang_up(std::move(socket));
  });
  ASSERT_TRUE(next.listen("127.0.0.1", 0));
  talk([&](PacketConnection& c) -> asio::awaitable<void> {
    Status created = co_await store_->create(5, 1);
    EXPECT_TRUE(created);
    std::vector<csdata::ChainAddress> chain = {{0x7F000001, port_of(next)}};
    co_await write_through_chain(c, 5, chain, 1);
    co_await write_through_chain(c, 5, chain, 2);
  });
  EXPECT_EQ(connections, 2);
}

TEST_F(DataConnectionTest, StatusesOfBadRequests) {
  talk([&](PacketConnection& c) -> asio::awaitable<void> {
    Status created = co_await store_->create(2, 5);
    EXPECT_TRUE(created);
    struct Case {
      csdata::ReadRequest request;
      StatusCode expected;
    };
    for (const Case& test : {Case{{std::nullopt, 9, 0, 0, 10}, StatusCode::kNoChunk},
                             Case{{std::nullopt, 9, 0, 0, 0}, StatusCode::kOk},
                             Case{{std::nullopt, 9, 0, 0, 0x04000001}, StatusCode::kWrongSize},
                             Case{{std::nullopt, 9, 0, 0x03FFFFFF, 2}, StatusCode::kWrongOffset},
                             Case{{std::nullopt, 2, 4, 0, 10}, StatusCode::kWrongVersion}}) {
      c.send(csdata::encode(test.request));
      Packet packet = co_await next(c);
      EXPECT_EQ(std::get<csdata::ReadStatus>(csdata::decode_from_chunkserver(packet).value()).status, test.expected);
    }
    // A write with a bad CRC: the error status for that writeid, then the transaction is over.
    c.send(csdata::encode(csdata::WriteInit{1, 2, 5, {}}));
    co_await next(c);
    std::vector<uint8_t> data(100, 1);
    c.send(csdata::encode(csdata::WriteData{2, 7, 0, 0, crc32(data) ^ 1, data}));
    Packet packet = co_await next(c);
    EXPECT_EQ(std::get<csdata::WriteStatus>(csdata::decode_from_chunkserver(packet).value()),
              (csdata::WriteStatus{2, 7, StatusCode::kCRC}));
    // The connection is idle again and answers queries.
    c.send(anymsg::encode(anymsg::GetConfig{5, "LABELS"}));
    Packet config = co_await next(c);
    EXPECT_EQ(anymsg::decode_config_value(config.payload).value().value, "A,B");
  });
}

TEST_F(DataConnectionTest, CorruptBlockAnswersCrcAndTheOtherBlocksStillRead) {
  talk([&](PacketConnection& c) -> asio::awaitable<void> {
    co_await create_chunk(3, 2, 0x33);
    corrupt(3, kBlockSize + 100);
    // As the real chunkserver (observed): READ_STATUS CRC (29) for the bad block, the
    // connection stays usable, the good block reads.
    c.send(csdata::encode(csdata::ReadRequest{1, 3, 1, kBlockSize, kBlockSize}));
    Packet bad = co_await next(c);
    EXPECT_EQ(std::get<csdata::ReadStatus>(csdata::decode_from_chunkserver(bad).value()),
              (csdata::ReadStatus{3, StatusCode::kCRC}));
    c.send(csdata::encode(csdata::ReadRequest{1, 3, 1, 0, 100}));
    Packet good = co_await next(c);
    EXPECT_TRUE(std::holds_alternative<csdata::ReadData>(csdata::decode_from_chunkserver(good).value()));
    Packet end = co_await next(c);
    EXPECT_EQ(std::get<csdata::ReadStatus>(csdata::decode_from_chunkserver(end).value()),
              (csdata::ReadStatus{3, StatusCode::kOk}));
  });
}

TEST_F(DataConnectionTest, BlockReadAgainFromThePageCacheIsStillChecked) {
  talk([&](PacketConnection& c) -> asio::awaitable<void> {
    co_await create_chunk(6, 1, 0x66);
    // The first read goes through a disk thread, the next ones are served from the cache.
    for (int pass = 0; pass < 2; ++pass) {
      c.send(csdata::encode(csdata::ReadRequest{1, 6, 1, 100, 4096}));
      Packet read = co_await next(c);
      auto got = std::get<csdata::ReadData>(csdata::decode_from_chunkserver(read).value());
      EXPECT_EQ(got.data.size(), 4096u);
      EXPECT_EQ(got.data[0], 0x66);
      Packet end = co_await next(c);
      EXPECT_EQ(std::get<csdata::ReadStatus>(csdata::decode_from_chunkserver(end).value()).status, StatusCode::kOk);
    }
    corrupt(6, 5000);
    c.send(csdata::encode(csdata::ReadRequest{1, 6, 1, 100, 4096}));
    Packet bad = co_await next(c);
    EXPECT_EQ(std::get<csdata::ReadStatus>(csdata::decode_from_chunkserver(bad).value()),
              (csdata::ReadStatus{6, StatusCode::kCRC}));
  });
}

TEST_F(DataConnectionTest, HostileInputClosesTheConnectionOnly) {
  std::vector<std::vector<uint8_t>> attacks = {
      PacketWriter(200).u32(1).take(),                                // READ of a wrong length
      PacketWriter(212).u64(1).u32(1).u16(0).u16(0).u32(10).take(),   // WRITE_DATA in idle, cut short
      PacketWriter(9999).take(),                                      // unknown type
      PacketWriter(210).u8(1).u64(1).u32(1).u16(5).take(),            // WRITE with a broken chain
  };
  std::vector<uint8_t> huge = PacketWriter(212).take();
  put_u32_be(huge.data() + 4, 0x7FFFFFFF);  // length far above the data port's limit
  attacks.push_back(huge);
  for (const auto& attack : attacks) {
    talk([&](PacketConnection& c) -> asio::awaitable<void> {
      c.send(attack);
      std::optional<Packet> packet = co_await c.read();
      EXPECT_FALSE(packet);
    });
  }
  // The server still works.
  talk([&](PacketConnection& c) -> asio::awaitable<void> {
    c.send(anymsg::encode(anymsg::GetVersion{}));
    Packet packet = co_await next(c);
    EXPECT_EQ(packet.type, msg::ANTOAN_VERSION);
  });
}

}  // namespace
}  // namespace mfs::cs
