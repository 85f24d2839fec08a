// `chunkserverid.mfs` in DATA_PATH (spec 30 §6.2): the id the master gave this chunkserver
// and the meta id of the file system it belongs to.
#pragma once
#include <cstdint>
#include <string>

#include "mfscommon/status.h"

namespace mfs::cs {

struct ChunkserverIdentity {
  uint16_t csid = 0;
  uint64_t metaid = 0;
  bool operator==(const ChunkserverIdentity&) const = default;
};

inline constexpr const char* kIdentityFileName = "chunkserverid.mfs";

// A missing file is {0, 0}; a 2-byte file holds the csid alone.
ChunkserverIdentity read_identity(const std::string& path);
Status write_identity(const std::string& path, const ChunkserverIdentity& identity);

}  // namespace mfs::cs
