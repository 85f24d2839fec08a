#include "mfsmaster/metalogger_download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace mfs::master {

struct DownloadSource::OpenFile {
  int fd = -1;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

bool pread_all(int fd, uint8_t* into, size_t length, off_t offset) {
  while (length > 0) {
    ssize_t got = ::pread(fd, into, length, offset);
    if (got <= 0) return false;
    into += got;
    length -= static_cast<size_t>(got);
    offset += got;
  }
  return true;
}

// The end of the last '\n' in the first `size` bytes (0 if none), read backwards.
std::optional<uint64_t> end_of_last_line(int fd, uint64_t size) {
  constexpr uint64_t kBlock = 64 * 1024;
  std::vector<uint8_t> block(kBlock);
  for (uint64_t end = size; end > 0;) {
    uint64_t start = end > kBlock ? end - kBlock : 0;
    if (!pread_all(fd, block.data(), end - start, static_cast<off_t>(start))) return std::nullopt;
    auto last = std::find(std::make_reverse_iterator(block.begin() + static_cast<ptrdiff_t>(end - start)),
                          block.rend(), uint8_t{'\n'});
    if (last != block.rend()) return start + static_cast<uint64_t>(last.base() - block.begin());
    end = start;
  }
  return 0;
}

}  // namespace

DownloadSource DownloadSource::from_bytes(std::vector<uint8_t> bytes) {
  DownloadSource source;
  source.size_ = bytes.size();
  source.bytes_ = std::move(bytes);
  return source;
}

std::optional<DownloadSource> DownloadSource::whole_file(const std::string& path) {
  auto file = std::make_shared<OpenFile>();
  file->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (file->fd < 0 || ::fstat(file->fd, &st) != 0) return std::nullopt;
  DownloadSource source;
  source.file_ = std::move(file);
  source.size_ = static_cast<uint64_t>(st.st_size);
  return source;
}

std::optional<DownloadSource> DownloadSource::changelog(const std::string& path) {
  std::optional<DownloadSource> source = whole_file(path);
  if (!source) return std::nullopt;
  auto size = end_of_last_line(source->file_->fd, source->size_);
  if (!size) return std::nullopt;
  source->size_ = *size;
  return source;
}

std::optional<std::vector<uint8_t>> DownloadSource::read(uint64_t offset, uint32_t length) const {
  if (offset > size_ || length > size_ - offset) return std::nullopt;
  if (!file_) {
    auto begin = bytes_.begin() + static_cast<ptrdiff_t>(offset);
    return std::vector<uint8_t>(begin, begin + length);
  }
  std::vector<uint8_t> data(length);
  if (!pread_all(file_->fd, data.data(), length, static_cast<off_t>(offset))) return std::nullopt;
  return data;
}

}  // namespace mfs::master
