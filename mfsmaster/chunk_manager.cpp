#include "mfsmaster/chunk_manager.h"

#include <algorithm>
#include <iterator>
#include <random>
#include <utility>

#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/log.h"
#include "mfsmaster/label_expression.h"

namespace mfs::master {
namespace {

constexpr uint8_t kStatusOk = 0;
constexpr uint8_t kStatusNoChunk = 13;
constexpr uint8_t kStatusNotDone = 16;
constexpr uint8_t kStatusNoSpace = 21;
constexpr uint8_t kStatusMismatch = 32;

// Breaks ties between equal chunkservers, so that they share the load.
std::mt19937& tie_breaker() {
  static std::mt19937 random(std::random_device{}());
  return random;
}

}  // namespace

ChunkManager::ChunkManager(Metadata& metadata, MutationLog& mutations, Chunkservers& servers,
                           std::function<uint32_t()> now)
    : metadata_(metadata), mutations_(mutations), servers_(servers), now_(std::move(now)), started_at_(now_()) {
  // Whatever loading touched is the loop's to visit.
  metadata_.chunks().take_touched();
}

void ChunkManager::configure(const ConfigFile& config) {
  servers_.configure(read_heavy_load_policy(config));
  replications_delay_ = static_cast<uint32_t>(config.get_uint("REPLICATIONS_DELAY_INIT", 60));
  // CHUNKS_WRITE_REP_LIMIT / CHUNKS_READ_REP_LIMIT: the first (endangered) figure applies.
  write_replication_limit_ = static_cast<uint32_t>(std::max<uint64_t>(1, config.get_uint("CHUNKS_WRITE_REP_LIMIT", 2)));
  read_replication_limit_ = static_cast<uint32_t>(std::max<uint64_t>(1, config.get_uint("CHUNKS_READ_REP_LIMIT", 10)));
  deletion_limit_ = static_cast<uint32_t>(std::max<uint64_t>(1, config.get_uint("CHUNKS_HARD_DEL_LIMIT", 25)));
  temporary_maintenance_ = static_cast<uint32_t>(config.get_uint("CS_TEMP_MAINTENANCE_MODE_TIMEOUT", 1800));
  loop_.configure(read_chunk_loop_options(config));
  topology_policy_.creations_distance = static_cast<uint32_t>(config.get_uint("CREATIONS_RESPECT_TOPOLOGY", 0));
  topology_policy_.replications_mode =
      static_cast<uint32_t>(config.get_uint_clamped("REPLICATIONS_RESPECT_TOPOLOGY", 0, 0, 2));
  unique_mode_ = static_cast<UniqueMode>(config.get_uint_clamped("CHUNKS_UNIQUE_MODE", 0, 0, 2));
}

void ChunkManager::commit(ChangelogEntry entry) {
  Status status = mutations_.commit({std::move(entry)});
  if (!status) MFS_LOG_ERROR("chunk change could not be committed: %s", status.to_string().c_str());
}

const StorageClass* ChunkManager::class_of(const ChunkRecord& chunk) const {
  return std::as_const(metadata_).storage_classes().find(chunk.sclass);
}

const LabelSet* ChunkManager::wanted_labels(const ChunkRecord& chunk) const {
  const StorageClass* storage_class = class_of(chunk);
  if (!storage_class) return nullptr;
  return chunk.archived ? &storage_class->archive : &storage_class->keep;
}

uint32_t ChunkManager::goal_of(const ChunkRecord& chunk) const {
  // The copies of the class's keep or archive labels; a chunk no file references keeps two.
  const LabelSet* labels = wanted_labels(chunk);
  return labels ? static_cast<uint32_t>(labels->size()) : 2;
}

ChunkCopy* ChunkManager::find_copy(uint64_t chunk_id, uint16_t csid) {
  auto it = copies_.find(chunk_id);
  if (it == copies_.end()) return nullptr;
  for (ChunkCopy& copy : it->second) {
    if (copy.csid == csid) return &copy;
  }
  return nullptr;
}

std::vector<const Chunkserver*> ChunkManager::valid_copies(uint64_t chunk_id) const {
  std::vector<const Chunkserver*> result;
  const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(chunk_id);
  auto it = copies_.find(chunk_id);
  if (!chunk || it == copies_.end()) return result;
  for (const ChunkCopy& copy : it->second) {
    if (copy.state != CopyState::kValid || copy.version != chunk->version) continue;
    if (const Chunkserver* server = servers_.find(copy.csid)) result.push_back(server);
  }
  return result;
}

uint32_t ChunkManager::target_copies(uint64_t chunk_id) const {
  const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(chunk_id);
  return chunk && wanted_labels(*chunk) ? goal_of(*chunk) : 0;
}

std::vector<ChunkManager::CopyReport> ChunkManager::copy_report(uint64_t chunk_id) const {
  std::vector<CopyReport> report;
  const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(chunk_id);
  auto it = copies_.find(chunk_id);
  if (!chunk || it == copies_.end()) return report;
  for (const ChunkCopy& copy : it->second) {
    const Chunkserver* server = servers_.find(copy.csid);
    if (!server || copy.state == CopyState::kDeleting) continue;
    uint8_t type = 4;
    if (copy.state == CopyState::kValid || copy.state == CopyState::kBusy) {
      type = copy.version == chunk->version ? 0 : 2;
    } else if (copy.state == CopyState::kWrongVersion) {
      type = 2;
    }
    if (copy.on_removal_disk && type < 4) type += 1;
    report.push_back({server, type});
  }
  return report;
}

size_t ChunkManager::copy_count(uint64_t chunk_id) const {
  auto it = copies_.find(chunk_id);
  return it == copies_.end() ? 0 : it->second.size();
}

std::vector<Chunkserver*> ChunkManager::choose_servers(uint32_t count, const std::set<uint16_t>& exclude,
                                                       const Preference& prefer) const {
  std::vector<Chunkserver*> candidates;
  uint32_t now = now_();
  for (const auto& [csid, server] : servers_.all()) {
    if (server->registered && server->send && !exclude.count(csid) && server->can_take_chunks() &&
        !server->busy(now)) {
      candidates.push_back(server.get());
    }
  }
  // Most free space first, ties broken randomly so equal servers share the load.
  std::shuffle(candidates.begin(), candidates.end(), tie_breaker());
  std::stable_sort(candidates.begin(), candidates.end(), [](const Chunkserver* a, const Chunkserver* b) {
    double fa = a->total_space ? double(a->used_space) / double(a->total_space) : 1.0;
    double fb = b->total_space ? double(b->used_space) / double(b->total_space) : 1.0;
    return fa < fb;
  });
  if (prefer) prefer(candidates);
  if (candidates.size() > count) candidates.resize(count);
  return candidates;
}

std::vector<Chunkserver*> ChunkManager::choose_labelled_servers(const LabelSet& copies, uint8_t mode,
                                                                const std::set<uint16_t>& exclude,
                                                                const Preference& prefer) const {
  std::vector<Chunkserver*> candidates = choose_servers(UINT32_MAX, exclude, prefer);
  std::vector<uint32_t> labels;
  for (const Chunkserver* server : candidates) labels.push_back(server->labels);
  std::vector<bool> used(candidates.size(), false);
  std::vector<Chunkserver*> chosen;
  size_t unplaced = 0;
  for (const auto& assigned : assign_servers(copies, labels)) {
    if (!assigned) {
      ++unplaced;
      continue;
    }
    chosen.push_back(candidates[*assigned]);
    used[*assigned] = true;
  }
  // Copies no server with the right labels (and space) can take: STD and STRICT wait while
  // a busy server with the labels could (no servers at all), LOOSE does not; LOOSE and STD
  // then put them on other servers, STRICT leaves them missing (spec 11 §4.2).
  if (unplaced > 0 && mode != class_mode::kLoose && busy_servers_could_take(copies, exclude, chosen.size())) {
    return {};
  }
  for (size_t i = 0; i < candidates.size() && unplaced > 0 && mode != class_mode::kStrict; ++i) {
    if (used[i]) continue;
    chosen.push_back(candidates[i]);
    --unplaced;
  }
  return chosen;
}

bool ChunkManager::busy_servers_could_take(const LabelSet& copies, const std::set<uint16_t>& exclude,
                                           size_t placed) const {
  std::vector<uint32_t> labels;
  for (const auto& [csid, server] : servers_.all()) {
    if (server->registered && server->send && !exclude.count(csid) && server->can_take_chunks()) {
      labels.push_back(server->labels);
    }
  }
  return placeable_copies(copies, labels) > placed;
}

bool ChunkManager::any_busy_server() const {
  uint32_t now = now_();
  const auto& all = servers_.all();
  return std::any_of(all.begin(), all.end(), [now](const auto& entry) { return entry.second->busy(now); });
}

Result<ChunkLocation> ChunkManager::read_chunk(const Node& file, uint32_t index) const {
  ChunkLocation location;
  location.file_length = file.length;
  uint64_t chunk_id = file.chunks[index];
  if (chunk_id == 0) return location;
  const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(chunk_id);
  if (!chunk) return StatusCode::kNoChunk;
  if (pending_writes_.count(chunk_id)) return StatusCode::kChunkBusy;
  location.chunk_id = chunk_id;
  location.version = chunk->version;
  location.servers = valid_copies(chunk_id);
  if (location.servers.empty() && servers_.connected_count() != 0) return StatusCode::kChunkLost;
  // Clients read the first copy listed: copies equally close to the client (the reply
  // sorts by topology distance, keeping this order among ties) come in random order, so
  // that readers of one chunk share its chunkservers (spec 10 §8.3).
  std::shuffle(location.servers.begin(), location.servers.end(), tie_breaker());
  return location;
}

std::optional<ChunkLocation> ChunkManager::unlocked_location(const Node& file, uint32_t index) const {
  Result<ChunkLocation> location = read_chunk(file, index);
  if (!location) return std::nullopt;
  if (location->chunk_id != 0) {
    const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(location->chunk_id);
    if (chunk->locked_to > now_()) return std::nullopt;
  }
  return std::move(*location);
}

void ChunkManager::write_chunk(uint32_t session_id, uint32_t client_ip, uint32_t inode, uint32_t index,
                               bool can_modify_mtime, bool resumes, uint32_t now, WriteDone done) {
  const Node* file = std::as_const(metadata_).fs().find(inode);
  if (!file || !file->is_file_like()) return done(StatusCode::kENOENT);
  uint64_t previous = file->chunks[index];
  PendingWrite pending;
  pending.inode = inode;
  pending.index = index;
  pending.previous_chunk = previous;
  if (previous != 0) {
    if (auto it = pending_writes_.find(previous); it != pending_writes_.end()) {
      return done(StatusCode::kChunkBusy);
    }
    const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(previous);
    if (!chunk) return done(StatusCode::kNoChunk);
    if (take_back_interrupted_version_change(*chunk, inode, session_id, resumes, now)) return done(StatusCode::kChunkBusy);
    if (creation_interrupted(*chunk, *file, index, session_id, resumes)) {
      MFS_LOG_NOTICE("chunk %016llX: its creation from before the start reached no chunkserver - created again at version 2",
                     static_cast<unsigned long long>(previous));
      pending.previous_chunk = 0;  // a failure empties the slot again
      return create_chunk(std::move(pending), previous, 2, ChangelogEntry::make("SETVERSION", now).arg(previous).arg(2),
                          *file, client_ip, session_id, std::move(done));
    }
    auto owner = lock_owners_.find(previous);
    if (chunk->locked_to > now && owner != lock_owners_.end() && owner->second != session_id) {
      return done(StatusCode::kLocked);
    }
    if (chunk->file_references == 1 && copies_in_step(*chunk)) {
      // Without a time to set or a snapshot flag to clear, the line only locks the chunk.
      bool only_locks = !can_modify_mtime && !(file->eattr & eattr::kSnapshot);
      commit(ChangelogEntry::make("WRITE", now).arg(inode).arg(index).arg(0).arg(can_modify_mtime ? 1 : 0).result(previous));
      lock_owners_[previous] = session_id;
      std::vector<uint16_t> holders;
      for (const ChunkCopy& copy : copies_[previous]) holders.push_back(copy.csid);
      ChunkLocation location = writer_location(previous, chunk->version, inode, holders);
      location.only_locked = only_locks;
      return done(std::move(location));
    }
    if (chunk->file_references > 1) {
      uint64_t copy_id = metadata_.chunks().next_id();
      copy_shared_chunk(
          std::move(pending),
          ChangelogEntry::make("WRITE", now).arg(inode).arg(index).arg(1).arg(can_modify_mtime ? 1 : 0).result(copy_id),
          [previous](uint64_t new_id, uint32_t old_version) {
            return csmsg::encode(csmsg::DuplicateCommand{new_id, 1, previous, old_version});
          },
          std::move(done));
      if (pending_writes_.count(copy_id)) lock_owners_[copy_id] = session_id;
      return;
    }
    change_version(
        previous, std::move(pending),
        ChangelogEntry::make("WRITE", now).arg(inode).arg(index).arg(1).arg(can_modify_mtime ? 1 : 0).result(previous),
        [previous](uint32_t new_version, uint32_t old_version) {
          return csmsg::encode(csmsg::SetVersionCommand{previous, new_version, old_version});
        },
        std::move(done));
    if (pending_writes_.count(previous)) lock_owners_[previous] = session_id;
    return;
  }
  uint64_t chunk_id = metadata_.chunks().next_id();
  create_chunk(
      std::move(pending), chunk_id, 1,
      ChangelogEntry::make("WRITE", now).arg(inode).arg(index).arg(1).arg(can_modify_mtime ? 1 : 0).result(chunk_id),
      *file, client_ip, session_id, std::move(done));
}

void ChunkManager::create_chunk(PendingWrite pending, uint64_t chunk_id, uint32_t version, ChangelogEntry entry,
                                const Node& file, uint32_t client_ip, uint32_t session_id, WriteDone done) {
  // A new chunk gets the create copies of the file's class, on servers with their labels.
  const StorageClass* storage_class = std::as_const(metadata_).storage_classes().find(file.sclass);
  Preference near_client = [this, client_ip](std::vector<Chunkserver*>& servers) {
    put_near_first(servers, client_ip, topology_policy_.creations_distance, topology_);
    places().put_free_places_first(servers, {});
  };
  std::vector<Chunkserver*> targets =
      storage_class ? choose_labelled_servers(storage_class->create, storage_class->mode, {}, near_client)
                    : choose_servers(2, {}, near_client);
  // Spec 10 §8.4: with busy servers the client retries (EAGAIN) until they can take it.
  if (targets.empty() && any_busy_server()) return done(StatusCode::kEAGAIN);
  if (targets.empty()) return done(servers_.connected_count() ? StatusCode::kNoSpace : StatusCode::kNoChunkServers);
  commit(std::move(entry));
  pending.new_version = version;
  pending.creates_chunk = true;
  for (Chunkserver* server : targets) {
    copies_[chunk_id].push_back({server->csid, CopyState::kBusy, version, false});
    pending.waiting.insert(server->csid);
    server->send(csmsg::encode(csmsg::CreateCommand{chunk_id, version}));
  }
  lock_owners_[chunk_id] = session_id;
  pending.done.push_back(std::move(done));
  pending_writes_[chunk_id] = std::move(pending);
}

bool ChunkManager::creation_interrupted(const ChunkRecord& chunk, const Node& file, uint32_t index,
                                        uint32_t session_id, bool resumes) const {
  auto copies = copies_.find(chunk.id);
  return !resumes && chunk.locked_by_version_change && chunk.version == 1 && chunk.file_references == 1 &&
         file.length <= uint64_t{index} * kChunkSize && (copies == copies_.end() || copies->second.empty()) &&
         !lock_owners_.count(chunk.id) && no_other_holder(file.inode, session_id);
}

void ChunkManager::truncate_chunk(uint32_t session_id, uint32_t inode, uint32_t index, uint32_t length_in_chunk,
                                  uint32_t now, WriteDone done) {
  const Node* file = std::as_const(metadata_).fs().find(inode);
  uint64_t chunk_id = file ? file->chunks[index] : 0;
  const ChunkRecord* chunk = chunk_id ? std::as_const(metadata_).chunks().find(chunk_id) : nullptr;
  if (!chunk) return done(StatusCode::kNoChunk);
  if (pending_writes_.count(chunk_id) || take_back_interrupted_version_change(*chunk, inode, session_id, false, now)) {
    return done(StatusCode::kChunkBusy);
  }
  // A lock nobody here holds is from before the start: its truncate is retried, or its
  // writer goes on at whatever version this truncate leaves.
  if (chunk->locked_to > now && lock_owners_.count(chunk_id)) return done(StatusCode::kLocked);
  PendingWrite pending;
  pending.inode = inode;
  pending.index = index;
  pending.previous_chunk = chunk_id;
  if (chunk->file_references > 1) {
    uint64_t copy_id = metadata_.chunks().next_id();
    return copy_shared_chunk(
        std::move(pending), ChangelogEntry::make("TRUNC", now).arg(inode).arg(index).result(copy_id),
        [length_in_chunk, chunk_id](uint64_t new_id, uint32_t old_version) {
          return csmsg::encode(csmsg::DupTruncCommand{new_id, 1, chunk_id, old_version, length_in_chunk});
        },
        std::move(done));
  }
  change_version(
      chunk_id, std::move(pending), ChangelogEntry::make("TRUNC", now).arg(inode).arg(index).result(chunk_id),
      [length_in_chunk, chunk_id](uint32_t new_version, uint32_t old_version) {
        return csmsg::encode(csmsg::TruncateCommand{chunk_id, length_in_chunk, new_version, old_version});
      },
      std::move(done));
}

std::vector<Chunkserver*> ChunkManager::reachable_valid_copies(uint64_t chunk_id) {
  std::vector<Chunkserver*> holders;
  for (const Chunkserver* server : valid_copies(chunk_id)) {
    Chunkserver* holder = servers_.find(server->csid);
    if (holder && holder->send) holders.push_back(holder);
  }
  return holders;
}

void ChunkManager::copy_shared_chunk(PendingWrite pending, ChangelogEntry entry,
                                     const std::function<std::vector<uint8_t>(uint64_t, uint32_t)>& command,
                                     WriteDone done) {
  uint64_t shared = pending.previous_chunk;
  std::vector<Chunkserver*> holders = reachable_valid_copies(shared);
  if (holders.empty()) return done(StatusCode::kChunkLost);
  uint32_t shared_version = std::as_const(metadata_).chunks().find(shared)->version;
  uint64_t chunk_id = metadata_.chunks().next_id();
  commit(std::move(entry));  // gives the file `chunk_id` in place of the shared chunk
  pending.creates_chunk = true;
  pending.new_version = 1;
  for (Chunkserver* server : holders) {
    copies_[chunk_id].push_back({server->csid, CopyState::kBusy, 1, false});
    pending.waiting.insert(server->csid);
    server->send(command(chunk_id, shared_version));
  }
  pending.done.push_back(std::move(done));
  pending_writes_[chunk_id] = std::move(pending);
}

void ChunkManager::change_version(uint64_t chunk_id, PendingWrite pending, ChangelogEntry entry,
                                  const std::function<std::vector<uint8_t>(uint32_t, uint32_t)>& command,
                                  WriteDone done) {
  std::vector<Chunkserver*> holders = reachable_valid_copies(chunk_id);
  if (holders.empty()) return done(StatusCode::kChunkLost);
  uint32_t old_version = std::as_const(metadata_).chunks().find(chunk_id)->version;
  commit(std::move(entry));
  pending.new_version = old_version + 1;
  pending.old_version = old_version;
  for (Chunkserver* server : holders) {
    find_copy(chunk_id, server->csid)->state = CopyState::kBusy;
    pending.waiting.insert(server->csid);
    server->send(command(pending.new_version, old_version));
  }
  pending.done.push_back(std::move(done));
  pending_writes_[chunk_id] = std::move(pending);
}

void ChunkManager::operation_finished(Chunkserver& server, uint64_t chunk_id, uint8_t status) {
  auto it = pending_writes_.find(chunk_id);
  if (it == pending_writes_.end() || !it->second.waiting.erase(server.csid)) {
    MFS_LOG_NOTICE("unexpected chunk operation reply from %s for chunk %016llX", server.address().c_str(),
                   static_cast<unsigned long long>(chunk_id));
    return;
  }
  PendingWrite& pending = it->second;
  if (ChunkCopy* copy = find_copy(chunk_id, server.csid)) {
    if (status == kStatusOk) {
      copy->state = CopyState::kValid;
      copy->version = pending.new_version;
      pending.succeeded.push_back(server.csid);
    } else if (status == kStatusNotDone && !pending.creates_chunk) {
      copy->state = CopyState::kWrongVersion;  // unchanged, still at the old version
      copy->version = pending.old_version;
    } else {
      copy->state = CopyState::kInvalid;
    }
  }
  if (status != kStatusOk) pending.some_copy_failed = true;
  if (status != kStatusOk && status != kStatusNoSpace && status != kStatusMismatch) {
    pending.failed_for_space_only = false;
  }
  if (status != kStatusOk) {
    MFS_LOG_WARNING("chunk %016llX: operation on %s failed with status %u", static_cast<unsigned long long>(chunk_id),
                    server.address().c_str(), status);
  }
  if (pending.waiting.empty()) finish_write(chunk_id);
}

namespace {

bool usable_at(const ChunkCopy& copy, uint32_t version) {
  return (copy.state == CopyState::kValid || copy.state == CopyState::kWrongVersion) && copy.version == version;
}

bool some_copy_at(const std::vector<ChunkCopy>& copies, uint32_t version) {
  return std::any_of(copies.begin(), copies.end(), [version](const ChunkCopy& copy) { return usable_at(copy, version); });
}

}  // namespace

void ChunkManager::adopt_copies_ahead_of_a_lost_change(const ChunkRecord& chunk, uint32_t now) {
  uint64_t chunk_id = chunk.id;
  auto& copies = copies_[chunk_id];
  uint32_t ahead = chunk.version + 1;
  if (pending_writes_.count(chunk_id) || some_copy_at(copies, chunk.version) || !some_copy_at(copies, ahead)) return;
  MFS_LOG_NOTICE("chunk %016llX: copies at version %u, one ahead of the changelog (its tail lost in a crash) - taken",
                 static_cast<unsigned long long>(chunk_id), ahead);
  commit(ChangelogEntry::make("SETVERSION", now).arg(chunk_id).arg(ahead));
  for (ChunkCopy& copy : copies) {
    if (usable_at(copy, ahead)) copy.state = CopyState::kValid;
  }
}

bool ChunkManager::copies_in_step(const ChunkRecord& chunk) const {
  auto it = copies_.find(chunk.id);
  if (!copies_in_step_.count(chunk.id) || pending_replications_.count(chunk.id) || it == copies_.end()) return false;
  return std::all_of(it->second.begin(), it->second.end(), [&](const ChunkCopy& copy) {
    const Chunkserver* server = servers_.find(copy.csid);
    return copy.state == CopyState::kValid && copy.version == chunk.version && server && server->send;
  });
}

bool ChunkManager::no_other_holder(uint32_t inode, uint32_t session_id) const {
  const Node* file = std::as_const(metadata_).fs().find(inode);
  const Session* session = std::as_const(metadata_).sessions().find(session_id);
  uint32_t own = session && session->open_inodes.count(inode) ? 1 : 0;
  return file && file->open_count == own;
}

bool ChunkManager::take_back_interrupted_version_change(const ChunkRecord& chunk, uint32_t inode, uint32_t session_id,
                                                        bool resumes, uint32_t now) {
  uint64_t chunk_id = chunk.id;
  // Its lock may have run out while the master was down: only the operation's end unlocks.
  if (resumes || !chunk.locked_by_version_change || chunk.version <= 1 || pending_writes_.count(chunk_id) ||
      lock_owners_.count(chunk_id)) {
    return false;
  }
  auto& copies = copies_[chunk_id];
  if (some_copy_at(copies, chunk.version) || !no_other_holder(inode, session_id)) return false;
  PendingWrite pending;
  pending.old_version = chunk.version - 1;
  pending.new_version = chunk.version + 1;
  std::vector<std::pair<Chunkserver*, ChunkCopy*>> behind;
  for (ChunkCopy& copy : copies) {
    Chunkserver* server = servers_.find(copy.csid);
    if (server && server->send && usable_at(copy, pending.old_version)) behind.emplace_back(server, &copy);
  }
  if (behind.empty()) return false;
  MFS_LOG_NOTICE("chunk %016llX: version change to %u from before the start reached no chunkserver - copies at %u go to %u",
                 static_cast<unsigned long long>(chunk_id), chunk.version, pending.old_version, pending.new_version);
  commit(ChangelogEntry::make("SETVERSION", now).arg(chunk_id).arg(pending.new_version));
  commit(ChangelogEntry::make("UNLOCK", now).arg(chunk_id));
  for (auto [server, copy] : behind) {
    copy->state = CopyState::kBusy;
    pending.waiting.insert(server->csid);
    server->send(csmsg::encode(csmsg::SetVersionCommand{chunk_id, pending.new_version, pending.old_version}));
  }
  pending_writes_[chunk_id] = std::move(pending);
  return true;
}

void ChunkManager::finish_write(uint64_t chunk_id) {
  PendingWrite pending = std::move(pending_writes_[chunk_id]);
  pending_writes_.erase(chunk_id);
  loop_.attend(chunk_id);
  uint32_t now = now_();
  if (pending.succeeded.empty()) {
    if (pending.creates_chunk) {
      // The file gets its previous chunk (none, or the shared one) back.
      commit(ChangelogEntry::make("ROLLBACK", now)
                 .arg(pending.inode)
                 .arg(pending.index)
                 .arg(pending.previous_chunk)
                 .arg(chunk_id));
    } else {
      // Nothing changed on the copies: return to the old version, whose copies are good.
      uint32_t old_version = pending.old_version;
      commit(ChangelogEntry::make("SETVERSION", now).arg(chunk_id).arg(old_version));
      commit(ChangelogEntry::make("UNLOCK", now).arg(chunk_id));
      for (ChunkCopy& copy : copies_[chunk_id]) {
        if (copy.state == CopyState::kWrongVersion && copy.version == old_version) copy.state = CopyState::kValid;
      }
    }
    lock_owners_.erase(chunk_id);
    out_of_step(chunk_id);
    for (auto& done : pending.done) done(pending.failed_for_space_only ? StatusCode::kNoSpace : StatusCode::kNotDone);
    return;
  }
  if (pending.some_copy_failed) {
    out_of_step(chunk_id);
  } else {
    // Forgetting costs no more than a version change at the next write of each chunk.
    constexpr size_t kMaxChunksInStep = size_t{1} << 20;
    if (copies_in_step_.size() >= kMaxChunksInStep) copies_in_step_.clear();
    copies_in_step_.insert(chunk_id);
  }
  ChunkLocation location = writer_location(chunk_id, pending.new_version, pending.inode, pending.succeeded);
  for (auto& done : pending.done) done(location);
}

ChunkLocation ChunkManager::writer_location(uint64_t chunk_id, uint32_t version, uint32_t inode,
                                            const std::vector<uint16_t>& csids) const {
  ChunkLocation location;
  location.chunk_id = chunk_id;
  location.version = version;
  const Node* file = std::as_const(metadata_).fs().find(inode);
  location.file_length = file ? file->length : 0;
  for (uint16_t csid : csids) {
    if (const Chunkserver* server = servers_.find(csid)) location.servers.push_back(server);
  }
  return location;
}

ChunkManager::RepairCounts ChunkManager::repair_file(uint32_t inode, uint32_t now) {
  RepairCounts counts;
  const Node* file = std::as_const(metadata_).fs().find(inode);
  // A copy: each repair changes the file's table.
  ChunkList slots = file ? file->chunks : ChunkList{};
  counts.not_changed = slots.size() - static_cast<uint32_t>(slots.chunk_count());  // holes
  for (const ChunkList::Slot& slot : slots) {
    uint32_t index = slot.index;  // named variables: a lambda below captures them
    uint64_t chunk_id = slot.id;
    const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(chunk_id);
    auto repair = [&](uint32_t version) {
      out_of_step(chunk_id);
      commit(ChangelogEntry::make("REPAIR", now).arg(inode).arg(index).result(version));
    };
    if (!chunk) {
      ++counts.erased;
      repair(0);
      continue;
    }
    bool locked = chunk->locked_to > now || pending_writes_.count(chunk_id);
    auto& copies = copies_[chunk_id];
    bool has_good_copy = std::any_of(copies.begin(), copies.end(), [&](const ChunkCopy& copy) {
      return (copy.state == CopyState::kValid || copy.state == CopyState::kBusy) && copy.version == chunk->version;
    });
    if (locked || has_good_copy) {
      ++counts.not_changed;
      continue;
    }
    uint32_t best = 0;
    for (const ChunkCopy& copy : copies) {
      bool usable = copy.state == CopyState::kWrongVersion || copy.state == CopyState::kValid;
      if (usable) best = std::max(best, copy.version);
    }
    if (best == 0) {
      ++counts.erased;
      repair(0);
      continue;
    }
    ++counts.repaired;
    repair(best);
    loop_.attend(chunk_id);
    for (ChunkCopy& copy : copies) {
      if (copy.version == best && copy.state == CopyState::kWrongVersion) copy.state = CopyState::kValid;
    }
  }
  return counts;
}

Status ChunkManager::write_end(uint64_t chunk_id, uint32_t inode, uint64_t length, bool can_modify_mtime,
                               uint32_t now) {
  Status result = Status::ok();
  if (length > 0) {
    const Node* file = std::as_const(metadata_).fs().find(inode);
    if (!file) {
      result = StatusCode::kENOENT;
    } else if (!file->is_file_like()) {
      result = StatusCode::kEPERM;
    } else if (length > file->length) {
      SubtreeUsage growth;
      growth.length = length - file->length;
      result = std::as_const(metadata_).quotas().check_file(metadata_.fs(), *file, growth);
      if (result) commit(ChangelogEntry::make("LENGTH", now).arg(inode).arg(length).arg(can_modify_mtime ? 1 : 0));
    }
  }
  const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(chunk_id);
  if (!chunk) return result ? Status(StatusCode::kNoChunk) : result;
  if (chunk->locked_to != 0) commit(ChangelogEntry::make("UNLOCK", now).arg(chunk_id));
  lock_owners_.erase(chunk_id);
  loop_.attend(chunk_id);
  return result;
}

void ChunkManager::chunks_announced(Chunkserver& server, const std::vector<AnnouncedChunk>& chunks) {
  for (const AnnouncedChunk& announced : chunks) {
    const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(announced.chunk_id);
    if (!chunk) chunk = adopt_unknown_chunk(server, announced);
    if (!chunk) continue;
    ChunkCopy* copy = find_copy(announced.chunk_id, server.csid);
    if (!copy) {
      copies_[announced.chunk_id].push_back({server.csid, CopyState::kValid, announced.version, false});
      copy = &copies_[announced.chunk_id].back();
    }
    copy->version = announced.version;
    copy->on_removal_disk = announced.on_removal_disk;
    copy->state = announced.version == chunk->version ? CopyState::kValid : CopyState::kWrongVersion;
    out_of_step(announced.chunk_id);
    loop_.attend(announced.chunk_id);
  }
}

// As 3.0.117 (spec 20 §2.9): a chunk the metadata does not know is recorded, locked for a
// week, and deleted once the lock expires, unless a file claims it meanwhile (metadata
// restored from an older copy, found again). Ids far beyond any we handed out are ignored.
const ChunkRecord* ChunkManager::adopt_unknown_chunk(const Chunkserver& server, const AnnouncedChunk& announced) {
  constexpr uint64_t kPlausibleIdRange = 1'000'000'000;
  constexpr uint32_t kUnknownChunkLockSeconds = 7 * 24 * 3600;
  uint64_t chunk_id = announced.chunk_id;
  if (chunk_id == 0 || chunk_id > metadata_.chunks().next_id() + kPlausibleIdRange) {
    MFS_LOG_WARNING("chunkserver %s has chunk %016llX with an implausible id - ignored", server.address().c_str(),
                    static_cast<unsigned long long>(chunk_id));
    return nullptr;
  }
  MFS_LOG_NOTICE("chunkserver (%s) has nonexistent chunk (%016llX_%08X), so create it for future deletion",
                 server.address().c_str(), static_cast<unsigned long long>(chunk_id), announced.version);
  uint32_t now = now_();
  commit(ChangelogEntry::make("CHUNKADD", now).arg(chunk_id).arg(announced.version).arg(now + kUnknownChunkLockSeconds));
  return std::as_const(metadata_).chunks().find(chunk_id);
}

void ChunkManager::chunk_damaged(Chunkserver& server, uint64_t chunk_id) {
  MFS_LOG_WARNING("chunk %016llX: copy on %s reported damaged", static_cast<unsigned long long>(chunk_id),
                  server.address().c_str());
  if (ChunkCopy* copy = find_copy(chunk_id, server.csid)) copy->state = CopyState::kInvalid;
  out_of_step(chunk_id);
  loop_.attend(chunk_id);
}

void ChunkManager::chunk_lost(Chunkserver& server, uint64_t chunk_id) {
  MFS_LOG_WARNING("chunk %016llX: copy on %s reported lost", static_cast<unsigned long long>(chunk_id),
                  server.address().c_str());
  forget_copy(server, chunk_id);
  out_of_step(chunk_id);
  loop_.attend(chunk_id);
}

void ChunkManager::forget_copy(const Chunkserver& server, uint64_t chunk_id) {
  auto it = copies_.find(chunk_id);
  if (it == copies_.end()) return;
  std::erase_if(it->second, [&](const ChunkCopy& copy) { return copy.csid == server.csid; });
  if (it->second.empty()) copies_.erase(it);
}

void ChunkManager::deletion_finished(Chunkserver& server, uint64_t chunk_id, uint8_t status) {
  if (server.deletions > 0) --server.deletions;
  if (status == kStatusOk || status == kStatusNoChunk) forget_copy(server, chunk_id);
  loop_.attend(chunk_id);
}

void ChunkManager::replication_finished(Chunkserver& server, uint64_t chunk_id, uint32_t version, uint8_t status) {
  auto pending = pending_replications_.find(chunk_id);
  if (pending != pending_replications_.end() && pending->second == server.csid) pending_replications_.erase(pending);
  if (server.replications_to > 0) --server.replications_to;
  out_of_step(chunk_id);
  const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(chunk_id);
  if (status == kStatusOk && chunk && version == chunk->version) {
    if (ChunkCopy* copy = find_copy(chunk_id, server.csid)) {
      copy->state = CopyState::kValid;
      copy->version = version;
    } else {
      copies_[chunk_id].push_back({server.csid, CopyState::kValid, version, false});
    }
  } else {
    MFS_LOG_NOTICE("replication of chunk %016llX to %s failed (status %u)", static_cast<unsigned long long>(chunk_id),
                   server.address().c_str(), status);
  }
  loop_.attend(chunk_id);
}

void ChunkManager::server_connected(const Chunkserver& server) { maintained_.server_back(server.csid); }

void ChunkManager::new_target_available() {
  for (uint64_t chunk_id : awaiting_server_) loop_.attend(chunk_id);
  awaiting_server_.clear();
}

void ChunkManager::server_disconnected(Chunkserver& server) {
  if (server.leaving_gracefully && temporary_maintenance_ > 0) {
    std::vector<uint64_t> held;
    for (const auto& [chunk_id, copies] : copies_) {
      for (const ChunkCopy& copy : copies) {
        if (copy.csid == server.csid && copy.state == CopyState::kValid) held.push_back(chunk_id);
      }
    }
    MFS_LOG_NOTICE("chunkserver %s: temporary maintenance for %u s, its %zu copies still count", server.address().c_str(),
                   temporary_maintenance_, held.size());
    maintained_.server_left(server.csid, now_() + temporary_maintenance_, std::move(held));
  }
  std::vector<uint64_t> finished;
  for (auto& [chunk_id, pending] : pending_writes_) {
    if (!pending.waiting.erase(server.csid)) continue;
    pending.failed_for_space_only = false;
    pending.some_copy_failed = true;
    if (pending.waiting.empty()) finished.push_back(chunk_id);
  }
  for (auto it = copies_.begin(); it != copies_.end();) {
    if (std::erase_if(it->second, [&](const ChunkCopy& copy) { return copy.csid == server.csid; })) {
      out_of_step(it->first);
      loop_.attend(it->first);
    }
    it = it->second.empty() ? copies_.erase(it) : std::next(it);
  }
  std::erase_if(pending_replications_, [&](const auto& entry) {
    if (entry.second != server.csid) return false;
    loop_.attend(entry.first);
    return true;
  });
  for (uint64_t chunk_id : finished) finish_write(chunk_id);
}

void ChunkManager::send_delete(Chunkserver& server, ChunkCopy& copy, uint64_t chunk_id, uint32_t version) {
  copy.state = CopyState::kDeleting;
  ++server.deletions;
  server.send(csmsg::encode(csmsg::DeleteCommand{chunk_id, version}));
}

void ChunkManager::housekeeping(uint32_t now) {
  // Expired write locks (a client that never sent WRITE_CHUNK_END).
  std::vector<uint64_t> expired;
  for (const auto& [chunk_id, owner] : lock_owners_) {
    const ChunkRecord* chunk = std::as_const(metadata_).chunks().find(chunk_id);
    if (!chunk || (chunk->locked_to <= now && !pending_writes_.count(chunk_id))) expired.push_back(chunk_id);
  }
  // Its writer may have left the copies unequal: the next write gets a new version.
  for (uint64_t chunk_id : expired) {
    lock_owners_.erase(chunk_id);
    out_of_step(chunk_id);
  }
  if (size_t ended = maintained_.expire(now)) {
    MFS_LOG_NOTICE("temporary maintenance of %zu chunkserver(s) ended: their chunks are replicated", ended);
  }

  // Changes to the chunk records: references, goals, locks.
  for (uint64_t chunk_id : metadata_.chunks().take_touched()) loop_.attend(chunk_id);
  const ChunkTable& table = std::as_const(metadata_).chunks();
  ChunkLoopTick tick = loop_.next_tick(table, now);
  for (uint64_t chunk_id : tick.attended) {
    if (const ChunkRecord* chunk = table.find(chunk_id)) balance_chunk(*chunk, now);
  }
  for (size_t i = 0; i < tick.looped.size(); ++i) {
    if (tick.pass_end == i) loop_.end_pass(now);
    if (const ChunkRecord* chunk = table.find(tick.looped[i])) loop_.count(balance_chunk(*chunk, now));
  }
  if (tick.pass_end == tick.looped.size()) loop_.end_pass(now);
}

ChunkLoopCounters ChunkManager::balance_chunk(const ChunkRecord& chunk, uint32_t now) {
  ChunkLoopCounters did;
  uint64_t chunk_id = chunk.id;
  if (pending_writes_.count(chunk_id) || pending_replications_.count(chunk_id)) return did;
  auto& copies = copies_[chunk_id];
  bool unused = chunk.file_references == 0 && chunk.locked_to <= now;
  if (unused && copies.empty()) {
    copies_.erase(chunk_id);
    out_of_step(chunk_id);
    commit(ChangelogEntry::make("CHUNKDEL", now).arg(chunk_id).arg(chunk.version));
    return did;
  }
  adopt_copies_ahead_of_a_lost_change(chunk, now);
  if (chunk.locked_to > now) {
    ++(chunk.file_references == 0 ? did.locked_unused : did.locked_used);
    loop_.attend_at(chunk_id, chunk.locked_to);
    return did;
  }
  std::vector<ChunkCopy*> valid;
  for (ChunkCopy& copy : copies) {
    if (copy.state == CopyState::kValid && copy.version == chunk.version) valid.push_back(&copy);
  }
  for (ChunkCopy& copy : copies) {
    Chunkserver* server = servers_.find(copy.csid);
    if (!server || !server->send || copy.state == CopyState::kDeleting || copy.state == CopyState::kBusy) continue;
    bool bad =
        copy.state == CopyState::kInvalid || copy.state == CopyState::kWrongVersion || copy.version != chunk.version;
    if (!unused && !(bad && !valid.empty())) continue;
    if (server->deletions >= deletion_limit_) {
      ++(unused ? did.kept_unused : did.kept_invalid);
      loop_.attend(chunk_id);
    } else {
      ++(unused ? did.deleted_unused : did.deleted_invalid);
      send_delete(*server, copy, chunk_id, unused ? copy.version : 0);
    }
  }
  if (unused || valid.empty()) return did;
  uint32_t goal = goal_of(chunk);
  // Copies on disks marked for removal ('*' in mfshdd.cfg) still serve reads and replication
  // but do not count towards the goal, so that the disk can be drained; they are never
  // dropped as surplus (the operator removes the disk).
  std::vector<ChunkCopy*> kept;
  std::copy_if(valid.begin(), valid.end(), std::back_inserter(kept),
               [](const ChunkCopy* copy) { return !copy->on_removal_disk; });
  // Copies at a place (CHUNKS_UNIQUE_MODE) an earlier one holds last: the labels are matched
  // to the others first, so that a repeated copy is the one left over.
  std::vector<bool> repeated = places().repeated(ips_of(kept));
  std::vector<ChunkCopy*> alone;
  std::vector<ChunkCopy*> repeats;
  for (size_t i = 0; i < kept.size(); ++i) (repeated[i] ? repeats : alone).push_back(kept[i]);
  kept = std::move(alone);
  kept.insert(kept.end(), repeats.begin(), repeats.end());
  // Which kept copies serve which copy of the class's labels; the rest are misplaced.
  const LabelSet* wanted = wanted_labels(chunk);
  LabelSet unfilled;
  std::vector<bool> placed(kept.size(), wanted == nullptr);
  std::vector<std::optional<size_t>> serves(kept.size());
  if (wanted) {
    std::vector<uint32_t> labels;
    for (const ChunkCopy* copy : kept) {
      const Chunkserver* server = servers_.find(copy->csid);
      labels.push_back(server ? server->labels : 0);
    }
    auto assigned = assign_servers(*wanted, labels);
    for (size_t i = 0; i < assigned.size(); ++i) {
      if (assigned[i]) {
        placed[*assigned[i]] = true;
        serves[*assigned[i]] = i;
      } else {
        unfilled.push_back((*wanted)[i]);
      }
    }
  }
  uint8_t mode = class_of(chunk) ? class_of(chunk)->mode : class_mode::kStd;
  std::set<uint16_t> holders;
  for (const ChunkCopy& copy : copies) holders.insert(copy.csid);
  bool may_replicate = now >= started_at_ + replications_delay_;
  if (kept.size() + maintained_.count(chunk_id) < goal && may_replicate) {
    // Undergoal: a copy for a label set not served yet (any server unless STRICT).
    LabelSet missing = unfilled.empty() ? LabelSet{CopyLabels{}} : unfilled;
    Replication started = replicate(chunk, valid, choose_labelled_servers(missing, mode, holders, near_copies(valid)));
    if (started == Replication::kNoTarget) awaiting_server_.insert(chunk_id);
    if (started == Replication::kAtLimit) loop_.attend(chunk_id);
    ++(started == Replication::kStarted ? did.copied_undergoal : did.not_copied_undergoal);
    return did;
  }
  // Under goal but waiting: for servers in temporary maintenance or for the replication
  // delay after start. 3.0.117 counts these as not copied too.
  if (kept.size() < goal) ++did.not_copied_undergoal;
  // Enough copies, some on wrongly labelled servers: a copy where the labels match, if such
  // a server exists; the misplaced copy goes as surplus afterwards. (Labels left unfilled by
  // copies in temporary maintenance are no reason to move anything.)
  std::vector<Chunkserver*> better;
  bool misplaced = std::find(placed.begin(), placed.end(), false) != placed.end();
  if (!unfilled.empty() && misplaced && may_replicate) {
    better = choose_labelled_servers(unfilled, class_mode::kStrict, holders, near_copies(valid));
    if (better.empty()) ++did.labels_dont_match;
  }
  if (!better.empty()) {
    bool started = replicate(chunk, valid, better) == Replication::kStarted;
    if (!started) loop_.attend(chunk_id);
    ++(started ? did.copied_wrong_labels : did.not_copied_wrong_labels);
  } else if (kept.size() > goal) {
    // Surplus copies: misplaced ones first, then those sharing their place, then those on
    // the fullest servers.
    std::vector<size_t> order(kept.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto free_space = [&](size_t i) {
      const Chunkserver* server = servers_.find(kept[i]->csid);
      return server ? server->free_space() : 0;
    };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return free_space(a) < free_space(b); });
    std::vector<ChunkCopy*> ordered;
    std::vector<bool> serving;
    for (size_t i : order) {
      ordered.push_back(kept[i]);
      serving.push_back(placed[i]);
    }
    for (size_t i : places().surplus(ips_of(ordered), serving, kept.size() - goal)) {
      ChunkCopy& surplus = *ordered[i];
      Chunkserver* server = servers_.find(surplus.csid);
      if (!server || !server->send) continue;
      if (server->deletions >= deletion_limit_) {
        ++did.kept_overgoal;
        loop_.attend(chunk_id);
      } else {
        ++did.deleted_overgoal;
        send_delete(*server, surplus, chunk_id, 0);
      }
    }
  } else if (kept.size() == goal && may_replicate && places().enabled()) {
    if (spread_copies(chunk, valid, kept, serves, holders) == Replication::kAtLimit) loop_.attend(chunk_id);
  }
  return did;
}

ChunkManager::Replication ChunkManager::spread_copies(const ChunkRecord& chunk, const std::vector<ChunkCopy*>& valid,
                                                      const std::vector<ChunkCopy*>& kept,
                                                      const std::vector<std::optional<size_t>>& serves,
                                                      const std::set<uint16_t>& holders) {
  std::vector<uint32_t> ips = ips_of(kept);
  std::vector<bool> repeated = places().repeated(ips);
  const LabelSet* wanted = wanted_labels(chunk);
  for (size_t i = kept.size(); i-- > 0 && repeated[i];) {
    CopyLabels labels = wanted && serves[i] ? (*wanted)[*serves[i]] : CopyLabels{};
    std::vector<Chunkserver*> targets =
        choose_labelled_servers(LabelSet{labels}, class_mode::kStrict, holders, near_copies(valid));
    if (!targets.empty() && !places().taken(ips, targets.front()->ip)) return replicate(chunk, valid, targets);
  }
  // A server at a new place may register later.
  if (!repeated.empty() && repeated.back()) awaiting_server_.insert(chunk.id);
  return Replication::kNoTarget;
}

std::vector<uint32_t> ChunkManager::ips_of(const std::vector<ChunkCopy*>& copies) const {
  std::vector<uint32_t> ips;
  for (const ChunkCopy* copy : copies) {
    const Chunkserver* server = servers_.find(copy->csid);
    ips.push_back(server ? server->ip : 0);
  }
  return ips;
}

ChunkManager::Preference ChunkManager::near_copies(const std::vector<ChunkCopy*>& valid) const {
  if (topology_policy_.replications_mode < 2 && !places().enabled()) return {};
  return [this, ips = ips_of(valid)](std::vector<Chunkserver*>& servers) {
    if (topology_policy_.replications_mode >= 2) order_by_distance_to_any(servers, ips, topology_);
    places().put_free_places_first(servers, ips);
  };
}

ChunkManager::Replication ChunkManager::replicate(const ChunkRecord& chunk, const std::vector<ChunkCopy*>& valid,
                                                  const std::vector<Chunkserver*>& targets) {
  if (targets.empty()) return Replication::kNoTarget;
  Chunkserver& target = *targets.front();
  std::vector<Chunkserver*> sources;
  for (ChunkCopy* copy : valid) {
    Chunkserver* candidate = servers_.find(copy->csid);
    if (candidate && candidate->replications_from < read_replication_limit_) sources.push_back(candidate);
  }
  if (sources.empty() || target.replications_to >= write_replication_limit_) return Replication::kAtLimit;
  Chunkserver* source = topology_policy_.replications_mode >= 1
                            ? sources[closest_source(sources, target.ip, topology_)]
                            : sources.front();
  ++target.replications_to;
  pending_replications_[chunk.id] = target.csid;
  target.send(csmsg::encode(csmsg::ReplicateCommand{chunk.id, chunk.version, source->ip, source->port}));
  return Replication::kStarted;
}

}  // namespace mfs::master
