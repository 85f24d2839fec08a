// The LevelDB checkpoint of the metadata (DESIGN §3): one record per node, chunk and
// session plus a counters record holding the version it reflects, all updated in one
// write batch per flush. The metadata thread serialises only what changed since the
// last flush; a background thread writes the batches. Start-up loads the checkpoint and
// replays the changelog from its version on.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mfscommon/status.h"
#include "mfsmaster/metadata.h"

namespace leveldb {
class DB;
class WriteBatch;
}  // namespace leveldb

namespace mfs::master {

class Checkpoint {
 public:
  ~Checkpoint();
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  // Opens (creating if needed) the store in `directory`.
  static Result<std::unique_ptr<Checkpoint>> open(const std::string& directory);

  // Whether the store holds a checkpoint (a counters record).
  bool has_state() const;
  // Loads the stored state into `into` (replacing it) and rebuilds derived state.
  Status load(Metadata& into);
  // The same without noting the version as written: safe on any thread while the writer
  // works (it reads one LevelDB snapshot). Made for images served while running.
  Status read_state(Metadata& into) const;

  // Queues everything that changed in `metadata` since the last flush (or, with
  // `everything`, the whole state) for the background writer.
  void flush(Metadata& metadata, bool everything = false);
  // The periodic flush: at once while few nodes changed. Serialising a big change set (a
  // snapshot or a recursive setting of a big tree) takes tens of milliseconds of the
  // metadata thread and more of LevelDB's, so it waits until the changes pause, for at
  // most kMaxDelay: the checkpoint only shortens the replay at start-up, the changelog
  // holds every change.
  void flush_when_due(Metadata& metadata, std::chrono::steady_clock::time_point last_change);
  // Waits until every queued batch is written; the first write error, if any.
  Status wait_idle();
  uint64_t written_version() const;

  // A change set of more nodes than this (about 10 ms to serialise) waits for a pause in
  // the changes. Clients creating files as fast as they can change fewer in a second, so
  // their changes are flushed every second: a flush deferred for seconds of creates made
  // batches so big that the master kept some 80 more bytes of memory per file
  // (bench/master_bench.py --workloads memory).
  static constexpr size_t kBigChangeSet = 50000;

 private:
  static constexpr std::chrono::milliseconds kPause{200};
  static constexpr std::chrono::seconds kMaxDelay{10};

  explicit Checkpoint(std::unique_ptr<leveldb::DB> db);
  void writer_loop();

  std::unique_ptr<leveldb::DB> db_;
  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable idle_;
  std::deque<std::pair<uint64_t, std::unique_ptr<leveldb::WriteBatch>>> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  uint64_t written_version_ = 0;
  Status error_;
  std::thread writer_;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

}  // namespace mfs::master
