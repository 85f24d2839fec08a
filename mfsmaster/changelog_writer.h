// Appends changelog lines to DATA_PATH/changelog.0.mfs with group commit (DESIGN §3): the
// metadata thread only buffers lines; a background thread writes whatever has accumulated
// and makes it durable with one fdatasync per batch, then tells the metadata thread, which
// runs the callbacks (typically: send the replies) waiting for those lines.
//
// While the master runs, changelog.0.mfs ends in up to 1 MiB of zeros that the next lines
// overwrite: syncing an overwrite writes data only, syncing an append also commits the new
// file size through the file system's journal. A stop, a rotation and the next open cut
// the zeros off, so closed files hold whole lines only, as MooseFS's do.
//
// Lines that no reply waits for (session bookkeeping, see MutationLog) may wait up to
// `lazy_delay` before they are written and synced, so that a read-only workload, which
// logs an open and a close per file, costs one fdatasync per delay instead of one per
// file. Lines appended later to be synced now, or a callback waiting for them, take them
// along at once: the file stays in id order.
//
// Failure: a write or fdatasync error is logged and puts the writer in a failed state for
// good (retrying fsync after an error is not safe: the kernel may already have dropped the
// dirty pages). From then on nothing more is written, callbacks waiting for lines that were
// not made durable never run and are dropped, so no client is told that an unsafe change is
// safe; failure() returns the error so that the owner can stop serving writes.
#pragma once
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "mfscommon/status.h"

namespace mfs::master {

class ChangelogWriter {
 public:
  using DurableCallback = std::function<void()>;
  // Sees every durable line (each with its '\n'), in id order, batch by batch, and each
  // rotation after the lines it follows: what metaloggers are sent.
  using DurableLinesObserver = std::function<void(std::string_view lines, bool rotated_after)>;
  enum class Sync { kNow, kLazily };
  static constexpr std::chrono::milliseconds kLazyDelay{1000};

  // Opens (creating if needed) changelog.0.mfs in `data_path`. What a crash left after the
  // last whole line (a torn line, the preallocated zeros, pages of an unsynced batch) is
  // cut off first: it was never durable, so never acknowledged; the next change reuses the
  // id of the first line cut. Open it before replaying the changelogs.
  static Result<std::unique_ptr<ChangelogWriter>> open(boost::asio::io_context& io, std::string data_path,
                                                       std::chrono::milliseconds lazy_delay = kLazyDelay);
  ~ChangelogWriter();
  ChangelogWriter(const ChangelogWriter&) = delete;
  ChangelogWriter& operator=(const ChangelogWriter&) = delete;

  // The calls below are made on the metadata thread, the one running `io`.

  // Queues one or more complete lines (each with its '\n'); `last_id` is the change id of
  // the last one, ids increase. Lines queued by one call are written in the same batch.
  void append(std::string lines, uint64_t last_id, Sync sync = Sync::kNow);
  // Runs `callback` on `io` once every line appended so far with an id <= `id` is durable
  // (at once, through `io`, if they already are; lazy lines are synced now).
  // Callbacks run in (id, registration) order.
  void on_durable(uint64_t id, DurableCallback callback);
  // Shifts changelog.(N-1).mfs -> changelog.N.mfs for N = back_logs..1 (spec 30 §4.1) after
  // the lines appended so far; the next line starts a new changelog.0.mfs. back_logs 0
  // deletes changelog.0.mfs; values above MooseFS's maximum of 1000 count as 1000.
  void rotate(uint32_t back_logs);
  void set_durable_lines_observer(DurableLinesObserver observer);
  // Writes and syncs everything queued, then stops the background thread. Returns the
  // failure, if any. Callbacks made runnable by the final batch are posted to `io`.
  Status shutdown();

  // Highest id known (on the metadata thread) to be durable; 0 before the first batch.
  uint64_t durable_id() const;
  // Ok while healthy; the write error once the writer has failed.
  const Status& failure() const;

 private:
  // Lines queued between two rotations; `rotate_after` asks for a rotation once they are
  // written.
  struct Segment {
    std::string lines;
    uint64_t last_id = 0;
    std::optional<uint32_t> rotate_after;
  };
  // What the metadata thread knows; shared with handlers posted to `io` so that they stay
  // valid even if the writer is destroyed before they run.
  struct Durability;

  ChangelogWriter(boost::asio::io_context& io, std::string data_path, int fd, off_t end,
                  std::chrono::milliseconds lazy_delay);
  void run();
  void fail(const Status& status);
  // Blocks until a batch is due (or stopping) and takes it; false once stopped and drained.
  bool take_batch(std::deque<Segment>& batch);
  void sync_now();
  Status write_segment(Segment& segment);
  Status cut_preallocation();
  Status sync();
  Status reopen();
  void rotate_files(uint32_t back_logs);

  boost::asio::io_context& io_;
  const std::string data_path_;
  const std::string live_path_;  // DATA_PATH/changelog.0.mfs
  const std::chrono::milliseconds lazy_delay_;
  std::shared_ptr<Durability> durability_;

  // Shared between the metadata thread and the background thread.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Segment> queue_;
  bool sync_now_ = false;  // something queued must not wait for the lazy deadline
  std::chrono::steady_clock::time_point lazy_deadline_;  // set when the queue stops being empty
  bool stopping_ = false;
  Status write_failure_;

  // Background thread only. The file holds lines up to end_, then zeros up to
  // allocated_end_ (its size).
  int fd_ = -1;
  off_t end_ = 0;
  off_t allocated_end_ = 0;
  bool unsynced_ = false;
  bool failed_ = false;

  std::thread thread_;
};

}  // namespace mfs::master
