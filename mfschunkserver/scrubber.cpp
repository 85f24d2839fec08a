#include "mfschunkserver/scrubber.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>


namespace mfs::cs {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// How long a loop with nothing to do waits before it looks at its disk again.
constexpr auto kIdleWait = 1s;
// The header and CRC table are read as well: every chunk costs at least one block.
constexpr double kMinChunkCost = kBlockSize;

}  // namespace

ScrubSettings ScrubSettings::from(const ConfigFile& config) {
  ScrubSettings settings;
  if (config.raw("HDD_TEST_SPEED")) {
    settings.mib_per_second = config.get_double("HDD_TEST_SPEED", 1.0);
  } else if (config.raw("HDD_TEST_FREQ")) {
    double freq = config.get_double("HDD_TEST_FREQ", 10.0);
    settings.mib_per_second = freq > 0 ? 10.0 / freq : 0.0;
  }
  if (settings.mib_per_second < 0) settings.mib_per_second = 0;
  settings.min_idle = std::chrono::seconds(config.get_uint("HDD_MIN_TEST_INTERVAL", 86400));
  return settings;
}

Scrubber::Scrubber(asio::io_context& io, ChunkStore& store, ScrubSettings settings)
    : io_(io), store_(store), settings_(settings) {}

void Scrubber::start() {
  for (const auto& disk : store_.disks()) {
    Disk* scrubbed = disk.get();
    asio::co_spawn(io_, [this, scrubbed] { return scrub(*scrubbed); }, asio::detached);
  }
}

void Scrubber::reconfigure(ScrubSettings settings) { settings_ = settings; }

void Scrubber::stop() {
  stopping_ = true;
  for (auto* timer : timers_) timer->cancel();
}

asio::awaitable<bool> Scrubber::pause(asio::steady_timer& timer, std::chrono::nanoseconds duration) {
  timer.expires_after(duration);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  co_return !stopping_;
}

asio::awaitable<void> Scrubber::scrub(Disk& disk) {
  asio::steady_timer timer(io_);
  timers_.push_back(&timer);
  auto registration = std::prev(timers_.end());
  std::vector<ChunkId> round;  // this pass over the disk, tested from the back
  while (!stopping_ && !disk.damaged()) {
    if (settings_.mib_per_second <= 0 || round.empty()) {
      if (!co_await pause(timer, kIdleWait)) break;
      if (settings_.mib_per_second > 0) round = store_.idle_chunks(disk, settings_.min_idle);
      continue;
    }
    ChunkId chunk = round.back();
    round.pop_back();
    // A damaged chunk has been logged and reported by the store.
    auto blocks = co_await store_.scrub(chunk);
    double bytes = std::max(kMinChunkCost, double(blocks ? *blocks : 0) * kBlockSize);
    std::chrono::duration<double> cost(bytes / (settings_.mib_per_second * 1024 * 1024));
    if (!co_await pause(timer, std::chrono::duration_cast<std::chrono::nanoseconds>(cost))) break;
  }
  timers_.erase(registration);
}

}  // namespace mfs::cs
