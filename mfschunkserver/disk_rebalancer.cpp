#include "mfschunkserver/disk_rebalancer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <limits>

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
  settings.high_speed_limit = static_cast<uint32_t>(
      config.get_uint_clamped("HDD_HIGH_SPEED_REBALANCE_LIMIT", 0, 0, std::numeric_limits<uint32_t>::max()));
  return settings;
}

std::chrono::nanoseconds RebalanceSettings::pause_after(std::chrono::nanoseconds spent) const {
  double idle_share = (100.0 - utilization_percent) / utilization_percent;
  return std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(spent.count()) * idle_share));
}

DiskRebalancer::DiskRebalancer(asio::io_context& io, ChunkStore& store, RebalanceSettings settings)
    : io_(io), store_(store), settings_(settings), timer_(io), moves_in_(store.disks().size(), 0) {}

void DiskRebalancer::start() { asio::co_spawn(io_, [this] { return run(); }, asio::detached); }

void DiskRebalancer::stop() {
  stopping_ = true;
  timer_.cancel();
}

asio::awaitable<void> DiskRebalancer::run() {
  while (!stopping_) {
    std::chrono::nanoseconds wait = kIdleWait;
    if (settings_.high_speed_limit > 0) {
      start_moves(settings_.high_speed_limit);  // the end of a move cuts the wait short
    } else {
      wait = co_await move_paced();
    }
    timer_.expires_after(wait);
    boost::system::error_code ignored;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<std::chrono::nanoseconds> DiskRebalancer::move_paced() {
  std::optional<Move> next = next_move(1);
  if (!next) co_return kIdleWait;
  auto started = std::chrono::steady_clock::now();
  co_await move(*next);
  co_return settings_.pause_after(std::chrono::steady_clock::now() - started);
}

void DiskRebalancer::start_moves(uint32_t per_destination) {
  while (std::optional<Move> next = next_move(per_destination)) {
    ++moves_in_[next->destination];
    ++in_flight_;
    asio::co_spawn(io_, move_in_flight(*next), asio::detached);
  }
}

asio::awaitable<void> DiskRebalancer::move_in_flight(Move planned) {
  co_await move(planned);
  --moves_in_[planned.destination];
  --in_flight_;
  timer_.cancel();  // a slot is free
}

void DiskRebalancer::list_round(const std::vector<RebalanceRole>& roles) {
  const auto& disks = store_.disks();
  for (size_t i = 0; i < disks.size(); ++i) {
    if (roles[i] != RebalanceRole::kSource) continue;
    for (const ChunkId& chunk : store_.idle_chunks(*disks[i], 0s)) round_.push_back({chunk, i});
  }
}

std::optional<DiskRebalancer::Move> DiskRebalancer::next_move(uint32_t per_destination) {
  const auto& disks = store_.disks();
  std::vector<RebalanceDisk> states;
  for (size_t i = 0; i < disks.size(); ++i) {
    states.push_back(disks[i]->rebalance_state());
    states.back().moves_in = moves_in_[i];
  }
  std::vector<RebalanceRole> roles = rebalance_roles(states);
  if (round_.empty()) {
    if (in_flight_ == 0) list_round(roles);  // chunks on their way would be listed again
    return std::nullopt;
  }
  while (!round_.empty()) {
    Pending next = round_.back();
    if (roles[next.source] != RebalanceRole::kSource) {  // no longer emptied
      round_.pop_back();
      continue;
    }
    std::optional<size_t> destination = pick_destination(states, roles, kLargestChunkFile, per_destination);
    if (!destination) {
      if (in_flight_ == 0) round_.clear();  // no room: listed again once there is
      return std::nullopt;
    }
    round_.pop_back();
    return Move{next, *destination};
  }
  return std::nullopt;
}

asio::awaitable<void> DiskRebalancer::move(const Move& planned) {
  Disk& destination = *store_.disks()[planned.destination];
  Status moved = co_await store_.move(planned.chunk.chunk, destination);
  if (!moved && moved.code() != StatusCode::kChunkBusy && moved.code() != StatusCode::kNoChunk) {
    MFS_LOG_WARNING("local rebalancing: chunk %016llX not moved to %s: %s",
                    static_cast<unsigned long long>(planned.chunk.chunk.chunkid), destination.path().c_str(),
                    moved.to_string().c_str());
  }
}

}  // namespace mfs::cs
