// One lock per chunk id, taken by every operation on the chunk's file so that master
// commands, reads and writes of one chunk run one at a time and in arrival order.
// Used on the network thread only.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

#include "mfscommon/asio_awaitable.h"

namespace mfs::cs {

class ChunkLocks {
 public:
  // Releases the lock when destroyed.
  class Guard {
   public:
    Guard(ChunkLocks* locks, uint64_t chunkid) : locks_(locks), chunkid_(chunkid) {}
    Guard(Guard&& other) noexcept : locks_(std::exchange(other.locks_, nullptr)), chunkid_(other.chunkid_) {}
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (locks_) locks_->unlock(chunkid_);
    }

   private:
    ChunkLocks* locks_;
    uint64_t chunkid_;
  };

  // Waits until no one else holds `chunkid` (first come, first served).
  boost::asio::awaitable<Guard> lock(uint64_t chunkid);

 private:
  struct Entry {
    bool held = false;
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters;
  };
  void unlock(uint64_t chunkid);

  std::unordered_map<uint64_t, Entry> entries_;
};

}  // namespace mfs::cs
