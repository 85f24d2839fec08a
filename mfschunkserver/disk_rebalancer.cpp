#include "mfschunkserver/disk_rebalancer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>

#include "mfscommon/log.h"

namespace mfs::cs {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// How long the loop waits when there is nothing to move before it looks again (and
// after each round, so that chunks kept busy by clients are not retried in a spin).
constexpr auto kIdleWait = 1s;
// A destination must have room for the largest chunk file.
constexpr uint64_t kLargestChunkFile = uint64_t{kHeaderSize} + kCrcTableSize + kChunkSize;

}  // namespace

RebalanceSettings RebalanceSettings::from(const ConfigFile& config) {
  RebalanceSettings settings;
  settings.utilization_percent = std::clamp(config.get_double("HDD_REBALANCE_UTILIZATION", 20.0), 1.0, 100.0);
  return settings;
}

std::chrono::nanoseconds RebalanceSettings::pause_after(std::chrono::nanoseconds spent) const {
  double idle_share = (100.0 - utilization_percent) / utilization_percent;
  return std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(spent.count()) * idle_share));
}

DiskRebalancer::DiskRebalancer(asio::io_context& io, ChunkStore& store, RebalanceSettings settings)
    : io_(io), store_(store), settings_(settings), timer_(io) {}

void DiskRebalancer::start() { asio::co_spawn(io_, [this] { return run(); }, asio::detached); }

void DiskRebalancer::stop() {
  stopping_ = true;
  timer_.cancel();
}

asio::awaitable<void> DiskRebalancer::run() {
  while (!stopping_) {
    auto spent = co_await move_one();
    timer_.expires_after(spent ? settings_.pause_after(*spent) : std::chrono::nanoseconds(kIdleWait));
    boost::system::error_code ignored;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void DiskRebalancer::list_round(const std::vector<RebalanceRole>& roles) {
  const auto& disks = store_.disks();
  for (size_t i = 0; i < disks.size(); ++i) {
    if (roles[i] != RebalanceRole::kSource) continue;
    for (const ChunkId& chunk : store_.idle_chunks(*disks[i], 0s)) round_.push_back({chunk, i});
  }
}

asio::awaitable<std::optional<std::chrono::nanoseconds>> DiskRebalancer::move_one() {
  const auto& disks = store_.disks();
  std::vector<RebalanceDisk> states;
  for (const auto& disk : disks) states.push_back(disk->rebalance_state());
  std::vector<RebalanceRole> roles = rebalance_roles(states);
  if (round_.empty()) {
    list_round(roles);
    co_return std::nullopt;
  }
  Pending next = round_.back();
  round_.pop_back();
  if (roles[next.source] != RebalanceRole::kSource) co_return 0ns;  // no longer emptied
  std::optional<size_t> destination = pick_destination(states, roles, kLargestChunkFile);
  if (!destination) {
    round_.clear();  // listed again once there is room
    co_return std::nullopt;
  }
  auto started = std::chrono::steady_clock::now();
  Status moved = co_await store_.move(next.chunk, *disks[*destination]);
  if (!moved && moved.code() != StatusCode::kChunkBusy && moved.code() != StatusCode::kNoChunk) {
    MFS_LOG_WARNING("local rebalancing: chunk %016llX not moved to %s: %s",
                    static_cast<unsigned long long>(next.chunk.chunkid), disks[*destination]->path().c_str(),
                    moved.to_string().c_str());
  }
  co_return std::chrono::steady_clock::now() - started;
}

}  // namespace mfs::cs
