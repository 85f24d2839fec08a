// How a chunk's location is sent to clients (spec 10 §7.3, §8.3, §8.4): the chunk, its
// version and the chunkservers holding a valid copy, the nearest to the client first.
#pragma once
#include <cstdint>
#include <vector>

#include "mfscommon/packet.h"
#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/topology.h"

namespace mfs::master {

// The READ_CHUNK / WRITE_CHUNK reply: `msgid protocolid:u8 length:u64 chunkid:u64
// version:u32 N×[ip:u32 port:u16 csver:u32 labelmask:u32]`.
std::vector<uint8_t> location_reply(uint32_t type, uint32_t msgid, const ChunkLocation& location, uint32_t client_ip,
                                    const Topology& topology);
// What a LOOKUP reply with CHUNK_ZERO_DATA appends: the same without the length.
void put_chunk_zero_location(PacketWriter& out, const ChunkLocation& location, uint32_t client_ip,
                             const Topology& topology);

}  // namespace mfs::master
