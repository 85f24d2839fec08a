// The change stream in DATA_PATH (spec 40 §A.4, §A.6.7): every entry the master pushes is
// appended to changelog_ml.0.mfs as "VERSION: TEXT\n", the master's rotations shift
// changelog_ml.N.mfs up by one, and an entry that does not follow the previous one means
// the files have a hole: they are deleted and the metadata is downloaded again.
#pragma once
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace mfs::ml {

// changelog_ml.N.mfs
std::string changelog_file_name(uint32_t n);

class ChangelogStore {
 public:
  // `dir` is DATA_PATH ("." once the daemon runs there).
  ChangelogStore(std::string dir, uint32_t back_logs);
  ~ChangelogStore();
  ChangelogStore(const ChangelogStore&) = delete;
  ChangelogStore& operator=(const ChangelogStore&) = delete;

  struct Gap {
    uint64_t last = 0;      // the last entry kept
    uint64_t received = 0;  // the entry that did not follow it
  };
  // Appends the entry, buffered until flush(). An entry that does not follow the last one
  // deletes the files, forgets the last version and comes back as the gap.
  std::optional<Gap> append(uint64_t version, std::string_view text);
  // What is appended reaches the file (once per second, and when closing).
  void flush();
  // The master rotated its change log: changelog_ml.(i-1).mfs -> changelog_ml.i.mfs for
  // i = back_logs ... 1.
  void rotate();
  // The version of the last entry received in this process, if it has one since the
  // last gap: the master resumes the stream after it.
  std::optional<uint64_t> last_version() const { return last_version_; }
  void set_back_logs(uint32_t back_logs) { back_logs_ = back_logs; }

 private:
  std::string path(uint32_t n) const;
  void close();
  void delete_all();

  std::string dir_;
  uint32_t back_logs_;
  std::FILE* file_ = nullptr;  // changelog_ml.0.mfs, opened for appending when needed
  bool write_failed_ = false;  // logged once until the file is opened again
  std::optional<uint64_t> last_version_;
};

}  // namespace mfs::ml
