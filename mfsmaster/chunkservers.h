// Connected (and remembered) chunkservers: identity, space, load and labels as they
// report them (spec 20 §2.3-2.5), and the way to send them commands. Live state only;
// nothing here goes through the changelog.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mfscommon/config_file.h"

namespace mfs::master {

struct Chunkserver {
  uint16_t csid = 0;
  uint32_t ip = 0;
  uint16_t port = 0;
  uint32_t version = 0;
  uint32_t labels = 0;  // bit i = label 'A'+i
  uint64_t used_space = 0;
  uint64_t total_space = 0;
  uint32_t chunk_count = 0;
  uint64_t removal_used_space = 0;  // on disks marked for removal
  uint64_t removal_total_space = 0;
  uint32_t removal_chunk_count = 0;
  uint32_t load = 0;
  uint8_t health = 1;  // hlstatus: 1 ok, 2 overloaded, 3 rebalancing
  uint32_t grace_until = 0;  // heavy load: kept from new copies until then
  uint32_t errors = 0;
  bool registered = false;  // END received: its chunk list is complete
  bool leaving_gracefully = false;  // said goodbye (rver 63): expected back after a restart
  // Commands in flight, to respect replication and deletion limits.
  uint32_t replications_to = 0;
  uint32_t replications_from = 0;
  uint32_t deletions = 0;
  // Sends one frame on the server's connection.
  std::function<void(std::vector<uint8_t>)> send;

  uint64_t free_space() const { return total_space > used_space ? total_space - used_space : 0; }
  // Room for at least one more chunk (64 MiB): only such servers get new copies.
  bool can_take_chunks() const { return free_space() > (uint64_t{1} << 26); }
  // Overloaded or in heavy-load grace: no new chunks or replicas for now. (A rebalancing
  // server still gets them: 3.0.117 does so, docs/protocol-notes.md.)
  bool busy(uint32_t now) const { return overloaded() || grace_until > now; }
  bool overloaded() const { return health == 2; }
  // mfscli's gracetime (spec 40 B.3): the hlstatus marks, else the seconds of grace left.
  uint32_t gracetime(uint32_t now) const;
  std::string address() const;
};

// CS_HEAVY_LOAD_* of mfsmaster.cfg (spec 40 C.2).
struct HeavyLoadPolicy {
  uint32_t threshold = 150;
  double ratio = 3.0;
  uint32_t grace_period = 900;
};
HeavyLoadPolicy read_heavy_load_policy(const ConfigFile& config);

class Chunkservers {
 public:
  // A connected server; `csid` 0 gets a fresh id.
  Chunkserver& connect(uint32_t ip, uint16_t port, uint16_t csid);
  void disconnect(Chunkserver& server);
  Chunkserver* find(uint16_t csid) const;
  Chunkserver* find_by_address(uint32_t ip, uint16_t port) const;
  const std::map<uint16_t, std::unique_ptr<Chunkserver>>& all() const { return servers_; }
  size_t connected_count() const { return servers_.size(); }
  uint64_t total_space() const;
  uint64_t free_space() const;

  void configure(const HeavyLoadPolicy& policy) { heavy_load_ = policy; }
  // CSTOMA_CURRENT_LOAD (spec 20 §2.5): a load above the threshold and above the ratio times
  // the average of all servers starts a grace period.
  void report_load(Chunkserver& server, uint32_t load, uint8_t hlstatus, uint32_t now);
  // BACKTOWORK: ends the server's grace period; false if it has none.
  bool back_to_work(Chunkserver& server, uint32_t now);

 private:
  HeavyLoadPolicy heavy_load_;
  std::map<uint16_t, std::unique_ptr<Chunkserver>> servers_;
  std::map<std::pair<uint32_t, uint16_t>, uint16_t> known_ids_;  // ip:port -> csid, remembered
  uint16_t next_csid_ = 1;
};

}  // namespace mfs::master
