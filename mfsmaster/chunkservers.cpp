#include "mfsmaster/chunkservers.h"

#include "mfscommon/ip_address.h"

namespace mfs::master {

namespace {

constexpr uint8_t kOverloaded = 2, kRebalancing = 3;
constexpr uint32_t kGraceOverloaded = 0xC0000000;
constexpr uint32_t kGraceRebalance = 0x80000000;

}  // namespace

std::string Chunkserver::address() const { return ip_to_string(ip) + ":" + std::to_string(port); }

HeavyLoadPolicy read_heavy_load_policy(const ConfigFile& config) {
  HeavyLoadPolicy policy;
  policy.threshold = static_cast<uint32_t>(config.get_uint_clamped("CS_HEAVY_LOAD_THRESHOLD", 150, 0, UINT32_MAX));
  policy.ratio = config.get_double("CS_HEAVY_LOAD_RATIO_THRESHOLD", 3.0);
  policy.grace_period = static_cast<uint32_t>(config.get_uint_clamped("CS_HEAVY_LOAD_GRACE_PERIOD", 900, 0, 1u << 30));
  return policy;
}

uint32_t Chunkserver::gracetime(uint32_t now) const {
  if (health == kOverloaded) return kGraceOverloaded;
  if (health == kRebalancing) return kGraceRebalance;
  return grace_until > now ? grace_until - now : 0;
}

void Chunkservers::report_load(Chunkserver& server, uint32_t load, uint8_t hlstatus, uint32_t now) {
  server.load = load;
  server.health = hlstatus;
  uint64_t total = 0;
  for (const auto& [csid, other] : servers_) total += other->load;
  double average = servers_.empty() ? 0.0 : double(total) / double(servers_.size());
  if (load > heavy_load_.threshold && double(load) > heavy_load_.ratio * average) {
    server.grace_until = now + heavy_load_.grace_period;
  }
}

bool Chunkservers::back_to_work(Chunkserver& server, uint32_t now) {
  if (server.grace_until <= now) return false;
  server.grace_until = 0;
  return true;
}

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
