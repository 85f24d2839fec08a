// Reads and chained writes of chunk data on chunkservers (spec 20 §3) over a pool of
// reusable connections. The chunkserver is treated as hostile: every packet is checked
// against what was asked (chunk id, position, sizes, CRC, status order); anything else
// fails the operation and closes that connection.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmount/master_messages.h"
#include "mfsmount/tcp_socket.h"

namespace mfs::mount {

// Idle connections per chunkserver, reused by later reads and writes.
class ChunkserverPool {
 public:
  explicit ChunkserverPool(uint32_t bind_ip) : bind_ip_(bind_ip) {}
  // An idle connection to ip:port, or a new one.
  Result<TcpSocket> acquire(uint32_t ip, uint16_t port);
  // Keeps a connection whose last operation ended cleanly.
  void release(uint32_t ip, uint16_t port, TcpSocket socket);

 private:
  struct Idle {
    TcpSocket socket;
    std::chrono::steady_clock::time_point since;
  };
  uint32_t bind_ip_;
  std::mutex mutex_;
  std::map<uint64_t, std::vector<Idle>> idle_;
};

// Reads `out.size()` bytes at `offset` inside the chunk from one copy.
Status read_from_copy(ChunkserverPool& pool, const ChunkCopy& copy, uint64_t chunkid, uint32_t version,
                      uint32_t offset, std::span<uint8_t> out);

// A piece of data inside one 64 KiB block of a chunk.
struct BlockPiece {
  uint32_t chunk_offset = 0;
  std::span<const uint8_t> data;
};

// Writes the pieces through the chain of `location.copies` (first copy first), each with
// its CRC, and ends the transaction. All pieces must lie inside single blocks.
Status write_to_chain(ChunkserverPool& pool, const ChunkLocation& location, std::span<const BlockPiece> pieces);

}  // namespace mfs::mount
