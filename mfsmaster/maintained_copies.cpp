#include "mfsmaster/maintained_copies.h"

#include <utility>

namespace mfs::master {

void MaintainedCopies::server_left(uint16_t csid, uint32_t until, std::vector<uint64_t> chunk_ids) {
  server_back(csid);
  for (uint64_t chunk_id : chunk_ids) ++copies_per_chunk_[chunk_id];
  servers_[csid] = AbsentServer{until, std::move(chunk_ids)};
}

void MaintainedCopies::server_back(uint16_t csid) {
  auto server = servers_.find(csid);
  if (server != servers_.end()) forget(server);
}

size_t MaintainedCopies::expire(uint32_t now) {
  size_t ended = 0;
  for (auto server = servers_.begin(); server != servers_.end();) {
    auto next = std::next(server);
    if (server->second.until <= now) {
      forget(server);
      ++ended;
    }
    server = next;
  }
  return ended;
}

uint32_t MaintainedCopies::count(uint64_t chunk_id) const {
  auto it = copies_per_chunk_.find(chunk_id);
  return it == copies_per_chunk_.end() ? 0 : it->second;
}

void MaintainedCopies::forget(std::map<uint16_t, AbsentServer>::iterator server) {
  for (uint64_t chunk_id : server->second.chunk_ids) {
    auto it = copies_per_chunk_.find(chunk_id);
    if (it != copies_per_chunk_.end() && --it->second == 0) copies_per_chunk_.erase(it);
  }
  servers_.erase(server);
}

}  // namespace mfs::master
