// CHUNKS_UNIQUE_MODE through the chunkserver protocol: copies of a chunk on distinct IPs as
// far as servers allow (CopyPlaces itself: topology_placement_test.cpp).
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

constexpr uint32_t ip(uint32_t c, uint32_t d) { return 10u << 24 | c << 8 | d; }

// Through the chunkserver protocol: two servers on 10.0.1.1 (ports 9422, 9423), one on 10.0.2.1.
class UniqueCopiesProtocolTest : public ProtocolFixture {
 protected:
  void SetUp() override {
    ProtocolFixture::SetUp();
    config.set("CHUNKS_UNIQUE_MODE", "1");
    config.set("REPLICATIONS_DELAY_INIT", "0");
    chunks->configure(config);
  }

  // WRITE_CHUNK of a new file's first chunk, CREATE answered by every server it went to
  // (counted in `creates`), then WRITE_CHUNK_END; the chunk's id.
  uint64_t written_chunk(TestClient& client, std::vector<TestChunkserver*> servers, std::vector<size_t>& creates) {
    std::string name = "f" + std::to_string(next_msgid_);
    uint32_t file = created(client, request::mknod(next_msgid_++, kRootInode, name, 1, 0644));
    EXPECT_TRUE(client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, next_msgid_++, file, 0)));
    settle();
    uint64_t chunk_id = 0;
    for (size_t s = 0; s < servers.size(); ++s) {
      for (const auto& message : servers[s]->link->take()) {
        if (const auto* create = std::get_if<csmsg::CreateCommand>(&message)) {
          ++creates[s];
          chunk_id = create->chunkid;
          EXPECT_TRUE(servers[s]->handle(csmsg::encode(csmsg::CreateReply{create->chunkid, StatusCode::kOk})));
        }
      }
    }
    replies(client);
    call(client, request::write_chunk_end(next_msgid_++, chunk_id, file, 0, 1000));
    return chunk_id;
  }

  // Two servers on 10.0.1.1, a mount, and a chunk written with a copy on each server.
  struct OneAddress {
    TestChunkserver a1;
    TestChunkserver a2;
    TestClient client;
    std::vector<size_t> creates = std::vector<size_t>(2, 0);
    uint64_t chunk_id = 0;
  };
  OneAddress chunk_at_one_address() {
    OneAddress setup{registered_chunkserver(ip(1, 1), 9422), registered_chunkserver(ip(1, 1), 9423), mount()};
    setup.chunk_id = written_chunk(setup.client, {&setup.a1, &setup.a2}, setup.creates);
    return setup;
  }

  uint32_t next_msgid_ = 10;
};

TEST_F(UniqueCopiesProtocolTest, NewChunksGoToDistinctAddressesWhileThereAreEnough) {
  TestChunkserver a1 = registered_chunkserver(ip(1, 1), 9422);
  TestChunkserver a2 = registered_chunkserver(ip(1, 1), 9423);
  TestChunkserver b = registered_chunkserver(ip(2, 1), 9424);
  TestClient client = mount();
  std::vector<size_t> creates(3, 0);
  // Several chunks: a random choice among equal servers would pair a1 and a2 sometimes.
  for (int i = 0; i < 8; ++i) written_chunk(client, {&a1, &a2, &b}, creates);
  EXPECT_EQ(creates[2], 8u);
  EXPECT_EQ(creates[0] + creates[1], 8u);
}

TEST_F(UniqueCopiesProtocolTest, CopiesShareAnAddressUntilAnotherServerComesThenOneMoves) {
  auto [a1, a2, client, creates, chunk_id] = chunk_at_one_address();
  EXPECT_EQ(creates, (std::vector<size_t>{1, 1})) << "a preference, not a limit: both servers get a copy";
  chunks->housekeeping(now);
  EXPECT_TRUE(a1.link->take().empty());
  EXPECT_TRUE(a2.link->take().empty());

  TestChunkserver b = registered_chunkserver(ip(2, 1), 9424);
  chunks->housekeeping(now);
  std::vector<csmsg::MasterToChunkserver> sent = b.link->take();
  ASSERT_EQ(sent.size(), 1u);
  const auto* replicate = std::get_if<csmsg::ReplicateCommand>(&sent.front());
  ASSERT_NE(replicate, nullptr);
  EXPECT_EQ(replicate->chunkid, chunk_id);
  ASSERT_TRUE(b.handle(csmsg::encode(csmsg::ReplicateReply{chunk_id, 1, StatusCode::kOk})));
  chunks->housekeeping(now);
  size_t deletions = 0;
  for (TestChunkserver* server : {&a1, &a2}) {
    for (const auto& message : server->link->take()) {
      deletions += std::holds_alternative<csmsg::DeleteCommand>(message) ? 1 : 0;
    }
  }
  EXPECT_EQ(deletions, 1u) << "one of the two copies at 10.0.1.1 goes";
  EXPECT_TRUE(b.link->take().empty());
}

// A real chunkserver may register before it knows its space (its disks are still being
// scanned): the chunk waiting for a free place gets its copy at the first report of room,
// not at the chunk loop's next pass.
TEST_F(UniqueCopiesProtocolTest, AServerReportingRoomAfterRegisteringGetsTheWaitingCopy) {
  OneAddress setup = chunk_at_one_address();
  chunks->housekeeping(now);

  TestChunkserver b = connect_chunkserver(ip(2, 1));
  csmsg::RegisterBeginV6 begin = chunkserver_begin(ip(2, 1), 9424);
  begin.space = csmsg::SpaceInfo{};
  ASSERT_TRUE(b.handle(csmsg::encode(begin))) << b.protocol->error();
  ASSERT_TRUE(b.handle(csmsg::encode(csmsg::RegisterEndV6{}))) << b.protocol->error();
  b.link->take();
  chunks->housekeeping(now);
  EXPECT_TRUE(b.link->take().empty()) << "no room reported yet";

  ASSERT_TRUE(b.handle(csmsg::encode(csmsg::SpaceReport{csmsg::SpaceReport::Form::kFull,
                                                        csmsg::SpaceInfo{0, uint64_t{1} << 40, 0, 0, 0, 0}})));
  chunks->housekeeping(now);
  std::vector<csmsg::MasterToChunkserver> sent = b.link->take();
  ASSERT_EQ(sent.size(), 1u);
  const auto* replicate = std::get_if<csmsg::ReplicateCommand>(&sent.front());
  ASSERT_NE(replicate, nullptr);
  EXPECT_EQ(replicate->chunkid, setup.chunk_id);
}

TEST_F(UniqueCopiesProtocolTest, ModeZeroLeavesCopiesAtOneAddress) {
  config.set("CHUNKS_UNIQUE_MODE", "0");
  chunks->configure(config);
  OneAddress setup = chunk_at_one_address();
  TestChunkserver b = registered_chunkserver(ip(2, 1), 9424);
  chunks->housekeeping(now);
  EXPECT_TRUE(b.link->take().empty());
}

}  // namespace
}  // namespace mfs::master::testing
