#include "mfschunkserver/read_request.h"

#include "mfscommon/crc32.h"

namespace mfs::cs {

namespace asio = boost::asio;

namespace {

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
  auto content = std::make_unique<Block>();
  uint32_t end = request.offset + request.size;
  for (uint32_t position = request.offset; position < end;) {
    auto block = static_cast<uint16_t>(position / kBlockSize);
    uint32_t in_block = position % kBlockSize;
    uint32_t size = std::min(kBlockSize - in_block, end - position);
    auto block_crc = co_await store.read_block(*chunk, block, *content);
    if (!block_crc) co_return block_crc.status();
    std::span<const uint8_t> data(content->data() + in_block, size);
    uint32_t crc = size == kBlockSize ? *block_crc : crc32(data);
    connection.send(csdata::encode(
        csdata::ReadData{request.chunkid, block, static_cast<uint16_t>(in_block), crc, data}));
    co_await connection.wait_writable();
    if (!connection.is_open()) co_return StatusCode::kDisconnected;
    position += size;
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
