#include "mfsmaster/sessions.h"

#include <algorithm>

namespace mfs::master {

Session* Sessions::session_or_null(uint32_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

Session* Sessions::find(uint32_t id) {
  Session* session = session_or_null(id);
  if (session) changed_.insert(id);
  return session;
}

std::vector<uint32_t> Sessions::take_changed() {
  std::vector<uint32_t> changed(changed_.begin(), changed_.end());
  changed_.clear();
  return changed;
}

Session& Sessions::add(uint32_t id, SessionParameters parameters) {
  auto session = std::make_unique<Session>();
  session->id = id;
  session->parameters = std::move(parameters);
  Session& ref = *session;
  sessions_[id] = std::move(session);
  changed_.insert(id);
  next_id_ = std::max(next_id_, id + 1);
  return ref;
}

}  // namespace mfs::master
