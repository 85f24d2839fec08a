#include "mfsmaster/client_notifier.h"

#include <algorithm>

#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {
namespace {

// Spec 10 §11: which client versions understand each notification.
constexpr uint32_t kVersionWithChangeNotifications = pack_version(3, 0, 74);
constexpr uint32_t kVersionWithCacheInvalidation = pack_version(3, 0, 100);
constexpr uint32_t kFirstVersion4 = pack_version(4, 0, 0);
constexpr uint32_t kVersion4WithCacheInvalidation = pack_version(4, 3, 0);

bool understands_cache_invalidation(uint32_t version) {
  return (version >= kVersionWithCacheInvalidation && version < kFirstVersion4) ||
         version >= kVersion4WithCacheInvalidation;
}

}  // namespace

void ClientNotifier::attach(const std::shared_ptr<ClientLink>& link, uint32_t session_id, uint32_t client_version) {
  std::vector<Connection>& connections = connections_[session_id];
  // Drops entries of connections that went away before they were attached.
  std::erase_if(connections, [](const Connection& c) { return c.link.expired(); });
  connections.push_back({link, link.get(), client_version});
}

void ClientNotifier::detach(const ClientLink& link) {
  for (auto it = connections_.begin(); it != connections_.end();) {
    std::erase_if(it->second, [&link](const Connection& c) { return c.identity == &link; });
    it = it->second.empty() ? connections_.erase(it) : std::next(it);
  }
}

void ClientNotifier::chunk_changed(const ClientLink* origin, const ChunkChange& change) {
  PacketWriter frame(msg::MATOCL_FUSE_CHUNK_HAS_CHANGED, 33);
  frame.u32(0).u32(change.inode).u32(change.index).u64(change.chunk_id).u32(change.version);
  frame.u64(change.file_length).u8(change.truncated ? 1 : 0);
  send_to_holders(origin, change.inode, frame.take());
}

void ClientNotifier::length_changed(const ClientLink* origin, uint32_t inode, uint64_t length) {
  send_to_holders(origin, inode,
                  PacketWriter(msg::MATOCL_FUSE_FLENG_HAS_CHANGED, 16).u32(0).u32(inode).u64(length).take());
}

void ClientNotifier::chunk_locations_changed() {
  std::vector<uint8_t> frame = PacketWriter(msg::MATOCL_FUSE_INVALIDATE_CHUNK_CACHE, 4).u32(0).take();
  for (const auto& [session_id, connections] : connections_) {
    for (const Connection& connection : connections) {
      if (!understands_cache_invalidation(connection.client_version)) continue;
      if (auto link = connection.link.lock()) link->send(frame);
    }
  }
}

void ClientNotifier::send_to_holders(const ClientLink* origin, uint32_t inode, const std::vector<uint8_t>& frame) {
  for (const auto& [session_id, connections] : connections_) {
    const Session* session = sessions_.find(session_id);
    if (!session || !session->open_inodes.count(inode)) continue;
    for (const Connection& connection : connections) {
      if (connection.identity == origin || connection.client_version < kVersionWithChangeNotifications) continue;
      if (auto link = connection.link.lock()) link->send(frame);
    }
  }
}

}  // namespace mfs::master
