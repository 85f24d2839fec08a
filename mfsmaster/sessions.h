// Client sessions (spec 10 §3, §15): parameters granted by the exports, open files,
// connection counts and expiry. Mutations come only through apply() of SESADD,
// SESCHANGED, SESDISCONNECTED, SESDEL, ACQUIRE and RELEASE entries.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mfsmaster/credentials.h"

namespace mfs::master {

struct SessionParameters {
  uint64_t exports_checksum = 0;
  uint32_t root_inode = kRootInode;  // 0 = meta session
  uint8_t sesflags = 0;
  uint16_t umask = 0;
  uint32_t root_uid = 999;
  uint32_t root_gid = 999;
  uint32_t mapall_uid = 999;
  uint32_t mapall_gid = 999;
  uint8_t min_goal = 1;
  uint8_t max_goal = 9;
  uint32_t min_trashtime = 0;
  uint32_t max_trashtime = 0xFFFFFFFF;
  uint32_t disables = 0;
  uint32_t peer_ip = 0;
  std::string info;

  SessionMapping mapping() const { return {sesflags, root_uid, root_gid, mapall_uid, mapall_gid}; }
};

struct Session {
  uint32_t id = 0;
  SessionParameters parameters;
  std::set<uint32_t> open_inodes;
  uint32_t disconnected_at = 0;  // 0 while some connection is attached
  // Not persisted: live connection state.
  uint32_t connections = 0;
  uint32_t client_version = 0;
  bool closed = false;
};

class Sessions {
 public:
  // Non-const access marks the session as changed (for the checkpoint).
  Session* find(uint32_t id);
  const Session* find(uint32_t id) const { return session_or_null(id); }
  // Sessions changed (or removed) since the last call.
  std::vector<uint32_t> take_changed();
  uint32_t next_id() const { return next_id_; }
  const std::map<uint32_t, std::unique_ptr<Session>>& all() const { return sessions_; }

  // Deterministic primitives used by apply().
  Session& add(uint32_t id, SessionParameters parameters);
  void remove(uint32_t id) {
    sessions_.erase(id);
    changed_.insert(id);
  }
  void set_next_id(uint32_t id) { next_id_ = id; }

 private:
  Session* session_or_null(uint32_t id) const;

  std::map<uint32_t, std::unique_ptr<Session>> sessions_;
  std::set<uint32_t> changed_;
  uint32_t next_id_ = 1;
};

}  // namespace mfs::master
