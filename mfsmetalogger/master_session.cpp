#include "mfsmetalogger/master_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <array>

#include "mfscommon/keep_alive.h"
#include "mfscommon/log.h"
#include "mfscommon/outgoing_connection.h"
#include "mfscommon/overloaded.h"
#include "mfscommon/version.h"

namespace mfs::ml {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr std::array<std::chrono::milliseconds, 1> kConnectAttempts = {1000ms};
constexpr size_t kMaxQueuedOutput = 1u << 20;

}  // namespace

MasterSession::MasterSession(asio::io_context& io, ChangelogStore& changelog, MetadataDownload& download,
                             MetaloggerSettings settings)
    : io_(io), changelog_(changelog), download_(download), settings_(std::move(settings)), reconnect_timer_(io) {}

void MasterSession::start() { asio::co_spawn(io_, run(), asio::detached); }

ConnectionLimits MasterSession::limits() const {
  return {mlmsg::kMaxPayload, std::chrono::seconds(settings_.master_timeout), kMaxQueuedOutput};
}

asio::awaitable<void> MasterSession::run() {
  while (!stopping_) {
    auto attempt = std::chrono::steady_clock::now();
    co_await session();
    if (stopping_) break;
    // Attempts follow a fixed period, as 3.0.117's reconnection timer does: a connection
    // that lasted is tried again within one period, not one period after it ended.
    auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::seconds(settings_.reconnection_delay));
    auto next = attempt + period;
    if (period.count() > 0) next += (std::chrono::steady_clock::now() - attempt) / period * period;
    reconnect_timer_.expires_at(next);
    boost::system::error_code ignored;
    co_await reconnect_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<void> MasterSession::session() {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  boost::system::error_code ec;
  auto resolved = co_await resolver.async_resolve(asio::ip::tcp::v4(), settings_.master_host,
                                                  std::to_string(settings_.master_port),
                                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec || resolved.empty()) {
    MFS_LOG_WARNING("can't resolve master host/port (%s:%u): %s", settings_.master_host.c_str(),
                    settings_.master_port, ec.message().c_str());
    co_return;
  }
  uint32_t ip = resolved.begin()->endpoint().address().to_v4().to_uint();
  auto bind_ip = bind_address(settings_.bind_host);
  if (!bind_ip) {
    MFS_LOG_WARNING("can't use BIND_HOST: %s", bind_ip.status().to_string().c_str());
    co_return;
  }
  MFS_LOG_INFO("connecting ...");
  auto connected = co_await connect_with_retries(ip, settings_.master_port, kConnectAttempts, limits(), *bind_ip);
  if (!connected || stopping_) {
    if (!connected) MFS_LOG_WARNING("connection failed, error: %s", connected.status().to_string().c_str());
    co_return;
  }
  std::shared_ptr<PacketConnection> connection = *connected;
  connection_ = connection;
  MFS_LOG_NOTICE("connected to Master");
  // After a process start, or after a gap, there is no stream to continue: the master
  // then streams from now on and the metadata is downloaded afresh.
  std::optional<uint64_t> last = changelog_.last_version();
  connection->send(mlmsg::encode(mlmsg::Register{
      kOwnVersion, settings_.master_timeout, last ? std::optional<uint64_t>(*last + 1) : std::nullopt}));
  if (!last) download_.start([&](std::vector<uint8_t> frame) { connection->send(std::move(frame)); });
  asio::co_spawn(executor, keep_alive(connection), asio::detached);

  while (connection->is_open()) {
    std::optional<Packet> packet = co_await connection->read();
    if (!packet) {
      if (!stopping_) MFS_LOG_WARNING("connection with master lost: %s", connection->close_reason().c_str());
      break;
    }
    auto message = mlmsg::decode_from_master(*packet);
    Status handled = message ? handle(*message, *connection) : message.status();
    if (!handled) {
      MFS_LOG_WARNING("master: %s - closing connection", handled.message().c_str());
      connection->close(handled.message());
      break;
    }
  }
  connection->close();
  connection_.reset();
  download_.abort();
}

Status MasterSession::handle(const mlmsg::MasterToMetalogger& message, PacketConnection& connection) {
  auto send = [&connection](std::vector<uint8_t> frame) { connection.send(std::move(frame)); };
  return std::visit(
      Overloaded{
          [](const anymsg::Ignorable&) { return Status::ok(); },
          [this](const mlmsg::ChangelogRotated&) {
            changelog_.rotate();
            return Status::ok();
          },
          [this](const mlmsg::MetaChange& change) {
            // A hole in the stream: the files were deleted, and the next connection
            // registers afresh and downloads the metadata again.
            if (changelog_.append(change.version, change.text)) {
              return Status(StatusCode::kEINVAL, "change log gap");
            }
            return Status::ok();
          },
          [&](const mlmsg::DownloadInfo& info) { return download_.on_info(info, send); },
          [&](const mlmsg::DownloadData& data) { return download_.on_data(data, send); },
      },
      message);
}

void MasterSession::reconfigure(MetaloggerSettings settings) {
  bool reconnect = !settings.same_master(settings_);
  settings_ = std::move(settings);
  if (!connection_) return;
  connection_->set_limits(limits());
  if (reconnect) {
    MFS_LOG_NOTICE("master connection settings have changed - reconnecting");
    connection_->close("master changed");
  }
}

void MasterSession::download_metadata() {
  if (!connection_ || download_.active()) return;
  download_.start([connection = connection_](std::vector<uint8_t> frame) { connection->send(std::move(frame)); });
}

void MasterSession::stop() {
  stopping_ = true;
  reconnect_timer_.cancel();
  if (connection_) connection_->close("stopping");
}

}  // namespace mfs::ml
