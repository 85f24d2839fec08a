// Client -> master synchronisation messages without replies (spec 10 §8.6, §11):
// time sync, the held-inodes list and locally observed access/modification times.
#include <sys/time.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "mfscommon/protocol_ids.h"
#include "mfsmaster/atime_policy.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {

bool ClientProtocol::handle_time_sync(const Packet& packet) {
  if (packet.payload.size() != 0 && packet.payload.size() != 4) return fail("bad TIME_SYNC size");
  PacketReader in(packet.payload);
  timeval now{};
  gettimeofday(&now, nullptr);
  PacketWriter reply(msg::MATOCL_FUSE_TIME_SYNC);
  if (packet.payload.size() == 4) reply.u32(in.u32());
  reply.u64(uint64_t(now.tv_sec) * 1000000 + uint64_t(now.tv_usec));
  send(reply.take());
  return true;
}

bool ClientProtocol::handle_sustained_inodes(const Packet& packet) {
  if (packet.payload.size() % 4 != 0) return fail("bad SUSTAINED_INODES size");
  const Session* current = session();
  PacketReader in(packet.payload);
  // A mount lists every i-node its kernel holds, often 100,000s, and releases them all
  // when it goes: the list is a sorted vector rather than a heap block per i-node, and the
  // changes are committed in slices, so the temporaries stay small instead of leaving tens
  // of MiB of fragmented heap behind.
  std::vector<uint32_t> listed;
  listed.reserve(packet.payload.size() / 4);
  while (in.remaining() != 0) {
    uint32_t inode = in.u32();
    if (inode != 0 && std::as_const(services_.metadata).fs().find(inode)) listed.push_back(inode);
  }
  std::sort(listed.begin(), listed.end());
  listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
  std::vector<uint32_t> acquired;
  for (uint32_t inode : listed) {
    if (!current->open_inodes.count(inode)) acquired.push_back(inode);
  }
  std::vector<uint32_t> released;
  for (uint32_t inode : current->open_inodes) {
    if (!std::binary_search(listed.begin(), listed.end(), inode)) released.push_back(inode);
  }
  constexpr size_t kEntriesPerCommit = 512;
  uint32_t now = services_.now();
  Entries entries;
  auto add = [&](const char* operation, uint32_t inode) {
    entries.push_back(ChangelogEntry::make(operation, now).arg(session_id_).arg(inode));
    if (entries.size() == kEntriesPerCommit) services_.mutations.commit(std::exchange(entries, {}));
  };
  for (uint32_t inode : acquired) add("ACQUIRE", inode);
  for (uint32_t inode : released) add("RELEASE", inode);
  if (!entries.empty()) services_.mutations.commit(std::move(entries));
  for (uint32_t inode : released) services_.locks.locks_released(inode);
  return true;
}

bool ClientProtocol::handle_amtime_inodes(const Packet& packet) {
  if (packet.payload.size() % 12 != 0) return fail("bad AMTIME_INODES size");
  uint64_t atime_mode = services_.config().get_uint("ATIME_MODE", 2);
  RequestContext request = context(0, {0});
  PacketReader in(packet.payload);
  Entries entries;
  while (in.remaining() != 0) {
    uint32_t inode = in.u32();
    uint32_t atime = in.u32();
    uint32_t mtime = in.u32();
    if (inode == 0 || (atime == 0 && mtime == 0)) continue;
    const Node* node = operations_.resolve(request, inode, true);
    if (!node) continue;
    uint32_t new_atime = node->atime;
    uint32_t new_mtime = node->mtime;
    uint32_t new_ctime = node->ctime;
    if (atime > node->atime && atime_update_due(atime_mode, *node, request.now, true)) new_atime = atime;
    if (mtime > node->mtime) new_mtime = new_ctime = mtime;
    if (new_atime == node->atime && new_mtime == node->mtime) continue;
    entries.push_back(
        ChangelogEntry::make("AMTIME", request.now).arg(node->inode).arg(new_atime).arg(new_mtime).arg(new_ctime));
  }
  if (!entries.empty()) services_.mutations.commit(std::move(entries));
  return true;
}

}  // namespace mfs::master
