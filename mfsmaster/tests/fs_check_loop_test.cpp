// The filesystem check loop (spec 40 B.3.9-B.3.10): a pass over every inode counts files
// and chunks, those under their goal and those without a valid copy (with why), and keeps
// the missing ones in the missing log; what mfscli reads of it (FSTEST_INFO, MISSING_CHUNKS)
// and of the chunk loop and memory.
#include "mfsmaster/fs_check_loop.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

constexpr uint32_t kServer = 0x0A000001;

class FsCheckLoopTest : public ProtocolFixture {
 protected:
  // A file `name` with one chunk (the next id) at `version`, unlocked; its inode.
  uint32_t file_with_chunk(TestClient& client, const std::string& name, uint32_t version, uint8_t goal = 1) {
    constexpr uint8_t kRootGoal = 2;  // what a new file inherits
    uint32_t file = created(client, request::mknod(next_msgid++, kRootInode, name, 1, 0644));
    uint64_t chunk_id = std::as_const(metadata).chunks().next_id();
    Entries entries;
    for (uint32_t v = 0; v < version; ++v) {
      entries.push_back(ChangelogEntry::make("WRITE", now).arg(file).arg(0).arg(1).arg(0).result(chunk_id));
      entries.push_back(ChangelogEntry::make("UNLOCK", now).arg(chunk_id));
    }
    entries.push_back(ChangelogEntry::make("SETGOAL", now).arg(file).arg(0).arg(goal).arg(0)
                          .result(uint32_t{goal != kRootGoal}).result(uint32_t{goal == kRootGoal}).result(0));
    EXPECT_TRUE(mutations->commit(std::move(entries)));
    settle();
    return file;
  }

  // A chunkserver registered with these copies (chunk id, version).
  TestChunkserver server_with(const std::vector<std::pair<uint64_t, uint32_t>>& copies) {
    TestChunkserver server = connect_chunkserver(kServer);
    csmsg::RegisterChunksV6 chunks;
    for (auto [id, version] : copies) chunks.chunks.push_back({id, version, false});
    EXPECT_TRUE(server.handle(csmsg::encode(chunkserver_begin(kServer, 9422))));
    EXPECT_TRUE(server.handle(csmsg::encode(chunks)));
    EXPECT_TRUE(server.handle(csmsg::encode(csmsg::RegisterEndV6{})));
    server.link->take();
    return server;
  }

  // Ticks until a pass ended; how many ticks that took.
  uint32_t run_pass() {
    uint32_t ticks = 0;
    while (!fs_check.last_pass() && ticks < 10 * FsCheckLoop::kDefaultPassSeconds) {
      fs_check.tick(metadata, *chunks, now + ticks);
      ++ticks;
    }
    return ticks;
  }

  uint32_t next_msgid = 1;
};

TEST_F(FsCheckLoopTest, APassCountsFilesChunksAndWhatIsMissing) {
  TestClient client = mount();
  uint32_t whole = file_with_chunk(client, "whole", 1);     // chunk 1: its copy is there
  uint32_t lost = file_with_chunk(client, "lost", 1);       // chunk 2: no copy
  uint32_t stale = file_with_chunk(client, "stale", 2);     // chunk 3: a copy at version 1
  uint32_t under = file_with_chunk(client, "under", 1, 2);  // chunk 4: one copy of two
  uint32_t gone = file_with_chunk(client, "gone", 1);       // chunk 5: no copy, in the trash
  call(client, request::remove(msg::CLTOMA_FUSE_UNLINK, next_msgid++, kRootInode, "gone"));
  ASSERT_EQ(std::as_const(metadata).fs().find(gone)->type, NodeType::kTrash);
  created(client, request::mkdir(next_msgid++, kRootInode, "folder"));
  TestChunkserver server = server_with({{1, 1}, {3, 1}, {4, 1}});

  uint32_t ticks = run_pass();
  ASSERT_TRUE(fs_check.last_pass()) << "no pass ended";
  EXPECT_GE(ticks, FsCheckLoop::kDefaultPassSeconds) << "a pass takes its time however small the tree";
  EXPECT_LE(ticks, FsCheckLoop::kDefaultPassSeconds + 2);
  const FsCheckPass& pass = *fs_check.last_pass();
  EXPECT_EQ(pass.start, now);
  EXPECT_EQ(pass.files, 5u);
  EXPECT_EQ(pass.chunks, 5u);
  EXPECT_EQ(pass.missing_chunks, 3u);
  EXPECT_EQ(pass.undergoal_chunks, 1u);
  EXPECT_EQ(pass.undergoal_files, 1u);
  EXPECT_EQ(pass.missing_files, 2u);
  EXPECT_EQ(pass.missing_trash_files, 1u);
  EXPECT_EQ(pass.missing_sustained_files, 0u);
  ASSERT_EQ(pass.missing_log.size(), 3u);
  EXPECT_EQ(pass.missing_log[0].chunk_id, 2u);
  EXPECT_EQ(pass.missing_log[0].inode, lost);
  EXPECT_EQ(pass.missing_log[0].type, MissingChunkType::kNoCopy);
  EXPECT_EQ(pass.missing_log[1].chunk_id, 3u);
  EXPECT_EQ(pass.missing_log[1].type, MissingChunkType::kWrongVersions);
  EXPECT_EQ(pass.missing_log[2].inode, gone);
  EXPECT_EQ(pass.missing_log[1].inode, stale);
  for (const MissingChunk& missing : pass.missing_log) {
    EXPECT_NE(missing.inode, whole);
    EXPECT_NE(missing.inode, under);
  }
}

TEST_F(FsCheckLoopTest, FsCheckLoopTimeSetsThePace) {
  TestClient client = mount();
  file_with_chunk(client, "lost", 1);
  fs_check.configure(ConfigFile::parse("FS_CHECK_LOOP_TIME = 1\n"));  // raised to 10
  uint32_t ticks = run_pass();
  EXPECT_GE(ticks, 10u);
  EXPECT_LE(ticks, 12u);
  EXPECT_EQ(fs_check.last_pass()->missing_files, 1u);
}

TEST_F(FsCheckLoopTest, MfscliReadsTheLastPass) {
  TestClient client = mount();
  uint32_t lost = file_with_chunk(client, "lost", 1);
  TestClient cli = connect();
  PacketWriter before(msg::CLTOMA_FSTEST_INFO);
  before.u8(0);
  Packet empty = call(cli, to_packet(before));
  EXPECT_EQ(empty.payload, std::vector<uint8_t>(44, 0)) << "all zeros: mfscli prints \"no data\"";

  run_pass();
  PacketWriter with_trash(msg::CLTOMA_FSTEST_INFO);
  with_trash.u8(1);
  Packet full = call(cli, to_packet(with_trash));
  PacketReader in(full.payload);
  in.u32();
  in.u32();
  EXPECT_EQ(in.u32(), 1u);  // files
  EXPECT_EQ(in.u32(), 0u);  // under goal
  EXPECT_EQ(in.u32(), 1u);  // missing
  EXPECT_EQ(in.u32(), 0u);  // missing in the trash
  EXPECT_EQ(in.u32(), 0u);  // missing sustained
  EXPECT_EQ(in.u32(), 1u);  // chunks
  EXPECT_EQ(in.u32(), 0u);
  EXPECT_EQ(in.u32(), 1u);
  EXPECT_EQ(in.u32(), 0u) << "no messages, as 3.0.117 for missing chunks";
  EXPECT_TRUE(in.ok() && in.remaining() == 0);
  PacketWriter short_form(msg::CLTOMA_FSTEST_INFO);
  EXPECT_EQ(call(cli, to_packet(short_form)).payload.size(), full.payload.size() - 8);

  PacketWriter typed(msg::CLTOMA_MISSING_CHUNKS);
  typed.u8(1);
  Packet missing = call(cli, to_packet(typed));
  ASSERT_EQ(missing.payload.size(), 17u);
  EXPECT_EQ(get_u32_be(missing.payload.data() + 8), lost);
  EXPECT_EQ(missing.payload[16], 0);
  PacketWriter untyped(msg::CLTOMA_MISSING_CHUNKS);
  EXPECT_EQ(call(cli, to_packet(untyped)).payload.size(), 16u);
}

TEST_F(FsCheckLoopTest, TheChunkLoopAndMemoryViews) {
  TestClient cli = connect();
  PacketWriter chunks_test(msg::CLTOMA_CHUNKSTEST_INFO);
  EXPECT_EQ(call(cli, to_packet(chunks_test)).payload, std::vector<uint8_t>(72, 0)) << "no pass yet";

  TestClient client = mount();
  file_with_chunk(client, "under", 1, 2);
  TestChunkserver server = server_with({{1, 1}});
  chunks->configure(ConfigFile::parse("CHUNKS_LOOP_MIN_TIME = 60\nREPLICATIONS_DELAY_INIT = 0\n"));
  for (uint32_t tick = 0; tick <= 130; ++tick) chunks->housekeeping(now + tick);
  const std::optional<ChunkLoopPass>& pass = chunks->last_loop_pass();
  ASSERT_TRUE(pass);
  EXPECT_EQ(pass->counters.not_copied_undergoal, 1u) << "one server: nowhere to copy to";
  PacketWriter again(msg::CLTOMA_CHUNKSTEST_INFO);
  Packet reply = call(cli, to_packet(again));
  ASSERT_EQ(reply.payload.size(), 72u);
  EXPECT_EQ(get_u32_be(reply.payload.data() + 4 * 11), 1u);  // nocopy_undergoal

  PacketWriter memory(msg::CLTOMA_MEMORY_INFO);
  Packet used = call(cli, to_packet(memory));
  ASSERT_EQ(used.payload.size(), 176u);
  PacketReader in(used.payload);
  for (int pair = 0; pair < 11; ++pair) {
    uint64_t allocated = in.u64();
    uint64_t in_use = in.u64();
    EXPECT_LE(in_use, allocated) << pair;
    if (pair == 1 || pair == 6) {
      EXPECT_GT(in_use, 0u) << "chunks and nodes exist";
    }
  }
}

}  // namespace
}  // namespace mfs::master::testing
