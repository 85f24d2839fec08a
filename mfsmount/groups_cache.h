// The supplementary groups of the processes calling the mount, cached per (pid, uid, gid)
// for `mfsgroupscacheto` seconds as the 3.0.117 client does: the master checks permissions
// against the whole list (spec 10 §4), and reading it from /proc for every request is slow.
#pragma once
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "mfsmount/master_messages.h"

namespace mfs::mount {

class GroupsCache {
 public:
  explicit GroupsCache(double timeout_seconds) : timeout_(std::chrono::duration<double>(timeout_seconds)) {}

  // uid and the gid list of the request's caller (primary gid first).
  Credentials credentials_of(fuse_req_t req);

 private:
  using Key = std::tuple<pid_t, uid_t, gid_t>;
  struct Entry {
    std::vector<uint32_t> gids;
    std::chrono::steady_clock::time_point since;
  };

  std::chrono::duration<double> timeout_;
  std::mutex mutex_;
  std::map<Key, Entry> entries_;
};

}  // namespace mfs::mount
