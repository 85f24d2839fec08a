// The master link's choice of master: a loopback address only with ALLOW_LOOPBACK_MASTER.
#include "mfschunkserver/master_link.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/read.hpp>
#include <filesystem>

#include "mfscommon/protocol_ids.h"

namespace mfs::cs {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Starts a chunkserver's master link towards a listener on 127.0.0.1 and returns the type
// of the first packet the listener receives, 0 when nothing connects within 2 s.
uint32_t first_packet_to_loopback_master(bool allow_loopback) {
  fs::path dir = fs::temp_directory_path() / ("master_link_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  asio::io_context io;
  BlockingPool pool(1);
  ReportQueue reports;
  std::vector<std::unique_ptr<Disk>> disks;
  disks.push_back(std::make_unique<Disk>(DiskConfig{dir.string() + "/", false, std::nullopt, std::nullopt}, 0));
  EXPECT_TRUE(disks.back()->open());
  ChunkStore store(std::move(disks), pool, reports, false);
  asio::ip::tcp::acceptor master(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  ConfigFile config = ConfigFile::parse("MASTER_HOST = 127.0.0.1\nMASTER_RECONNECTION_DELAY = 1\n");
  config.set("MASTER_PORT", std::to_string(master.local_endpoint().port()));
  config.set("ALLOW_LOOPBACK_MASTER", allow_loopback ? "1" : "0");
  MasterLink link(io, store, reports, pool, MasterLinkSettings::from(config), (dir / "chunkserverid.mfs").string(),
                  0, [](const std::string&) {});
  link.start();
  uint32_t type = 0;
  asio::ip::tcp::socket peer(io);
  master.async_accept(peer, [&](boost::system::error_code ec) {
    if (ec) return;
    static std::array<uint8_t, 8> header;
    asio::async_read(peer, asio::buffer(header), [&](boost::system::error_code read_error, size_t) {
      if (!read_error) type = (uint32_t{header[0]} << 24) | (header[1] << 16) | (header[2] << 8) | header[3];
      io.stop();
    });
  });
  io.run_for(2s);
  fs::remove_all(dir);
  return type;
}

TEST(MasterLink, LoopbackMasterOnlyWhenAllowed) {
  EXPECT_EQ(first_packet_to_loopback_master(false), 0u);
  EXPECT_EQ(first_packet_to_loopback_master(true), msg::CSTOMA_REGISTER);
}

}  // namespace
}  // namespace mfs::cs
