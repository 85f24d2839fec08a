// The master's whole metadata state and its one mutation path: apply(entry). Live
// operations, changelog replay, metaloggers and followers all change state only here,
// so they cannot diverge (DESIGN §3).
#pragma once
#include <cstdint>
#include <optional>

#include "mfscommon/status.h"
#include "mfsmaster/changelog_args.h"
#include "mfsmaster/changelog_entry.h"
#include "mfsmaster/chunk_classes.h"
#include "mfsmaster/chunk_table.h"
#include "mfsmaster/fs_tree.h"
#include "mfsmaster/live_plan.h"
#include "mfsmaster/lock_table.h"
#include "mfsmaster/node_settings.h"
#include "mfsmaster/quota_table.h"
#include "mfsmaster/sessions.h"
#include "mfsmaster/snapshot_tree.h"
#include "mfsmaster/storage_class_table.h"

namespace mfs::master {

class Metadata {
 public:
  Metadata();
  Metadata(const Metadata&) = delete;
  Metadata& operator=(const Metadata&) = delete;

  // A new file system, as loading "MFSM NEW" gives (spec 30 §3.2).
  void init_empty(uint32_t now);

  FsTree& fs() { return fs_; }
  const FsTree& fs() const { return fs_; }
  Sessions& sessions() { return sessions_; }
  const Sessions& sessions() const { return sessions_; }
  LockTable& locks() { return locks_; }
  const LockTable& locks() const { return locks_; }
  ChunkTable& chunks() { return chunks_; }
  const ChunkTable& chunks() const { return chunks_; }
  QuotaTable& quotas() { return quotas_; }
  const QuotaTable& quotas() const { return quotas_; }
  // Changed only by apply(); loaders fill it and then call rebuild_derived_state().
  StorageClassTable& storage_classes() { return storage_classes_; }
  const StorageClassTable& storage_classes() const { return storage_classes_; }
  // The id the next change gets; every change with a smaller id is applied.
  uint64_t version() const { return version_; }
  void set_version(uint64_t version) { version_ = version; }
  uint64_t meta_id() const { return meta_id_; }
  void set_meta_id(uint64_t id) { meta_id_ = id; }

  // After loading a stored state (image or checkpoint): recomputes what is derived and
  // not stored - chunk reference counts and goals, open counts, reusable inode numbers.
  void rebuild_derived_state();

  // Applies one change whose id must equal version(); on success version() grows by one.
  // A failure changes nothing and means the entry cannot be replayed on this state.
  Status apply(const ChangelogEntry& entry);

  // A live request just planned its entry (live_plan.h): apply() of that entry, when it is
  // the next one, makes the change without planning it again, which for a recursive change
  // or a snapshot of 100,000 nodes is a walk over all of them.
  void remember_setting_plan(uint32_t inode, const SettingChange& change, const SettingCounters& counters) const {
    live_setting_plan_.remember(version_, {inode, change, counters});
  }
  void remember_snapshot_plan(const SnapshotRequest& request, const SnapshotCounts& counts) const {
    live_snapshot_plan_.remember(version_, {request, counts});
  }

 private:
  struct PlannedSetting {
    uint32_t inode = 0;
    SettingChange change;
    SettingCounters counters;
  };
  struct PlannedSnapshot {
    SnapshotRequest request;
    SnapshotCounts counts;
  };
  // The change as the live request planned it (with the admin-only classes it could not
  // touch, which the entry does not record), when it was planned at this version with
  // the entry's counters.
  std::optional<SettingChange> take_setting_plan(uint32_t inode, const SettingChange& change,
                                                 const SettingCounters& recorded);

  Status apply_operation(const ChangelogEntry& entry);
  // One handler per changelog operation (metadata_apply_*.cpp).
  Status apply_create(const ChangelogEntry& entry);
  Status apply_symlink(const ChangelogEntry& entry);
  Status apply_link(const ChangelogEntry& entry);
  Status apply_unlink(const ChangelogEntry& entry);
  Status apply_move(const ChangelogEntry& entry);
  Status apply_attr(const ChangelogEntry& entry);
  Status apply_amtime(const ChangelogEntry& entry);
  Status apply_access(const ChangelogEntry& entry);
  Status apply_length(const ChangelogEntry& entry);
  Status apply_setxattr(const ChangelogEntry& entry);
  Status apply_setacl(const ChangelogEntry& entry);
  Status apply_purge(const ChangelogEntry& entry);
  Status apply_setpath(const ChangelogEntry& entry);  // metadata_apply_trash.cpp
  Status apply_undel(const ChangelogEntry& entry);
  Status apply_emptytrash(const ChangelogEntry& entry);
  Status apply_emptysustained(const ChangelogEntry& entry);
  Status apply_archchg(const ChangelogEntry& entry);  // metadata_apply_archive.cpp
  Status apply_freeinodes(const ChangelogEntry& entry);
  Status apply_setmetaid(const ChangelogEntry& entry);
  Status apply_csdbop(const ChangelogEntry& entry);
  Status apply_sesadd(const ChangelogEntry& entry);
  Status apply_seschanged(const ChangelogEntry& entry);
  Status apply_sesdisconnected(const ChangelogEntry& entry);
  Status apply_sesdel(const ChangelogEntry& entry);
  Status apply_acquire(const ChangelogEntry& entry);
  Status apply_release(const ChangelogEntry& entry);
  Status apply_flock(const ChangelogEntry& entry);
  Status apply_posixlock(const ChangelogEntry& entry);
  Status apply_write(const ChangelogEntry& entry);
  Status apply_unlock(const ChangelogEntry& entry);
  Status apply_trunc(const ChangelogEntry& entry);
  Status apply_snapshot(const ChangelogEntry& entry);  // metadata_apply_snapshot.cpp
  Status apply_append(const ChangelogEntry& entry);
  Status apply_repair(const ChangelogEntry& entry);
  Status apply_rollback(const ChangelogEntry& entry);
  Status apply_setversion(const ChangelogEntry& entry);
  Status apply_chunkadd(const ChangelogEntry& entry);
  Status apply_chunkdel(const ChangelogEntry& entry);
  Status apply_nextchunkid(const ChangelogEntry& entry);
  Status apply_node_setting(const ChangelogEntry& entry);
  Status apply_quota(const ChangelogEntry& entry);
  Status apply_scset(const ChangelogEntry& entry);  // metadata_apply_sclass.cpp
  Status apply_scdel(const ChangelogEntry& entry);
  Status apply_scdup_or_scren(const ChangelogEntry& entry);
  // The class table changed: the tree's goals follow (and usage if a goal changed).
  void classes_changed(bool goals_changed);
  // A file's class changed from `old_class`: its chunks' goals follow.
  void update_chunk_goals(const Node& file, uint8_t old_class);
  void reference_chunk(ChunkRecord& chunk, const Node& file);
  // Every chunk's reference count and goal from the files (after a load, or when the goal
  // of a storage class changed).
  void recount_chunk_references();

  // A file stopped referencing a chunk (removed, truncated, copied on write, repaired).
  void release_chunk_reference(uint64_t chunk_id, const Node& file);

  ChunkTable chunks_;
  QuotaTable quotas_;
  StorageClassTable storage_classes_;
  ChunkClasses chunk_classes_{storage_classes_};
  LockTable locks_;
  FsTree fs_;
  Sessions sessions_;
  uint64_t version_ = 1;
  uint64_t meta_id_ = 0;
  mutable LivePlan<PlannedSetting> live_setting_plan_;
  mutable LivePlan<PlannedSnapshot> live_snapshot_plan_;
};

}  // namespace mfs::master
