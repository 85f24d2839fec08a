#include "mfschunkserver/replicator.h"

#include <array>
#include <chrono>
#include <variant>

#include "mfscommon/ip_address.h"
#include "mfscommon/log.h"
#include "mfscommon/outgoing_connection.h"

namespace mfs::cs {

namespace asio = boost::asio;

namespace {

// Every network phase of a replication has 5 s.
constexpr std::chrono::seconds kPhaseTimeout{5};
constexpr std::array<std::chrono::milliseconds, 1> kConnectAttempts = {std::chrono::milliseconds(5000)};

// The next reply of the source, which must be a T about `chunkid`: DISCONNECTED for
// anything else, WRONGCHUNKID for another chunk; an error READ_STATUS instead of data is
// that error. `packet` holds the bytes the reply points into.
template <typename T>
asio::awaitable<Result<T>> expect(PacketConnection& source, std::optional<Packet>& packet, uint64_t chunkid) {
  packet = co_await read_skipping_nops(source);
  if (!packet) co_return Status(StatusCode::kDisconnected, source.close_reason());
  auto decoded = csdata::decode_from_chunkserver(*packet);
  if (!decoded) co_return Status(StatusCode::kDisconnected, decoded.status().to_string());
  auto* status = std::get_if<csdata::ReadStatus>(&*decoded);
  if (status && !std::is_same_v<T, csdata::ReadStatus> && status->status != StatusCode::kOk) co_return status->status;
  auto* reply = std::get_if<T>(&*decoded);
  if (!reply) co_return StatusCode::kDisconnected;
  if (reply->chunkid != chunkid) co_return StatusCode::kWrongChunkId;
  co_return *reply;
}

// The source's answer to GET_CHUNK_BLOCKS.
asio::awaitable<Result<uint16_t>> source_blocks(PacketConnection& source, const csmsg::ReplicationSource& from) {
  source.send(csmsg::encode(csmsg::GetChunkBlocksCommand{from.chunkid, from.version}));
  std::optional<Packet> packet;
  auto blocks = co_await expect<csmsg::ChunkBlocksReply>(source, packet, from.chunkid);
  if (!blocks) co_return blocks.status();
  if (blocks->version != from.version) co_return StatusCode::kWrongVersion;
  if (blocks->status != StatusCode::kOk) co_return blocks->status;
  co_return blocks->blocks;
}

// Reads `blocks` blocks from the source into the local chunk.
asio::awaitable<Status> copy_blocks(ChunkStore& store, const OpenedChunk& target, PacketConnection& source,
                                    const csmsg::ReplicationSource& from, uint16_t blocks) {
  source.send(csdata::encode(csdata::ReadRequest{std::nullopt, from.chunkid, from.version, 0,
                                                 uint32_t{blocks} * kBlockSize}));
  for (uint16_t block = 0; block < blocks; ++block) {
    std::optional<Packet> packet;
    auto data = co_await expect<csdata::ReadData>(source, packet, from.chunkid);
    if (!data) co_return data.status();
    if (data->blocknum != block) co_return StatusCode::kDisconnected;
    if (data->offset != 0) co_return StatusCode::kWrongOffset;
    if (data->data.size() != kBlockSize) co_return StatusCode::kWrongSize;
    if (Status written = co_await store.write(target, block, 0, data->data, data->crc); !written) co_return written;
  }
  std::optional<Packet> packet;
  auto status = co_await expect<csdata::ReadStatus>(source, packet, from.chunkid);
  if (!status) co_return status.status();
  co_return status->status;
}

asio::awaitable<Status> fill_new_chunk(ChunkStore& store, uint64_t chunkid, const csmsg::ReplicationSource& from) {
  ConnectionLimits limits{csdata::kMaxReplicationPayload, kPhaseTimeout, 1u << 20};
  auto source = co_await connect_with_retries(from.ip, from.port, kConnectAttempts, limits);
  if (!source) co_return source.status();
  auto blocks = co_await source_blocks(**source, from);
  Status status = blocks.status();
  if (blocks && *blocks > 0) {
    auto target = co_await store.open(chunkid, 0);
    // No co_await inside ?: - GCC 12 miscompiles it.
    if (target) {
      status = co_await copy_blocks(store, *target, **source, from, *blocks);
    } else {
      status = target.status();
    }
  }
  (*source)->close();
  co_return status;
}

}  // namespace

asio::awaitable<Status> replicate(ChunkStore& store, uint64_t chunkid, uint32_t version,
                                  const csmsg::ReplicationSource& source) {
  // The copy has version 0 until it is complete (spec 20 §4).
  if (Status created = co_await store.create(chunkid, 0); !created) co_return created;
  Status status = co_await fill_new_chunk(store, chunkid, source);
  if (status) status = co_await store.set_version(chunkid, version, 0);
  if (!status) {
    MFS_LOG_WARNING("replication of chunk %016llX from %s:%u failed: %s", static_cast<unsigned long long>(chunkid),
                    ip_to_string(source.ip).c_str(), source.port, status.to_string().c_str());
    co_await store.remove(chunkid, 0);
  }
  co_return status;
}

}  // namespace mfs::cs
