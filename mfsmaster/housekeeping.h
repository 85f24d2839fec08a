// Periodic metadata upkeep, once a second on the metadata thread: trash expiry,
// expiry of disconnected sessions, recycling of freed inode numbers, and the chunk
// manager's replication and deletion work. Every change goes through the MutationLog.
#pragma once
#include <cstdint>

#include "mfscommon/config_file.h"
#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/mutation_log.h"

namespace mfs::master {

class Housekeeping {
 public:
  Housekeeping(Metadata& metadata, MutationLog& mutations, ChunkManager& chunks, uint32_t started_at);
  void configure(const ConfigFile& config);
  void run(uint32_t now);

 private:
  void expire_trash(uint32_t now);
  void expire_sessions(uint32_t now);
  void recycle_inodes(uint32_t now);

  Metadata& metadata_;
  MutationLog& mutations_;
  ChunkManager& chunks_;
  uint32_t started_at_;
  uint32_t session_sustain_time_ = 86400;
  uint32_t inode_reuse_delay_ = 86400;
  uint32_t last_recycle_ = 0;
};

}  // namespace mfs::master
