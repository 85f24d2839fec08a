// NODE_INFO (mfsdirinfo -p, spec 11 §5.10) through ClientProtocol: directory pages in the
// master's list order (newest first) continued by edge id, file pages of chunks continued
// by chunk index.
#include <string>
#include <vector>

#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

struct Page {
  uint16_t type = 0;
  uint64_t next = 0;
  uint64_t length = 0;
  std::vector<uint64_t> items;  // child inodes, or chunk ids
  std::vector<uint32_t> sizes;  // chunk sizes
};

class NodeInfoProtocolTest : public ProtocolFixture {
 protected:
  Page node_info(TestClient& client, uint32_t inode, uint32_t max_entries, uint64_t continue_id) {
    PacketWriter out(msg::CLTOMA_NODE_INFO);
    out.u32(7).u32(inode).u32(max_entries).u64(continue_id);
    Packet reply = call(client, to_packet(out));
    EXPECT_EQ(reply.type, msg::MATOCL_NODE_INFO);
    PacketReader in(reply.payload);
    EXPECT_EQ(in.u32(), 7u);
    Page page;
    page.type = in.u16();
    if (page.type == 0) return page;
    page.next = in.u64();
    if (page.type == 1) {
      while (in.ok() && in.remaining() >= 4) page.items.push_back(in.u32());
    } else {
      page.length = in.u64();
      while (in.ok() && in.remaining() >= 13) {
        page.items.push_back(in.u64());
        page.sizes.push_back(in.u32());
        EXPECT_EQ(in.u8(), 0u);  // no chunkserver holds these chunks
      }
    }
    EXPECT_TRUE(in.finished());
    return page;
  }
};

TEST_F(NodeInfoProtocolTest, PagesOfChildrenAndChunks) {
  TestClient client = mount();
  uint32_t dir = created(client, request::mkdir(1, kRootInode, "d"));
  std::vector<uint32_t> children;
  for (int i = 0; i < 5; ++i) children.push_back(created(client, request::mknod(1, dir, "f" + std::to_string(i), 1, 0644)));
  Page first = node_info(client, dir, 2, 0);
  EXPECT_EQ(first.type, 1u);
  EXPECT_EQ(first.items, (std::vector<uint64_t>{children[4], children[3]}));
  Page second = node_info(client, dir, 2, first.next);
  EXPECT_EQ(second.items, (std::vector<uint64_t>{children[2], children[1]}));
  Page last = node_info(client, dir, 2, second.next);
  EXPECT_EQ(last.items, (std::vector<uint64_t>{children[0]}));
  EXPECT_EQ(last.next, 0u);

  // Chunks 5 and 6 with a hole between; 64 MiB + 100000 bytes.
  Node& file = *metadata.fs().find(children[0]);
  file.chunks = {5, 0, 6};
  metadata.fs().set_length(file, 2 * kChunkSize + 100000);
  Page chunks = node_info(client, children[0], 1, 0);
  EXPECT_EQ(chunks.type, 2u);
  EXPECT_EQ(chunks.length, 2 * kChunkSize + 100000);
  EXPECT_EQ(chunks.items, std::vector<uint64_t>{5});
  EXPECT_EQ(chunks.sizes, std::vector<uint32_t>{uint32_t(kChunkSize + 8192)});
  EXPECT_EQ(chunks.next, 2u);
  Page rest = node_info(client, children[0], 1, chunks.next);
  EXPECT_EQ(rest.items, std::vector<uint64_t>{6});
  EXPECT_EQ(rest.sizes, std::vector<uint32_t>{2 * 65536 + 8192});
  EXPECT_EQ(rest.next, 0u);

  uint32_t link = created(client, request::symlink(1, dir, "s", "f0"));
  EXPECT_EQ(node_info(client, link, 10, 0).type, 0u);
  Packet missing = call(client, [] {
    PacketWriter out(msg::CLTOMA_NODE_INFO);
    out.u32(8).u32(999).u32(10).u64(0);
    return to_packet(out);
  }());
  EXPECT_EQ(status_of(missing), uint8_t(StatusCode::kENOENT));
  PacketWriter short_request(msg::CLTOMA_NODE_INFO);
  short_request.u32(9).u32(dir);
  EXPECT_FALSE(client.handle(to_packet(short_request)));
}

}  // namespace
}  // namespace mfs::master::testing
