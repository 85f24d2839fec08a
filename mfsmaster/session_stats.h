// Per session, how many requests of each kind mfscli's session lists show (-SMO: statfs,
// getattr, setattr, lookup, mkdir, rmdir, symlink, readlink, mknod, unlink, rename, link,
// readdir, open, read, write; spec 40 B.3.3), in the current hour and in the hour before.
// Live state: not in the metadata, not persisted.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>

namespace mfs::master {

class SessionStats {
 public:
  static constexpr size_t kKinds = 16;
  using Counts = std::array<uint32_t, kKinds>;
  struct Hours {
    Counts current{};
    Counts previous{};
  };

  // Counts a request of `type` (a CLTOMA_FUSE_* id) made at `now` (unix seconds); kinds
  // the list does not show are not counted.
  void count(uint32_t session_id, uint32_t type, uint32_t now);
  // The session's counts as of `now`.
  Hours counts(uint32_t session_id, uint32_t now) const;
  // Forgets sessions that no longer exist.
  void keep_only(const std::set<uint32_t>& session_ids);

 private:
  struct Counted {
    uint32_t hour = 0;  // of `counts.current`
    Hours counts;
  };
  static Hours as_of(const Counted& counted, uint32_t hour);

  std::map<uint32_t, Counted> sessions_;
};

}  // namespace mfs::master
