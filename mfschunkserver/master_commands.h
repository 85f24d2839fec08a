// Executes the chunk commands of the master (spec 20 §2.6, §2.7) and builds their replies.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "mfschunkserver/chunk_store.h"
#include "mfscommon/chunkserver_master_messages.h"

namespace mfs::cs {

// Whether a message of the master is a chunk command (as opposed to a registration
// acknowledgement or a keep-alive).
bool is_chunk_command(const csmsg::MasterToChunkserver& message);

// The reply frame to a chunk command.
boost::asio::awaitable<std::vector<uint8_t>> execute(ChunkStore& store, csmsg::MasterToChunkserver command);

}  // namespace mfs::cs
