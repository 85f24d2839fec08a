#include "mfsmount/groups_cache.h"

#include <algorithm>

namespace mfs::mount {

namespace {

constexpr size_t kMaxEntries = 10000;  // then everything is dropped and read again
constexpr int kMaxGroups = 1024;

}  // namespace

Credentials GroupsCache::credentials_of(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  Credentials who{ctx->uid, {ctx->gid}};
  if (timeout_.count() <= 0) return who;  // mfsgroupscacheto=0: the primary group only
  Key key{ctx->pid, ctx->uid, ctx->gid};
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(key);
    if (found != entries_.end() && now - found->second.since < timeout_) {
      who.gids = found->second.gids;
      return who;
    }
  }
  std::vector<gid_t> groups(kMaxGroups);
  int count = fuse_req_getgroups(req, kMaxGroups, groups.data());
  for (int i = 0; i < std::min(count, kMaxGroups); ++i) {
    if (groups[i] != ctx->gid) who.gids.push_back(groups[i]);
  }
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[key] = {who.gids, now};
  return who;
}

}  // namespace mfs::mount
