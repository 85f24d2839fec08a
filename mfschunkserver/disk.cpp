#include "mfschunkserver/disk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mfschunkserver/chunk_index.h"
#include "mfschunkserver/chunk_move.h"
#include "mfscommon/log.h"
#include "mfscommon/packet.h"

namespace mfs::cs {
namespace {

std::string folder_name(unsigned folder) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return {kHex[(folder >> 4) & 0xF], kHex[folder & 0xF]};
}

Status errno_status(const std::string& what) {
  return Status(StatusCode::kIO, what + ": " + std::strerror(errno));
}

}  // namespace

Disk::Disk(DiskConfig config, uint64_t default_leave_free)
    : config_(std::move(config)), leave_free_(config_.leave_free.value_or(default_leave_free)) {}

Disk::~Disk() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status Disk::open() {
  std::string lock_path = config_.path + ".lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (lock_fd_ < 0) return errno_status("can't create lock file '" + lock_path + "'");
  if (::lockf(lock_fd_, F_TLOCK, 0) != 0) {
    if (errno == EAGAIN || errno == EACCES) {
      return Status(StatusCode::kEAGAIN, "data folder '" + config_.path + "' already locked by another process");
    }
    return errno_status("can't lock '" + lock_path + "'");
  }
  for (unsigned folder = 0; folder < kFolderCount; ++folder) {
    std::string path = config_.path + folder_name(folder);
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return errno_status("can't create folder " + path);
  }
  struct statvfs fs;
  if (::statvfs(config_.path.c_str(), &fs) != 0) return errno_status("can't stat " + config_.path);
  opened_size_ = uint64_t{fs.f_blocks} * fs.f_frsize;
  opened_read_only_ = (fs.f_flag & ST_RDONLY) != 0;
  auto index = ChunkIndex::open(config_.path);
  if (index) {
    index_ = std::move(*index);
  } else {
    MFS_LOG_WARNING("disk %s: %s - scanning at every start", config_.path.c_str(),
                    index.status().to_string().c_str());
  }
  return Status::ok();
}

std::optional<uint64_t> Disk::folders_fingerprint() const {
  constexpr uint64_t kFnvPrime = 1099511628211ull;
  uint64_t fingerprint = 14695981039346656037ull;
  for (unsigned folder = 0; folder < kFolderCount; ++folder) {
    struct stat st;
    if (::stat((config_.path + folder_name(folder)).c_str(), &st) != 0) return std::nullopt;
    for (uint64_t part : {uint64_t(st.st_mtim.tv_sec), uint64_t(st.st_mtim.tv_nsec), uint64_t(st.st_ino)}) {
      fingerprint = (fingerprint ^ part) * kFnvPrime;
    }
  }
  return fingerprint;
}

Result<std::vector<ScannedChunk>> Disk::list_chunks() {
  std::optional<uint64_t> fingerprint = folders_fingerprint();
  if (index_ && fingerprint) {
    if (auto listed = index_->take(*fingerprint)) {
      MFS_LOG_NOTICE("disk %s: chunk list read from the index", config_.path.c_str());
      return std::move(*listed);
    }
  }
  MFS_LOG_NOTICE("disk %s: scanning folders", config_.path.c_str());
  return scan();
}

void Disk::save_index() {
  std::optional<uint64_t> fingerprint = folders_fingerprint();
  if (!index_ || !fingerprint) return;
  // What the folders hold, not what the chunk store believes: a job cut short by the
  // stop may have renamed a file without the store hearing of it.
  auto chunks = scan();
  Status stored = chunks ? index_->store(*chunks, *fingerprint) : chunks.status();
  if (!stored) MFS_LOG_WARNING("disk %s: index not written: %s", config_.path.c_str(), stored.to_string().c_str());
}

uint64_t Disk::read_metaid() const {
  int fd = ::open((config_.path + ".metaid").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  uint8_t bytes[8];
  ssize_t got = ::read(fd, bytes, sizeof bytes);
  ::close(fd);
  if (got != static_cast<ssize_t>(sizeof bytes)) return 0;
  return (uint64_t{get_u32_be(bytes)} << 32) | get_u32_be(bytes + 4);
}

Status Disk::write_metaid(uint64_t metaid) const {
  std::string path = config_.path + ".metaid";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return errno_status("can't create " + path);
  uint8_t bytes[8];
  put_u32_be(bytes, static_cast<uint32_t>(metaid >> 32));
  put_u32_be(bytes + 4, static_cast<uint32_t>(metaid));
  ssize_t written = ::write(fd, bytes, sizeof bytes);
  ::close(fd);
  if (written != static_cast<ssize_t>(sizeof bytes)) return errno_status("can't write " + path);
  return Status::ok();
}

Result<std::vector<ScannedChunk>> Disk::scan() const {
  std::vector<ScannedChunk> found;
  for (unsigned folder = 0; folder < kFolderCount; ++folder) {
    std::string path = config_.path + folder_name(folder);
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return errno_status("can't read folder " + path);
    while (dirent* entry = ::readdir(dir)) {
      if (auto name = parse_chunk_file_name(entry->d_name)) {
        found.push_back({name->chunkid, name->version, static_cast<uint8_t>(folder)});
      } else if (is_partial_move(entry->d_name)) {
        // A local move cut short before the copy was complete: the source is the chunk.
        MFS_LOG_NOTICE("disk %s: removing %s/%s left by an interrupted move", config_.path.c_str(), path.c_str(),
                       entry->d_name);
        ::unlinkat(::dirfd(dir), entry->d_name, 0);
      }
    }
    ::closedir(dir);
  }
  return found;
}

DiskSpace Disk::space() const {
  struct statvfs fs;
  if (::statvfs(config_.path.c_str(), &fs) != 0) return {};
  // As MooseFS reports a disk: blocks reserved for root are not part of it, and the
  // space that must stay free counts as used (see docs/protocol-notes.md).
  uint64_t free = uint64_t{fs.f_bavail} * fs.f_frsize;
  uint64_t total = uint64_t{fs.f_blocks - fs.f_bfree} * fs.f_frsize + free;
  uint64_t used = total - free + std::min(free, leave_free_);
  // A size limit caps the total; what the file system holds still counts as used, so a
  // limit below it makes the disk full (observed, docs/protocol-notes.md).
  if (config_.size_limit) total = std::min(total, *config_.size_limit);
  used = std::min(used, total);
  return {used, total, total - used};
}

RebalanceDisk Disk::rebalance_state() const {
  DiskSpace space = this->space();
  return {config_.move_out, config_.move_in, !damaged_ && !config_.marked_for_removal, space.available, space.total,
          chunks};
}

std::optional<std::string> Disk::size_change() const {
  struct statvfs fs;
  if (::statvfs(config_.path.c_str(), &fs) != 0) return std::nullopt;  // I/O errors are counted where they hurt
  if (((fs.f_flag & ST_RDONLY) != 0) != opened_read_only_) return "read-only flag of the file system changed";
  uint64_t size = uint64_t{fs.f_blocks} * fs.f_frsize;
  uint64_t change = size > opened_size_ ? size - opened_size_ : opened_size_ - size;
  if (config_.tolerate_size_change || change <= opened_size_ / 10) return std::nullopt;
  return "file system size changed from " + std::to_string(opened_size_) + " to " + std::to_string(size) +
         " bytes (prefix the mfshdd.cfg line with '~' to allow that)";
}

bool Disk::count_error(std::chrono::steady_clock::time_point now, uint32_t tolerated, std::chrono::seconds period) {
  error_times_.push_back(now);
  while (now - error_times_.front() > period) error_times_.pop_front();
  return error_times_.size() > tolerated;
}

std::string Disk::chunk_path(uint8_t folder, uint64_t chunkid, uint32_t version) const {
  return config_.path + folder_name(folder) + "/" + chunk_file_name(chunkid, version);
}

}  // namespace mfs::cs
