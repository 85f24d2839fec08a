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
constexpr int kChangelogFlags = O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC;
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

// Cuts the file back to just after its last '\n'.
Status cut_torn_tail(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return io_error("can't stat", path);
  off_t end = info.st_size;
  char chunk[65536];
  while (end > 0) {
    off_t start = std::max<off_t>(0, end - static_cast<off_t>(sizeof chunk));
    auto length = static_cast<size_t>(end - start);
    ssize_t got = ::pread(fd, chunk, length, start);
    if (got != static_cast<ssize_t>(length)) {
      if (got >= 0) errno = EIO;  // the file shrank under us
      return io_error("can't read", path);
    }
    std::string_view data(chunk, length);
    size_t newline = data.rfind('\n');
    if (newline != std::string_view::npos) {
      end = start + static_cast<off_t>(newline) + 1;
      break;
    }
    end = start;
  }
  if (end == info.st_size) return Status::ok();
  if (::ftruncate(fd, end) != 0 || ::fdatasync(fd) != 0) return io_error("can't cut the torn last line of", path);
  MFS_LOG_WARNING("%s: removed a torn last line (%lld bytes) left by a crash", path.c_str(),
                  static_cast<long long>(info.st_size - end));
  return Status::ok();
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return io_error("write error on", path);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return Status::ok();
}

}  // namespace

struct ChangelogWriter::Durability {
  uint64_t appended_id = 0;
  uint64_t sync_requested_id = 0;  // highest id the writer was told to sync without delay
  uint64_t durable_id = 0;
  std::multimap<uint64_t, DurableCallback> waiting;
  Status failure;

  void made_durable(uint64_t id) {
    durable_id = std::max(durable_id, id);
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
  Status status = cut_torn_tail(fd, path);
  if (status) status = sync_directory(data_path);
  if (!status) {
    ::close(fd);
    return status;
  }
  return std::unique_ptr<ChangelogWriter>(new ChangelogWriter(io, std::move(data_path), fd, lazy_delay));
}

ChangelogWriter::ChangelogWriter(boost::asio::io_context& io, std::string data_path, int fd,
                                 std::chrono::milliseconds lazy_delay)
    : io_(io),
      data_path_(std::move(data_path)),
      lazy_delay_(lazy_delay),
      durability_(std::make_shared<Durability>()),
      fd_(fd) {
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
    if (!take_batch(batch)) return;
    if (batch.empty() || failed_) continue;  // after a failure the queue is only drained

    Status status;
    uint64_t last_id = 0;
    for (Segment& segment : batch) {
      status = write_segment(segment);
      if (!status) break;
      if (!segment.lines.empty()) last_id = segment.last_id;
      if (segment.rotate_after) {
        status = sync();
        if (!status) break;
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        rotate_files(*segment.rotate_after);
      }
    }
    if (status) status = sync();

    if (!status) {
      failed_ = true;
      MFS_LOG_ERROR("changelog: %s - no further changes are written or acknowledged", status.to_string().c_str());
      {
        std::lock_guard lock(mutex_);
        write_failure_ = status;
      }
      boost::asio::post(io_, [durability = durability_, status] { durability->failed(status); });
    } else if (last_id != 0) {
      boost::asio::post(io_, [durability = durability_, last_id] { durability->made_durable(last_id); });
    }
  }
}

Status ChangelogWriter::write_segment(Segment& segment) {
  if (segment.lines.empty()) return Status::ok();
  if (fd_ < 0) {
    if (Status status = reopen(); !status) return status;
  }
  unsynced_ = true;
  return write_all(fd_, segment.lines, changelog_path(data_path_, 0));
}

Status ChangelogWriter::sync() {
  if (!unsynced_) return Status::ok();
  if (::fdatasync(fd_) != 0) return io_error("fdatasync error on", changelog_path(data_path_, 0));
  unsynced_ = false;
  return Status::ok();
}

Status ChangelogWriter::reopen() {
  std::string path = changelog_path(data_path_, 0);
  fd_ = ::open(path.c_str(), kChangelogFlags, kChangelogMode);
  if (fd_ < 0) return io_error("can't create", path);
  return sync_directory(data_path_);
}

void ChangelogWriter::rotate_files(uint32_t back_logs) {
  if (back_logs == 0) {
    std::string path = changelog_path(data_path_, 0);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      MFS_LOG_ERROR("changelog rotation: %s", io_error("can't delete", path).to_string().c_str());
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
