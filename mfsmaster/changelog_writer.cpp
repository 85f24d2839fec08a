#include "mfsmaster/changelog_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <map>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "mfscommon/log.h"

namespace mfs::master {
namespace {

constexpr uint32_t kMaxBackLogs = 1000;
constexpr int kChangelogFlags = O_RDWR | O_CREAT | O_CLOEXEC;
// The live changelog is kept preallocated with zeros that lines then overwrite, in steps
// of this size: the fdatasync of a batch then writes data only, where an append also
// commits the file's new size through the file system's journal (on this project's ext4
// disk: about 1.5 times the latency and CPU time per sync, bench/sync_latency.py).
constexpr off_t kPreallocationStep = off_t{1} << 20;
constexpr mode_t kChangelogMode = 0666;  // narrowed by the daemon's umask, as MooseFS files are

std::string changelog_path(const std::string& data_path, uint32_t number) {
  return data_path + "/changelog." + std::to_string(number) + ".mfs";
}

Status io_error(std::string_view what, const std::string& path) {
  return Status(StatusCode::kIO, std::string(what) + " " + path + ": " + std::generic_category().message(errno));
}

// A new or renamed file is only found after a crash once its directory entry is durable.
Status sync_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("can't open folder", path);
  Status status = ::fsync(fd) == 0 ? Status::ok() : io_error("can't fsync folder", path);
  ::close(fd);
  return status;
}

// Lines never hold a NUL byte (changelog_entry escapes control bytes), so the first NUL
// ends what was written: after it come the zero-filled preallocation (see
// kPreallocationStep), or pages of a batch a crash left partly written, which was never
// synced, so never acknowledged. Returns the offset just after the last '\n' before the
// first NUL (or the end of the file).
Result<off_t> end_of_whole_lines(int fd, off_t size, const std::string& path) {
  off_t end = 0;
  std::vector<char> chunk(65536);
  for (off_t offset = 0; offset < size;) {
    ssize_t got = ::pread(fd, chunk.data(),
                          static_cast<size_t>(std::min(size - offset, static_cast<off_t>(chunk.size()))), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (got == 0) errno = EIO;  // the file shrank under us
      return io_error("can't read", path);
    }
    std::string_view data(chunk.data(), static_cast<size_t>(got));
    size_t nul = data.find('\0');
    if (size_t newline = data.substr(0, nul).rfind('\n'); newline != std::string_view::npos) {
      end = offset + static_cast<off_t>(newline) + 1;
    }
    if (nul != std::string_view::npos) break;
    offset += got;
  }
  return end;
}

// Cuts what follows the whole lines off.
Result<off_t> cut_unsynced_tail(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return io_error("can't stat", path);
  auto end = end_of_whole_lines(fd, info.st_size, path);
  if (!end || *end == info.st_size) return end;
  if (::ftruncate(fd, *end) != 0 || ::fdatasync(fd) != 0) return io_error("can't cut the unsynced tail of", path);
  MFS_LOG_NOTICE("%s: cut %lld bytes after the last whole line (preallocated zeros, or a batch a crash left unsynced)",
                 path.c_str(), static_cast<long long>(info.st_size - *end));
  return end;
}

Status pwrite_all(int fd, std::string_view data, off_t offset, const std::string& path) {
  while (!data.empty()) {
    ssize_t written = ::pwrite(fd, data.data(), data.size(), offset);
    if (written < 0) {
      if (errno == EINTR) continue;
      return io_error("write error on", path);
    }
    data.remove_prefix(static_cast<size_t>(written));
    offset += written;
  }
  return Status::ok();
}

}  // namespace

struct ChangelogWriter::Durability {
  uint64_t appended_id = 0;
  uint64_t sync_requested_id = 0;  // highest id the writer was told to sync without delay
  uint64_t durable_id = 0;
  std::multimap<uint64_t, DurableCallback> waiting;
  DurableLinesObserver observer;
  Status failure;

  void made_durable(uint64_t id, const std::deque<Segment>& segments) {
    durable_id = std::max(durable_id, id);
    if (observer) {
      for (const Segment& segment : segments) observer(segment.lines, segment.rotate_after.has_value());
    }
    // Taken out first: a callback may register further callbacks.
    auto end = waiting.upper_bound(durable_id);
    std::vector<DurableCallback> ready;
    for (auto it = waiting.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiting.erase(waiting.begin(), end);
    for (DurableCallback& callback : ready) callback();
  }

  void failed(Status status) {
    failure = std::move(status);
    waiting.clear();
  }
};

Result<std::unique_ptr<ChangelogWriter>> ChangelogWriter::open(boost::asio::io_context& io, std::string data_path,
                                                               std::chrono::milliseconds lazy_delay) {
  std::string path = changelog_path(data_path, 0);
  int fd = ::open(path.c_str(), kChangelogFlags, kChangelogMode);
  if (fd < 0) return io_error("can't open", path);
  auto end = cut_unsynced_tail(fd, path);
  Status status = end ? sync_directory(data_path) : end.status();
  if (!status) {
    ::close(fd);
    return status;
  }
  return std::unique_ptr<ChangelogWriter>(new ChangelogWriter(io, std::move(data_path), fd, *end, lazy_delay));
}

ChangelogWriter::ChangelogWriter(boost::asio::io_context& io, std::string data_path, int fd, off_t end,
                                 std::chrono::milliseconds lazy_delay)
    : io_(io),
      data_path_(std::move(data_path)),
      live_path_(changelog_path(data_path_, 0)),
      lazy_delay_(lazy_delay),
      durability_(std::make_shared<Durability>()),
      fd_(fd),
      end_(end),
      allocated_end_(end) {
  thread_ = std::thread([this] { run(); });
}

ChangelogWriter::~ChangelogWriter() { shutdown(); }

void ChangelogWriter::append(std::string lines, uint64_t last_id, Sync sync) {
  durability_->appended_id = std::max(durability_->appended_id, last_id);
  if (sync == Sync::kNow) durability_->sync_requested_id = durability_->appended_id;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      MFS_LOG_ERROR("changelog: change %llu arrived after shutdown - not written",
                    static_cast<unsigned long long>(last_id));
      return;
    }
    // A lazy line joining others waits for their deadline: the writer need not wake.
    wake = sync == Sync::kNow || queue_.empty();
    if (queue_.empty()) lazy_deadline_ = std::chrono::steady_clock::now() + lazy_delay_;
    if (sync == Sync::kNow) sync_now_ = true;
    if (queue_.empty() || queue_.back().rotate_after) queue_.emplace_back();
    Segment& segment = queue_.back();
    if (segment.lines.empty()) {
      segment.lines = std::move(lines);
    } else {
      segment.lines += lines;
    }
    segment.last_id = last_id;
  }
  if (wake) wake_.notify_one();
}

void ChangelogWriter::sync_now() {
  durability_->sync_requested_id = durability_->appended_id;
  {
    std::lock_guard lock(mutex_);
    sync_now_ = true;
  }
  wake_.notify_one();
}

void ChangelogWriter::on_durable(uint64_t id, DurableCallback callback) {
  if (!durability_->failure.is_ok()) return;
  uint64_t target = std::min(id, durability_->appended_id);
  if (target <= durability_->durable_id) {
    boost::asio::post(io_, std::move(callback));
    return;
  }
  durability_->waiting.emplace(target, std::move(callback));
  if (target > durability_->sync_requested_id) sync_now();
}

void ChangelogWriter::rotate(uint32_t back_logs) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) lazy_deadline_ = std::chrono::steady_clock::now() + lazy_delay_;
    if (queue_.empty() || queue_.back().rotate_after) queue_.emplace_back();
    queue_.back().rotate_after = std::min(back_logs, kMaxBackLogs);
    sync_now_ = true;
  }
  wake_.notify_one();
}

Status ChangelogWriter::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  std::lock_guard lock(mutex_);
  return write_failure_;
}

void ChangelogWriter::set_durable_lines_observer(DurableLinesObserver observer) {
  durability_->observer = std::move(observer);
}

uint64_t ChangelogWriter::durable_id() const { return durability_->durable_id; }

const Status& ChangelogWriter::failure() const { return durability_->failure; }

bool ChangelogWriter::take_batch(std::deque<Segment>& batch) {
  std::unique_lock lock(mutex_);
  auto due = [this] { return stopping_ || sync_now_; };
  wake_.wait(lock, [&] { return due() || !queue_.empty(); });
  wake_.wait_until(lock, lazy_deadline_, due);
  if (queue_.empty() && stopping_) return false;
  batch.swap(queue_);
  sync_now_ = false;
  return true;
}

void ChangelogWriter::run() {
  while (true) {
    std::deque<Segment> batch;
    if (!take_batch(batch)) break;
    if (batch.empty() || failed_) continue;  // after a failure the queue is only drained

    Status status;
    uint64_t last_id = 0;
    for (Segment& segment : batch) {
      status = write_segment(segment);
      if (!status) break;
      if (!segment.lines.empty()) last_id = segment.last_id;
      if (segment.rotate_after) {
        status = cut_preallocation();
        if (status) status = sync();
        if (!status) break;
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        rotate_files(*segment.rotate_after);
      }
    }
    if (status) status = sync();

    if (!status) {
      fail(status);
    } else {
      boost::asio::post(io_, [durability = durability_, last_id, batch = std::move(batch)] {
        durability->made_durable(last_id, batch);
      });
    }
  }
  // A stopped master leaves a changelog of whole lines only, as MooseFS does: the real
  // master may take the folder over.
  if (failed_ || fd_ < 0) return;
  Status status = cut_preallocation();
  if (status) status = sync();
  if (!status) fail(status);
}

void ChangelogWriter::fail(const Status& status) {
  failed_ = true;
  MFS_LOG_ERROR("changelog: %s - no further changes are written or acknowledged", status.to_string().c_str());
  {
    std::lock_guard lock(mutex_);
    write_failure_ = status;
  }
  boost::asio::post(io_, [durability = durability_, status] { durability->failed(status); });
}

Status ChangelogWriter::write_segment(Segment& segment) {
  if (segment.lines.empty()) return Status::ok();
  if (fd_ < 0) {
    if (Status status = reopen(); !status) return status;
  }
  unsynced_ = true;
  if (Status status = pwrite_all(fd_, segment.lines, end_, live_path_); !status) return status;
  end_ += static_cast<off_t>(segment.lines.size());
  if (end_ <= allocated_end_) return Status::ok();
  static const std::vector<char> zeros(64 * 1024);
  off_t new_end = (end_ / kPreallocationStep + 1) * kPreallocationStep;
  for (off_t offset = end_; offset < new_end;) {
    auto length = std::min(static_cast<off_t>(zeros.size()), new_end - offset);
    if (Status status = pwrite_all(fd_, {zeros.data(), static_cast<size_t>(length)}, offset, live_path_); !status) {
      return status;
    }
    offset += length;
  }
  allocated_end_ = new_end;
  return Status::ok();
}

Status ChangelogWriter::cut_preallocation() {
  if (allocated_end_ == end_) return Status::ok();
  if (::ftruncate(fd_, end_) != 0) return io_error("can't truncate", live_path_);
  allocated_end_ = end_;
  unsynced_ = true;
  return Status::ok();
}

Status ChangelogWriter::sync() {
  if (!unsynced_) return Status::ok();
  if (::fdatasync(fd_) != 0) return io_error("fdatasync error on", live_path_);
  unsynced_ = false;
  return Status::ok();
}

Status ChangelogWriter::reopen() {
  fd_ = ::open(live_path_.c_str(), kChangelogFlags, kChangelogMode);
  if (fd_ < 0) return io_error("can't create", live_path_);
  // Normally a new file; if the rotation could not move the old one away, continue it
  // (it was left with whole lines only).
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return io_error("can't stat", live_path_);
  end_ = info.st_size;
  allocated_end_ = info.st_size;
  return sync_directory(data_path_);
}

void ChangelogWriter::rotate_files(uint32_t back_logs) {
  if (back_logs == 0) {
    if (::unlink(live_path_.c_str()) != 0 && errno != ENOENT) {
      MFS_LOG_ERROR("changelog rotation: %s", io_error("can't delete", live_path_).to_string().c_str());
    }
  }
  for (uint32_t n = back_logs; n >= 1; --n) {
    std::string from = changelog_path(data_path_, n - 1);
    if (::rename(from.c_str(), changelog_path(data_path_, n).c_str()) != 0 && errno != ENOENT) {
      MFS_LOG_ERROR("changelog rotation: %s", io_error("can't rename", from).to_string().c_str());
    }
  }
  if (Status status = sync_directory(data_path_); !status) {
    MFS_LOG_ERROR("changelog rotation: %s", status.to_string().c_str());
  }
}

}  // namespace mfs::master
