#include "mfschunkserver/chunk_queries.h"

namespace mfs::cs {

namespace asio = boost::asio;

uint32_t chunk_checksum(const CrcTable& crcs) {
  constexpr uint32_t kMultiplier = 426265243;
  uint32_t checksum = 1;
  for (uint32_t crc : crcs) checksum = (checksum * kMultiplier) ^ crc;
  return checksum;
}

asio::awaitable<std::vector<uint8_t>> answer(ChunkStore& store, const csmsg::GetChunkBlocksCommand& query) {
  csmsg::ChunkBlocksReply reply{query.chunkid, query.version, 0, StatusCode::kOk};
  auto chunk = co_await store.summary(query.chunkid, query.version);
  if (chunk) {
    reply.blocks = chunk->blocks;
  } else {
    reply.status = chunk.code();
  }
  co_return csmsg::encode(reply);
}

asio::awaitable<std::vector<uint8_t>> answer(ChunkStore& store, const csmsg::GetChunkChecksumCommand& query) {
  csmsg::ChunkChecksumReply reply{query.chunkid, query.version, StatusCode::kOk, 0};
  auto chunk = co_await store.summary(query.chunkid, query.version);
  if (chunk) {
    reply.checksum = chunk_checksum(chunk->crcs);
  } else {
    reply.status = chunk.code();
  }
  co_return csmsg::encode(reply);
}

asio::awaitable<std::vector<uint8_t>> answer(ChunkStore& store, const csmsg::GetChunkChecksumTabCommand& query) {
  csmsg::ChunkChecksumTabReply reply{query.chunkid, query.version, StatusCode::kOk, {}};
  auto chunk = co_await store.summary(query.chunkid, query.version);
  if (chunk) {
    reply.crcs.assign(chunk->crcs.begin(), chunk->crcs.end());
  } else {
    reply.status = chunk.code();
  }
  co_return csmsg::encode(reply);
}

}  // namespace mfs::cs
