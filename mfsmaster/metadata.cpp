#include "mfsmaster/metadata.h"

#include <string_view>
#include <unordered_map>
#include <utility>

namespace mfs::master {

Metadata::Metadata()
    : fs_([this](uint64_t chunk_id, const Node& file) { release_chunk_reference(chunk_id, file); }) {}

void Metadata::release_chunk_reference(uint64_t chunk_id, const Node& file) {
  if (ChunkRecord* chunk = chunks_.find(chunk_id)) chunk_classes_.remove(*chunk, file.sclass);
}

void Metadata::init_empty(uint32_t now) {
  fs_.init_empty(now);
  sessions_ = Sessions();
  chunks_ = ChunkTable();
  chunk_classes_.clear();
  quotas_.clear();
  storage_classes_.reset();
  fs_.set_class_goals(storage_classes_.goals());
  locks_ = LockTable();
  version_ = 1;
  meta_id_ = 0;
}

void Metadata::recount_chunk_references() {
  for (const auto& [id, chunk] : chunks_.all()) {
    chunk->file_references = 0;
    chunk->goal = 0;
    chunk->sclass = 0;
  }
  chunk_classes_.clear();
  for (const Node* node : std::as_const(fs_).all_nodes()) {
    if (!node->is_file_like()) continue;
    for (const ChunkList::Slot& slot : node->chunks) {
      if (ChunkRecord* chunk = chunks_.find(slot.id)) reference_chunk(*chunk, *node);
    }
  }
}

void Metadata::rebuild_derived_state() {
  recount_chunk_references();
  for (const auto& [id, session] : sessions_.all()) {
    for (uint32_t inode : session->open_inodes) fs_.acquire(inode);
  }
  fs_.rebuild_reusable_inodes();
  fs_.set_class_goals(storage_classes_.goals());
  fs_.recompute_usage();
  fs_.take_changed_nodes();
  locks_.take_changed();
  chunks_.take_changed();
  sessions_.take_changed();
  quotas_.take_changed();
  storage_classes_.take_changed();
}

Status Metadata::apply(const ChangelogEntry& entry) {
  if (entry.id != version_) {
    return Status(StatusCode::kMismatch,
                  "change " + std::to_string(entry.id) + " does not follow version " + std::to_string(version_));
  }
  Status status = apply_operation(entry);
  // Quota usage follows every change; a freed directory's quota goes with it.
  for (uint32_t freed : fs_.refresh_usage()) quotas_.erase(freed);
  if (status) ++version_;
  return status;
}

Status Metadata::apply_operation(const ChangelogEntry& entry) {
  using Handler = Status (Metadata::*)(const ChangelogEntry&);
  static const std::unordered_map<std::string_view, Handler> kHandlers = {
      {"CREATE", &Metadata::apply_create},
      {"SYMLINK", &Metadata::apply_symlink},
      {"LINK", &Metadata::apply_link},
      {"UNLINK", &Metadata::apply_unlink},
      {"MOVE", &Metadata::apply_move},
      {"ATTR", &Metadata::apply_attr},
      {"AMTIME", &Metadata::apply_amtime},
      {"ACCESS", &Metadata::apply_access},
      {"LENGTH", &Metadata::apply_length},
      {"SETXATTR", &Metadata::apply_setxattr},
      {"SETACL", &Metadata::apply_setacl},
      {"PURGE", &Metadata::apply_purge},
      {"SETPATH", &Metadata::apply_setpath},
      {"UNDEL", &Metadata::apply_undel},
      {"EMPTYTRASH", &Metadata::apply_emptytrash},
      {"EMPTYSUSTAINED", &Metadata::apply_emptysustained},
      {"ARCHCHG", &Metadata::apply_archchg},
      {"FREEINODES", &Metadata::apply_freeinodes},
      {"SETMETAID", &Metadata::apply_setmetaid},
      {"CSDBOP", &Metadata::apply_csdbop},
      {"SESADD", &Metadata::apply_sesadd},
      {"SESCHANGED", &Metadata::apply_seschanged},
      {"SESDISCONNECTED", &Metadata::apply_sesdisconnected},
      {"SESDEL", &Metadata::apply_sesdel},
      {"ACQUIRE", &Metadata::apply_acquire},
      {"AQUIRE", &Metadata::apply_acquire},
      {"RELEASE", &Metadata::apply_release},
      {"FLOCK", &Metadata::apply_flock},
      {"POSIXLOCK", &Metadata::apply_posixlock},
      {"WRITE", &Metadata::apply_write},
      {"UNLOCK", &Metadata::apply_unlock},
      {"TRUNC", &Metadata::apply_trunc},
      {"SNAPSHOT", &Metadata::apply_snapshot},
      {"APPEND", &Metadata::apply_append},
      {"REPAIR", &Metadata::apply_repair},
      {"ROLLBACK", &Metadata::apply_rollback},
      {"SETVERSION", &Metadata::apply_setversion},
      {"CHUNKADD", &Metadata::apply_chunkadd},
      {"CHUNKDEL", &Metadata::apply_chunkdel},
      {"NEXTCHUNKID", &Metadata::apply_nextchunkid},
      {"SETSCLASS", &Metadata::apply_node_setting},
      {"SETGOAL", &Metadata::apply_node_setting},
      {"SETTRASHTIME", &Metadata::apply_node_setting},
      {"SETEATTR", &Metadata::apply_node_setting},
      {"QUOTA", &Metadata::apply_quota},
      {"SCSET", &Metadata::apply_scset},
      {"SCDEL", &Metadata::apply_scdel},
      {"SCDUP", &Metadata::apply_scdup_or_scren},
      {"SCREN", &Metadata::apply_scdup_or_scren},
      {"IDLE", nullptr},
  };
  auto it = kHandlers.find(entry.operation);
  if (it == kHandlers.end()) {
    return Status(StatusCode::kENOTSUP, "unknown changelog operation " + entry.operation);
  }
  return it->second ? (this->*(it->second))(entry) : Status::ok();
}

Status Metadata::apply_setmetaid(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint64_t id = args.number<uint64_t>();
  if (!args.ok()) return args.status();
  if (meta_id_ != 0 && meta_id_ != id) return Status(StatusCode::kMismatch, "meta id already set");
  meta_id_ = id;
  return Status::ok();
}

// CSDBOP(op,ip,port,arg), a real master's chunkserver database change (spec 30 §4.3). Ours
// keeps no chunkserver database in the metadata (it reads and drops metadata.mfs's CSDB
// section too: servers get their ids when they register), so replay only checks it.
Status Metadata::apply_csdbop(const ChangelogEntry& entry) {
  constexpr uint8_t kLastOperation = 6;  // temporary maintenance
  ChangelogArgs args(entry);
  uint8_t operation = args.number<uint8_t>();
  args.number<uint32_t>();  // ip
  args.number<uint16_t>();  // port
  args.number<uint32_t>();  // csid or end time, by operation
  if (!args.ok()) return args.status();
  if (operation > kLastOperation) return Status(StatusCode::kMismatch, "CSDBOP: unknown operation");
  return Status::ok();
}

}  // namespace mfs::master
