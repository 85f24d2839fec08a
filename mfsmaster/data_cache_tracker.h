// Decides KEEPCACHE (spec 10 §7.3, §8.1): a session may keep its page cache of a file
// when nobody else modified the file since that session last accessed it. Remembers, for
// the files accessed most recently only, a change counter per file and the counter each
// session's cache reflects. A file or session forgotten is simply not granted: the
// client then drops its cache, which is always safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

namespace mfs::master {

class DataCacheTracker {
 public:
  static constexpr size_t kDefaultMaxFiles = 65536;
  static constexpr size_t kMaxSessionsPerFile = 16;

  explicit DataCacheTracker(size_t max_files = kDefaultMaxFiles) : max_files_(max_files) {}

  // OPEN: whether `session` may keep its cached data of `inode`. Afterwards its cache is
  // current either way: kept because it was, or dropped by the client.
  bool opened(uint32_t inode, uint32_t session);
  // LOOKUP: the same answer, recording nothing.
  bool may_keep(uint32_t inode, uint32_t session) const;
  // CREATE: a new file (perhaps a reused inode number) whose only view is its creator's.
  void created(uint32_t inode, uint32_t session);
  // `session` changed the file's data or length: other sessions' caches are stale now.
  // Session 0 (a change no mount's cache saw, e.g. by a tool) leaves no cache current.
  void modified(uint32_t inode, uint32_t session);

  size_t tracked_files() const { return files_.size(); }

 private:
  struct SessionView {
    uint32_t session = 0;
    uint32_t changes_seen = 0;
  };
  struct FileState {
    uint32_t changes = 0;
    std::vector<SessionView> views;  // least recently refreshed first
    std::list<uint32_t>::iterator recency;
  };

  // The file's state, created (forgetting the least recently used file) if needed.
  FileState& touch(uint32_t inode);
  static const SessionView* view_of(const FileState& file, uint32_t session);
  // Records that `session`'s cache reflects the file's current content.
  static void refresh_view(FileState& file, uint32_t session);

  size_t max_files_;
  std::unordered_map<uint32_t, FileState> files_;
  std::list<uint32_t> recency_;  // most recently used first
};

}  // namespace mfs::master
