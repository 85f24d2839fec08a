#include "mfsmaster/data_cache_tracker.h"

#include <algorithm>

namespace mfs::master {

bool DataCacheTracker::opened(uint32_t inode, uint32_t session) {
  bool keep = may_keep(inode, session);
  refresh_view(touch(inode), session);
  return keep;
}

bool DataCacheTracker::may_keep(uint32_t inode, uint32_t session) const {
  auto file = files_.find(inode);
  if (file == files_.end()) return false;
  const SessionView* view = view_of(file->second, session);
  return view && view->changes_seen == file->second.changes;
}

void DataCacheTracker::created(uint32_t inode, uint32_t session) {
  FileState& file = touch(inode);
  file.views.clear();
  refresh_view(file, session);
}

void DataCacheTracker::modified(uint32_t inode, uint32_t session) {
  // Untracked: no session has a view that could become stale.
  if (!files_.count(inode)) return;
  FileState& file = touch(inode);
  const SessionView* own = view_of(file, session);
  bool own_cache_was_current = own && own->changes_seen == file.changes;
  ++file.changes;
  // The writer's cache holds what it wrote; it stays current if it was before.
  if (own_cache_was_current) refresh_view(file, session);
}

DataCacheTracker::FileState& DataCacheTracker::touch(uint32_t inode) {
  auto found = files_.find(inode);
  if (found != files_.end()) {
    recency_.splice(recency_.begin(), recency_, found->second.recency);
    return found->second;
  }
  if (files_.size() >= max_files_ && !recency_.empty()) {
    files_.erase(recency_.back());
    recency_.pop_back();
  }
  recency_.push_front(inode);
  FileState& file = files_[inode];
  file.recency = recency_.begin();
  return file;
}

const DataCacheTracker::SessionView* DataCacheTracker::view_of(const FileState& file, uint32_t session) {
  auto view = std::find_if(file.views.begin(), file.views.end(),
                           [session](const SessionView& v) { return v.session == session; });
  return view == file.views.end() ? nullptr : &*view;
}

void DataCacheTracker::refresh_view(FileState& file, uint32_t session) {
  std::erase_if(file.views, [session](const SessionView& v) { return v.session == session; });
  if (file.views.size() >= kMaxSessionsPerFile) file.views.erase(file.views.begin());
  file.views.push_back({session, file.changes});
}

}  // namespace mfs::master
