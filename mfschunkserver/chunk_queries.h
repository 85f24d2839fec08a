// Answers to the chunk information requests (spec 20 §3.5), which arrive on the data port
// and on the master link.
#pragma once
#include <cstdint>
#include <vector>

#include "mfschunkserver/chunk_file.h"
#include "mfschunkserver/chunk_store.h"
#include "mfscommon/chunkserver_master_messages.h"

namespace mfs::cs {

// The chunk checksum: a fold of the block CRC table (spec 20 §3.5).
uint32_t chunk_checksum(const CrcTable& crcs);

// The reply frames.
boost::asio::awaitable<std::vector<uint8_t>> answer(ChunkStore& store, const csmsg::GetChunkBlocksCommand& query);
boost::asio::awaitable<std::vector<uint8_t>> answer(ChunkStore& store, const csmsg::GetChunkChecksumCommand& query);
boost::asio::awaitable<std::vector<uint8_t>> answer(ChunkStore& store,
                                                    const csmsg::GetChunkChecksumTabCommand& query);

}  // namespace mfs::cs
