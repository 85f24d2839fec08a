// Spec 10 §11 notifications and the KEEPCACHE rule of §7.3/§8.1, through the protocols:
// CHUNK_HAS_CHANGED and FLENG_HAS_CHANGED go to the other mounts holding the file open,
// INVALIDATE_CHUNK_CACHE to every mount new enough, and a mount keeps its data cache on
// re-open only while no other mount changed the file.
#include <variant>

#include "mfscommon/version.h"
#include "mfsmaster/attr_record.h"
#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

constexpr uint32_t kServerA = 0x0A000001;
constexpr uint32_t kServerB = 0x0A000002;
constexpr uint32_t kWriterIp = 0xC0A80106;
constexpr uint32_t kBystanderIp = 0xC0A80107;
constexpr uint8_t kOpenKeepCache = 0x01;

struct ChunkChanged {
  uint32_t inode = 0;
  uint32_t index = 0;
  uint64_t chunk_id = 0;
  uint32_t version = 0;
  uint64_t length = 0;
  uint8_t truncated = 0;

  bool operator==(const ChunkChanged&) const = default;
};

ChunkChanged chunk_changed_of(const Packet& packet) {
  EXPECT_EQ(packet.type, msg::MATOCL_FUSE_CHUNK_HAS_CHANGED);
  EXPECT_EQ(packet.payload.size(), 33u);
  ChunkChanged changed;
  if (packet.payload.size() != 33) return changed;
  PacketReader in(packet.payload);
  EXPECT_EQ(in.u32(), 0u);  // msgid
  changed.inode = in.u32();
  changed.index = in.u32();
  changed.chunk_id = in.u64();
  changed.version = in.u32();
  changed.length = in.u64();
  changed.truncated = in.u8();
  return changed;
}

// The length a FLENG_HAS_CHANGED for `inode` announces.
uint64_t length_changed_of(const Packet& packet, uint32_t inode) {
  EXPECT_EQ(packet.type, msg::MATOCL_FUSE_FLENG_HAS_CHANGED);
  EXPECT_EQ(packet.payload.size(), 16u);
  if (packet.payload.size() != 16) return 0;
  PacketReader in(packet.payload);
  EXPECT_EQ(in.u32(), 0u);
  EXPECT_EQ(in.u32(), inode);
  return in.u64();
}

class ClientNotificationsTest : public ProtocolFixture {
 protected:
  // Two mounts with file "f" open (reader and writer), a third mount that never opened
  // it, and two chunkservers. Notifications sent while setting up are dropped.
  void SetUp() override {
    ProtocolFixture::SetUp();
    reader = mount();
    writer = mount("/", kWriterIp);
    bystander = mount("/", kBystanderIp);
    server_a = registered_chunkserver(kServerA);
    server_b = registered_chunkserver(kServerB);
    Packet created = call(writer, request::create(1, kRootInode, "f"));
    ASSERT_EQ(created.payload.size(), 45u);
    file = get_u32_be(created.payload.data() + 5);
    ASSERT_EQ(call(reader, request::open(2, file, request::openflag::kRead)).payload.size(), 41u);
    forget_notifications();
  }

  // The one notification the reader got; the writer and the bystander must have none.
  Packet only_notification_of_reader() {
    EXPECT_TRUE(writer.link->notifications.empty()) << "the writer was told of its own change";
    EXPECT_TRUE(bystander.link->notifications.empty()) << "a mount without the file open was told";
    EXPECT_EQ(reader.link->notifications.size(), 1u);
    Packet got = reader.link->notifications.empty() ? Packet{} : reader.link->notifications.front();
    reader.link->notifications.clear();
    return got;
  }

  void forget_notifications() {
    for (TestClient* client : {&reader, &writer, &bystander}) client->link->notifications.clear();
  }

  // Answers every chunk command the servers got with OK.
  void chunkservers_succeed() {
    for (TestChunkserver* server : {&server_a, &server_b}) {
      for (const csmsg::MasterToChunkserver& command : server->link->take()) {
        if (auto* create = std::get_if<csmsg::CreateCommand>(&command)) {
          EXPECT_TRUE(server->handle(csmsg::encode(csmsg::CreateReply{create->chunkid, StatusCode::kOk})));
        } else if (auto* set_version = std::get_if<csmsg::SetVersionCommand>(&command)) {
          EXPECT_TRUE(server->handle(csmsg::encode(csmsg::SetVersionReply{set_version->chunkid, StatusCode::kOk})));
        } else if (auto* truncate = std::get_if<csmsg::TruncateCommand>(&command)) {
          EXPECT_TRUE(server->handle(csmsg::encode(csmsg::TruncateReply{truncate->chunkid, StatusCode::kOk})));
        }
      }
    }
  }

  // WRITE_CHUNK of chunk 0 then WRITE_CHUNK_END (29-byte form) at `length`; the chunk id.
  uint64_t write(TestClient& client, uint64_t length) {
    EXPECT_TRUE(client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 10, file, 0)));
    chunkservers_succeed();
    std::vector<Packet> located = replies(client);
    EXPECT_EQ(located.size(), 1u);
    uint64_t chunk_id = located.empty() || located[0].payload.size() < 25 ? 0 : read_chunk_id(located[0]);
    EXPECT_EQ(status_of(call(client, request::write_chunk_end(11, chunk_id, file, 0, length))), 0u);
    return chunk_id;
  }

  static uint64_t read_chunk_id(const Packet& location) {
    PacketReader in(location.payload);
    in.bytes(4 + 1 + 8);
    return in.u64();
  }

  // OPEN's oflags and the attr's ALLOWDATACACHE flag, for `client`.
  std::pair<uint8_t, bool> open_flags(TestClient& client) {
    Packet reply = call(client, request::open(20, file, request::openflag::kRead));
    EXPECT_EQ(reply.payload.size(), 41u);
    if (reply.payload.size() != 41) return {0xFF, false};
    return {reply.payload[4], (reply.payload[5] & attrflag::kAllowDataCache) != 0};
  }

  TestClient reader;
  TestClient writer;
  TestClient bystander;
  TestChunkserver server_a;
  TestChunkserver server_b;
  uint32_t file = 0;
};

TEST_F(ClientNotificationsTest, WriteChunkAndItsEndAreAnnouncedToTheOtherHolders) {
  ASSERT_TRUE(writer.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 10, file, 0)));
  chunkservers_succeed();
  std::vector<Packet> located = replies(writer);
  ASSERT_EQ(located.size(), 1u);
  uint64_t chunk_id = read_chunk_id(located[0]);

  EXPECT_EQ(chunk_changed_of(only_notification_of_reader()), (ChunkChanged{file, 0, chunk_id, 1, 0, 0}));

  EXPECT_EQ(status_of(call(writer, request::write_chunk_end(11, chunk_id, file, 0, 5000))), 0u);
  EXPECT_EQ(chunk_changed_of(only_notification_of_reader()), (ChunkChanged{file, 0, chunk_id, 1, 5000, 0}));
}

TEST_F(ClientNotificationsTest, ATruncateWithoutChunkChangeAnnouncesTheLength) {
  call(writer, request::truncate(30, file, 0, 1000));
  EXPECT_EQ(length_changed_of(only_notification_of_reader(), file), 1000u);

  // RESERVE (append): the length after the reservation.
  constexpr uint8_t kOpened = 0x01, kUpdate = 0x02, kReserve = 0x08;
  call(writer, request::truncate(31, file, kOpened | kUpdate | kReserve, 24));
  EXPECT_EQ(length_changed_of(only_notification_of_reader(), file), 1024u);
}

TEST_F(ClientNotificationsTest, ATruncateInsideAChunkAnnouncesTheNewChunkVersion) {
  uint64_t chunk_id = write(writer, 5000);
  forget_notifications();
  ASSERT_TRUE(writer.handle(request::truncate(40, file, 0, 100)));
  chunkservers_succeed();
  ASSERT_EQ(replies(writer).size(), 1u);
  EXPECT_EQ(chunk_changed_of(only_notification_of_reader()), (ChunkChanged{file, 0, chunk_id, 2, 100, 1}));
}

TEST_F(ClientNotificationsTest, AChunkserverLeavingInvalidatesChunkCachesOfNewEnoughMounts) {
  TestClient old_client = connect(0xC0A80108);
  request::NewSession fields;
  fields.version = pack_version(3, 0, 99);
  ASSERT_EQ(register_with(old_client, fields).payload.size(), 45u);  // no disables field before 3.0.112
  server_b.protocol->disconnected();
  for (TestClient* client : {&reader, &writer, &bystander}) {
    ASSERT_EQ(client->link->notifications.size(), 1u);
    EXPECT_EQ(client->link->notifications[0].type, msg::MATOCL_FUSE_INVALIDATE_CHUNK_CACHE);
    EXPECT_EQ(client->link->notifications[0].payload, std::vector<uint8_t>(4, 0));
  }
  EXPECT_TRUE(old_client.link->notifications.empty()) << "a client older than 3.0.100 got INVALIDATE_CHUNK_CACHE";
}

TEST_F(ClientNotificationsTest, RegisteringChunkserversInvalidateOnlyOnceAllFinished) {
  TestChunkserver c = connect_chunkserver(0x0A000003);
  ASSERT_TRUE(c.handle(csmsg::encode(chunkserver_begin(0x0A000003, 9422))));
  TestChunkserver d = connect_chunkserver(0x0A000004);
  ASSERT_TRUE(d.handle(csmsg::encode(chunkserver_begin(0x0A000004, 9422))));
  ASSERT_TRUE(c.handle(csmsg::encode(csmsg::RegisterEndV6{})));
  EXPECT_TRUE(reader.link->notifications.empty()) << "invalidated while a server still registers";
  ASSERT_TRUE(d.handle(csmsg::encode(csmsg::RegisterEndV6{})));
  ASSERT_EQ(reader.link->notifications.size(), 1u);
  EXPECT_EQ(reader.link->notifications[0].type, msg::MATOCL_FUSE_INVALIDATE_CHUNK_CACHE);
}

TEST_F(ClientNotificationsTest, ALegacyWriteChunkEndAnnouncesTheGrownLength) {
  uint64_t chunk_id = write(writer, 100);
  forget_notifications();
  PacketWriter legacy_end(msg::CLTOMA_FUSE_WRITE_CHUNK_END);  // 25 bytes: no chunk index
  legacy_end.u32(12).u64(chunk_id).u32(file).u64(7000).u8(0);
  EXPECT_EQ(status_of(call(writer, to_packet(legacy_end.take()))), 0u);
  EXPECT_EQ(length_changed_of(only_notification_of_reader(), file), 7000u);
}

TEST_F(ClientNotificationsTest, ADisconnectedMountIsNotNotified) {
  reader.protocol->disconnected();
  call(writer, request::truncate(50, file, 0, 10));
  EXPECT_TRUE(reader.link->notifications.empty());
}

TEST_F(ClientNotificationsTest, AClientOlderThan3_0_74IsNotToldOfChanges) {
  TestClient old_client = connect(0xC0A80108);
  request::NewSession fields;
  fields.version = pack_version(3, 0, 73);
  register_with(old_client, fields);
  ASSERT_EQ(call(old_client, request::open(51, file, request::openflag::kRead)).type, msg::MATOCL_FUSE_OPEN);
  call(writer, request::truncate(52, file, 0, 10));
  EXPECT_TRUE(old_client.link->notifications.empty());
  EXPECT_EQ(reader.link->notifications.size(), 1u);
}

TEST_F(ClientNotificationsTest, KeepCacheIsGrantedOnReopenOnlyWhileNobodyElseChangedTheFile) {
  // The reader opened once (SetUp): its cache reflects the file.
  auto [flags, allow] = open_flags(reader);
  EXPECT_EQ(flags & kOpenKeepCache, kOpenKeepCache);
  EXPECT_TRUE(allow);

  write(writer, 3000);
  std::tie(flags, allow) = open_flags(reader);
  EXPECT_EQ(flags & kOpenKeepCache, 0) << "KEEPCACHE granted after another mount wrote";
  EXPECT_FALSE(allow);

  // Dropped at that open: current again.
  std::tie(flags, allow) = open_flags(reader);
  EXPECT_EQ(flags & kOpenKeepCache, kOpenKeepCache);
}

TEST_F(ClientNotificationsTest, TheWriterKeepsItsCacheAcrossItsOwnWrites) {
  write(writer, 3000);
  auto [flags, allow] = open_flags(writer);
  EXPECT_EQ(flags & kOpenKeepCache, kOpenKeepCache);
  EXPECT_TRUE(allow);
}

TEST_F(ClientNotificationsTest, LookupTellsKeepCacheWithoutRecordingAnAccess) {
  constexpr uint16_t kLookupKeepCache = 0x0400;
  auto lookup_flags = [&](TestClient& client) {
    Packet reply = call(client, request::lookup(60, kRootInode, "f"));
    EXPECT_EQ(reply.payload.size(), 46u);
    return reply.payload.size() == 46 ? static_cast<uint16_t>((reply.payload[44] << 8) | reply.payload[45]) : 0;
  };
  EXPECT_NE(lookup_flags(reader) & kLookupKeepCache, 0);
  call(writer, request::truncate(61, file, 0, 10));
  EXPECT_EQ(lookup_flags(reader) & kLookupKeepCache, 0);
  EXPECT_EQ(lookup_flags(reader) & kLookupKeepCache, 0) << "a lookup counted as a fresh access";
}

}  // namespace
}  // namespace mfs::master::testing
