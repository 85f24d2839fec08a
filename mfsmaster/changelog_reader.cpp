#include "mfsmaster/changelog_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "mfscommon/log.h"

namespace mfs::master {
namespace {

// spec 30 §4.4: the first id is looked for in the first 50 bytes, the last line in the
// final 200000 bytes, and within a file the id grows by less than 10000 per line.
constexpr size_t kFirstIdWindow = 50;
constexpr size_t kLastLineWindow = 200000;
constexpr uint64_t kMaxIdStep = 10000;
constexpr size_t kReadChunk = 65536;
// The file our writer appends to: a torn last line there comes from our own crash.
constexpr std::string_view kLiveChangelog = "changelog.0.mfs";

Status io_error(std::string_view what, const std::string& path) {
  return Status(StatusCode::kIO, std::string(what) + " " + path + ": " + std::generic_category().message(errno));
}

bool is_changelog_name(std::string_view name) {
  for (std::string_view prefix : {"changelog.", "changelog_ml.", "changelog_ml_back."}) {
    if (!name.starts_with(prefix) || !name.ends_with(".mfs")) continue;
    std::string_view number = name.substr(prefix.size(), name.size() - prefix.size() - 4);
    if (!number.empty() && std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return true;
    }
  }
  return false;
}

// The change id at the start of `text`: decimal digits followed by ':'. 0 when there is none
// (0 is never a valid change id).
uint64_t leading_id(std::string_view text) {
  uint64_t id = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (id > (UINT64_MAX - digit) / 10) return 0;
    id = id * 10 + digit;
  }
  return i > 0 && i < text.size() && text[i] == ':' ? id : 0;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads exactly `length` bytes at `offset`.
Status read_at(int fd, uint64_t offset, size_t length, std::string& out, const std::string& path) {
  out.resize(length);
  size_t done = 0;
  while (done < length) {
    ssize_t got = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (got == 0) errno = EIO;  // the file shrank under us
      return io_error("can't read", path);
    }
    done += static_cast<size_t>(got);
  }
  return Status::ok();
}

// A changelog file that takes part in the merge: its lines up to `usable_size`.
struct ChangelogFile {
  std::string name;
  std::string path;
  uint64_t first_id = 0;
  uint64_t last_id = 0;
  uint64_t usable_size = 0;
};

// Offset just after the last '\n' of the file, 0 if it has none.
Result<uint64_t> end_of_last_line(int fd, uint64_t size, const std::string& path) {
  std::string chunk;
  uint64_t end = size;
  while (end > 0) {
    uint64_t start = end > kReadChunk ? end - kReadChunk : 0;
    if (Status status = read_at(fd, start, static_cast<size_t>(end - start), chunk, path); !status) return status;
    // memrchr: the tail is mostly preallocated zeros (ADR 0005), up to 1 MiB of them.
    const void* newline = ::memrchr(chunk.data(), '\n', chunk.size());
    if (newline != nullptr) return start + (static_cast<const char*>(newline) - chunk.data()) + 1;
    end = start;
  }
  return uint64_t{0};
}

// Step 2 of §4.4: first and last id of a file, or nullopt when the file is not used.
Result<std::optional<ChangelogFile>> examine(const std::string& data_path, const std::string& name) {
  ChangelogFile file{name, data_path + "/" + name};
  FileDescriptor fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("can't open", file.path);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return io_error("can't stat", file.path);
  auto size = static_cast<uint64_t>(info.st_size);

  std::string head;
  if (Status status =
          read_at(fd.get(), 0, static_cast<size_t>(std::min<uint64_t>(size, kFirstIdWindow)), head, file.path);
      !status) {
    return status;
  }
  file.first_id = leading_id(head);
  if (file.first_id == 0) {
    if (size > 0) MFS_LOG_WARNING("%s: no change id at its start - file ignored", file.path.c_str());
    return std::optional<ChangelogFile>();
  }

  file.usable_size = size;
  std::string last_byte;
  if (Status status = read_at(fd.get(), size - 1, 1, last_byte, file.path); !status) return status;
  if (last_byte[0] != '\n') {
    if (name != kLiveChangelog) {
      MFS_LOG_WARNING("%s: last line is incomplete - file ignored", file.path.c_str());
      return std::optional<ChangelogFile>();
    }
    auto end = end_of_last_line(fd.get(), size, file.path);
    if (!end) return end.status();
    file.usable_size = *end;
    if (file.usable_size == 0) {
      MFS_LOG_WARNING("%s: no complete line - file ignored", file.path.c_str());
      return std::optional<ChangelogFile>();
    }
    MFS_LOG_NOTICE("%s: last line is incomplete (left by a crash) - using the lines before it", file.path.c_str());
  }

  uint64_t window = std::min<uint64_t>(file.usable_size, kLastLineWindow);
  std::string tail;
  if (Status status = read_at(fd.get(), file.usable_size - window, static_cast<size_t>(window), tail, file.path);
      !status) {
    return status;
  }
  std::string_view body(tail);
  body.remove_suffix(1);  // the '\n' ending the last line
  size_t newline = body.rfind('\n');
  if (newline != std::string_view::npos) {
    file.last_id = leading_id(body.substr(newline + 1));
  } else if (window == file.usable_size) {
    file.last_id = leading_id(body);  // the file holds a single line
  }                                   // else the last line is longer than the window: no last id, as in MooseFS
  return std::optional<ChangelogFile>(std::move(file));
}

// Lines of one file, read in bounded chunks. Lines longer than any writer produces are
// skipped with a warning instead of being buffered.
class LineReader {
 public:
  LineReader(FileDescriptor fd, std::string path, uint64_t size)
      : fd_(std::move(fd)), path_(std::move(path)), size_(size) {}

  // The next line without its '\n'; nullopt at the end.
  Result<std::optional<std::string_view>> next() {
    while (true) {
      size_t newline = buffer_.find('\n', position_);
      if (newline != std::string::npos) {
        std::string_view line(buffer_.data() + position_, newline - position_);
        position_ = newline + 1;
        if (!skipping_) return std::optional<std::string_view>(line);
        skipping_ = false;
        continue;
      }
      if (buffer_.size() - position_ > kMaxChangelogLineLength) {
        MFS_LOG_WARNING("%s: line longer than %zu bytes near offset %llu skipped", path_.c_str(),
                        kMaxChangelogLineLength, static_cast<unsigned long long>(offset_));
        skipping_ = true;
        position_ = buffer_.size();
      }
      buffer_.erase(0, position_);
      position_ = 0;
      if (offset_ >= size_) return std::optional<std::string_view>();
      size_t length = static_cast<size_t>(std::min<uint64_t>(kReadChunk, size_ - offset_));
      if (Status status = read_at(fd_.get(), offset_, length, chunk_, path_); !status) return status;
      buffer_ += chunk_;
      offset_ += length;
    }
  }

 private:
  FileDescriptor fd_;
  std::string path_;
  uint64_t size_;  // lines end here; a torn remainder after it is never read
  std::string buffer_;
  std::string chunk_;
  size_t position_ = 0;
  uint64_t offset_ = 0;
  bool skipping_ = false;
};

// Position of the merge in one file. The file is opened only when the merge reaches its
// first id, and closed at its end, so that hundreds of back logs don't hold hundreds of
// descriptors.
class FileCursor {
 public:
  explicit FileCursor(ChangelogFile file) : file_(std::move(file)), id_(file_.first_id) {}

  const ChangelogFile& file() const { return file_; }
  bool opened() const { return reader_ != nullptr; }
  uint64_t id() const { return id_; }
  std::string_view line() const { return line_; }

  // Moves to the next line that carries an id; false at the end of the usable lines.
  Result<bool> advance() {
    if (!reader_) {
      FileDescriptor fd(::open(file_.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.get() < 0) return io_error("can't open", file_.path);
      reader_ = std::make_unique<LineReader>(std::move(fd), file_.path, file_.usable_size);
      id_ = 0;
    }
    while (true) {
      auto line = reader_->next();
      if (!line) return line.status();
      if (!*line) return finish();
      uint64_t id = leading_id(**line);
      if (id == 0) {
        MFS_LOG_WARNING("%s: line without a change id ignored", file_.path.c_str());
        continue;
      }
      if (id_ != 0 && (id < id_ || id - id_ >= kMaxIdStep)) {
        MFS_LOG_WARNING("%s: change id goes from %llu to %llu - the rest of the file is garbage and ignored",
                        file_.path.c_str(), static_cast<unsigned long long>(id_), static_cast<unsigned long long>(id));
        return finish();
      }
      id_ = id;
      line_ = **line;
      return true;
    }
  }

 private:
  bool finish() {
    reader_.reset();
    return false;
  }

  ChangelogFile file_;
  std::unique_ptr<LineReader> reader_;
  uint64_t id_;
  std::string_view line_;  // points into the reader's buffer until the next advance()
};

Result<std::vector<ChangelogFile>> collect_files(const std::string& data_path, uint64_t version) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(data_path.c_str()), ::closedir);
  if (!dir) return io_error("can't open folder", data_path);
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    dirent* item = ::readdir(dir.get());
    if (!item) break;
    if (is_changelog_name(item->d_name)) names.emplace_back(item->d_name);
  }
  if (errno != 0) return io_error("can't list folder", data_path);
  std::sort(names.begin(), names.end());

  std::vector<ChangelogFile> files;
  for (const std::string& name : names) {
    auto examined = examine(data_path, name);
    if (!examined) return examined.status();
    if (!*examined || (*examined)->last_id < version) continue;
    MFS_LOG_NOTICE("%s: changes %llu - %llu", (*examined)->path.c_str(),
                   static_cast<unsigned long long>((*examined)->first_id),
                   static_cast<unsigned long long>((*examined)->last_id));
    files.push_back(std::move(**examined));
  }
  return files;
}

}  // namespace

Status replay_changelogs(const std::string& data_path, uint64_t version, const ChangelogApply& apply) {
  auto files = collect_files(data_path, version);
  if (!files) return files.status();
  std::vector<FileCursor> cursors;
  cursors.reserve(files->size());
  for (ChangelogFile& file : *files) cursors.emplace_back(std::move(file));

  // Min-heap of (next id, cursor); ties go to the file whose name sorts first.
  using HeapItem = std::pair<uint64_t, size_t>;
  std::priority_queue<HeapItem, std::vector<HeapItem>, std::greater<>> heap;
  for (size_t i = 0; i < cursors.size(); ++i) heap.emplace(cursors[i].id(), i);

  uint64_t expected = version;
  std::string unparsed_note;  // why the line with id `expected` (if seen) was unusable
  while (!heap.empty()) {
    auto [id, index] = heap.top();
    heap.pop();
    FileCursor& cursor = cursors[index];
    if (cursor.opened()) {
      if (id > expected) {
        return Status(StatusCode::kMismatch, "change " + std::to_string(expected) +
                                                 " is missing (next found: " + std::to_string(id) + " in " +
                                                 cursor.file().path + ")" + unparsed_note + " - add more files");
      }
      if (id == expected) {
        auto entry = parse_changelog_line(cursor.line());
        if (!entry) {
          MFS_LOG_WARNING("%s: change %llu ignored: %s", cursor.file().path.c_str(),
                          static_cast<unsigned long long>(id), entry.status().to_string().c_str());
          unparsed_note = "; the line of change " + std::to_string(id) + " in " + cursor.file().path +
                          " doesn't parse: " + entry.status().to_string();
        } else if (Status status = apply(*entry); !status) {
          MFS_LOG_ERROR("%s: change %llu (%s) failed: %s", cursor.file().path.c_str(),
                        static_cast<unsigned long long>(id), entry->operation.c_str(), status.to_string().c_str());
          return status;
        } else {
          expected = id + 1;
          unparsed_note.clear();
        }
      }
    }
    auto more = cursor.advance();
    if (!more) return more.status();
    if (*more) heap.emplace(cursor.id(), index);
  }
  return Status::ok();
}

}  // namespace mfs::master
