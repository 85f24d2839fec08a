#include "mfsmaster/location_record.h"

#include <algorithm>

namespace mfs::master {

namespace {

constexpr uint8_t kChunkProtocolId = 2;
constexpr size_t kServerEntrySize = 14;

// Closest to the client first (mfstopology.cfg, spec 40 §C.5), otherwise in the chunk
// manager's order.
void put_servers(PacketWriter& out, const ChunkLocation& location, uint32_t client_ip, const Topology& topology) {
  std::vector<const Chunkserver*> servers = location.servers;
  std::stable_sort(servers.begin(), servers.end(), [&](const Chunkserver* a, const Chunkserver* b) {
    return topology.distance(client_ip, a->ip) < topology.distance(client_ip, b->ip);
  });
  for (const Chunkserver* server : servers) {
    out.u32(server->ip).u16(server->port).u32(server->version).u32(server->labels);
  }
}

}  // namespace

std::vector<uint8_t> location_reply(uint32_t type, uint32_t msgid, const ChunkLocation& location, uint32_t client_ip,
                                    const Topology& topology) {
  PacketWriter reply(type, 25 + kServerEntrySize * location.servers.size());
  reply.u32(msgid).u8(kChunkProtocolId).u64(location.file_length).u64(location.chunk_id).u32(location.version);
  put_servers(reply, location, client_ip, topology);
  return reply.take();
}

void put_chunk_zero_location(PacketWriter& out, const ChunkLocation& location, uint32_t client_ip,
                             const Topology& topology) {
  out.u8(kChunkProtocolId).u64(location.chunk_id).u32(location.version);
  put_servers(out, location, client_ip, topology);
}

}  // namespace mfs::master
