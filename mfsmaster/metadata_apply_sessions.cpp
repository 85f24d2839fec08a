// apply() handlers for sessions and open files (spec 30 §4.3 "Sessions…").
#include <charconv>
#include <optional>
#include <utility>

#include "mfsmaster/metadata.h"

namespace mfs::master {
namespace {

// Parses `text` (after stripping `prefix`) in `base`; false on any malformation.
template <typename T>
bool parse_prefixed(std::string_view text, std::string_view prefix, int base, T& out) {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// Reads the SESADD/SESCHANGED parameter list: #csum,root,sesflags,0umask,rootuid,rootgid,
// mapalluid,mapallgid,mingoal,maxgoal,mintrash,maxtrash,0xDISABLES,peerip,info.
bool read_session_parameters(ChangelogArgs& args, SessionParameters& p) {
  bool ok = parse_prefixed(args.text(), "#", 10, p.exports_checksum);
  p.root_inode = args.number<uint32_t>();
  p.sesflags = args.number<uint8_t>();
  ok = parse_prefixed(args.text(), "0", 8, p.umask) && ok;
  p.root_uid = args.number<uint32_t>();
  p.root_gid = args.number<uint32_t>();
  p.mapall_uid = args.number<uint32_t>();
  p.mapall_gid = args.number<uint32_t>();
  p.min_goal = args.number<uint8_t>();
  p.max_goal = args.number<uint8_t>();
  p.min_trashtime = args.number<uint32_t>();
  p.max_trashtime = args.number<uint32_t>();
  ok = parse_prefixed(args.text(), "0x", 16, p.disables) && ok;
  p.peer_ip = args.number<uint32_t>();
  p.info = std::string(args.text());
  return ok && args.ok();
}

Status bad(const char* what) { return Status(StatusCode::kMismatch, what); }

}  // namespace

Status Metadata::apply_sesadd(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  SessionParameters parameters;
  bool ok = read_session_parameters(args, parameters);
  uint32_t id = args.result<uint32_t>();
  if (!ok || !args.ok()) return bad("SESADD: malformed arguments");
  if (id != sessions_.next_id()) return bad("SESADD: session id differs");
  sessions_.add(id, std::move(parameters));
  return Status::ok();
}

Status Metadata::apply_seschanged(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t id = args.number<uint32_t>();
  SessionParameters parameters;
  bool ok = read_session_parameters(args, parameters);
  if (!ok || !args.ok()) return bad("SESCHANGED: malformed arguments");
  Session* session = sessions_.find(id);
  if (!session) return bad("SESCHANGED: no such session");
  session->parameters = std::move(parameters);
  session->disconnected_at = 0;
  return Status::ok();
}

Status Metadata::apply_sesdisconnected(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t id = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  Session* session = sessions_.find(id);
  if (!session) return bad("SESDISCONNECTED: no such session");
  session->disconnected_at = entry.timestamp;
  return Status::ok();
}

Status Metadata::apply_sesdel(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t id = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  Session* session = sessions_.find(id);
  if (!session) return bad("SESDEL: no such session");
  for (uint32_t inode : session->open_inodes) {
    locks_.release(id, inode);
    fs_.release(inode);
  }
  sessions_.remove(id);
  return Status::ok();
}

Status Metadata::apply_acquire(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t id = args.number<uint32_t>();
  uint32_t inode = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  Session* session = sessions_.find(id);
  if (!session || !fs_.find(inode)) return bad("ACQUIRE: no such session or node");
  if (session->open_inodes.insert(inode).second) fs_.acquire(inode);
  return Status::ok();
}

Status Metadata::apply_release(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t id = args.number<uint32_t>();
  uint32_t inode = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  Session* session = sessions_.find(id);
  if (!session) return bad("RELEASE: no such session");
  if (session->open_inodes.erase(inode) != 0) {
    locks_.release(id, inode);
    fs_.release(inode);
  }
  return Status::ok();
}

namespace {

// FLOCK/POSIXLOCK write the lock kind as a letter: R shared, W exclusive, U unlock.
std::optional<LockKind> parse_lock_kind(std::string_view text) {
  if (text == "R") return LockKind::kShared;
  if (text == "W") return LockKind::kExclusive;
  if (text == "U") return LockKind::kUnlock;
  return std::nullopt;
}

}  // namespace

Status Metadata::apply_flock(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t session_id = args.number<uint32_t>();
  uint64_t owner = args.number<uint64_t>();
  auto kind = parse_lock_kind(args.text());
  if (!args.ok() || !kind) return bad("FLOCK: malformed arguments");
  const Session* session = std::as_const(sessions_).find(session_id);
  if (*kind != LockKind::kUnlock && (!session || !session->open_inodes.count(inode))) {
    return bad("FLOCK: inode not open in that session");
  }
  locks_.set_flock(inode, {session_id, owner}, *kind);
  return Status::ok();
}

Status Metadata::apply_posixlock(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t session_id = args.number<uint32_t>();
  uint64_t owner = args.number<uint64_t>();
  auto kind = parse_lock_kind(args.text());
  uint64_t start = args.number<uint64_t>();
  uint64_t end = args.number<uint64_t>();
  uint32_t pid = args.number<uint32_t>();
  if (!args.ok() || !kind || start >= end) return bad("POSIXLOCK: malformed arguments");
  const Session* session = std::as_const(sessions_).find(session_id);
  if (*kind != LockKind::kUnlock && (!session || !session->open_inodes.count(inode))) {
    return bad("POSIXLOCK: inode not open in that session");
  }
  locks_.set_posix(inode, {session_id, owner}, pid, *kind, start, end);
  return Status::ok();
}

}  // namespace mfs::master
