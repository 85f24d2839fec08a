#include "mfsmetalogger/metalogger_daemon.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mfscommon/log.h"

namespace mfs::ml {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::chrono::system_clock::time_point next_metadata_download(std::chrono::system_clock::time_point now,
                                                             uint32_t hours) {
  // 630 s past a multiple of the period, as in 3.0.117: away from the master's hourly
  // change log rotation and metadata save.
  constexpr auto kPhase = 630s;
  auto period = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::hours(hours));
  auto since_epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  return std::chrono::system_clock::time_point(since_epoch - (since_epoch - kPhase) % period + period);
}

MetaloggerDaemon::MetaloggerDaemon(asio::io_context& io, std::string config_path, const ConfigFile& config)
    : config_path_(std::move(config_path)),
      settings_(MetaloggerSettings::from(config)),
      changelog_(".", settings_.back_logs),
      download_(".", settings_.back_meta_keep_previous),
      session_(io, changelog_, download_, settings_),
      flush_timer_(io),
      download_timer_(io) {}

void MetaloggerDaemon::start() {
  session_.start();
  asio::co_spawn(flush_timer_.get_executor(), flush_loop(), asio::detached);
  asio::co_spawn(download_timer_.get_executor(), download_loop(), asio::detached);
}

asio::awaitable<void> MetaloggerDaemon::flush_loop() {
  while (!stopping_) {
    flush_timer_.expires_after(1s);
    boost::system::error_code ignored;
    co_await flush_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    changelog_.flush();
  }
}

asio::awaitable<void> MetaloggerDaemon::download_loop() {
  while (!stopping_) {
    // A reload cancels the wait, so a new frequency applies at once.
    if (settings_.meta_download_freq == 0) {
      download_timer_.expires_at(std::chrono::system_clock::time_point::max());
    } else {
      download_timer_.expires_at(
          next_metadata_download(std::chrono::system_clock::now(), settings_.meta_download_freq));
    }
    boost::system::error_code ec;
    co_await download_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !stopping_) session_.download_metadata();
  }
}

void MetaloggerDaemon::reload() {
  auto reloaded = ConfigFile::load(config_path_);
  if (!reloaded) {
    MFS_LOG_WARNING("reload: %s - keeping the previous configuration", reloaded.status().to_string().c_str());
    return;
  }
  settings_ = MetaloggerSettings::from(*reloaded);
  changelog_.set_back_logs(settings_.back_logs);
  download_.set_keep_previous(settings_.back_meta_keep_previous);
  session_.reconfigure(settings_);
  download_timer_.cancel();
}

void MetaloggerDaemon::stop() {
  stopping_ = true;
  session_.stop();
  flush_timer_.cancel();
  download_timer_.cancel();
  changelog_.flush();
}

}  // namespace mfs::ml
