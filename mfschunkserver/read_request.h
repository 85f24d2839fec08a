// A client's (or a replicating chunkserver's) read of chunk data: CLTOCS_READ answered
// with one READ_DATA per touched block and a READ_STATUS (spec 20 §3.2).
#pragma once
#include <memory>

#include "mfschunkserver/chunk_store.h"
#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/packet_connection.h"

namespace mfs::cs {

boost::asio::awaitable<void> serve_read(PacketConnection& connection, ChunkStore& store,
                                        const csdata::ReadRequest& request);

}  // namespace mfs::cs
