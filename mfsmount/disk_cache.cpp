#include "mfsmount/disk_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/log.h"

namespace mfs::mount {

namespace {

static_assert(csdata::kChunkSize / csdata::kBlockSize == 1024);
constexpr const char* kSuffix = ".mfscache";

bool is_block_file(const std::string& name) {
  size_t digits = name.size() > std::strlen(kSuffix) ? name.size() - std::strlen(kSuffix) : 0;
  if (digits == 0 || name.compare(digits, std::string::npos, kSuffix) != 0) return false;
  return name.find_first_not_of("0123456789") == digits;
}

Status remove_leftovers(const std::string& folder) {
  DIR* dir = opendir(folder.c_str());
  if (dir == nullptr) return Status(StatusCode::kIO, "can't list " + folder + ": " + std::strerror(errno));
  Status result = Status::ok();
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (!is_block_file(name)) continue;
    if (unlink((folder + "/" + name).c_str()) != 0 && errno != ENOENT) {
      result = Status(StatusCode::kIO, "can't remove " + folder + "/" + name + ": " + std::strerror(errno));
      break;
    }
  }
  closedir(dir);
  return result;
}

}  // namespace

Result<std::unique_ptr<DiskCache>> DiskCache::open(const std::string& folder, uint64_t max_bytes) {
  if (mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status(StatusCode::kIO, "can't create disk cache folder " + folder + ": " + std::strerror(errno));
  }
  std::string lock_path = folder + "/.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return Status(StatusCode::kIO, "can't open " + lock_path + ": " + std::strerror(errno));
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    close(lock_fd);
    if (error == EWOULDBLOCK) {
      return Status(StatusCode::kLocked, "disk cache folder " + folder + " is used by another mfsmount");
    }
    return Status(StatusCode::kIO, "can't lock " + lock_path + ": " + std::strerror(error));
  }
  if (Status s = remove_leftovers(folder); !s) {
    close(lock_fd);
    return s;
  }
  return std::unique_ptr<DiskCache>(new DiskCache(folder, max_bytes, lock_fd));
}

DiskCache::DiskCache(std::string folder, uint64_t max_bytes, int lock_fd)
    : folder_(std::move(folder)), max_bytes_(max_bytes), lock_fd_(lock_fd) {}

DiskCache::~DiskCache() {
  forget_all();
  close(lock_fd_);  // releases the lock
}

std::string DiskCache::path_of(uint64_t serial) const { return folder_ + "/" + std::to_string(serial) + kSuffix; }

void DiskCache::log_disk_error(const std::string& what) {
  if (disk_error_logged_) return;
  disk_error_logged_ = true;
  MFS_LOG_WARNING("disk cache: %s (later errors are not logged; the data is read from the chunkservers)", what.c_str());
}

uint32_t DiskCache::cached_length(const Chunk& chunk, uint32_t block) {
  if (chunk.whole[block]) return csdata::kBlockSize;
  return block == chunk.short_block ? chunk.short_length : 0;
}

void DiskCache::mark_cached(Chunk& chunk, uint32_t block, uint32_t length) {
  uint32_t before = cached_length(chunk, block);
  if (length <= before) return;
  // One short block is remembered: the one before goes when this one is short too.
  if (chunk.short_block != kNoBlock && (chunk.short_block == block || length < csdata::kBlockSize)) {
    chunk.bytes -= chunk.short_length;
    bytes_ -= chunk.short_length;
    chunk.short_block = kNoBlock;
    chunk.short_length = 0;
  }
  if (length == csdata::kBlockSize) {
    chunk.whole.set(block);
  } else {
    chunk.short_block = block;
    chunk.short_length = length;
  }
  chunk.bytes += length;
  bytes_ += length;
}

bool DiskCache::read(const Key& key, uint32_t offset, std::span<uint8_t> out) {
  if (out.empty() || offset >= csdata::kChunkSize || out.size() > csdata::kChunkSize - offset) return false;
  uint64_t serial = 0;
  {
    std::lock_guard lock(mutex_);
    auto found = chunks_.find({key.inode, key.chunkid});
    if (found == chunks_.end() || found->second.version != key.version) return false;
    const Chunk& chunk = found->second;
    uint64_t end = uint64_t{offset} + out.size();
    for (uint32_t block = offset / csdata::kBlockSize; uint64_t{block} * csdata::kBlockSize < end; ++block) {
      uint64_t needed = std::min<uint64_t>(end - uint64_t{block} * csdata::kBlockSize, csdata::kBlockSize);
      if (cached_length(chunk, block) < needed) return false;
    }
    recency_.splice(recency_.begin(), recency_, chunk.recency);
    serial = chunk.serial;
  }
  int fd = ::open(path_of(serial).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // dropped since
  ssize_t got = pread(fd, out.data(), out.size(), offset);
  int error = errno;
  close(fd);
  if (got == static_cast<ssize_t>(out.size())) return true;
  std::lock_guard lock(mutex_);
  log_disk_error("read of " + path_of(serial) + " failed: " + (got < 0 ? std::strerror(error) : "short read"));
  return false;
}

DiskCache::Fill DiskCache::begin_fill(const Key& key) {
  std::lock_guard lock(mutex_);
  auto found = chunks_.find({key.inode, key.chunkid});
  if (found != chunks_.end() && found->second.version != key.version) {
    drop(found);
    found = chunks_.end();
  }
  if (found == chunks_.end()) {
    Chunk chunk;
    chunk.version = key.version;
    chunk.serial = next_serial_++;
    recency_.emplace_front(key.inode, key.chunkid);
    chunk.recency = recency_.begin();
    found = chunks_.emplace(std::make_pair(key.inode, key.chunkid), std::move(chunk)).first;
  }
  return Fill{key, found->second.serial};
}

bool DiskCache::make_room(uint64_t extra) {
  while (bytes_ + extra > max_bytes_ && recency_.size() > 1) drop(chunks_.find(recency_.back()));
  return bytes_ + extra <= max_bytes_;
}

void DiskCache::store(const Fill& fill, uint32_t offset, std::span<const uint8_t> data) {
  if (data.empty() || offset % csdata::kBlockSize != 0 || offset >= csdata::kChunkSize ||
      data.size() > csdata::kChunkSize - offset || data.size() > max_bytes_) {
    return;
  }
  auto still_there = [&] {
    auto found = chunks_.find({fill.key.inode, fill.key.chunkid});
    return found != chunks_.end() && found->second.serial == fill.serial ? found : chunks_.end();
  };
  {
    std::lock_guard lock(mutex_);
    auto chunk = still_there();
    if (chunk == chunks_.end()) return;
    recency_.splice(recency_.begin(), recency_, chunk->second.recency);
    if (!make_room(data.size())) return;
  }
  std::string path = path_of(fill.serial);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ssize_t written = fd < 0 ? -1 : pwrite(fd, data.data(), data.size(), offset);
  int error = errno;
  if (fd >= 0) close(fd);
  std::lock_guard lock(mutex_);
  auto chunk = still_there();
  if (chunk == chunks_.end()) {
    unlink(path.c_str());  // dropped meanwhile: the open may have made the file again
    return;
  }
  if (written != static_cast<ssize_t>(data.size())) {
    drop(chunk);
    log_disk_error("write of " + path + " failed: " + (written < 0 ? std::strerror(error) : "short write"));
    return;
  }
  for (size_t done = 0; done < data.size(); done += csdata::kBlockSize) {
    mark_cached(chunk->second, static_cast<uint32_t>((offset + done) / csdata::kBlockSize),
                static_cast<uint32_t>(std::min<size_t>(data.size() - done, csdata::kBlockSize)));
  }
}

DiskCache::ChunkMap::iterator DiskCache::drop(ChunkMap::iterator chunk) {
  unlink(path_of(chunk->second.serial).c_str());
  bytes_ -= chunk->second.bytes;
  recency_.erase(chunk->second.recency);
  return chunks_.erase(chunk);
}

void DiskCache::forget(uint32_t inode) {
  std::lock_guard lock(mutex_);
  auto chunk = chunks_.lower_bound({inode, 0});
  while (chunk != chunks_.end() && chunk->first.first == inode) chunk = drop(chunk);
}

void DiskCache::forget_all() {
  std::lock_guard lock(mutex_);
  for (auto chunk = chunks_.begin(); chunk != chunks_.end();) chunk = drop(chunk);
}

uint64_t DiskCache::bytes() {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace mfs::mount
