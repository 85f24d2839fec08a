// CLTOMA_NODE_INFO (spec 11 §5.10), the page-by-page tree walk of `mfsdirinfo -p`: a
// directory's children, or a file's chunks with their disk size and copy count.
#include <algorithm>

#include "mfscommon/protocol_ids.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/subtree_statistics.h"

namespace mfs::master {
namespace {

constexpr uint16_t kOtherNode = 0, kDirectoryNode = 1, kFileNode = 2;
constexpr size_t kMaxCopies = 255;

}  // namespace

bool ClientProtocol::handle_node_info(uint32_t msgid, PacketReader& in, size_t size) {
  if (size != 20) return fail("bad NODE_INFO size");
  uint32_t inode = in.u32();
  uint32_t max_entries = in.u32();
  uint64_t continue_id = in.u64();
  const Node* node = operations_.resolve(context(0, {0}), inode);
  if (!node) {
    reply_status(msg::MATOCL_NODE_INFO, msgid, StatusCode::kENOENT);
    return true;
  }
  PacketWriter reply(msg::MATOCL_NODE_INFO);
  reply.u32(msgid);
  if (node->is_directory()) {
    // The children in the master's list order (newest first); continue_id is the edge id
    // of the first child of the page.
    const std::vector<const Edge*>& oldest_first = FsTree::in_creation_order(*node);
    auto first = oldest_first.rbegin();
    if (continue_id != 0) {
      first = std::find_if(oldest_first.rbegin(), oldest_first.rend(),
                           [continue_id](const Edge* edge) { return edge->edge_id == continue_id; });
    }
    auto end = first + std::min<ptrdiff_t>(max_entries, oldest_first.rend() - first);
    reply.u16(kDirectoryNode).u64(end == oldest_first.rend() ? 0 : (*end)->edge_id);
    for (auto it = first; it != end; ++it) reply.u32((*it)->child->inode);
  } else if (node->is_file_like()) {
    // continue_id is the chunk index the page starts at.
    auto first = node->chunks.from(continue_id);
    auto end = first + std::min<ptrdiff_t>(max_entries, node->chunks.end() - first);
    reply.u16(kFileNode).u64(end == node->chunks.end() ? 0 : end->index).u64(node->length);
    for (auto slot = first; slot != end; ++slot) {
      size_t copies = std::min(services_.chunks.valid_copies(slot->id).size(), kMaxCopies);
      reply.u64(slot->id).u32(static_cast<uint32_t>(chunk_disk_size(*node, slot->index)));
      reply.u8(static_cast<uint8_t>(copies));
    }
  } else {
    reply.u16(kOtherNode);
  }
  send(reply.take());
  return true;
}

}  // namespace mfs::master
