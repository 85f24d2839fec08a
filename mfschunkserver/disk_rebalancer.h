// Local rebalancing (mfshdd.cfg `<` and `>`): one coroutine on the network thread moves
// the chunks of the source disks to the destination disks (rebalance_policy.h), each
// under its lock (ChunkStore::move, crash-safe: chunk_move.h). Normally one chunk at a
// time, pausing between moves so that moving takes at most HDD_REBALANCE_UTILIZATION
// percent of the time; in high-speed mode (HDD_HIGH_SPEED_REBALANCE_LIMIT > 0) up to that
// many moves in flight per destination disk and no pause, as 3.0.117 does (docs/
// protocol-notes.md "Chunkserver: high-speed local rebalancing"). The master is not
// involved: the chunks stay on this server.
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
  uint32_t high_speed_limit = 0;    // moves in flight per destination disk; 0: paced

  // HDD_REBALANCE_UTILIZATION, clamped to 1..100, and HDD_HIGH_SPEED_REBALANCE_LIMIT
  // (spec 40 §C.6).
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
  // True while chunks of this round wait to be moved or are on their way.
  bool moving() const { return !round_.empty() || in_flight_ > 0; }

 private:
  // A chunk of a source disk waiting to be moved.
  struct Pending {
    ChunkId chunk;
    size_t source;  // index in ChunkStore::disks()
  };

  struct Move {
    Pending chunk;
    size_t destination;  // index in ChunkStore::disks()
  };

  boost::asio::awaitable<void> run();
  // One chunk, then how long to wait: the utilisation pause after a move.
  boost::asio::awaitable<std::chrono::nanoseconds> move_paced();
  // Starts moves until no destination has a free slot; a move ending wakes the loop.
  void start_moves(uint32_t per_destination);
  boost::asio::awaitable<void> move_in_flight(Move planned);
  // The next chunk of the round and where it goes; nullopt when there is nothing to move
  // now (then a new round has been listed, if there is one and no move is in flight).
  std::optional<Move> next_move(uint32_t per_destination);
  void list_round(const std::vector<RebalanceRole>& roles);
  boost::asio::awaitable<void> move(const Move& planned);

  boost::asio::io_context& io_;
  ChunkStore& store_;
  RebalanceSettings settings_;
  boost::asio::steady_timer timer_;
  std::vector<Pending> round_;      // moved from the back
  std::vector<uint32_t> moves_in_;  // per disk, moves to it in flight
  size_t in_flight_ = 0;
  bool stopping_ = false;
};

}  // namespace mfs::cs
