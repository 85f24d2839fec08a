// One write transaction on the data port (spec 20 §3.3, §3.4): opens the chunk, forwards
// everything to the next chunkserver of the chain when there is one, writes the blocks
// locally in order, and answers each WRITE_DATA once the local write and the rest of the
// chain have stored it.
#pragma once
#include <memory>
#include <optional>

#include "mfschunkserver/chain_connections.h"
#include "mfschunkserver/chunk_store.h"
#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/packet_connection.h"

namespace mfs::cs {

// Runs the transaction started by `init`. Returns a packet the client sent after the
// transaction ended with an error status, which the idle connection must handle; the
// client connection is closed when the transaction had to be aborted. The connection to
// the next server of the chain comes from, and goes back to, `chain`.
boost::asio::awaitable<std::optional<Packet>> serve_write(std::shared_ptr<PacketConnection> client, ChunkStore& store,
                                                         ChainConnections& chain, csdata::WriteInit init);

}  // namespace mfs::cs
