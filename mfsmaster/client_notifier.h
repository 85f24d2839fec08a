// The master's unsolicited messages to mounts (spec 10 §11): which connections each
// session has, chunk and length changes for the mounts holding a file open, and chunk
// location cache invalidation for all of them. Fed by ClientProtocol on registration
// and disconnect.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "mfsmaster/sessions.h"

namespace mfs::master {

class ClientLink;

class ClientNotifier {
 public:
  struct ChunkChange {
    uint32_t inode = 0;
    uint32_t index = 0;
    uint64_t chunk_id = 0;
    uint32_t version = 0;
    uint64_t file_length = 0;
    bool truncated = false;
  };

  explicit ClientNotifier(const Sessions& sessions) : sessions_(sessions) {}

  // A mount connection (registration state 1) of `session_id`.
  void attach(const std::shared_ptr<ClientLink>& link, uint32_t session_id, uint32_t client_version);
  void detach(const ClientLink& link);

  // CHUNK_HAS_CHANGED / FLENG_HAS_CHANGED to every other connection whose session holds
  // the file open; `origin` is the connection that made the change.
  void chunk_changed(const ClientLink* origin, const ChunkChange& change);
  void length_changed(const ClientLink* origin, uint32_t inode, uint64_t length);
  // INVALIDATE_CHUNK_CACHE: cached chunk locations may name servers that are gone.
  void chunk_locations_changed();

 private:
  struct Connection {
    std::weak_ptr<ClientLink> link;
    const ClientLink* identity = nullptr;
    uint32_t client_version = 0;
  };

  void send_to_holders(const ClientLink* origin, uint32_t inode, const std::vector<uint8_t>& frame);

  const Sessions& sessions_;
  std::map<uint32_t, std::vector<Connection>> connections_;  // by session id
};

}  // namespace mfs::master
