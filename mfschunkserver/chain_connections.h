// Connections to the next chunkserver of write chains, kept open between transactions
// as MooseFS 3.0.117 does (spec 20 §3.3: "a cached idle connection may be reused
// first"): a small file's write then costs no TCP connect, accept and close on each pair
// of chunkservers of its chain.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "mfscommon/packet_connection.h"
#include "mfscommon/status.h"

namespace mfs::cs {

class ChainConnections {
 public:
  struct Opened {
    std::shared_ptr<PacketConnection> connection;
    bool reused = false;  // an idle one: the peer may have closed it meanwhile
  };

  // An idle connection to ip:port that still looks open when `reuse_idle`, else a new one
  // (connect_with_retries with `attempts`); CANTCONNECT when none can be made.
  boost::asio::awaitable<Result<Opened>> open(uint32_t ip, uint16_t port,
                                              std::span<const std::chrono::milliseconds> attempts,
                                              ConnectionLimits limits, bool reuse_idle);
  // Takes back the connection of a transaction that ended cleanly (nothing unread expected).
  void give_back(uint32_t ip, uint16_t port, std::shared_ptr<PacketConnection> connection);

 private:
  struct Idle {
    std::shared_ptr<PacketConnection> connection;
    std::chrono::steady_clock::time_point since;
  };
  using Address = std::pair<uint32_t, uint16_t>;
  // Drops idle connections that are too old or closed by their peer.
  void expire(std::chrono::steady_clock::time_point now);

  std::map<Address, std::vector<Idle>> idle_;
};

}  // namespace mfs::cs
