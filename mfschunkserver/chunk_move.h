// Moving a chunk file to another disk of this server (local rebalancing) so that a
// complete copy exists at every moment: copy to `<name>.part`, fsync, rename to the
// chunk's name, fsync the folder, and only then remove the source. A crash leaves a
// `.part` (removed by the next scan; neither chunkserver takes it for a chunk, its name
// is not 35 characters) or two complete copies (start-up keeps one, ChunkStore::load).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "mfscommon/status.h"

namespace mfs::cs {

struct FileMove {
  Status status;
  bool source_failed = false;  // the error is the source disk's (reading, removing)
  // The destination file is complete under the chunk's name (even with an error after
  // it, when the source could not be removed: that copy is dropped at the next start).
  bool copied = false;
};

// Blocking. `room`: the bytes the destination may take; a larger file is kNoSpace.
FileMove move_chunk_file(const std::string& from, const std::string& to, uint64_t room);

// A leftover of a move cut short.
bool is_partial_move(std::string_view file_name);

}  // namespace mfs::cs
