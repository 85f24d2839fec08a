#include "mfschunkserver/read_request.h"

#include <algorithm>
#include <array>
#include <memory>

#include "mfscommon/crc32.h"

namespace mfs::cs {

namespace asio = boost::asio;

namespace {

// Blocks read by one disk job: 1 MiB, as much as the connection queues before it waits.
constexpr size_t kBlocksPerJob = 16;

// The checks of spec 20 §3.2 before the chunk is opened.
Status check_read(const csdata::ReadRequest& request) {
  if (request.size > kChunkSize) return StatusCode::kWrongSize;
  if (request.offset >= kChunkSize || uint64_t{request.offset} + request.size > kChunkSize) {
    return StatusCode::kWrongOffset;
  }
  return Status::ok();
}

asio::awaitable<Status> send_blocks(PacketConnection& connection, ChunkStore& store,
                                    const csdata::ReadRequest& request) {
  auto chunk = co_await store.open(request.chunkid, request.version);
  if (!chunk) co_return chunk.status();
  uint32_t end = request.offset + request.size;
  uint32_t last = (end - 1) / kBlockSize;
  // Only as many blocks as the request touches, not zeroed: a 4 KiB read needs one.
  size_t buffer_blocks = std::min<size_t>(kBlocksPerJob, last - request.offset / kBlockSize + 1);
  auto content = std::make_unique_for_overwrite<Block[]>(buffer_blocks);
  std::array<uint32_t, kBlocksPerJob> crcs{};
  for (uint32_t first = request.offset / kBlockSize; first <= last; first += kBlocksPerJob) {
    size_t count = std::min<size_t>(kBlocksPerJob, last - first + 1);
    BlocksRead read = co_await store.read_blocks(*chunk, static_cast<uint16_t>(first),
                                                 std::span(content.get(), count), std::span(crcs.data(), count));
    for (uint16_t i = 0; i < read.count; ++i) {
      uint32_t block_start = (first + i) * kBlockSize;
      uint32_t from = std::max(request.offset, block_start);
      uint32_t to = std::min(end, block_start + kBlockSize);
      std::span<const uint8_t> data(content[i].data() + (from - block_start), to - from);
      uint32_t crc = data.size() == kBlockSize ? crcs[i] : crc32(data);
      connection.send(csdata::encode(csdata::ReadData{request.chunkid, static_cast<uint16_t>(first + i),
                                                      static_cast<uint16_t>(from - block_start), crc, data}));
    }
    if (!read.status) co_return read.status;
    co_await connection.wait_writable();
    if (!connection.is_open()) co_return StatusCode::kDisconnected;
  }
  co_return Status::ok();
}

}  // namespace

asio::awaitable<void> serve_read(PacketConnection& connection, ChunkStore& store, const csdata::ReadRequest& request) {
  Status status = check_read(request);
  if (status && request.size > 0) status = co_await send_blocks(connection, store, request);
  connection.send(csdata::encode(csdata::ReadStatus{request.chunkid, status.code()}));
}

}  // namespace mfs::cs
