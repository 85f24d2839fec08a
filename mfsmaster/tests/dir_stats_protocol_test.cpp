// GETDIRSTATS (mfsdirinfo, spec 11 §5.9) through ClientProtocol: the 44-byte reply and the
// chunk size rule of spec 11 §1.
#include <string>

#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

struct DirStats {
  uint32_t inodes = 0, directories = 0, files = 0, chunks = 0;
  uint64_t length = 0, size = 0, realsize = 0;
  bool operator==(const DirStats&) const = default;
};

class DirStatsProtocolTest : public ProtocolFixture {
 protected:
  Packet dir_stats_reply(TestClient& client, uint32_t inode) {
    Packet reply = call(client, request::dir_stats(9, inode));
    EXPECT_EQ(reply.type, msg::MATOCL_FUSE_GETDIRSTATS);
    EXPECT_EQ(msgid_of(reply), 9u);
    return reply;
  }

  DirStats dir_stats(TestClient& client, uint32_t inode) {
    Packet reply = dir_stats_reply(client, inode);
    EXPECT_EQ(reply.payload.size(), 44u) << "status " << int(status_of(reply));
    PacketReader in(reply.payload);
    in.u32();
    DirStats stats{in.u32(), in.u32(), in.u32(), in.u32(), in.u64(), in.u64(), in.u64()};
    EXPECT_TRUE(in.finished());
    return stats;
  }

  // Gives a file chunks and a length as writes would (chunk ids are not checked here).
  void fill(uint32_t inode, ChunkList chunks, uint64_t length) {
    Node& file = *metadata.fs().find(inode);
    file.chunks = std::move(chunks);
    metadata.fs().set_length(file, length);
  }
};

TEST_F(DirStatsProtocolTest, CountsTheNodeAndItsSubtreeWithChunkSizes) {
  TestClient client = mount();
  uint32_t dir = created(client, request::mkdir(1, kRootInode, "d"));
  uint32_t small = created(client, request::mknod(1, dir, "small", 1, 0644));
  uint32_t big = created(client, request::mknod(1, dir, "big", 1, 0644));
  created(client, request::mkdir(1, dir, "e"));
  created(client, request::symlink(1, dir, "s", "small"));
  created(client, request::mknod(1, dir, "empty", 1, 0644));
  // 100000 bytes in one chunk: two 64 KiB blocks plus the header.
  fill(small, {5}, 100000);
  // 64 MiB + 1 byte with a hole before: only the last chunk, one block plus the header.
  fill(big, {0, 6}, kChunkSize + 1);
  constexpr uint64_t kSmallSize = 2 * 65536 + 8192, kBigSize = 65536 + 8192;
  EXPECT_EQ(dir_stats(client, small), (DirStats{1, 0, 1, 1, 100000, kSmallSize, 2 * kSmallSize}));
  EXPECT_EQ(dir_stats(client, dir),
            (DirStats{6, 2, 3, 2, 100000 + kChunkSize + 1 + 5, kSmallSize + kBigSize, 2 * (kSmallSize + kBigSize)}));
  EXPECT_EQ(status_of(dir_stats_reply(client, inode_of(dir, "s"))), 1);  // EPERM
  EXPECT_EQ(status_of(dir_stats_reply(client, 999)), 3);                 // ENOENT
}

}  // namespace
}  // namespace mfs::master::testing
