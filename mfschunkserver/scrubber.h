// Background scrubbing (HDD_TEST_SPEED, HDD_MIN_TEST_INTERVAL; spec 40 §C.6, spec 30 §5.5):
// the chunks of each disk are read in turn and checked against their stored CRCs, at a
// limited rate per disk. A damaged copy is reported to the master by the chunk store, as
// for a client read, and the master makes a new copy from a good one.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <list>

#include "mfschunkserver/chunk_store.h"
#include "mfscommon/config_file.h"

namespace mfs::cs {

struct ScrubSettings {
  double mib_per_second = 1.0;  // per disk; 0 turns scrubbing off
  std::chrono::seconds min_idle{86400};  // chunks a client used more recently wait

  // HDD_TEST_SPEED (MiB/s), or the deprecated HDD_TEST_FREQ (speed = 10 / freq), and
  // HDD_MIN_TEST_INTERVAL.
  static ScrubSettings from(const ConfigFile& config);
};

class Scrubber {
 public:
  Scrubber(boost::asio::io_context& io, ChunkStore& store, ScrubSettings settings);

  // One loop per disk.
  void start();
  void reconfigure(ScrubSettings settings);
  void stop();

 private:
  boost::asio::awaitable<void> scrub(Disk& disk);
  // Waits `duration`, or less when stopped; false once stopped.
  boost::asio::awaitable<bool> pause(boost::asio::steady_timer& timer, std::chrono::nanoseconds duration);

  boost::asio::io_context& io_;
  ChunkStore& store_;
  ScrubSettings settings_;
  std::list<boost::asio::steady_timer*> timers_;  // of the running loops, cancelled by stop()
  bool stopping_ = false;
};

}  // namespace mfs::cs
