#include "mfschunkserver/chunk_move.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mfs::cs {
namespace {

constexpr std::string_view kPartSuffix = ".part";
constexpr size_t kCopyBuffer = 1 << 20;

// Closes the descriptor when it goes out of scope.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

Status errno_status(const std::string& what, const std::string& path) {
  return Status(StatusCode::kIO, what + " " + path + ": " + std::strerror(errno));
}

std::string folder_of(const std::string& path) { return path.substr(0, path.rfind('/') + 1); }

// A rename or removal is durable once the folder holding the name is synced.
Status sync_folder(const std::string& path) {
  std::string folder = folder_of(path);
  FdGuard dir{::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0 || ::fsync(dir.fd) != 0) return errno_status("can't sync folder", folder);
  return Status::ok();
}

// Copies `size` bytes; the kernel copies when it can (copy_file_range), else read/write.
Status copy_bytes(int from, int to, uint64_t size, const std::string& from_path, const std::string& to_path,
                  bool& source_failed) {
  off_t in_offset = 0;
  off_t out_offset = 0;
  while (static_cast<uint64_t>(in_offset) < size) {
    ssize_t copied = ::copy_file_range(from, &in_offset, to, &out_offset, size - in_offset, 0);
    if (copied > 0) continue;
    if (copied == 0) break;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
      return errno_status("can't copy to", to_path);
    }
    std::vector<char> buffer(kCopyBuffer);
    while (static_cast<uint64_t>(in_offset) < size) {
      ssize_t got = ::pread(from, buffer.data(), buffer.size(), in_offset);
      if (got <= 0) {
        source_failed = true;
        return got < 0 ? errno_status("can't read", from_path) : Status(StatusCode::kIO, "short read of " + from_path);
      }
      if (::pwrite(to, buffer.data(), static_cast<size_t>(got), out_offset) != got) {
        return errno_status("can't write", to_path);
      }
      in_offset += got;
      out_offset += got;
    }
  }
  if (static_cast<uint64_t>(out_offset) != size) {
    source_failed = true;
    return Status(StatusCode::kIO, "short copy of " + from_path);
  }
  return Status::ok();
}

}  // namespace

FileMove move_chunk_file(const std::string& from, const std::string& to, uint64_t room) {
  FileMove move;
  FdGuard source{::open(from.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st;
  if (source.fd < 0 || ::fstat(source.fd, &st) != 0) {
    move.source_failed = true;
    move.status = errno == ENOENT ? Status(StatusCode::kNoChunk, from + " has gone") : errno_status("can't open", from);
    return move;
  }
  if (static_cast<uint64_t>(st.st_size) > room) {
    move.status = Status(StatusCode::kNoSpace, "no room for " + from + " on the destination");
    return move;
  }
  std::string part = to + std::string(kPartSuffix);
  ::unlink(part.c_str());  // a leftover of an earlier attempt
  {
    FdGuard target{::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)};
    if (target.fd < 0) {
      move.status = errno_status("can't create", part);
      return move;
    }
    move.status = copy_bytes(source.fd, target.fd, static_cast<uint64_t>(st.st_size), from, part, move.source_failed);
    if (move.status && ::fsync(target.fd) != 0) move.status = errno_status("can't sync", part);
  }
  if (move.status && ::rename(part.c_str(), to.c_str()) != 0) move.status = errno_status("can't rename", part);
  if (!move.status) {
    ::unlink(part.c_str());
    return move;
  }
  // From here the destination holds a complete copy under the chunk's name: it is the
  // chunk, whatever happens to the source.
  move.copied = true;
  if (Status synced = sync_folder(to); !synced) {
    move.status = synced;
    return move;
  }
  move.source_failed = true;
  if (::unlink(from.c_str()) != 0) {
    move.status = errno_status("can't remove", from);
    return move;
  }
  move.status = sync_folder(from);
  return move;
}

bool is_partial_move(std::string_view file_name) {
  return file_name.size() > kPartSuffix.size() && file_name.starts_with("chunk_") &&
         file_name.ends_with(kPartSuffix);
}

}  // namespace mfs::cs
