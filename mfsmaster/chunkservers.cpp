#include "mfsmaster/chunkservers.h"

#include "mfscommon/ip_address.h"

namespace mfs::master {

std::string Chunkserver::address() const { return ip_to_string(ip) + ":" + std::to_string(port); }

Chunkserver& Chunkservers::connect(uint32_t ip, uint16_t port, uint16_t csid) {
  if (csid == 0) {
    auto known = known_ids_.find({ip, port});
    csid = known != known_ids_.end() ? known->second : 0;
  }
  while (csid == 0 || servers_.count(csid)) {
    csid = next_csid_++;
    if (next_csid_ == 0) next_csid_ = 1;
  }
  if (csid >= next_csid_) next_csid_ = static_cast<uint16_t>(csid + 1);
  known_ids_[{ip, port}] = csid;
  auto server = std::make_unique<Chunkserver>();
  server->csid = csid;
  server->ip = ip;
  server->port = port;
  Chunkserver& ref = *server;
  servers_[csid] = std::move(server);
  return ref;
}

void Chunkservers::disconnect(Chunkserver& server) { servers_.erase(server.csid); }

Chunkserver* Chunkservers::find(uint16_t csid) const {
  auto it = servers_.find(csid);
  return it == servers_.end() ? nullptr : it->second.get();
}

Chunkserver* Chunkservers::find_by_address(uint32_t ip, uint16_t port) const {
  for (const auto& [csid, server] : servers_) {
    if (server->ip == ip && server->port == port) return server.get();
  }
  return nullptr;
}

uint64_t Chunkservers::total_space() const {
  uint64_t total = 0;
  for (const auto& [csid, server] : servers_) total += server->total_space;
  return total;
}

uint64_t Chunkservers::free_space() const {
  uint64_t free = 0;
  for (const auto& [csid, server] : servers_) free += server->free_space();
  return free;
}

}  // namespace mfs::master
