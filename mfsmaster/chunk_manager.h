// Live chunk management on the metadata thread: where copies are, preparing chunks for
// client writes (create / version change on the chunkservers before the client writes),
// and keeping every chunk at its goal (replicating missing copies, deleting surplus,
// wrong-version and unreferenced ones). Spec 20 §2.6-2.9 and spec 10 §8.3-8.5.
// Changes to the persistent chunk table go through the MutationLog like everything else.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mfscommon/config_file.h"
#include "mfscommon/status.h"
#include "mfsmaster/chunk_loop.h"
#include "mfsmaster/chunkservers.h"
#include "mfsmaster/maintained_copies.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/mutation_log.h"
#include "mfsmaster/topology.h"
#include "mfsmaster/topology_placement.h"
#include "mfsmaster/unique_copies.h"

namespace mfs::master {

enum class CopyState : uint8_t {
  kValid,         // holds the current version
  kBusy,          // an operation on it is in flight
  kInvalid,       // damaged or failed: to be deleted
  kDeleting,      // DELETE sent
  kWrongVersion,  // announced with another version
};

struct ChunkCopy {
  uint16_t csid = 0;
  CopyState state = CopyState::kValid;
  uint32_t version = 0;
  bool on_removal_disk = false;
};

struct ChunkLocation {
  uint64_t chunk_id = 0;
  uint32_t version = 0;
  uint64_t file_length = 0;
  std::vector<const Chunkserver*> servers;  // valid copies, in the order clients should use
  // A write that changed nothing but the chunk's lock: like UNLOCK, bookkeeping whose reply
  // need not wait for the changelog (MutationLog::reply_awaits_durability). The data it
  // leads to is at a version already durable.
  bool only_locked = false;
};

struct AnnouncedChunk {
  uint64_t chunk_id = 0;
  uint32_t version = 0;
  bool on_removal_disk = false;
};

class ChunkManager {
 public:
  using WriteDone = std::function<void(Result<ChunkLocation>)>;

  ChunkManager(Metadata& metadata, MutationLog& mutations, Chunkservers& servers, std::function<uint32_t()> now);

  void configure(const ConfigFile& config);

  // READ_CHUNK: where the valid copies of chunk `index` of `file` are.
  Result<ChunkLocation> read_chunk(const Node& file, uint32_t index) const;
  // The same for LOOKUP to send along (spec 10 §7.3), but nothing while a writer holds the
  // chunk or chunkservers work on it.
  std::optional<ChunkLocation> unlocked_location(const Node& file, uint32_t index) const;
  // WRITE_CHUNK: makes the chunk writable (new chunk, or a new version on every valid
  // copy) and answers through `done` once the chunkservers replied. A chunk whose copies
  // are in step (copies_in_step) keeps its version, as 3.0.117 keeps it (WRITE opflag 0).
  // A chunk stays locked to its writer's session until WRITE_CHUNK_END or expiry.
  // A new chunk goes preferably to servers near `client_ip` (CREATIONS_RESPECT_TOPOLOGY).
  // `resumes`: the client goes on with a chunk it had (CONTINUEOP).
  void write_chunk(uint32_t session_id, uint32_t client_ip, uint32_t inode, uint32_t index, bool can_modify_mtime,
                   bool resumes, uint32_t now, WriteDone done);
  // Cuts chunk `index` of `inode` at `length_in_chunk` on every valid copy (a truncate
  // that ends inside an existing chunk), with a new version; asked by `session_id`.
  void truncate_chunk(uint32_t session_id, uint32_t inode, uint32_t index, uint32_t length_in_chunk, uint32_t now,
                      WriteDone done);
  // REPAIR (mfsfilerepair, spec 11 §5.11): each chunk of `inode` without a valid copy
  // falls back to its best wrong-version copies (repaired) or leaves the file (erased).
  struct RepairCounts {
    uint32_t not_changed = 0;
    uint32_t erased = 0;
    uint32_t repaired = 0;
  };
  RepairCounts repair_file(uint32_t inode, uint32_t now);
  // WRITE_CHUNK_END: publishes the new length and unlocks the chunk.
  Status write_end(uint64_t chunk_id, uint32_t inode, uint64_t length, bool can_modify_mtime, uint32_t now);

  // Events from the chunkserver protocol.
  void chunks_announced(Chunkserver& server, const std::vector<AnnouncedChunk>& chunks);
  void chunk_damaged(Chunkserver& server, uint64_t chunk_id);
  void chunk_lost(Chunkserver& server, uint64_t chunk_id);
  void operation_finished(Chunkserver& server, uint64_t chunk_id, uint8_t status);
  void deletion_finished(Chunkserver& server, uint64_t chunk_id, uint8_t status);
  void replication_finished(Chunkserver& server, uint64_t chunk_id, uint32_t version, uint8_t status);
  void server_connected(const Chunkserver& server);
  // A server finished registering, or reported room for chunks for the first time: chunks
  // waiting for a place for their copy try it.
  void new_target_available();
  void server_disconnected(Chunkserver& server);

  // Called every second: replication, deletion and lock expiry work on the chunks that
  // events touched and on the chunk loop's next slice (chunk_loop.h).
  void housekeeping(uint32_t now);

  // Every copy not being deleted, as mfsfileinfo shows it (spec 11 §5.8): type 0 valid,
  // 1 valid on a disk marked for removal, 2 wrong version, 3 both, 4 invalid.
  struct CopyReport {
    const Chunkserver* server = nullptr;
    uint8_t type = 0;
  };
  std::vector<CopyReport> copy_report(uint64_t chunk_id) const;
  // The copies the chunk should have (its goal); 0 for a chunk no file references.
  uint32_t target_copies(uint64_t chunk_id) const;

  // The chunk loop's last completed pass (mfscli -SIL); none before the first ends.
  const std::optional<ChunkLoopPass>& last_loop_pass() const { return loop_.last_pass(); }

  // Valid copies of a chunk (for tools and tests).
  std::vector<const Chunkserver*> valid_copies(uint64_t chunk_id) const;
  size_t copy_count(uint64_t chunk_id) const;
  const Chunkservers& servers() const { return servers_; }
  Chunkservers& servers() { return servers_; }
  uint32_t now() const { return now_(); }
  // mfstopology.cfg, loaded by the daemon at start and on reload.
  void set_topology(Topology topology) { topology_ = std::move(topology); }
  const Topology& topology() const { return topology_; }

 private:
  // Removes the server's copy from the chunk's list (deleted or lost).
  void forget_copy(const Chunkserver& server, uint64_t chunk_id);
  // Records a chunk the metadata does not know, for deletion in a week (nullptr: ignored).
  const ChunkRecord* adopt_unknown_chunk(const Chunkserver& server, const AnnouncedChunk& announced);
  struct PendingWrite {
    uint32_t inode = 0;
    uint32_t index = 0;
    uint64_t previous_chunk = 0;  // the slot's chunk before (0: none)
    // A new chunk id: created, or duplicated from a shared previous chunk (copy-on-write).
    bool creates_chunk = false;
    uint32_t new_version = 0;
    uint32_t old_version = 0;  // of the copies changed, for an existing chunk
    std::set<uint16_t> waiting;
    std::vector<uint16_t> succeeded;
    // Spec 20 §2.9: a write with no good copy is NOSPACE only if every copy failed for space.
    bool failed_for_space_only = true;
    bool some_copy_failed = false;
    std::vector<WriteDone> done;
  };

  // Commits `entry` (which raises the chunk's version) and sends `command(new, old)` to
  // every valid copy; the pending operation finishes when all have answered.
  void change_version(uint64_t chunk_id, PendingWrite pending, ChangelogEntry entry,
                      const std::function<std::vector<uint8_t>(uint32_t, uint32_t)>& command, WriteDone done);
  // Copy-on-write of a chunk several files share (spec 11 §7.1): commits `entry` (which
  // gives the file a new chunk id in place of `pending.previous_chunk`) and sends
  // `command(new id, shared chunk's version)` - DUPLICATE or DUPTRUNC - to every valid copy.
  void copy_shared_chunk(PendingWrite pending, ChangelogEntry entry,
                         const std::function<std::vector<uint8_t>(uint64_t, uint32_t)>& command, WriteDone done);
  std::vector<Chunkserver*> reachable_valid_copies(uint64_t chunk_id);
  // Reorders candidate servers already sorted by free space (topology preferences).
  using Preference = std::function<void(std::vector<Chunkserver*>&)>;
  std::vector<Chunkserver*> choose_servers(uint32_t count, const std::set<uint16_t>& exclude,
                                           const Preference& prefer = {}) const;
  // Servers for `copies`, each matching its copy's labels; copies without such a server go
  // to other servers unless `mode` is STRICT. None at all if STD or STRICT has to wait for a
  // busy server with the labels. Most free space first, then `prefer`.
  std::vector<Chunkserver*> choose_labelled_servers(const LabelSet& copies, uint8_t mode,
                                                    const std::set<uint16_t>& exclude,
                                                    const Preference& prefer = {}) const;
  // True if servers with space, busy ones included, could take more of `copies` than the
  // `placed` ones the others took.
  bool busy_servers_could_take(const LabelSet& copies, const std::set<uint16_t>& exclude, size_t placed) const;
  bool any_busy_server() const;
  // Destinations of a replication: with REPLICATIONS_RESPECT_TOPOLOGY = 2 those close to
  // the chunk's valid copies first; with CHUNKS_UNIQUE_MODE those at a place (IP, rack)
  // without a copy before all others.
  Preference near_copies(const std::vector<ChunkCopy*>& valid) const;
  CopyPlaces places() const { return CopyPlaces(unique_mode_, topology_); }
  std::vector<uint32_t> ips_of(const std::vector<ChunkCopy*>& copies) const;
  const StorageClass* class_of(const ChunkRecord& chunk) const;
  // The labels the chunk's copies must match: its class's keep labels, or the archive
  // labels once the chunk is archived; null when no file references it.
  const LabelSet* wanted_labels(const ChunkRecord& chunk) const;
  uint32_t goal_of(const ChunkRecord& chunk) const;
  // Starts one replication of `chunk` from a valid copy (the closest to the destination
  // with REPLICATIONS_RESPECT_TOPOLOGY) to the first of `targets`, within the limits.
  enum class Replication { kStarted, kNoTarget, kAtLimit };
  Replication replicate(const ChunkRecord& chunk, const std::vector<ChunkCopy*>& valid,
                        const std::vector<Chunkserver*>& targets);
  // A chunk at its goal with two copies at one place (CHUNKS_UNIQUE_MODE): a new copy at a
  // free place that serves the same labels; the repeated copy goes as surplus afterwards.
  // Without such a server the chunk waits for the next one to register.
  // `kept` lists repeated copies last, `serves[i]` the label requirement kept[i] fills.
  Replication spread_copies(const ChunkRecord& chunk, const std::vector<ChunkCopy*>& valid,
                            const std::vector<ChunkCopy*>& kept, const std::vector<std::optional<size_t>>& serves,
                            const std::set<uint16_t>& holders);
  ChunkCopy* find_copy(uint64_t chunk_id, uint16_t csid);
  void finish_write(uint64_t chunk_id);
  // The reply to a writer of `inode`: the chunk at `version`, the file's length, and the
  // servers `csids` in that order (the client's chain).
  ChunkLocation writer_location(uint64_t chunk_id, uint32_t version, uint32_t inode,
                                const std::vector<uint16_t>& csids) const;
  // Copies one version ahead of the metadata, with none at its version: the master sends a
  // version change (or a truncate) while its line waits for the changelog writer, and a
  // kill lost the line. Nothing was written at that version (the client's reply waits for
  // the line), so the copies are taken at it.
  void adopt_copies_ahead_of_a_lost_change(const ChunkRecord& chunk, uint32_t now);
  // A chunk locked by a version change from before this master started (killed between
  // logging it and the chunkservers taking it), with no copy at it but copies one version
  // behind, asked again by `session_id`: without `resumes` and when no other session has
  // the file open, no client holds data written at that version (the 3.0.117 client
  // resumes a chunk it had with CONTINUEOP; ours sends all its data again). The copies
  // behind then go one version beyond the change, so that a server that took it and
  // registers later holds an outdated copy, and the chunk is unlocked. True if started.
  bool take_back_interrupted_version_change(const ChunkRecord& chunk, uint32_t inode, uint32_t session_id,
                                            bool resumes, uint32_t now);
  // True if a write may leave the chunk at its version: every copy that can exist at that
  // version is one of its valid copies, which the writer's chain reaches. That holds from a
  // version change (or creation) every copy took until a copy is lost, damaged, announced,
  // replicated or left with an unfinished lock (the copies_in_step_ set), and while every
  // known copy is valid, reachable and not being replicated. Otherwise a copy that misses
  // the write could later pass for current: a new version makes it outdated.
  bool copies_in_step(const ChunkRecord& chunk) const;
  void out_of_step(uint64_t chunk_id) { copies_in_step_.erase(chunk_id); }
  // Commits `entry` (which makes the slot's chunk `chunk_id` at `version`) and has servers
  // chosen for `file`'s class create it; `done` once they answered.
  void create_chunk(PendingWrite pending, uint64_t chunk_id, uint32_t version, ChangelogEntry entry, const Node& file,
                    uint32_t client_ip, uint32_t session_id, WriteDone done);
  // A new chunk whose creation a kill cut short: locked by its WRITE line from before this
  // start, with no copy anywhere known, at or past the file's end (so the slot was empty:
  // not a copy-on-write, whose shared predecessor the metadata no longer names, and no
  // write into it was acknowledged, which would have logged a length past its start),
  // asked again as for the take-back above. It is created again at version 2, so that a
  // server that created it at 1 and registers later holds an outdated copy.
  bool creation_interrupted(const ChunkRecord& chunk, const Node& file, uint32_t index, uint32_t session_id,
                            bool resumes) const;
  // No session but maybe `session_id` has `inode` open.
  bool no_other_holder(uint32_t inode, uint32_t session_id) const;
  void send_delete(Chunkserver& server, ChunkCopy& copy, uint64_t chunk_id, uint32_t version);
  // Starts the work the chunk needs; what cannot start now is retried in the next tick
  // (limits reached), when its lock ends, or when a chunkserver registers (no server fits).
  // Returns what it did, for the chunk loop's statistics.
  ChunkLoopCounters balance_chunk(const ChunkRecord& chunk, uint32_t now);
  void commit(ChangelogEntry entry);

  Metadata& metadata_;
  MutationLog& mutations_;
  Chunkservers& servers_;
  std::function<uint32_t()> now_;
  std::unordered_map<uint64_t, std::vector<ChunkCopy>> copies_;
  std::unordered_map<uint64_t, PendingWrite> pending_writes_;
  std::map<uint64_t, uint16_t> pending_replications_;   // chunk -> destination
  std::unordered_map<uint64_t, uint32_t> lock_owners_;  // chunk -> writing session
  uint32_t started_at_ = 0;
  uint32_t replications_delay_ = 60;
  uint32_t write_replication_limit_ = 2;
  uint32_t read_replication_limit_ = 10;
  uint32_t deletion_limit_ = 25;
  uint32_t temporary_maintenance_ = 1800;
  MaintainedCopies maintained_;
  Topology topology_;
  TopologyPolicy topology_policy_;
  UniqueMode unique_mode_ = UniqueMode::kNone;
  ChunkLoop loop_;
  // Under goal, or with copies sharing a place, and no server could take a copy.
  std::unordered_set<uint64_t> awaiting_server_;
  // Empty at start: the master cannot know which copies kept step while it was down
  // (3.0.117 too raises the version at each chunk's first write after a start).
  std::unordered_set<uint64_t> copies_in_step_;
};

}  // namespace mfs::master
