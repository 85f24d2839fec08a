// Local rebalancing (mfshdd.cfg `<` and `>`): one coroutine on the network thread moves
// the chunks of the source disks to the destination disks (rebalance_policy.h), one chunk
// at a time under its lock (ChunkStore::move, crash-safe: chunk_move.h), and pauses
// between moves so that moving takes at most HDD_REBALANCE_UTILIZATION percent of the
// time. The master is not involved: the chunks stay on this server.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <vector>

#include "mfschunkserver/chunk_store.h"
#include "mfscommon/config_file.h"

namespace mfs::cs {

struct RebalanceSettings {
  double utilization_percent = 20;  // share of the time spent moving, 1..100

  // HDD_REBALANCE_UTILIZATION (spec 40 §C.6), clamped to 1..100.
  static RebalanceSettings from(const ConfigFile& config);
  // How long to pause after a move that took `spent`.
  std::chrono::nanoseconds pause_after(std::chrono::nanoseconds spent) const;
};

class DiskRebalancer {
 public:
  DiskRebalancer(boost::asio::io_context& io, ChunkStore& store, RebalanceSettings settings);

  void start();
  void reconfigure(RebalanceSettings settings) { settings_ = settings; }
  void stop();
  // True while chunks of this round wait to be moved.
  bool moving() const { return !round_.empty(); }

 private:
  // A chunk of a source disk waiting to be moved.
  struct Pending {
    ChunkId chunk;
    size_t source;  // index in ChunkStore::disks()
  };

  boost::asio::awaitable<void> run();
  // Moves the next chunk of the round and returns the time it took; nullopt when there
  // is nothing to move now (then a new round has been listed, if there is one).
  boost::asio::awaitable<std::optional<std::chrono::nanoseconds>> move_one();
  void list_round(const std::vector<RebalanceRole>& roles);

  boost::asio::io_context& io_;
  ChunkStore& store_;
  RebalanceSettings settings_;
  boost::asio::steady_timer timer_;
  std::vector<Pending> round_;  // moved from the back
  bool stopping_ = false;
};

}  // namespace mfs::cs
