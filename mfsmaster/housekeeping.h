// Periodic metadata upkeep, once a second on the metadata thread: trash and sustained
// expiry, archiving after a storage class's delay, expiry of disconnected sessions,
// recycling of freed inode numbers, quota soft limit states (quota_table.h), the chunk
// manager's replication and deletion work, and the filesystem check loop (which changes
// nothing). Every change goes through the MutationLog.
#pragma once
#include <cstdint>

#include "mfscommon/config_file.h"
#include "mfsmaster/archive_delay.h"
#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/fs_check_loop.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/mutation_log.h"

namespace mfs::master {

class Housekeeping {
 public:
  Housekeeping(Metadata& metadata, MutationLog& mutations, ChunkManager& chunks, uint32_t started_at);
  void configure(const ConfigFile& config);
  void run(uint32_t now);
  const FsCheckLoop& fs_check() const { return fs_check_; }

 private:
  void expire_trash(uint32_t now);
  void expire_sustained(uint32_t now);
  void archive_after_delay(uint32_t now);
  void expire_sessions(uint32_t now);
  void recycle_inodes(uint32_t now);
  void update_quota_states(uint32_t now);

  Metadata& metadata_;
  MutationLog& mutations_;
  ChunkManager& chunks_;
  uint32_t started_at_;
  uint32_t session_sustain_time_ = 86400;
  uint32_t inode_reuse_delay_ = 86400;
  uint32_t last_recycle_ = 0;
  uint32_t next_trash_bucket_ = 0;  // one bucket a second, round robin (trash_expiry.h)
  uint32_t next_sustained_bucket_ = 0;  // likewise (sustained_expiry.h)
  ArchiveDelayLoop archive_delay_;
  FsCheckLoop fs_check_;
  uint32_t quota_grace_period_ = kDefaultQuotaGracePeriod;
};

}  // namespace mfs::master
