#include "mfsmaster/checkpoint.h"

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>

#include "mfscommon/log.h"
#include "mfsmaster/checkpoint_records.h"

namespace mfs::master {

namespace records = checkpoint_records;

namespace {

// The checkpoint's threads give way to the metadata thread and to the clients' processes
// on a busy machine: what they write only shortens a future replay.
constexpr int kBackgroundNice = 10;

void lower_this_thread_priority() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBackgroundNice) != 0) {
    MFS_LOG_WARNING("checkpoint: can't lower the priority of a background thread: %s", std::strerror(errno));
  }
}

// LevelDB's own background thread (compactions) runs its jobs at the lowered priority too.
class BackgroundPriorityEnv : public leveldb::EnvWrapper {
 public:
  BackgroundPriorityEnv() : leveldb::EnvWrapper(leveldb::Env::Default()) {}
  void Schedule(void (*function)(void*), void* arg) override {
    target()->Schedule(&run_lowered, new Job{function, arg});
  }

 private:
  struct Job {
    void (*function)(void*);
    void* arg;
  };
  static void run_lowered(void* raw) {
    std::unique_ptr<Job> job(static_cast<Job*>(raw));
    lower_this_thread_priority();
    job->function(job->arg);
  }
};

leveldb::Env* background_priority_env() {
  static auto* env = new BackgroundPriorityEnv;  // outlives every DB, as Env::Default() does
  return env;
}

}  // namespace

Result<std::unique_ptr<Checkpoint>> Checkpoint::open(const std::string& directory) {
  leveldb::Options options;
  options.create_if_missing = true;
  // A recursive change or a snapshot rewrites a record per node of a whole tree: small
  // records gain little from compression for the CPU it costs beside the request path.
  options.compression = leveldb::kNoCompression;
  options.env = background_priority_env();
  leveldb::DB* raw = nullptr;
  leveldb::Status status = leveldb::DB::Open(options, directory, &raw);
  if (!status.ok()) return Status(StatusCode::kIO, "can't open checkpoint " + directory + ": " + status.ToString());
  return std::unique_ptr<Checkpoint>(new Checkpoint(std::unique_ptr<leveldb::DB>(raw)));
}

Checkpoint::Checkpoint(std::unique_ptr<leveldb::DB> db) : db_(std::move(db)) {
  writer_ = std::thread([this] { writer_loop(); });
}

Checkpoint::~Checkpoint() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  writer_.join();
}

bool Checkpoint::has_state() const {
  std::string value;
  return db_->Get(leveldb::ReadOptions(), std::string(records::kCountersKey), &value).ok();
}

Status Checkpoint::load(Metadata& into) {
  Status loaded = read_state(into);
  if (loaded) {
    std::lock_guard lock(mutex_);
    written_version_ = into.version();
  }
  return loaded;
}

Status Checkpoint::read_state(Metadata& into) const {
  // The writer may commit a batch meanwhile: every read goes to one snapshot.
  std::unique_ptr<const leveldb::Snapshot, std::function<void(const leveldb::Snapshot*)>> snapshot(
      db_->GetSnapshot(), [this](const leveldb::Snapshot* taken) { db_->ReleaseSnapshot(taken); });
  leveldb::ReadOptions options;
  options.snapshot = snapshot.get();
  std::string counters_value;
  if (!db_->Get(options, std::string(records::kCountersKey), &counters_value).ok()) {
    return Status(StatusCode::kNotFound, "no checkpoint");
  }
  auto counters = records::decode_counters(counters_value);
  if (!counters) return counters.status();

  into.init_empty(0);
  FsTree& fs = into.fs();
  std::vector<std::pair<uint32_t, records::StoredEdge>> edges;
  std::vector<std::pair<uint32_t, uint32_t>> freed;  // (time, inode)
  std::vector<QuotaRecord> quotas;                   // set once the directories exist
  std::vector<std::pair<uint8_t, StorageClass>> stored_classes;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    std::string_view value(it->value().data(), it->value().size());
    if (auto inode = records::id_of(key, records::kNodePrefix)) {
      if (records::is_freed_record(value)) {
        auto freed_at = records::decode_freed(value);
        if (!freed_at) return freed_at.status();
        freed.emplace_back(*freed_at, static_cast<uint32_t>(*inode));
        continue;
      }
      std::vector<records::StoredEdge> node_edges;
      auto node = records::decode_node(static_cast<uint32_t>(*inode), value, node_edges);
      if (!node) return node.status();
      fs.restore_node(std::move(**node));
      for (auto& edge : node_edges) edges.emplace_back(static_cast<uint32_t>(*inode), std::move(edge));
    } else if (auto chunk_id = records::id_of(key, records::kChunkPrefix)) {
      ChunkRecord stored;
      if (Status status = records::decode_chunk(value, stored); !status) return status;
      ChunkRecord& chunk = into.chunks().add(*chunk_id, stored.version, stored.locked_to);
      chunk.archived = stored.archived;
      chunk.locked_by_version_change = stored.locked_by_version_change;
    } else if (auto locked_inode = records::id_of(key, records::kLockPrefix)) {
      if (Status status = records::decode_locks(value, static_cast<uint32_t>(*locked_inode), into.locks()); !status) {
        return status;
      }
    } else if (auto quota_inode = records::id_of(key, records::kQuotaPrefix)) {
      auto quota = records::decode_quota(static_cast<uint32_t>(*quota_inode), value);
      if (!quota) return quota.status();
      quotas.push_back(*quota);
    } else if (auto class_id = records::id_of(key, records::kStorageClassPrefix)) {
      auto defined = records::decode_storage_class(value);
      if (!defined) return defined.status();
      if (*class_id == 0 || *class_id >= StorageClassTable::kSlots) {
        return Status(StatusCode::kIO, "corrupt checkpoint: storage class id");
      }
      stored_classes.emplace_back(static_cast<uint8_t>(*class_id), std::move(*defined));
    } else if (auto session_id = records::id_of(key, records::kSessionPrefix)) {
      Session stored;
      if (Status status = records::decode_session(value, stored); !status) return status;
      Session& session = into.sessions().add(static_cast<uint32_t>(*session_id), stored.parameters);
      session.open_inodes = std::move(stored.open_inodes);
      session.disconnected_at = stored.disconnected_at;
    }
  }
  if (!it->status().ok()) return Status(StatusCode::kIO, "checkpoint read failed: " + it->status().ToString());
  // Entries in stored order, so each directory lists them as before.
  std::sort(edges.begin(), edges.end(),
            [](const auto& a, const auto& b) { return a.second.edge_id > b.second.edge_id; });
  for (auto& [child, edge] : edges) {
    if (!fs.restore_edge(edge.parent, child, edge.edge_id, std::move(edge.name))) {
      return Status(StatusCode::kIO, "corrupt checkpoint: bad entry for inode " + std::to_string(child));
    }
  }
  for (const QuotaRecord& quota : quotas) {
    const Node* directory = std::as_const(fs).find(quota.inode);
    if (!directory || !directory->is_directory()) {
      return Status(StatusCode::kIO, "corrupt checkpoint: quota on i-node " + std::to_string(quota.inode));
    }
    into.quotas().set(quota);
  }
  // Stored predefined classes replace the defaults (they may have been changed).
  for (auto& [id, defined] : stored_classes) into.storage_classes().set(id, std::move(defined));
  std::sort(freed.begin(), freed.end());
  for (const auto& [time, inode] : freed) fs.restore_freed_inode(inode, time);
  fs.restore_counters(counters->max_inode, counters->next_edge_id);
  into.chunks().set_next_id(counters->next_chunk_id);
  into.sessions().set_next_id(counters->next_session_id);
  into.set_version(counters->version);
  into.set_meta_id(counters->meta_id);
  into.rebuild_derived_state();
  const Node* root = std::as_const(into).fs().root();
  if (!root || !root->is_directory()) return Status(StatusCode::kIO, "corrupt checkpoint: no root directory");
  return Status::ok();
}

void Checkpoint::flush_when_due(Metadata& metadata, std::chrono::steady_clock::time_point last_change) {
  auto now = std::chrono::steady_clock::now();
  bool big = metadata.fs().changed_node_count() > kBigChangeSet;
  if (big && now - last_change < kPause && now - last_flush_ < kMaxDelay) return;
  flush(metadata);
}

void Checkpoint::flush(Metadata& metadata, bool everything) {
  last_flush_ = std::chrono::steady_clock::now();
  auto batch = std::make_unique<leveldb::WriteBatch>();
  const Metadata& state = metadata;
  std::vector<uint32_t> nodes = metadata.fs().take_changed_nodes();
  std::vector<uint64_t> chunks = metadata.chunks().take_changed();
  std::vector<uint32_t> sessions = metadata.sessions().take_changed();
  std::vector<uint32_t> locked = metadata.locks().take_changed();
  std::vector<uint32_t> quotas = metadata.quotas().take_changed();
  std::vector<uint8_t> classes = metadata.storage_classes().take_changed();
  if (everything) {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) batch->Delete(it->key());
    nodes.clear();
    for (const Node* node : state.fs().all_nodes()) nodes.push_back(node->inode);
    for (const auto& [inode, time] : state.fs().recently_freed()) nodes.push_back(inode);
    chunks.clear();
    for (const auto& [id, chunk] : state.chunks().all()) chunks.push_back(id);
    sessions.clear();
    for (const auto& [id, session] : state.sessions().all()) sessions.push_back(id);
    locked = state.locks().locked_inodes();
    quotas.clear();
    for (const auto& [inode, record] : state.quotas().all()) quotas.push_back(inode);
    classes.clear();
    for (uint32_t id = 1; id < StorageClassTable::kSlots; ++id) {
      if (state.storage_classes().find(id)) classes.push_back(static_cast<uint8_t>(id));
    }
  }
  for (uint32_t inode : nodes) {
    std::string node_key = records::key(records::kNodePrefix, inode);
    if (const Node* node = state.fs().find(inode)) {
      batch->Put(node_key, records::encode_node(*node));
    } else if (auto freed_at = state.fs().freed_at(inode)) {
      batch->Put(node_key, records::encode_freed(*freed_at));
    } else {
      batch->Delete(node_key);
    }
  }
  for (uint64_t id : chunks) {
    std::string chunk_key = records::key(records::kChunkPrefix, id);
    if (const ChunkRecord* chunk = state.chunks().find(id)) {
      batch->Put(chunk_key, records::encode_chunk(*chunk));
    } else {
      batch->Delete(chunk_key);
    }
  }
  for (uint32_t id : sessions) {
    std::string session_key = records::key(records::kSessionPrefix, id);
    if (const Session* session = state.sessions().find(id)) {
      batch->Put(session_key, records::encode_session(*session));
    } else {
      batch->Delete(session_key);
    }
  }
  for (uint32_t inode : locked) {
    std::string lock_key = records::key(records::kLockPrefix, inode);
    if (state.locks().flocks(inode) || state.locks().posix_locks(inode)) {
      batch->Put(lock_key, records::encode_locks(state.locks(), inode));
    } else {
      batch->Delete(lock_key);
    }
  }
  for (uint32_t inode : quotas) {
    std::string quota_key = records::key(records::kQuotaPrefix, inode);
    if (const QuotaRecord* record = state.quotas().find(inode)) {
      batch->Put(quota_key, records::encode_quota(*record));
    } else {
      batch->Delete(quota_key);
    }
  }
  for (uint8_t id : classes) {
    std::string class_key = records::key(records::kStorageClassPrefix, id);
    if (const StorageClass* defined = state.storage_classes().find(id)) {
      batch->Put(class_key, records::encode_storage_class(*defined));
    } else {
      batch->Delete(class_key);
    }
  }
  records::Counters counters{state.version(),           state.meta_id(),          state.fs().max_inode(),
                             state.fs().next_edge_id(), state.chunks().next_id(), state.sessions().next_id()};
  batch->Put(std::string(records::kCountersKey), records::encode_counters(counters));
  {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(state.version(), std::move(batch));
  }
  wake_writer_.notify_one();
}

void Checkpoint::writer_loop() {
  lower_this_thread_priority();
  std::unique_lock lock(mutex_);
  while (true) {
    wake_writer_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping with nothing left to write
    auto [version, batch] = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    leveldb::Status status = db_->Write(leveldb::WriteOptions(), batch.get());
    lock.lock();
    writing_ = false;
    if (status.ok()) {
      written_version_ = version;
    } else if (error_.is_ok()) {
      error_ = Status(StatusCode::kIO, "checkpoint write failed: " + status.ToString());
      MFS_LOG_ERROR("%s", error_.to_string().c_str());
    }
    idle_.notify_all();
  }
}

Status Checkpoint::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !writing_; });
  return error_;
}

uint64_t Checkpoint::written_version() const {
  std::lock_guard lock(mutex_);
  return written_version_;
}

}  // namespace mfs::master
