#include "mfschunkserver/master_link.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <array>
#include <cctype>

#include "mfschunkserver/master_commands.h"
#include "mfscommon/auth_digest.h"
#include "mfscommon/ip_address.h"
#include "mfscommon/log.h"
#include "mfscommon/outgoing_connection.h"
#include "mfscommon/version.h"

namespace mfs::cs {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kMaxMasterPayload = 10000;
constexpr uint16_t kInitialTimeout = 10;
constexpr std::array<std::chrono::milliseconds, 1> kConnectAttempts = {1000ms};
constexpr size_t kMaxIdsPerReport = 25000;
constexpr auto kTickInterval = 1s;
constexpr auto kLoadReportInterval = 5s;
constexpr auto kUnregisterTimeout = 5s;

ConnectionLimits master_limits(uint16_t timeout) {
  return {kMaxMasterPayload, std::chrono::seconds(timeout), 64u << 20};
}

template <typename Report>
void send_ids(PacketConnection& connection, const std::vector<uint64_t>& ids) {
  for (size_t first = 0; first < ids.size(); first += kMaxIdsPerReport) {
    size_t last = std::min(ids.size(), first + kMaxIdsPerReport);
    connection.send(csmsg::encode(Report{{ids.begin() + static_cast<ptrdiff_t>(first),
                                          ids.begin() + static_cast<ptrdiff_t>(last)}}));
  }
}

}  // namespace

uint32_t parse_labels(const std::string& text) {
  uint32_t mask = 0;
  for (char c : text) {
    int letter = std::toupper(static_cast<unsigned char>(c));
    if (letter >= 'A' && letter <= 'Z') mask |= 1u << (letter - 'A');
  }
  return mask;
}

MasterLinkSettings MasterLinkSettings::from(const ConfigFile& config) {
  MasterLinkSettings settings;
  settings.host = config.get_string("MASTER_HOST", "mfsmaster");
  settings.port = static_cast<uint16_t>(config.get_uint("MASTER_PORT", 9420));
  settings.bind_host = config.get_string("BIND_HOST", "*");
  uint64_t timeout = config.get_uint("MASTER_TIMEOUT", 0);
  settings.timeout = timeout == 0 ? 0 : static_cast<uint16_t>(std::clamp<uint64_t>(timeout, 10, 65535));
  settings.reconnection_delay = static_cast<uint32_t>(config.get_uint("MASTER_RECONNECTION_DELAY", 5));
  settings.auth_code = config.raw("AUTH_CODE");
  settings.chunks_per_packet =
      static_cast<uint32_t>(config.get_uint_clamped("CHUNKS_PER_REGISTER_PACKET", 10000, 1000, 100000));
  settings.label_mask = parse_labels(config.get_string("LABELS", ""));
  settings.allow_loopback = config.get_uint("ALLOW_LOOPBACK_MASTER", 0) != 0;
  return settings;
}

bool MasterLinkSettings::same_connection(const MasterLinkSettings& other) const {
  return host == other.host && port == other.port && bind_host == other.bind_host && timeout == other.timeout &&
         auth_code == other.auth_code && allow_loopback == other.allow_loopback;
}

MasterLink::MasterLink(asio::io_context& io, ChunkStore& store, ReportQueue& reports, BlockingPool& pool,
                       MasterLinkSettings settings, std::string identity_path, uint64_t known_metaid,
                       std::function<void(const std::string&)> fatal)
    : io_(io),
      store_(store),
      reports_(reports),
      pool_(pool),
      settings_(std::move(settings)),
      identity_path_(std::move(identity_path)),
      identity_(read_identity(identity_path_)),
      known_metaid_(known_metaid),
      fatal_(std::move(fatal)),
      reconnect_timer_(io) {}

void MasterLink::start() { asio::co_spawn(io_, run(), asio::detached); }

asio::awaitable<void> MasterLink::run() {
  while (!stopping_) {
    co_await session();
    if (stopping_) break;
    reconnect_timer_.expires_after(std::chrono::seconds(settings_.reconnection_delay));
    boost::system::error_code ignored;
    co_await reconnect_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<void> MasterLink::session() {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  boost::system::error_code ec;
  auto resolved = co_await resolver.async_resolve(asio::ip::tcp::v4(), settings_.host, std::to_string(settings_.port),
                                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec || resolved.empty()) {
    MFS_LOG_WARNING("can't resolve master host/port (%s:%u): %s", settings_.host.c_str(), settings_.port,
                    ec.message().c_str());
    co_return;
  }
  uint32_t ip = resolved.begin()->endpoint().address().to_v4().to_uint();
  if ((ip >> 24) == 127 && !settings_.allow_loopback) {
    MFS_LOG_WARNING("master address %s is a loopback address - not connecting (ALLOW_LOOPBACK_MASTER = 1 allows it)",
                    ip_to_string(ip).c_str());
    co_return;
  }
  auto bind_ip = bind_address(settings_.bind_host);
  if (!bind_ip) {
    MFS_LOG_WARNING("can't use BIND_HOST: %s", bind_ip.status().to_string().c_str());
    co_return;
  }
  MFS_LOG_INFO("connecting ...");
  timeout_ = settings_.timeout != 0 ? settings_.timeout : kInitialTimeout;
  auto connected = co_await connect_with_retries(ip, settings_.port, kConnectAttempts, master_limits(timeout_), *bind_ip);
  if (!connected) {
    MFS_LOG_WARNING("connection failed, error: %s", connected.status().to_string().c_str());
    co_return;
  }
  std::shared_ptr<PacketConnection> connection = *connected;
  MFS_LOG_NOTICE("connected to Master");
  connection_ = connection;
  master_ip_ = ip;
  registered_ = false;
  last_space_.reset();
  connection->send(csmsg::encode(begin_packet()));
  asio::co_spawn(executor, tick(connection), asio::detached);
  while (connection->is_open()) {
    std::optional<Packet> packet = co_await connection->read();
    if (!packet) {
      if (!stopping_) MFS_LOG_WARNING("connection with master lost: %s", connection->close_reason().c_str());
      break;
    }
    auto message = csmsg::decode_from_master(*packet);
    if (!message) {
      MFS_LOG_WARNING("master: %s - closing connection", message.status().to_string().c_str());
      connection->close("protocol error");
      break;
    }
    if (!handle(connection, std::move(*message))) {
      connection->close_after_flush();
      break;
    }
  }
  connection_.reset();
  registered_ = false;
}

csmsg::RegisterBeginV6 MasterLink::begin_packet() const {
  csmsg::RegisterBeginV6 begin;
  begin.version = kOwnVersion;
  begin.ip = settings_.data_ip;
  begin.port = settings_.data_port;
  begin.timeout = settings_.timeout;
  begin.csid = identity_.csid;
  begin.space = store_.space();
  return begin;
}

bool MasterLink::handle(const std::shared_ptr<PacketConnection>& connection, csmsg::MasterToChunkserver message) {
  if (is_chunk_command(message)) {
    asio::co_spawn(
        io_,
        [this, connection, message = std::move(message)]() -> asio::awaitable<void> {
          std::vector<uint8_t> reply = co_await execute(store_, message);
          // A reply to a master we have since lost is dropped, as spec 20 §2.6 says.
          if (connection == connection_) connection->send(std::move(reply));
        },
        asio::detached);
    return true;
  }
  if (auto* challenge = std::get_if<csmsg::AckChallenge>(&message)) {
    if (!settings_.auth_code) {
      MFS_LOG_ERROR("master requires authentication, but AUTH_CODE is not defined");
      return false;
    }
    csmsg::RegisterBeginV6 begin = begin_packet();
    begin.digest = auth_digest(challenge->random, *settings_.auth_code);
    connection->send(csmsg::encode(begin));
    return true;
  }
  if (auto* accepted = std::get_if<csmsg::AckAccepted>(&message)) {
    if (!accept(*accepted)) return false;
    connection->set_limits(master_limits(timeout_));
    connection->send(csmsg::encode(csmsg::LabelsReport{settings_.label_mask}));
    upload_ = store_.chunk_list();
    upload_position_ = 0;
    send_next_batch(*connection);
    return true;
  }
  if (std::holds_alternative<csmsg::AckNextBatch>(message)) {
    send_next_batch(*connection);
    return true;
  }
  if (std::holds_alternative<csmsg::AckRedirect>(message)) {
    MFS_LOG_NOTICE("master redirects to its leader - reconnecting");
    return false;
  }
  if (std::holds_alternative<csmsg::AckWait>(message)) MFS_LOG_NOTICE("master asks to wait for acceptance");
  return true;  // the wait acknowledgement or a keep-alive
}

bool MasterLink::accept(const csmsg::AckAccepted& ack) {
  if (known_metaid_ != 0 && ack.metaid != 0 && ack.metaid != known_metaid_) {
    char text[128];
    std::snprintf(text, sizeof text, "wrong meta data id (mine: %016llX, master's: %016llX) - exiting",
                  static_cast<unsigned long long>(known_metaid_), static_cast<unsigned long long>(ack.metaid));
    fatal_(text);
    return false;
  }
  if (settings_.timeout == 0 && ack.timeout != 0) timeout_ = ack.timeout;
  ChunkserverIdentity confirmed = identity_;
  if (ack.csid != 0) confirmed.csid = ack.csid;
  if (ack.metaid != 0) confirmed.metaid = ack.metaid;
  if (confirmed != identity_) {
    if (Status written = write_identity(identity_path_, confirmed); !written) {
      MFS_LOG_WARNING("%s", written.to_string().c_str());
    }
    if (confirmed.metaid != identity_.metaid) {
      for (const auto& disk : store_.disks()) {
        if (Status written = disk->write_metaid(confirmed.metaid); !written) {
          MFS_LOG_WARNING("%s", written.to_string().c_str());
        }
      }
    }
    identity_ = confirmed;
    known_metaid_ = confirmed.metaid;
  }
  return true;
}

void MasterLink::send_next_batch(PacketConnection& connection) {
  if (registered_) return;
  if (upload_position_ < upload_.size()) {
    size_t count = std::min<size_t>(settings_.chunks_per_packet, upload_.size() - upload_position_);
    auto first = upload_.begin() + static_cast<ptrdiff_t>(upload_position_);
    connection.send(csmsg::encode(csmsg::RegisterChunksV6{{first, first + static_cast<ptrdiff_t>(count)}}));
    upload_position_ += count;
    return;
  }
  connection.send(csmsg::encode(csmsg::RegisterEndV6{}));
  upload_.clear();
  registered_ = true;
  MFS_LOG_NOTICE("registered at master %s:%u", ip_to_string(master_ip_).c_str(), settings_.port);
  send_reports(connection);
}

void MasterLink::send_reports(PacketConnection& connection) {
  ReportQueue::Reports reports = reports_.take();
  send_ids<csmsg::ChunkLostReport>(connection, reports.lost);
  send_ids<csmsg::ChunkDamagedReport>(connection, reports.damaged);
  for (uint32_t i = 0; i < reports.errors; ++i) connection.send(csmsg::encode(csmsg::ErrorOccurredReport{}));
  // Disks are looked at when their space is reported (as 3.0.117 notices a size change
  // when it refreshes a disk's space); the lost chunks of a disk given up go next time.
  store_.check_disk_sizes();
  csmsg::SpaceInfo space = store_.space();
  if (space != last_space_) {
    connection.send(csmsg::encode(csmsg::SpaceReport{csmsg::SpaceReport::Form::kFull, space}));
    last_space_ = space;
  }
  auto now = std::chrono::steady_clock::now();
  auto status = rebalancing_ && rebalancing_() ? csmsg::LoadStatus::kRebalance : csmsg::LoadStatus::kOk;
  if (now - last_load_report_ >= kLoadReportInterval || status != last_load_status_) {
    auto load = static_cast<uint32_t>(pool_.pending());
    connection.send(csmsg::encode(csmsg::CurrentLoadReport{load, status}));
    last_load_report_ = now;
    last_load_status_ = status;
  }
}

asio::awaitable<void> MasterLink::tick(std::shared_ptr<PacketConnection> connection) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (connection->is_open()) {
    timer.expires_after(kTickInterval);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!connection->is_open() || stopping_) break;
    if (registered_) send_reports(*connection);
    if (std::chrono::steady_clock::now() - connection->last_write() >= kTickInterval) {
      connection->send(anymsg::encode(anymsg::Ignorable{}));
    }
  }
}

void MasterLink::reconfigure(MasterLinkSettings settings) {
  settings.data_ip = settings_.data_ip;
  settings.data_port = settings_.data_port;
  bool reconnect = !settings.same_connection(settings_);
  bool new_labels = settings.label_mask != settings_.label_mask;
  settings_ = std::move(settings);
  if (!connection_) return;
  if (reconnect) {
    MFS_LOG_NOTICE("master connection settings have changed - reconnecting");
    if (registered_) connection_->send(csmsg::encode(csmsg::RegisterDisconnect{}));
    connection_->close_after_flush();
  } else if (new_labels && registered_) {
    connection_->send(csmsg::encode(csmsg::LabelsReport{settings_.label_mask}));
  }
}

asio::awaitable<void> MasterLink::stop() {
  stopping_ = true;
  reconnect_timer_.cancel();
  std::shared_ptr<PacketConnection> connection = connection_;
  if (!connection) co_return;
  if (registered_) connection->send(csmsg::encode(csmsg::RegisterDisconnect{}));
  connection->close_after_flush();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto deadline = std::chrono::steady_clock::now() + kUnregisterTimeout;
  while (connection->is_open() && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(20ms);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  connection->close();
}

}  // namespace mfs::cs
