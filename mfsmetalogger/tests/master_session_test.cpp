// The session against a scripted master on 127.0.0.1: registration variants, and
// reconnection after malformed packets, unknown types and a gap in the change stream.
#include "mfsmetalogger/master_session.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <future>
#include <thread>

#include "mfscommon/version.h"
#include "mfsmetalogger/tests/test_dir.h"

namespace mfs::ml {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using testing::TestDir;
using namespace std::chrono_literals;

// Blocking sockets with a 5 s limit on every wait, so that a test fails instead of hanging.
class ScriptedMaster {
 public:
  ScriptedMaster() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // The next connection of the metalogger.
  bool accept() {
    pollfd ready{acceptor_.native_handle(), POLLIN, 0};
    if (poll(&ready, 1, 5000) != 1) return false;
    peer_ = tcp::socket(io_);
    acceptor_.accept(peer_);
    timeval limit{5, 0};
    setsockopt(peer_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    return true;
  }
  // The next packet, decoded; nullopt when the metalogger closed the connection.
  std::optional<mlmsg::MetaloggerToMaster> receive() {
    std::array<uint8_t, kPacketHeaderSize> header{};
    boost::system::error_code ec;
    asio::read(peer_, asio::buffer(header), ec);
    if (ec) return std::nullopt;
    Packet packet{get_u32_be(header.data()), std::vector<uint8_t>(get_u32_be(header.data() + 4))};
    asio::read(peer_, asio::buffer(packet.payload), ec);
    if (ec) return std::nullopt;
    auto message = mlmsg::decode_from_metalogger(packet);
    EXPECT_TRUE(message) << message.status().to_string();
    return message ? std::optional(*message) : std::nullopt;
  }
  // The next packet that is not a NOP.
  std::optional<mlmsg::MetaloggerToMaster> receive_skipping_nops() {
    auto message = receive();
    while (message && std::holds_alternative<anymsg::Ignorable>(*message)) message = receive();
    return message;
  }
  // True once the metalogger has closed the connection (NOPs are skipped).
  bool closed_by_peer() { return !receive_skipping_nops(); }
  void send(const std::vector<uint8_t>& frame) { asio::write(peer_, asio::buffer(frame)); }
  void send(uint32_t type, const std::vector<uint8_t>& payload) {
    PacketWriter out(type);
    out.bytes(payload);
    send(out.take());
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  tcp::socket peer_{io_};
};

// The metalogger's session on its own thread.
class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : dir_("master_session_test"), changelog_(dir_.str(), 5), download_(dir_.str(), 3) {
    settings_.master_host = "127.0.0.1";
    settings_.master_port = master_.port();
    settings_.reconnection_delay = 0;
    session_.emplace(io_, changelog_, download_, settings_);
    session_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SessionTest() override {
    asio::post(io_, [this] {
      session_->stop();
      work_.reset();
    });
    io_.stop();
    thread_.join();
  }

  // Accepts the next connection and returns its registration.
  mlmsg::Register registration() { return registration(master_); }
  mlmsg::Register registration(ScriptedMaster& master) {
    EXPECT_TRUE(master.accept());
    auto message = master.receive();
    EXPECT_TRUE(message && std::holds_alternative<mlmsg::Register>(*message));
    if (!message || !std::holds_alternative<mlmsg::Register>(*message)) return {};
    auto registration = std::get<mlmsg::Register>(*message);
    EXPECT_EQ(registration.version, kOwnVersion);
    EXPECT_EQ(registration.timeout, 10);
    return registration;
  }
  // The store's last version, read on the session's thread once `version` arrived (or 2 s).
  std::optional<uint64_t> wait_last_version(uint64_t version) {
    std::optional<uint64_t> last;
    for (int attempt = 0; attempt < 200 && last != version; ++attempt) {
      std::promise<std::optional<uint64_t>> seen;
      asio::post(io_, [&] { seen.set_value(changelog_.last_version()); });
      last = seen.get_future().get();
      if (last != version) std::this_thread::sleep_for(10ms);
    }
    return last;
  }
  void expect_metadata_download_start() {
    auto message = master_.receive_skipping_nops();
    ASSERT_TRUE(message && std::holds_alternative<mlmsg::DownloadStart>(*message));
    EXPECT_EQ(std::get<mlmsg::DownloadStart>(*message).filenum, mlmsg::kDownloadMetadata);
    master_.send(mlmsg::encode(mlmsg::DownloadInfo{}));  // "no file": the download ends here
  }

  TestDir dir_;
  MetaloggerSettings settings_;
  ChangelogStore changelog_;
  MetadataDownload download_;
  ScriptedMaster master_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::optional<MasterSession> session_;
  std::thread thread_;
};

std::vector<uint8_t> change_payload(uint8_t kind, uint64_t version, std::string_view text, bool nul = true) {
  PacketWriter out(0);
  out.u8(kind).u64(version).bytes(text);
  if (nul) out.u8(0);
  std::vector<uint8_t> frame = out.take();
  return {frame.begin() + kPacketHeaderSize, frame.end()};
}

TEST_F(SessionTest, ResumesAfterTheLastChangeUntilAGap) {
  EXPECT_FALSE(registration().next_version);
  expect_metadata_download_start();
  master_.send(mlmsg::encode(mlmsg::MetaChange{10, "1|ACCESS(1)"}));
  master_.send(mlmsg::encode(mlmsg::MetaChange{11, "1|ACCESS(1)"}));
  master_.send(msg::MATOAN_METACHANGES_LOG, change_payload(0xFF, 12, "no NUL", false));
  EXPECT_TRUE(master_.closed_by_peer());

  // Within the process the stream goes on after the last change: no new download.
  EXPECT_EQ(registration().next_version, 12u);
  master_.send(mlmsg::encode(mlmsg::MetaChange{12, "1|ACCESS(1)"}));
  master_.send(mlmsg::encode(mlmsg::ChangelogRotated{}));
  master_.send(mlmsg::encode(mlmsg::MetaChange{15, "1|ACCESS(1)"}));  // 13 and 14 lost
  EXPECT_TRUE(master_.closed_by_peer());

  // After the gap: everything again.
  EXPECT_FALSE(registration().next_version);
  expect_metadata_download_start();
}

TEST_F(SessionTest, ReloadWithAnotherMasterReconnects) {
  registration();
  expect_metadata_download_start();
  master_.send(mlmsg::encode(mlmsg::MetaChange{10, "1|ACCESS(1)"}));
  EXPECT_EQ(wait_last_version(10), 10u);
  ScriptedMaster other;
  MetaloggerSettings settings = settings_;
  settings.master_port = other.port();
  asio::post(io_, [this, settings] { session_->reconfigure(settings); });
  EXPECT_TRUE(master_.closed_by_peer());
  EXPECT_EQ(registration(other).next_version, 11u);
}

TEST_F(SessionTest, MalformedPacketsCloseTheConnection) {
  const std::vector<std::pair<uint32_t, std::vector<uint8_t>>> malformed = {
      {msg::MATOAN_METACHANGES_LOG, {}},
      {msg::MATOAN_METACHANGES_LOG, {0x55, 0}},
      {msg::MATOAN_METACHANGES_LOG, change_payload(0xAA, 1, "x")},
      {msg::MATOAN_METACHANGES_LOG, change_payload(0xFF, 1, std::string_view("a\0b", 3))},
      {msg::MATOAN_DOWNLOAD_INFO, {0, 0, 0, 0}},
      {msg::MATOAN_DOWNLOAD_INFO, std::vector<uint8_t>(8)},  // no download asked for
      {msg::MATOAN_DOWNLOAD_DATA, std::vector<uint8_t>(15)},
      {msg::MATOAN_DOWNLOAD_DATA, std::vector<uint8_t>(16)},  // no file open
      {77, {}},
  };
  for (const auto& [type, payload] : malformed) {
    SCOPED_TRACE("type " + std::to_string(type) + ", " + std::to_string(payload.size()) + " bytes");
    EXPECT_FALSE(registration().next_version);
    expect_metadata_download_start();
    master_.send(anymsg::encode(anymsg::Ignorable{msg::ANTOAN_UNKNOWN_COMMAND}));  // ignored
    master_.send(type, payload);
    EXPECT_TRUE(master_.closed_by_peer());
  }
}

}  // namespace
}  // namespace mfs::ml
