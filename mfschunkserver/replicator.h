// Replication (spec 20 §4): this chunkserver makes a copy of a chunk by reading it from
// the data port of another chunkserver, ours or MooseFS's, as a client would.
#pragma once
#include <cstdint>

#include "mfschunkserver/chunk_store.h"
#include "mfscommon/chunkserver_master_messages.h"

namespace mfs::cs {

// Copies the chunk of `source` into a new local chunk `chunkid`/`version`. On failure
// the partial local copy is removed and the status says why. One source only: the
// multi-source (XOR) form is answered with EINVAL, which spec 20 §4 allows.
boost::asio::awaitable<Status> replicate(ChunkStore& store, uint64_t chunkid, uint32_t version,
                                         const csmsg::ReplicationSource& source);

}  // namespace mfs::cs
