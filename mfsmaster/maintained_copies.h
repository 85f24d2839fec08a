// Copies held by chunkservers in temporary maintenance. A chunkserver that shuts down
// gracefully (spec 20 §2.10) is expected back: for CS_TEMP_MAINTENANCE_MODE_TIMEOUT
// seconds its copies still count towards their chunks' goals, so restarting a
// chunkserver does not start a replication storm. The copies are forgotten when the
// server registers again (it announces them anew) or when the maintenance ends.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

namespace mfs::master {

class MaintainedCopies {
 public:
  void server_left(uint16_t csid, uint32_t until, std::vector<uint64_t> chunk_ids);
  void server_back(uint16_t csid);
  // Ends the maintenances due at `now`; returns how many ended.
  size_t expire(uint32_t now);
  uint32_t count(uint64_t chunk_id) const;

 private:
  struct AbsentServer {
    uint32_t until = 0;
    std::vector<uint64_t> chunk_ids;
  };
  void forget(std::map<uint16_t, AbsentServer>::iterator server);

  std::map<uint16_t, AbsentServer> servers_;
  std::unordered_map<uint64_t, uint32_t> copies_per_chunk_;
};

}  // namespace mfs::master
