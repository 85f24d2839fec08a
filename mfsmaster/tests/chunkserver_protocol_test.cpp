// ChunkserverProtocol against spec 20 §2: registration (v6, v5, authentication), reports,
// replies to chunk commands routed to the ChunkManager, and refused packets.
#include "mfsmaster/chunkserver_protocol.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "mfscommon/version.h"
#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

constexpr uint32_t kServerA = 0x0A000001;  // 10.0.0.1
constexpr uint32_t kServerB = 0x0A000002;
constexpr uint32_t kServerC = 0x0A000003;

// The only message sent, if it is a `Message`.
template <class Message>
std::optional<Message> single(const std::vector<csmsg::MasterToChunkserver>& messages) {
  EXPECT_EQ(messages.size(), 1u);
  if (messages.size() != 1 || !std::holds_alternative<Message>(messages.front())) return std::nullopt;
  return std::get<Message>(messages.front());
}

class ChunkserverProtocolTest : public ProtocolFixture {
 protected:
  // The payload size of the only frame sent, which must be a MATOCS_MASTER_ACK.
  static size_t ack_size(const TestChunkserver& server) {
    EXPECT_EQ(server.link->frames.size(), 1u);
    if (server.link->frames.size() != 1) return 0;
    Packet packet = to_packet(server.link->frames.front());
    EXPECT_EQ(packet.type, msg::MATOCS_MASTER_ACK);
    return packet.payload.size();
  }

  // A mounted client with file "f" (goal 2, inherited from the root) and the two servers.
  struct WriteSetup {
    TestClient client;
    uint32_t file = 0;
    TestChunkserver a;
    TestChunkserver b;
  };
  // Chunkserver C, announcing one copy of `chunk_id` at `version` in its registration (its
  // acknowledgement dropped).
  TestChunkserver chunkserver_c_with_copy(uint64_t chunk_id, uint32_t version) {
    TestChunkserver c = connect_chunkserver(kServerC);
    EXPECT_TRUE(c.handle(csmsg::encode(chunkserver_begin(kServerC, 9422))));
    EXPECT_TRUE(c.handle(csmsg::encode(csmsg::RegisterChunksV6{{{chunk_id, version, false}}})));
    c.link->take();
    return c;
  }

  WriteSetup write_setup() {
    WriteSetup setup{mount(), 0, registered_chunkserver(kServerA), registered_chunkserver(kServerB)};
    Packet created = call(setup.client, request::mknod(1, kRootInode, "f", 1, 0644));
    setup.file = get_u32_be(created.payload.data() + 4);
    return setup;
  }

  // The first chunk of the setup's file, written and unlocked (WRITE_CHUNK_END of 10 bytes).
  uint64_t written_first_chunk(WriteSetup& setup) {
    uint64_t chunk_id = write_first_chunk(setup);
    EXPECT_EQ(status_of(call(setup.client, request::write_chunk_end(3, chunk_id, setup.file, 0, 10))), 0u);
    return chunk_id;
  }

  // The chunk loop deletes `server`'s bad copy of `chunk_id`, which the server confirms.
  void delete_copy(TestChunkserver& server, uint64_t chunk_id) {
    chunks->housekeeping(now);
    auto deletion = single<csmsg::DeleteCommand>(server.link->take());
    ASSERT_TRUE(deletion);
    EXPECT_EQ(deletion->chunkid, chunk_id);
    ASSERT_TRUE(server.handle(csmsg::encode(csmsg::DeleteReply{chunk_id, StatusCode::kOk})));
  }

  // A rewrite of `chunk_id` (request `msgid`) that raises its version on exactly `holders`,
  // which answer OK; the version the client is told.
  uint32_t rewritten_version(WriteSetup& setup, uint32_t msgid, uint64_t chunk_id,
                             const std::vector<TestChunkserver*>& holders) {
    EXPECT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, msgid, setup.file, 0)));
    EXPECT_TRUE(replies(setup.client).empty()) << "answered before the chunkservers";
    for (TestChunkserver* server : holders) {
      auto command = single<csmsg::SetVersionCommand>(server->link->take());
      if (!command) return 0;
      EXPECT_EQ(command->chunkid, chunk_id);
      EXPECT_EQ(command->new_version, command->old_version + 1);
      EXPECT_TRUE(server->handle(csmsg::encode(csmsg::SetVersionReply{chunk_id, StatusCode::kOk})));
    }
    std::vector<Packet> answer = replies(setup.client);
    if (answer.size() != 1) {
      ADD_FAILURE() << answer.size() << " answers";
      return 0;
    }
    EXPECT_EQ(msgid_of(answer[0]), msgid);
    Location location = location_of(answer[0]);
    EXPECT_EQ(location.chunk_id, chunk_id);
    EXPECT_EQ(location.ips.size(), holders.size());
    return location.version;
  }

  // WRITE_CHUNK of index 0, answered OK by both servers; the new chunk's id.
  uint64_t write_first_chunk(WriteSetup& setup) {
    EXPECT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 2, setup.file, 0)));
    EXPECT_TRUE(replies(setup.client).empty()) << "answered before the chunkservers";
    auto create_a = single<csmsg::CreateCommand>(setup.a.link->take());
    auto create_b = single<csmsg::CreateCommand>(setup.b.link->take());
    if (!create_a || !create_b) {
      ADD_FAILURE() << "no CREATE sent";
      return 0;
    }
    EXPECT_EQ(create_a->chunkid, create_b->chunkid);
    EXPECT_EQ(create_a->version, 1u);
    EXPECT_TRUE(setup.a.handle(csmsg::encode(csmsg::CreateReply{create_a->chunkid, StatusCode::kOk})));
    EXPECT_TRUE(replies(setup.client).empty()) << "answered before every chunkserver";
    EXPECT_TRUE(setup.b.handle(csmsg::encode(csmsg::CreateReply{create_b->chunkid, StatusCode::kOk})));
    std::vector<Packet> answer = replies(setup.client);
    EXPECT_EQ(answer.size(), 1u);
    if (!answer.empty()) {
      EXPECT_EQ(answer.front().payload.size(), 25u + 2 * 14);
    }
    return create_a->chunkid;
  }

  // Decodes a READ_CHUNK / WRITE_CHUNK location reply.
  struct Location {
    uint64_t length = 0;
    uint64_t chunk_id = 0;
    uint32_t version = 0;
    std::vector<uint32_t> ips;
  };
  static Location location_of(const Packet& reply) {
    Location location;
    PacketReader in(reply.payload);
    in.u32();
    EXPECT_EQ(in.u8(), 2u);
    location.length = in.u64();
    location.chunk_id = in.u64();
    location.version = in.u32();
    while (in.ok() && in.remaining() >= 14) {
      location.ips.push_back(in.u32());
      EXPECT_EQ(in.u16(), 9422u);
      EXPECT_EQ(in.u32(), kClientVersion);  // the chunkserver's version
      in.u32();                             // labels
    }
    EXPECT_TRUE(in.finished());
    return location;
  }
};

// ---------------------------------------------------------------------------------------
// Registration (spec 20 §2.3)

TEST_F(ChunkserverProtocolTest, BeginIsAcknowledgedWithVersionTimeoutCsidAndMetaId) {
  TestChunkserver server = connect_chunkserver(kServerA);
  csmsg::RegisterBeginV6 begin = chunkserver_begin(kServerA, 9422);
  begin.space = {1000, 5000, 3, 100, 200, 1};
  std::vector<uint8_t> frame = csmsg::encode(begin);
  ASSERT_EQ(frame.size(), kPacketHeaderSize + 55);
  ASSERT_TRUE(server.handle(frame)) << server.protocol->error();
  ASSERT_EQ(ack_size(server), 17u);
  auto ack = single<csmsg::AckAccepted>(server.link->take());
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->form, csmsg::AckAccepted::Form::kFull);
  EXPECT_EQ(ack->master_version, kOwnVersion);
  EXPECT_EQ(ack->timeout, 10u);  // MATOCS_TIMEOUT default for a chunkserver leaving it to the master
  EXPECT_EQ(ack->csid, 1u);
  EXPECT_EQ(ack->metaid, kMetaId);
  EXPECT_EQ(server.link->timeout, 10u);

  const Chunkserver* registered = server.protocol->server();
  ASSERT_NE(registered, nullptr);
  EXPECT_EQ(registered->ip, kServerA);
  EXPECT_EQ(registered->port, 9422u);
  EXPECT_EQ(registered->version, kClientVersion);
  EXPECT_EQ(registered->used_space, 1000u);
  EXPECT_EQ(registered->total_space, 5000u);
  EXPECT_EQ(registered->chunk_count, 3u);
  EXPECT_EQ(registered->removal_used_space, 100u);
  EXPECT_EQ(registered->removal_total_space, 200u);
  EXPECT_EQ(registered->removal_chunk_count, 1u);
  EXPECT_FALSE(registered->registered);
}

TEST_F(ChunkserverProtocolTest, TimeoutIsTheChunkserversOrTheConfiguredOne) {
  TestChunkserver own = connect_chunkserver(kServerA);
  csmsg::RegisterBeginV6 begin = chunkserver_begin(kServerA, 9422);
  begin.timeout = 30;
  ASSERT_TRUE(own.handle(csmsg::encode(begin)));
  EXPECT_EQ(single<csmsg::AckAccepted>(own.link->take()).value_or(csmsg::AckAccepted{}).timeout, 30u);

  config.set("MATOCS_TIMEOUT", "25");
  TestChunkserver configured = connect_chunkserver(kServerB);
  ASSERT_TRUE(configured.handle(csmsg::encode(chunkserver_begin(kServerB, 9422))));
  EXPECT_EQ(single<csmsg::AckAccepted>(configured.link->take()).value_or(csmsg::AckAccepted{}).timeout, 25u);
  EXPECT_EQ(configured.link->timeout, 25u);

  TestChunkserver too_short = connect_chunkserver(kServerC);
  begin = chunkserver_begin(kServerC, 9422);
  begin.timeout = 5;
  EXPECT_FALSE(too_short.handle(csmsg::encode(begin)));
  EXPECT_FALSE(too_short.protocol->error().empty());
}

TEST_F(ChunkserverProtocolTest, ChunkBatchesAreAcknowledgedAndEndRegisters) {
  TestChunkserver server = connect_chunkserver(kServerA);
  ASSERT_TRUE(server.handle(csmsg::encode(chunkserver_begin(kServerA, 9422))));
  server.link->take();
  csmsg::RegisterChunksV6 batch;
  batch.chunks = {{5, 1, false}, {6, 2, true}};
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(server.handle(csmsg::encode(batch))) << server.protocol->error();
    ASSERT_EQ(ack_size(server), 1u);
    EXPECT_TRUE(single<csmsg::AckNextBatch>(server.link->take()));
  }
  EXPECT_FALSE(server.protocol->server()->registered);
  ASSERT_TRUE(server.handle(csmsg::encode(csmsg::RegisterEndV6{})));
  EXPECT_TRUE(server.link->frames.empty());
  EXPECT_TRUE(server.protocol->server()->registered);
  EXPECT_EQ(servers.connected_count(), 1u);
}

TEST_F(ChunkserverProtocolTest, LoopbackAddressesAreRefused) {
  TestChunkserver announced = connect_chunkserver(kServerA);
  EXPECT_FALSE(announced.handle(csmsg::encode(chunkserver_begin(0x7F000001, 9422))));
  EXPECT_FALSE(announced.protocol->error().empty());

  TestChunkserver observed = connect_chunkserver(0x7F000002);
  EXPECT_FALSE(observed.handle(csmsg::encode(chunkserver_begin(0, 9422))));
  EXPECT_EQ(servers.connected_count(), 0u);

  // Announced as 0: the connection's peer address is used.
  TestChunkserver unannounced = connect_chunkserver(kServerB);
  ASSERT_TRUE(unannounced.handle(csmsg::encode(chunkserver_begin(0, 9422))));
  EXPECT_EQ(unannounced.protocol->server()->ip, kServerB);
}

TEST_F(ChunkserverProtocolTest, LoopbackAddressesAreAcceptedWhenAllowed) {
  config.set("ALLOW_LOOPBACK_CHUNKSERVERS", "1");
  TestChunkserver announced = connect_chunkserver(kServerA);
  ASSERT_TRUE(announced.handle(csmsg::encode(chunkserver_begin(0x7F000001, 9422))));
  EXPECT_EQ(announced.protocol->server()->ip, 0x7F000001u);
  EXPECT_EQ(servers.connected_count(), 1u);
}

TEST_F(ChunkserverProtocolTest, ASecondServerOnTheSameAddressIsRefused) {
  TestChunkserver first = registered_chunkserver(kServerA);
  TestChunkserver same = connect_chunkserver(kServerA);
  EXPECT_FALSE(same.handle(csmsg::encode(chunkserver_begin(kServerA, 9422))));
  EXPECT_NE(same.protocol->error().find("already connected"), std::string::npos) << same.protocol->error();
  TestChunkserver other_port = connect_chunkserver(kServerA);
  EXPECT_TRUE(other_port.handle(csmsg::encode(chunkserver_begin(kServerA, 9423))));
  EXPECT_EQ(servers.connected_count(), 2u);
}

TEST_F(ChunkserverProtocolTest, AKnownCsidIsKeptAndATakenOneReplaced) {
  TestChunkserver first = connect_chunkserver(kServerA);
  csmsg::RegisterBeginV6 begin = chunkserver_begin(kServerA, 9422);
  begin.csid = 7;
  ASSERT_TRUE(first.handle(csmsg::encode(begin)));
  EXPECT_EQ(single<csmsg::AckAccepted>(first.link->take()).value_or(csmsg::AckAccepted{}).csid, 7u);
  TestChunkserver second = connect_chunkserver(kServerB);
  begin = chunkserver_begin(kServerB, 9422);
  begin.csid = 7;
  ASSERT_TRUE(second.handle(csmsg::encode(begin)));
  EXPECT_NE(single<csmsg::AckAccepted>(second.link->take()).value_or(csmsg::AckAccepted{}).csid, 7u);
}

TEST_F(ChunkserverProtocolTest, SecondBeginOnOneConnectionIsRefused) {
  TestChunkserver server = registered_chunkserver(kServerA);
  EXPECT_FALSE(server.handle(csmsg::encode(chunkserver_begin(kServerA, 9422))));
  EXPECT_FALSE(server.protocol->error().empty());
}

// Spec 20 §2.3: "after END, any CSTOMA_REGISTER other than rver 63 closes the connection".
TEST_F(ChunkserverProtocolTest, RegistrationPacketsAfterEndCloseTheConnection) {
  TestChunkserver server = registered_chunkserver(kServerA);
  csmsg::RegisterChunksV6 batch;
  batch.chunks = {{5, 1, false}};
  EXPECT_FALSE(server.handle(csmsg::encode(batch))) << "BUG: a CHUNKS batch after END is accepted";
  TestChunkserver other = registered_chunkserver(kServerB);
  EXPECT_FALSE(other.handle(csmsg::encode(csmsg::RegisterEndV6{}))) << "BUG: a second END is accepted";
}

TEST_F(ChunkserverProtocolTest, LegacyV5Registration) {
  TestChunkserver server = connect_chunkserver(kServerA);
  ASSERT_TRUE(server.handle(csmsg::encode(csmsg::RegisterBeginV5{pack_version(1, 6, 27), kServerA, 9422, 10})));
  ASSERT_EQ(ack_size(server), 5u);
  auto ack = single<csmsg::AckAccepted>(server.link->take());
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->master_version, kOwnVersion);
  csmsg::RegisterChunksV5 batch;
  batch.chunks = {{5, 1, false}};
  ASSERT_TRUE(server.handle(csmsg::encode(batch)));
  EXPECT_TRUE(server.link->frames.empty());  // no ACK after a v5 batch
  ASSERT_TRUE(server.handle(csmsg::encode(csmsg::RegisterEndV5{{10, 20, 1, 0, 0, 0}})));
  EXPECT_TRUE(server.protocol->server()->registered);
  EXPECT_EQ(server.protocol->server()->total_space, 20u);

  TestChunkserver short_timeout = connect_chunkserver(kServerB);
  EXPECT_FALSE(short_timeout.handle(csmsg::encode(csmsg::RegisterBeginV5{pack_version(1, 6, 27), kServerB, 9422, 3})));
}

// ---------------------------------------------------------------------------------------
// Authentication (spec 20 §2.3 step 2)

TEST_F(ChunkserverProtocolTest, AuthCodeChallengeAndDigest) {
  config.set("AUTH_CODE", "secret");
  TestChunkserver server = connect_chunkserver(kServerA);
  csmsg::RegisterBeginV6 begin = chunkserver_begin(kServerA, 9422);
  ASSERT_TRUE(server.handle(csmsg::encode(begin)));
  ASSERT_EQ(ack_size(server), 33u);
  auto challenge = single<csmsg::AckChallenge>(server.link->take());
  ASSERT_TRUE(challenge);
  EXPECT_EQ(server.protocol->server(), nullptr);  // the first BEGIN is forgotten

  std::string random(challenge->random.begin(), challenge->random.end());
  begin.digest = md5(random.substr(0, 16) + "secret" + random.substr(16));
  std::vector<uint8_t> answer = csmsg::encode(begin);
  ASSERT_EQ(answer.size(), kPacketHeaderSize + 71);
  ASSERT_TRUE(server.handle(answer)) << server.protocol->error();
  ASSERT_EQ(ack_size(server), 17u);
  EXPECT_TRUE(single<csmsg::AckAccepted>(server.link->take()));
  EXPECT_NE(server.protocol->server(), nullptr);
}

TEST_F(ChunkserverProtocolTest, AuthCodeWrongOrUnchallengedDigestIsRefused) {
  config.set("AUTH_CODE", "secret");
  TestChunkserver wrong = connect_chunkserver(kServerA);
  csmsg::RegisterBeginV6 begin = chunkserver_begin(kServerA, 9422);
  ASSERT_TRUE(wrong.handle(csmsg::encode(begin)));
  auto challenge = single<csmsg::AckChallenge>(wrong.link->take());
  ASSERT_TRUE(challenge);
  std::string random(challenge->random.begin(), challenge->random.end());
  begin.digest = md5(random.substr(0, 16) + "guess" + random.substr(16));
  EXPECT_FALSE(wrong.handle(csmsg::encode(begin)));
  EXPECT_FALSE(wrong.protocol->error().empty());

  TestChunkserver unchallenged = connect_chunkserver(kServerB);
  begin = chunkserver_begin(kServerB, 9422);
  begin.digest = md5(std::string(16, '\0') + "secret" + std::string(16, '\0'));
  EXPECT_FALSE(unchallenged.handle(csmsg::encode(begin)));
  EXPECT_EQ(servers.connected_count(), 0u);
}

// Spec 20 §2.3: "A master with AUTH_CODE rejects rver 1–4 and 50 (closes the connection)."
TEST_F(ChunkserverProtocolTest, AuthCodeRefusesLegacyRegistrations) {
  config.set("AUTH_CODE", "secret");
  TestChunkserver v5 = connect_chunkserver(kServerA);
  EXPECT_FALSE(v5.handle(csmsg::encode(csmsg::RegisterBeginV5{pack_version(1, 6, 27), kServerA, 9422, 10})))
      << "BUG: a rver-50 BEGIN registers without authentication";
  TestChunkserver legacy = connect_chunkserver(kServerB);
  csmsg::RegisterLegacy single_packet;
  single_packet.variant = 4;
  single_packet.ip = kServerB;
  single_packet.port = 9422;
  single_packet.timeout = 10;
  EXPECT_FALSE(legacy.handle(csmsg::encode(single_packet)))
      << "BUG: a single-packet (rver 4) registration registers without authentication";
}

// ---------------------------------------------------------------------------------------
// Reports (spec 20 §2.5) and refused packets

TEST_F(ChunkserverProtocolTest, ReportsUpdateTheServer) {
  TestChunkserver server = registered_chunkserver(kServerA);
  Chunkserver& state = *server.protocol->server();
  ASSERT_TRUE(server.handle(csmsg::encode(csmsg::SpaceReport{csmsg::SpaceReport::Form::kFull, {7, 70, 2, 1, 10, 1}})));
  EXPECT_EQ(state.used_space, 7u);
  EXPECT_EQ(state.total_space, 70u);
  EXPECT_EQ(state.chunk_count, 2u);
  EXPECT_EQ(state.removal_total_space, 10u);
  ASSERT_TRUE(server.handle(csmsg::encode(csmsg::CurrentLoadReport{17, csmsg::LoadStatus::kOverloaded})));
  EXPECT_EQ(state.load, 17u);
  EXPECT_EQ(state.health, 2u);
  ASSERT_TRUE(server.handle(csmsg::encode(csmsg::LabelsReport{0b101})));
  EXPECT_EQ(state.labels, 0b101u);
  ASSERT_TRUE(server.handle(csmsg::encode(csmsg::ErrorOccurredReport{})));
  ASSERT_TRUE(server.handle(csmsg::encode(csmsg::ErrorOccurredReport{})));
  EXPECT_EQ(state.errors, 2u);
  ASSERT_TRUE(server.handle(csmsg::encode(csmsg::ChunkChecksumReply{5, 1, StatusCode::kOk, 0x1234})));
  EXPECT_TRUE(server.link->frames.empty());  // reports are never answered
}

TEST_F(ChunkserverProtocolTest, OnlyRegistrationAndAnyToAnyPacketsAreAcceptedBeforeBegin) {
  std::vector<std::vector<uint8_t>> refused{
      csmsg::encode(csmsg::SpaceReport{csmsg::SpaceReport::Form::kFull, {}}),
      csmsg::encode(csmsg::RegisterChunksV6{{{5, 1, false}}}),
      csmsg::encode(csmsg::RegisterEndV6{}),
      csmsg::encode(csmsg::RegisterDisconnect{}),
      csmsg::encode(csmsg::LabelsReport{1}),
      csmsg::encode(csmsg::CreateReply{5, StatusCode::kOk}),
      csmsg::encode(csmsg::ChunkLostReport{{5}}),
      csmsg::encode(csmsg::ErrorOccurredReport{}),
  };
  for (const auto& frame : refused) {
    TestChunkserver server = connect_chunkserver(kServerA);
    EXPECT_FALSE(server.handle(frame)) << "type " << to_packet(frame).type;
    EXPECT_FALSE(server.protocol->error().empty());
  }
  TestChunkserver server = connect_chunkserver(kServerA);
  EXPECT_TRUE(server.handle(anymsg::encode(anymsg::Ignorable{msg::ANTOAN_NOP})));
  EXPECT_TRUE(server.handle(anymsg::encode(anymsg::GetVersion{5})));
  ASSERT_EQ(server.link->frames.size(), 1u);
  Packet version = to_packet(server.link->frames.front());
  EXPECT_EQ(version.type, msg::ANTOAN_VERSION);
  EXPECT_EQ(msgid_of(version), 5u);
  EXPECT_TRUE(server.handle(csmsg::encode(chunkserver_begin(kServerA, 9422))));
}

TEST_F(ChunkserverProtocolTest, MalformedAndUnknownPacketsCloseTheConnection) {
  auto raw = [](uint32_t type, std::vector<uint8_t> payload) {
    PacketWriter out(type);
    out.bytes(payload);
    return out.take();
  };
  std::vector<std::vector<uint8_t>> refused{
      raw(9999, {}),
      raw(msg::CSTOMA_SPACE, std::vector<uint8_t>(17)),
      raw(msg::CSTOMA_CHUNK_DAMAGED, std::vector<uint8_t>(7)),
      raw(msg::CSTOMA_CHUNK_NEW, std::vector<uint8_t>(13)),
      raw(msg::CSTOMA_CREATE, std::vector<uint8_t>(10)),
      raw(msg::CSTOMA_LABELS, std::vector<uint8_t>(3)),
      raw(msg::CSTOMA_REGISTER, {99}),
      raw(msg::CSTOMA_REGISTER, {}),
      raw(msg::CSTOMA_REGISTER, {62, 0}),
      csmsg::encode(csmsg::ChunkOpReply{}),
      csmsg::encode(csmsg::ChunkBlocksReply{5, 1, 0, StatusCode::kOk}),
  };
  TestChunkserver bystander = registered_chunkserver(kServerB);
  for (const auto& frame : refused) {
    TestChunkserver server = registered_chunkserver(kServerA);
    EXPECT_FALSE(server.handle(frame)) << "type " << to_packet(frame).type << " size " << frame.size();
    EXPECT_FALSE(server.protocol->error().empty());
    server.protocol->disconnected();
  }
  EXPECT_TRUE(bystander.handle(csmsg::encode(csmsg::LabelsReport{1}))) << bystander.protocol->error();
  EXPECT_EQ(servers.connected_count(), 1u);
}

TEST_F(ChunkserverProtocolTest, DisconnectionForgetsTheServerAndItsCopies) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 2u);
  ASSERT_TRUE(setup.a.handle(csmsg::encode(csmsg::RegisterDisconnect{})));
  EXPECT_TRUE(setup.a.protocol->wants_close());
  setup.a.protocol->disconnected();
  EXPECT_EQ(servers.connected_count(), 1u);
  EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 1u);
}

// ---------------------------------------------------------------------------------------
// Chunk operations for client writes (spec 20 §2.6, §2.9; spec 10 §8.3-8.5)

TEST_F(ChunkserverProtocolTest, WriteChunkOnAnEmptySlotCreatesTheChunkOnChosenServers) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  EXPECT_EQ(chunk_id, 1u);
  EXPECT_NE(changelog().find("|WRITE(" + std::to_string(setup.file) + ",0,1,0):1\n"), std::string::npos);

  Packet ended = call(setup.client, request::write_chunk_end(3, chunk_id, setup.file, 0, 1000));
  EXPECT_EQ(status_of(ended), 0u);
  EXPECT_EQ(std::as_const(metadata).fs().find(setup.file)->length, 1000u);

  Packet read = call(setup.client, request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, 4, setup.file, 0));
  ASSERT_EQ(read.payload.size(), 25u + 2 * 14);
  Location location = location_of(read);
  EXPECT_EQ(location.length, 1000u);
  EXPECT_EQ(location.chunk_id, chunk_id);
  EXPECT_EQ(location.version, 1u);
  std::sort(location.ips.begin(), location.ips.end());
  EXPECT_EQ(location.ips, (std::vector<uint32_t>{kServerA, kServerB}));

  Packet counts = call(setup.client, request::check(5, setup.file));
  ASSERT_EQ(counts.payload.size(), 4u + 12 * 4);
  EXPECT_EQ(get_u32_be(counts.payload.data() + 4 + 2 * 4), 1u);  // one chunk with two copies
}

TEST_F(ChunkserverProtocolTest, ReadLocationsListEquallyCloseCopiesInRandomOrder) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  ASSERT_EQ(status_of(call(setup.client, request::write_chunk_end(3, chunk_id, setup.file, 0, 1000))), 0u);
  std::set<uint32_t> first_listed;
  for (uint32_t msgid = 10; msgid < 70; ++msgid) {
    Packet read = call(setup.client, request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, msgid, setup.file, 0));
    ASSERT_EQ(read.payload.size(), 25u + 2 * 14);
    first_listed.insert(location_of(read).ips.front());
  }
  // Each order has probability 1/2: 60 replies all starting with one copy would be 2^-59.
  EXPECT_EQ(first_listed, (std::set<uint32_t>{kServerA, kServerB}));
}

TEST_F(ChunkserverProtocolTest, LookupOfAOneChunkFileCarriesTheChunksLocationWhenNoOneWritesIt) {
  WriteSetup setup = write_setup();
  // lflags, and the chunk-zero data after them (spec 10 §7.3).
  auto lookup = [&](uint32_t msgid) {
    Packet reply = call(setup.client, request::lookup(msgid, kRootInode, "f"));
    EXPECT_GE(reply.payload.size(), 46u);
    return reply;
  };
  auto lflags_of = [](const Packet& reply) {
    return reply.payload.size() < 46 ? uint16_t{0} : static_cast<uint16_t>(reply.payload[44] << 8 | reply.payload[45]);
  };
  constexpr uint16_t kChunkZeroData = 0x0100;
  EXPECT_EQ(lflags_of(lookup(10)) & kChunkZeroData, 0) << "a file without chunk slots";

  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 2, setup.file, 0)));
  Packet while_created = lookup(11);
  EXPECT_EQ(while_created.payload.size(), 46u);
  EXPECT_EQ(lflags_of(while_created) & kChunkZeroData, 0) << "the chunk is being created";
  uint64_t chunk_id = 0;
  for (TestChunkserver* server : {&setup.a, &setup.b}) {
    auto create = single<csmsg::CreateCommand>(server->link->take());
    ASSERT_TRUE(create);
    chunk_id = create->chunkid;
    ASSERT_TRUE(server->handle(csmsg::encode(csmsg::CreateReply{chunk_id, StatusCode::kOk})));
  }
  replies(setup.client);
  EXPECT_EQ(lflags_of(lookup(12)) & kChunkZeroData, 0) << "the writer holds the chunk";

  EXPECT_EQ(status_of(call(setup.client, request::write_chunk_end(3, chunk_id, setup.file, 0, 1000))), 0u);
  Packet reply = lookup(13);
  EXPECT_EQ(lflags_of(reply) & kChunkZeroData, kChunkZeroData);
  ASSERT_EQ(reply.payload.size(), 46u + 13 + 2 * 14);
  PacketReader in(std::span(reply.payload).subspan(46));
  EXPECT_EQ(in.u8(), 2u);  // protocol id
  EXPECT_EQ(in.u64(), chunk_id);
  EXPECT_EQ(in.u32(), 1u);  // version
  std::vector<uint32_t> ips;
  for (int i = 0; i < 2; ++i) {
    ips.push_back(in.u32());
    EXPECT_EQ(in.u16(), 9422u);
    in.u32();  // the chunkserver's version
    in.u32();  // labels
  }
  EXPECT_TRUE(in.finished());
  std::sort(ips.begin(), ips.end());
  EXPECT_EQ(ips, (std::vector<uint32_t>{kServerA, kServerB}));
}

// Observed on 3.0.117: a rewrite logs WRITE(inode,index,0,...) - no new version - when every
// copy took the chunk's version and none was lost or added since; no chunkserver is asked.
// That line and the UNLOCK of a write that kept the length only lock and unlock the chunk:
// their replies do not wait for the changelog.
TEST_F(ChunkserverProtocolTest, ARewriteOfCopiesInStepKeepsTheVersion) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  ASSERT_TRUE(setup.client.handle(request::write_chunk_end(3, chunk_id, setup.file, 0, 10)));
  EXPECT_TRUE(setup.client.link->take().empty()) << "a new length answered before it was durable";
  EXPECT_EQ(replies(setup.client).size(), 1u);

  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, setup.file, 0)));
  std::vector<Packet> answer = setup.client.link->take();
  ASSERT_EQ(answer.size(), 1u) << "a rewrite in step waited for the changelog";
  Location location = location_of(answer[0]);
  ASSERT_TRUE(setup.client.handle(request::write_chunk_end(5, chunk_id, setup.file, 0, 10)));
  answer = setup.client.link->take();
  ASSERT_EQ(answer.size(), 1u) << "the end of a write that kept the length waited for the changelog";
  EXPECT_EQ(status_of(answer[0]), 0u);
  EXPECT_TRUE(setup.a.link->take().empty());
  EXPECT_TRUE(setup.b.link->take().empty());
  EXPECT_EQ(location.chunk_id, chunk_id);
  EXPECT_EQ(location.version, 1u);
  EXPECT_EQ(location.ips.size(), 2u);
  std::string log = changelog();
  std::string rewrite = "|WRITE(" + std::to_string(setup.file) + ",0,0,0):" + std::to_string(chunk_id) + "\n";
  size_t at = log.find(rewrite);
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_EQ(log.find('|', at + rewrite.size()), log.rfind("|UNLOCK(")) << "the rewrite logs WRITE and UNLOCK\n" << log;
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

// The end of a version change's write waits for its UNLOCK, even when the length stays: lost,
// it would make the change look unfinished after a restart.
TEST_F(ChunkserverProtocolTest, AWriteAfterACopyWasAddedSetsANewVersionOnEveryCopy) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = written_first_chunk(setup);
  TestChunkserver c = chunkserver_c_with_copy(chunk_id, 1);
  EXPECT_EQ(rewritten_version(setup, 4, chunk_id, {&setup.a, &setup.b, &c}), 2u);
  ASSERT_TRUE(setup.client.handle(request::write_chunk_end(5, chunk_id, setup.file, 0, 10)));
  EXPECT_TRUE(setup.client.link->take().empty()) << "the end of a version change answered before it was durable";
  EXPECT_EQ(replies(setup.client).size(), 1u);
}

TEST_F(ChunkserverProtocolTest, AWriteAfterAHolderLeftSetsANewVersion) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = written_first_chunk(setup);
  setup.a.protocol->disconnected();
  EXPECT_EQ(rewritten_version(setup, 4, chunk_id, {&setup.b}), 2u);
}

TEST_F(ChunkserverProtocolTest, AWriteAfterADamagedReportSetsANewVersion) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = written_first_chunk(setup);
  ASSERT_TRUE(setup.b.handle(csmsg::encode(csmsg::ChunkDamagedReport{{chunk_id}})));
  delete_copy(setup.b, chunk_id);
  EXPECT_EQ(rewritten_version(setup, 4, chunk_id, {&setup.a}), 2u);
}

// Its writer may have left the copies unequal.
TEST_F(ChunkserverProtocolTest, AWriteAfterALockExpiredUnendedSetsANewVersion) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  now += 121;
  chunks->housekeeping(now);
  EXPECT_EQ(rewritten_version(setup, 4, chunk_id, {&setup.a, &setup.b}), 2u);
}

TEST_F(ChunkserverProtocolTest, AWriteAfterAFailedVersionChangeSetsANewVersion) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = written_first_chunk(setup);
  TestChunkserver c = chunkserver_c_with_copy(chunk_id, 1);
  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, setup.file, 0)));
  for (TestChunkserver* server : {&setup.a, &setup.b, &c}) {
    auto command = single<csmsg::SetVersionCommand>(server->link->take());
    ASSERT_TRUE(command);
    StatusCode status = server == &c ? StatusCode::kIO : StatusCode::kOk;
    ASSERT_TRUE(server->handle(csmsg::encode(csmsg::SetVersionReply{chunk_id, status})));
  }
  ASSERT_EQ(replies(setup.client).size(), 1u);
  EXPECT_EQ(status_of(call(setup.client, request::write_chunk_end(5, chunk_id, setup.file, 0, 10))), 0u);
  delete_copy(c, chunk_id);
  EXPECT_EQ(rewritten_version(setup, 6, chunk_id, {&setup.a, &setup.b}), 3u);
}

TEST_F(ChunkserverProtocolTest, FailedCreateRollsBackAndAnswersNoSpace) {
  WriteSetup setup = write_setup();
  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 2, setup.file, 0)));
  for (TestChunkserver* server : {&setup.a, &setup.b}) {
    auto create = single<csmsg::CreateCommand>(server->link->take());
    ASSERT_TRUE(create);
    ASSERT_TRUE(server->handle(csmsg::encode(csmsg::CreateReply{create->chunkid, StatusCode::kNoSpace})));
  }
  std::vector<Packet> answer = replies(setup.client);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(status_of(answer[0]), uint8_t(StatusCode::kNoSpace));
  Packet read = call(setup.client, request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, 3, setup.file, 0));
  EXPECT_EQ(location_of(read).chunk_id, 0u);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

// Spec 20 §2.9: the client gets NOSPACE only when every copy failed with NOSPACE or
// MISMATCH, otherwise NOTDONE.
TEST_F(ChunkserverProtocolTest, CreateFailingWithAnIoErrorAnswersNotDone) {
  WriteSetup setup = write_setup();
  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 2, setup.file, 0)));
  for (TestChunkserver* server : {&setup.a, &setup.b}) {
    auto create = single<csmsg::CreateCommand>(server->link->take());
    ASSERT_TRUE(create);
    ASSERT_TRUE(server->handle(csmsg::encode(csmsg::CreateReply{create->chunkid, StatusCode::kIO})));
  }
  std::vector<Packet> answer = replies(setup.client);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(status_of(answer[0]), uint8_t(StatusCode::kNotDone))
      << "BUG: a new chunk whose creation failed with IO on every copy is answered NOSPACE";
}

TEST_F(ChunkserverProtocolTest, AServerLeavingDuringAWriteIsLeftOutOfTheAnswer) {
  WriteSetup setup = write_setup();
  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 2, setup.file, 0)));
  auto create_a = single<csmsg::CreateCommand>(setup.a.link->take());
  ASSERT_TRUE(create_a);
  setup.b.link->take();
  ASSERT_TRUE(setup.a.handle(csmsg::encode(csmsg::CreateReply{create_a->chunkid, StatusCode::kOk})));
  setup.b.protocol->disconnected();
  std::vector<Packet> answer = replies(setup.client);
  ASSERT_EQ(answer.size(), 1u);
  Location location = location_of(answer[0]);
  EXPECT_EQ(location.chunk_id, create_a->chunkid);
  EXPECT_EQ(location.ips, std::vector<uint32_t>{kServerA});
}

TEST_F(ChunkserverProtocolTest, TruncateInsideAChunkTruncatesEveryCopy) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  EXPECT_EQ(status_of(call(setup.client, request::write_chunk_end(3, chunk_id, setup.file, 0, 1000))), 0u);

  ASSERT_TRUE(setup.client.handle(request::truncate(4, setup.file, 0, 10)));
  EXPECT_TRUE(replies(setup.client).empty());
  for (TestChunkserver* server : {&setup.a, &setup.b}) {
    auto command = single<csmsg::TruncateCommand>(server->link->take());
    ASSERT_TRUE(command);
    EXPECT_EQ(command->chunkid, chunk_id);
    EXPECT_EQ(command->length, 10u);
    EXPECT_EQ(command->new_version, 2u);
    EXPECT_EQ(command->old_version, 1u);
    ASSERT_TRUE(server->handle(csmsg::encode(csmsg::TruncateReply{chunk_id, StatusCode::kOk})));
  }
  std::vector<Packet> answer = replies(setup.client);
  ASSERT_EQ(answer.size(), 1u);
  ASSERT_EQ(answer[0].payload.size(), 48u);
  PacketReader in(answer[0].payload);
  EXPECT_EQ(in.u32(), 4u);
  EXPECT_EQ(in.u64(), 1000u);
  EXPECT_EQ(read_attr(in).length, 10u);
  // As 3.0.117 logs it: TRUNC locks the chunk, its end unlocks it before the new length.
  std::string id = std::to_string(chunk_id);
  std::string log = changelog();
  size_t trunc = log.find("|TRUNC(" + std::to_string(setup.file) + ",0):" + id);
  size_t unlock = log.find("|UNLOCK(" + id + ")", trunc);
  size_t length = log.find("|LENGTH(" + std::to_string(setup.file) + ",10", trunc);
  EXPECT_TRUE(trunc != std::string::npos && unlock != std::string::npos && length != std::string::npos && unlock < length)
      << log;
  EXPECT_EQ(std::as_const(metadata).chunks().find(chunk_id)->locked_to, 0u);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

TEST_F(ChunkserverProtocolTest, AnnouncedCopiesOfTheCurrentVersionAreValid) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  TestChunkserver c = chunkserver_c_with_copy(chunk_id, 1);
  EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 3u);

  TestChunkserver stale = connect_chunkserver(kServerC + 1);
  ASSERT_TRUE(stale.handle(csmsg::encode(chunkserver_begin(kServerC + 1, 9422))));
  ASSERT_TRUE(stale.handle(csmsg::encode(csmsg::RegisterChunksV6{{{chunk_id, 7, false}}})));
  EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 3u);
  EXPECT_EQ(chunks->copy_count(chunk_id), 4u);
}

TEST_F(ChunkserverProtocolTest, UnknownChunksAreRecordedLockedForAWeekThenDeleted) {
  constexpr uint32_t kWeek = 7 * 24 * 3600;
  TestChunkserver a = connect_chunkserver(kServerA);
  ASSERT_TRUE(a.handle(csmsg::encode(chunkserver_begin(kServerA, 9422))));
  uint64_t far_away = std::as_const(metadata).chunks().next_id() + 2'000'000'000;
  ASSERT_TRUE(a.handle(csmsg::encode(csmsg::RegisterChunksV6{{{5, 3, false}, {0, 1, false}, {far_away, 1, false}}})));
  settle();
  const ChunkRecord* adopted = std::as_const(metadata).chunks().find(5);
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->version, 3u);
  EXPECT_EQ(adopted->locked_to, now + kWeek);
  EXPECT_EQ(std::as_const(metadata).chunks().next_id(), 6u);
  EXPECT_EQ(std::as_const(metadata).chunks().find(far_away), nullptr);
  EXPECT_NE(changelog().find("|CHUNKADD(5,3," + std::to_string(now + kWeek) + ")"), std::string::npos) << changelog();

  a.link->take();  // registration acknowledgements
  chunks->housekeeping(now + kWeek - 1);
  EXPECT_TRUE(a.link->take().empty()) << "deleted while locked";
  chunks->housekeeping(now + kWeek);
  auto deletion = single<csmsg::DeleteCommand>(a.link->take());
  ASSERT_TRUE(deletion);
  EXPECT_EQ(deletion->chunkid, 5u);
  EXPECT_EQ(deletion->version, 3u);
  ASSERT_TRUE(a.handle(csmsg::encode(csmsg::DeleteReply{5, StatusCode::kOk})));
  chunks->housekeeping(now + kWeek + 1);
  settle();
  EXPECT_EQ(std::as_const(metadata).chunks().find(5), nullptr);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

TEST_F(ChunkserverProtocolTest, LostAndDamagedReportsRemoveValidCopies) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  ASSERT_TRUE(setup.a.handle(csmsg::encode(csmsg::ChunkLostReport{{chunk_id}})));
  EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 1u);
  EXPECT_EQ(chunks->copy_count(chunk_id), 1u);
  ASSERT_TRUE(setup.b.handle(csmsg::encode(csmsg::ChunkDamagedReport{{chunk_id}})));
  EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 0u);
  Packet read = call(setup.client, request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, 9, setup.file, 0));
  EXPECT_EQ(status_of(read), uint8_t(StatusCode::kChunkLost));

  // CHUNK_NEW brings a copy back.
  ASSERT_TRUE(setup.a.handle(csmsg::encode(csmsg::ChunkNewReport{{{chunk_id, 1, false}}})));
  EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 1u);
}

// ---------------------------------------------------------------------------------------
// Copy-on-write of chunks shared by a snapshot (spec 11 §7.1, spec 20 §2.6)

// mfsmakesnapshot of `inode` to `name` in the root, as the 3.0.117 tool sends it.
Packet snapshot_request(uint32_t msgid, uint32_t inode, std::string_view name) {
  PacketWriter out(msg::CLTOMA_FUSE_SNAPSHOT);
  out.u32(msgid).u32(inode).u32(kRootInode).name8(name);
  put_ids(out, Ids{});
  out.u8(0).u16(022);
  return to_packet(out);
}

class CopyOnWriteTest : public ChunkserverProtocolTest {
 protected:
  // File "f" with 1000 bytes in one chunk, shared with its snapshot "snap"; the chunk id.
  uint64_t snapshotted_chunk(WriteSetup& setup) {
    uint64_t shared = write_first_chunk(setup);
    EXPECT_EQ(status_of(call(setup.client, request::write_chunk_end(3, shared, setup.file, 0, 1000))), 0u);
    EXPECT_EQ(status_of(call(setup.client, snapshot_request(4, setup.file, "snap"))), 0u);
    return shared;
  }
};

TEST_F(CopyOnWriteTest, WriteToASharedChunkDuplicatesItForTheWrittenFileOnly) {
  WriteSetup setup = write_setup();
  uint64_t shared = snapshotted_chunk(setup);
  uint32_t copy = get_u32_be(call(setup.client, request::lookup(5, kRootInode, "snap")).payload.data() + 4);

  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 6, copy, 0)));
  EXPECT_TRUE(replies(setup.client).empty());
  uint64_t duplicate = 0;
  for (TestChunkserver* server : {&setup.a, &setup.b}) {
    auto command = single<csmsg::DuplicateCommand>(server->link->take());
    ASSERT_TRUE(command);
    EXPECT_EQ(command->old_chunkid, shared);
    EXPECT_EQ(command->old_version, 1u);
    EXPECT_EQ(command->new_version, 1u);
    EXPECT_NE(command->new_chunkid, shared);
    duplicate = command->new_chunkid;
    ASSERT_TRUE(server->handle(csmsg::encode(csmsg::DuplicateReply{duplicate, StatusCode::kOk})));
  }
  std::vector<Packet> answer = replies(setup.client);
  ASSERT_EQ(answer.size(), 1u);
  Location location = location_of(answer[0]);
  EXPECT_EQ(location.chunk_id, duplicate);
  EXPECT_EQ(location.version, 1u);
  EXPECT_EQ(location.ips.size(), 2u);
  EXPECT_EQ(status_of(call(setup.client, request::write_chunk_end(7, duplicate, copy, 0, 1000))), 0u);
  EXPECT_EQ(location_of(call(setup.client, request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, 8, setup.file, 0))).chunk_id,
            shared);
  EXPECT_EQ(std::as_const(metadata).chunks().find(shared)->file_references, 1u);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

TEST_F(CopyOnWriteTest, FailedDuplicationGivesTheFileItsSharedChunkBack) {
  WriteSetup setup = write_setup();
  uint64_t shared = snapshotted_chunk(setup);
  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 6, setup.file, 0)));
  for (TestChunkserver* server : {&setup.a, &setup.b}) {
    auto command = single<csmsg::DuplicateCommand>(server->link->take());
    ASSERT_TRUE(command);
    ASSERT_TRUE(server->handle(csmsg::encode(csmsg::DuplicateReply{command->new_chunkid, StatusCode::kIO})));
  }
  std::vector<Packet> answer = replies(setup.client);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(status_of(answer[0]), uint8_t(StatusCode::kNotDone));
  EXPECT_EQ(std::as_const(metadata).fs().find(setup.file)->chunks, ChunkList{shared});
  EXPECT_EQ(std::as_const(metadata).chunks().find(shared)->file_references, 2u);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

TEST_F(CopyOnWriteTest, TruncateInsideASharedChunkDuplicatesAndTruncates) {
  WriteSetup setup = write_setup();
  uint64_t shared = snapshotted_chunk(setup);

  ASSERT_TRUE(setup.client.handle(request::truncate(5, setup.file, 0, 10)));
  EXPECT_TRUE(replies(setup.client).empty());
  for (TestChunkserver* server : {&setup.a, &setup.b}) {
    auto command = single<csmsg::DupTruncCommand>(server->link->take());
    ASSERT_TRUE(command);
    EXPECT_EQ(command->old_chunkid, shared);
    EXPECT_EQ(command->old_version, 1u);
    EXPECT_EQ(command->new_version, 1u);
    EXPECT_EQ(command->length, 10u);
    ASSERT_TRUE(server->handle(csmsg::encode(csmsg::DupTruncReply{command->new_chunkid, StatusCode::kOk})));
  }
  std::vector<Packet> answer = replies(setup.client);
  ASSERT_EQ(answer.size(), 1u);
  PacketReader in(answer[0].payload);
  EXPECT_EQ(in.u32(), 5u);
  EXPECT_EQ(in.u64(), 1000u);
  EXPECT_EQ(read_attr(in).length, 10u);
  const Node* snap = std::as_const(metadata).fs().find(setup.file + 1);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->chunks, ChunkList{shared});
  EXPECT_EQ(snap->length, 1000u);
  EXPECT_NE(std::as_const(metadata).fs().find(setup.file)->chunks, ChunkList{shared});
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

// mfsfilerepair (spec 11 §5.11): a chunk without a valid copy falls back to its best
// wrong-version copy, or leaves the file when no copy is left.
TEST_F(ChunkserverProtocolTest, RepairTakesTheBestWrongVersionOrErases) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  EXPECT_EQ(status_of(call(setup.client, request::write_chunk_end(3, chunk_id, setup.file, 0, 1000))), 0u);
  auto repair = [&](uint32_t msgid) {
    PacketWriter out(msg::CLTOMA_FUSE_REPAIR);
    out.u32(msgid).u32(setup.file);
    put_ids(out, Ids{});
    Packet reply = call(setup.client, to_packet(out));
    EXPECT_EQ(reply.payload.size(), 16u);
    PacketReader in(reply.payload);
    EXPECT_EQ(in.u32(), msgid);
    uint32_t not_changed = in.u32(), erased = in.u32(), repaired = in.u32();
    return std::vector<uint32_t>{not_changed, erased, repaired};
  };
  EXPECT_EQ(repair(4), (std::vector<uint32_t>{1, 0, 0}));

  setup.a.protocol->disconnected();
  setup.b.protocol->disconnected();
  TestChunkserver c = chunkserver_c_with_copy(chunk_id, 3);
  EXPECT_TRUE(chunks->valid_copies(chunk_id).empty());
  EXPECT_EQ(repair(5), (std::vector<uint32_t>{0, 0, 1}));
  EXPECT_EQ(std::as_const(metadata).chunks().find(chunk_id)->version, 3u);
  EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 1u);

  c.protocol->disconnected();
  EXPECT_EQ(repair(6), (std::vector<uint32_t>{0, 1, 0}));
  EXPECT_EQ(std::as_const(metadata).fs().find(setup.file)->chunks, ChunkList{0});
  EXPECT_EQ(std::as_const(metadata).chunks().find(chunk_id)->file_references, 0u);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

// A master killed between logging a version change and the chunkservers taking it starts
// at the new version, locked, while the chunkservers may still hold the old one. The
// client asks again (WRITE_CHUNK, TRUNCATE).
class InterruptedVersionChangeTest : public ChunkserverProtocolTest {
 protected:
  // A written chunk whose copies are at version 1, and the replayed change to version 2,
  // by a write or, with `by_truncate`, by a truncate inside the chunk.
  uint64_t chunk_changed_to_version_2_before_the_start(WriteSetup& setup, bool by_truncate = false) {
    uint64_t chunk_id = write_first_chunk(setup);
    EXPECT_EQ(status_of(call(setup.client, request::write_chunk_end(3, chunk_id, setup.file, 0, 1000))), 0u);
    ChangelogEntry change = by_truncate
                                ? ChangelogEntry::make("TRUNC", now).arg(setup.file).arg(0).result(chunk_id)
                                : ChangelogEntry::make("WRITE", now).arg(setup.file).arg(0).arg(1).arg(0).result(chunk_id);
    EXPECT_TRUE(mutations->commit({change}));
    return chunk_id;
  }

  // The request finds the change taken back (CHUNK_BUSY meanwhile): the copies, at version
  // 1, go to version 3 (never to 2, which a server that has not registered yet may hold),
  // and the chunk is unlocked.
  void expect_taken_back_on(WriteSetup& setup, uint64_t chunk_id, const Packet& request) {
    EXPECT_EQ(status_of(call(setup.client, request)), uint8_t(StatusCode::kChunkBusy));
    for (TestChunkserver* server : {&setup.a, &setup.b}) {
      auto command = single<csmsg::SetVersionCommand>(server->link->take());
      ASSERT_TRUE(command);
      EXPECT_EQ(command->old_version, 1u);
      EXPECT_EQ(command->new_version, 3u);
      ASSERT_TRUE(server->handle(csmsg::encode(csmsg::SetVersionReply{chunk_id, StatusCode::kOk})));
    }
    const ChunkRecord* chunk = std::as_const(metadata).chunks().find(chunk_id);
    EXPECT_EQ(chunk->version, 3u);
    EXPECT_EQ(chunk->locked_to, 0u);
    EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 2u);
    EXPECT_NE(changelog().find("|SETVERSION(" + std::to_string(chunk_id) + ",3)"), std::string::npos) << changelog();
    EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
  }

  // The request is answered at once, with nothing sent to the chunkservers.
  void expect_kept_on(WriteSetup& setup, uint64_t chunk_id, const Packet& request) {
    EXPECT_EQ(status_of(call(setup.client, request)), uint8_t(StatusCode::kChunkLost));
    EXPECT_TRUE(setup.a.link->take().empty());
    EXPECT_EQ(std::as_const(metadata).chunks().find(chunk_id)->version, 2u);
  }
};

// A lock from a rewrite that kept the version shows no unfinished change: the version's
// copies (acknowledged data) may only be slow to register.
TEST_F(InterruptedVersionChangeTest, IsNotSeenInTheLockOfARewriteThatKeptTheVersion) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = chunk_changed_to_version_2_before_the_start(setup);
  EXPECT_TRUE(mutations->commit({ChangelogEntry::make("UNLOCK", now).arg(chunk_id),
                                 ChangelogEntry::make("WRITE", now).arg(setup.file).arg(0).arg(0).arg(0).result(chunk_id)}));
  expect_kept_on(setup, chunk_id, request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, setup.file, 0));
}

TEST_F(InterruptedVersionChangeTest, OfAWriteIsTakenBackWhenTheClientAsksAgain) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = chunk_changed_to_version_2_before_the_start(setup);
  EXPECT_TRUE(chunks->valid_copies(chunk_id).empty());
  now += 3600;  // the master came back after the write's lock had run out
  chunks->housekeeping(now);
  EXPECT_TRUE(setup.a.link->take().empty()) << "taken back with nobody asking";

  expect_taken_back_on(setup, chunk_id, request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, setup.file, 0));
}

TEST_F(InterruptedVersionChangeTest, OfATruncateIsTakenBackWhenTheClientAsksAgain) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = chunk_changed_to_version_2_before_the_start(setup, true);
  EXPECT_NE(std::as_const(metadata).chunks().find(chunk_id)->locked_to, 0u);
  expect_taken_back_on(setup, chunk_id, request::truncate(4, setup.file, 0, 10));
  EXPECT_EQ(std::as_const(metadata).fs().find(setup.file)->length, 1000u);
}

// A client resuming the chunk (CONTINUEOP) may have written at version 2, on a server that
// has not registered: its data must not be replaced by the copies behind.
TEST_F(InterruptedVersionChangeTest, IsKeptForAClientThatResumesTheChunk) {
  constexpr uint8_t kContinueOperation = 0x02;
  WriteSetup setup = write_setup();
  uint64_t chunk_id = chunk_changed_to_version_2_before_the_start(setup);
  expect_kept_on(setup, chunk_id, request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, setup.file, 0, kContinueOperation));
}

// Another session holding the file open may be the one that wrote at version 2.
TEST_F(InterruptedVersionChangeTest, IsKeptWhileAnotherSessionHasTheFileOpen) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = chunk_changed_to_version_2_before_the_start(setup);
  TestClient other = mount("/", kClientIp + 1);
  call(other, request::open(5, setup.file, request::openflag::kWrite));
  ASSERT_EQ(std::as_const(metadata).fs().find(setup.file)->open_count, 1u);
  expect_kept_on(setup, chunk_id, request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, setup.file, 0));
}

// The client retries its truncate after the restart; the lock of the first attempt, which
// no one here holds, does not refuse it.
TEST_F(InterruptedVersionChangeTest, OfATruncateThatReachedACopyLetsTheRetryThrough) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = chunk_changed_to_version_2_before_the_start(setup, true);
  TestChunkserver c = chunkserver_c_with_copy(chunk_id, 2);
  chunks->housekeeping(now);
  c.link->take();

  ASSERT_TRUE(setup.client.handle(request::truncate(4, setup.file, 0, 10)));
  auto command = single<csmsg::TruncateCommand>(c.link->take());
  ASSERT_TRUE(command);
  EXPECT_EQ(command->new_version, 3u);
  ASSERT_TRUE(c.handle(csmsg::encode(csmsg::TruncateReply{chunk_id, StatusCode::kOk})));
  std::vector<Packet> answer = replies(setup.client);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].payload.size(), 48u) << "status " << int(status_of(answer[0]));
  EXPECT_EQ(std::as_const(metadata).chunks().find(chunk_id)->locked_to, 0u);
}

// The master sent a version change and was killed before its line was written: the
// chunkservers are one version ahead of the changelog.
TEST_F(InterruptedVersionChangeTest, CopiesOneVersionAheadOfALostChangelogLineAreTaken) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = write_first_chunk(setup);
  EXPECT_EQ(status_of(call(setup.client, request::write_chunk_end(3, chunk_id, setup.file, 0, 1000))), 0u);
  setup.a.protocol->disconnected();
  setup.b.protocol->disconnected();
  TestChunkserver c = chunkserver_c_with_copy(chunk_id, 2);
  EXPECT_TRUE(chunks->valid_copies(chunk_id).empty());

  chunks->housekeeping(now);
  EXPECT_EQ(std::as_const(metadata).chunks().find(chunk_id)->version, 2u);
  EXPECT_EQ(chunks->valid_copies(chunk_id).size(), 1u);
  EXPECT_NE(changelog().find("|SETVERSION(" + std::to_string(chunk_id) + ",2)"), std::string::npos) << changelog();
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

// A kill between the WRITE line of a new chunk and its creation on any chunkserver: the
// client's new request creates it again, at version 2.
TEST_F(ChunkserverProtocolTest, AnInterruptedCreationAtTheFilesEndIsDoneAgain) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = std::as_const(metadata).chunks().next_id();
  EXPECT_TRUE(mutations->commit({ChangelogEntry::make("WRITE", now).arg(setup.file).arg(0).arg(1).arg(0).result(chunk_id)}));

  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, setup.file, 0)));
  for (TestChunkserver* server : {&setup.a, &setup.b}) {
    auto create = single<csmsg::CreateCommand>(server->link->take());
    ASSERT_TRUE(create);
    EXPECT_EQ(create->chunkid, chunk_id);
    EXPECT_EQ(create->version, 2u);
    ASSERT_TRUE(server->handle(csmsg::encode(csmsg::CreateReply{chunk_id, StatusCode::kOk})));
  }
  std::vector<Packet> answer = replies(setup.client);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(location_of(answer[0]).version, 2u);
  EXPECT_EQ(location_of(answer[0]).ips.size(), 2u);
  EXPECT_NE(changelog().find("|SETVERSION(" + std::to_string(chunk_id) + ",2)"), std::string::npos) << changelog();
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

// Within the file's length the chunk may have been a copy-on-write of a shared chunk, whose
// data an empty chunk would lose.
TEST_F(ChunkserverProtocolTest, AnInterruptedCreationWithinTheFileIsLeftAlone) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = std::as_const(metadata).chunks().next_id();
  EXPECT_TRUE(mutations->commit({ChangelogEntry::make("LENGTH", now).arg(setup.file).arg(1000).arg(0),
                                 ChangelogEntry::make("WRITE", now).arg(setup.file).arg(0).arg(1).arg(0).result(chunk_id)}));
  EXPECT_EQ(status_of(call(setup.client, request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, setup.file, 0))),
            uint8_t(StatusCode::kChunkLost));
  EXPECT_TRUE(setup.a.link->take().empty());
  EXPECT_TRUE(setup.b.link->take().empty());
}

TEST_F(InterruptedVersionChangeTest, IsKeptWhenACopyHasIt) {
  WriteSetup setup = write_setup();
  uint64_t chunk_id = chunk_changed_to_version_2_before_the_start(setup);
  TestChunkserver c = chunkserver_c_with_copy(chunk_id, 2);

  ASSERT_TRUE(setup.client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, setup.file, 0)));
  auto command = single<csmsg::SetVersionCommand>(c.link->take());
  ASSERT_TRUE(command);
  EXPECT_EQ(command->old_version, 2u);
  EXPECT_EQ(command->new_version, 3u);
  EXPECT_TRUE(setup.a.link->take().empty());
}

// ---------------------------------------------------------------------------------------
// Pacing of the chunk work (chunk_loop.h): events are acted on in the next tick, the rest
// waits for the chunk loop.

class ChunkPacingTest : public ChunkserverProtocolTest {
 protected:
  void configure(uint32_t replications_delay) {
    config.set("REPLICATIONS_DELAY_INIT", std::to_string(replications_delay));
    config.set("CHUNKS_LOOP_MIN_TIME", "60");
    chunks->configure(config);
  }

  // Replications sent to `server`, if it got nothing else.
  static size_t replications(TestChunkserver& server) {
    size_t count = 0;
    for (const auto& message : server.link->take()) {
      EXPECT_TRUE(std::holds_alternative<csmsg::ReplicateCommand>(message));
      count += std::holds_alternative<csmsg::ReplicateCommand>(message) ? 1 : 0;
    }
    return count;
  }
};

TEST_F(ChunkPacingTest, ALostCopyIsReplicatedInTheNextTick) {
  configure(0);
  WriteSetup setup = write_setup();
  uint64_t chunk_id = written_first_chunk(setup);
  TestChunkserver c = registered_chunkserver(kServerC);
  chunks->housekeeping(now);
  EXPECT_EQ(replications(setup.a) + replications(c), 0u) << "a chunk at its goal replicated";
  ASSERT_TRUE(setup.a.handle(csmsg::encode(csmsg::ChunkLostReport{{chunk_id}})));
  chunks->housekeeping(now);
  EXPECT_EQ(replications(setup.a) + replications(c), 1u);
}

TEST_F(ChunkPacingTest, AChunkWithoutAServerForItsCopyWaitsForANewChunkserver) {
  configure(0);
  WriteSetup setup = write_setup();
  written_first_chunk(setup);
  setup.a.protocol->disconnected();  // connection lost: no maintenance
  chunks->housekeeping(now);
  EXPECT_EQ(replications(setup.b), 0u);
  TestChunkserver c = registered_chunkserver(kServerC);
  chunks->housekeeping(now + 1);
  EXPECT_EQ(replications(c), 1u);
}

TEST_F(ChunkPacingTest, ACopyInTemporaryMaintenanceIsNotReplaced) {
  configure(0);
  WriteSetup setup = write_setup();
  written_first_chunk(setup);
  TestChunkserver c = registered_chunkserver(kServerC);
  ASSERT_TRUE(setup.a.handle(csmsg::encode(csmsg::RegisterDisconnect{})));
  setup.a.protocol->disconnected();
  for (uint32_t tick = 0; tick < 3; ++tick) chunks->housekeeping(now + tick);
  EXPECT_EQ(replications(c), 0u);
}

TEST_F(ChunkPacingTest, UnderGoalWithoutAnEventWaitsForTheLoop) {
  configure(30);
  WriteSetup setup = write_setup();
  uint64_t chunk_id = written_first_chunk(setup);
  TestChunkserver c = registered_chunkserver(kServerC);
  // Under its goal while replications are not allowed yet: the event is spent.
  ASSERT_TRUE(setup.a.handle(csmsg::encode(csmsg::ChunkLostReport{{chunk_id}})));
  chunks->housekeeping(now);
  EXPECT_EQ(replications(setup.a) + replications(c), 0u);
  const uint32_t allowed = now + 30;
  chunks->housekeeping(allowed);
  EXPECT_EQ(replications(setup.a) + replications(c), 0u) << "looked at every tick";
  // The only chunk: the loop comes to it once in CHUNKS_LOOP_MIN_TIME ticks.
  size_t sent = 0;
  for (uint32_t tick = 1; tick < 60; ++tick) {
    chunks->housekeeping(allowed + tick);
    sent += replications(setup.a) + replications(c);
  }
  EXPECT_EQ(sent, 1u);
}

}  // namespace
}  // namespace mfs::master::testing
