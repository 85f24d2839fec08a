// Helpers for the protocol tests: the fixture around a ProtocolMaster, fake connections
// that record what the master sends, and decoders for the replies. Protocol objects are
// driven through handle() exactly as the connection code does.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfsmaster/changelog_reader.h"
#include "mfsmaster/chunkserver_protocol.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/tests/protocol_master.h"
#include "mfsmaster/tests/protocol_requests.h"

namespace mfs::master::testing {

inline constexpr size_t kAttrSize = 36;

// A frame the master sent, its length field checked.
inline Packet to_packet(const std::vector<uint8_t>& frame) {
  EXPECT_GE(frame.size(), kPacketHeaderSize);
  if (frame.size() < kPacketHeaderSize) return Packet{};
  EXPECT_EQ(get_u32_be(frame.data() + 4), frame.size() - kPacketHeaderSize)
      << "length field of type " << get_u32_be(frame.data());
  return unframe(frame);
}

// The attribute record of spec 10 §5 (36 bytes for 3.0.117 clients).
struct Attr {
  uint8_t flags = 0;
  uint16_t typemode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
  uint32_t ctime = 0;
  uint32_t nlink = 0;
  uint64_t length = 0;
  uint8_t winattr = 0;

  uint8_t type() const { return static_cast<uint8_t>(typemode >> 12); }
  uint16_t mode() const { return typemode & 07777; }
};

inline Attr read_attr(PacketReader& in) {
  Attr attr;
  attr.flags = in.u8();
  attr.typemode = in.u16();
  attr.uid = in.u32();
  attr.gid = in.u32();
  attr.atime = in.u32();
  attr.mtime = in.u32();
  attr.ctime = in.u32();
  attr.nlink = in.u32();
  attr.length = in.u64();
  attr.winattr = in.u8();
  return attr;
}

// The status of a `msgid status` reply (5 bytes); 0xFF when the reply has another shape.
inline uint8_t status_of(const Packet& reply) { return reply.payload.size() == 5 ? reply.payload[4] : 0xFF; }

inline uint32_t msgid_of(const Packet& reply) {
  return reply.payload.size() >= 4 ? get_u32_be(reply.payload.data()) : 0xFFFFFFFF;
}

// The unsolicited master -> client messages of spec 10 §11.
inline bool is_notification(uint32_t type) {
  return type == msg::MATOCL_FUSE_CHUNK_HAS_CHANGED || type == msg::MATOCL_FUSE_FLENG_HAS_CHANGED ||
         type == msg::MATOCL_FUSE_INVALIDATE_CHUNK_CACHE;
}

// The client connection as the protocol sees it: records frames and the close request.
// Notifications are kept apart, so that tests of replies need not expect them.
class FakeClientLink : public ClientLink {
 public:
  explicit FakeClientLink(uint32_t ip) : ip(ip) {}
  void send(std::vector<uint8_t> frame) override {
    Packet packet = to_packet(frame);
    if (is_notification(packet.type)) {
      notifications.push_back(std::move(packet));
    } else {
      frames.push_back(std::move(frame));
    }
  }
  void close_after_flush() override { closed_after_flush = true; }
  uint32_t peer_ip() const override { return ip; }

  std::vector<Packet> take() {
    std::vector<Packet> packets;
    for (const auto& frame : frames) packets.push_back(to_packet(frame));
    frames.clear();
    return packets;
  }

  uint32_t ip;
  std::vector<std::vector<uint8_t>> frames;
  std::vector<Packet> notifications;
  bool closed_after_flush = false;
};

struct TestClient {
  std::shared_ptr<FakeClientLink> link;
  std::unique_ptr<ClientProtocol> protocol;
  uint32_t session_id = 0;

  bool handle(const Packet& packet) { return protocol->handle(packet); }
};

class FakeChunkserverLink : public ChunkserverLink {
 public:
  explicit FakeChunkserverLink(uint32_t ip) : ip(ip) {}
  void send(std::vector<uint8_t> frame) override { frames.push_back(std::move(frame)); }
  uint32_t peer_ip() const override { return ip; }
  void set_timeout(uint16_t seconds) override { timeout = seconds; }

  // The commands the master sent, decoded as the chunkserver decodes them (answers to
  // the chunkserver's own ANTOAN queries are left out).
  std::vector<csmsg::MasterToChunkserver> take() {
    std::vector<csmsg::MasterToChunkserver> messages;
    for (const auto& frame : frames) {
      Packet packet = to_packet(frame);
      if (packet.type == msg::ANTOAN_VERSION || packet.type == msg::ANTOAN_CONFIG_VALUE) continue;
      auto decoded = csmsg::decode_from_master(packet);
      EXPECT_TRUE(decoded) << decoded.status().to_string();
      if (decoded) messages.push_back(*decoded);
    }
    frames.clear();
    return messages;
  }

  uint32_t ip;
  std::vector<std::vector<uint8_t>> frames;
  std::optional<uint16_t> timeout;
};

struct TestChunkserver {
  std::shared_ptr<FakeChunkserverLink> link;
  std::unique_ptr<ChunkserverProtocol> protocol;

  bool handle(const std::vector<uint8_t>& frame) { return protocol->handle(to_packet(frame)); }
};

class ProtocolFixture : public ::testing::Test, public ProtocolMaster {
 protected:
  void SetUp() override {
    Status started = start();
    ASSERT_TRUE(started) << started.to_string();
  }

  void TearDown() override { EXPECT_TRUE(stop()); }

  // Runs the metadata loop until every reply waiting for durability has been sent.
  void settle() { EXPECT_TRUE(run_until_durable()) << "changelog never became durable"; }

  TestClient connect(uint32_t ip = kClientIp) {
    TestClient client;
    client.link = std::make_shared<FakeClientLink>(ip);
    client.protocol = std::make_unique<ClientProtocol>(*client_services, client.link);
    return client;
  }

  // Everything the client got since the last call, once durable replies are out.
  std::vector<Packet> replies(TestClient& client) {
    settle();
    return client.link->take();
  }

  // Sends one request that must be accepted and answered by exactly one reply.
  Packet call(TestClient& client, const Packet& packet) {
    EXPECT_TRUE(client.handle(packet)) << client.protocol->error();
    std::vector<Packet> got = replies(client);
    EXPECT_EQ(got.size(), 1u) << "replies to a request of type " << packet.type;
    return got.empty() ? Packet{} : got.front();
  }

  // Creates a node with a request answered by `msgid inode attr` (44 bytes); its inode.
  uint32_t created(TestClient& client, const Packet& packet) {
    Packet reply = call(client, packet);
    EXPECT_EQ(reply.payload.size(), 4u + 4 + kAttrSize) << "status " << int(status_of(reply));
    return reply.payload.size() >= 8 ? get_u32_be(reply.payload.data() + 4) : 0;
  }

  // NEWSESSION for `fields`; returns the reply.
  Packet register_with(TestClient& client, const request::NewSession& fields) {
    Packet reply = call(client, request::new_session(fields));
    if (reply.payload.size() >= 8) client.session_id = get_u32_be(reply.payload.data() + 4);
    return reply;
  }

  // A mount registered for `path` with the 3.0.117 client version.
  TestClient mount(const std::string& path = "/", uint32_t ip = kClientIp) {
    TestClient client = connect(ip);
    request::NewSession fields;
    fields.path = path;
    Packet reply = register_with(client, fields);
    EXPECT_EQ(reply.type, msg::MATOCL_FUSE_REGISTER);
    EXPECT_EQ(reply.payload.size(), 49u) << "registration refused with status "
                                         << (reply.payload.empty() ? -1 : int(reply.payload[0]));
    return client;
  }

  TestChunkserver connect_chunkserver(uint32_t ip) {
    TestChunkserver server;
    server.link = std::make_shared<FakeChunkserverLink>(ip);
    server.protocol = std::make_unique<ChunkserverProtocol>(*chunkserver_services, server.link);
    return server;
  }

  // A chunkserver through BEGIN and END (no chunks), acknowledged with the 17-byte ACK.
  TestChunkserver registered_chunkserver(uint32_t ip, uint16_t port = 9422) {
    TestChunkserver server = connect_chunkserver(ip);
    EXPECT_TRUE(server.handle(csmsg::encode(chunkserver_begin(ip, port)))) << server.protocol->error();
    EXPECT_TRUE(server.handle(csmsg::encode(csmsg::RegisterEndV6{}))) << server.protocol->error();
    EXPECT_TRUE(server.protocol->server() && server.protocol->server()->registered);
    server.link->take();
    return server;
  }

  uint32_t inode_of(uint32_t parent, std::string_view name) const {
    const Node* directory = std::as_const(metadata).fs().find(parent);
    const Edge* edge = directory ? std::as_const(metadata).fs().lookup(*directory, name) : nullptr;
    return edge ? edge->child->inode : 0;
  }

  std::string changelog() {
    settle();
    return changelog_lines();
  }

  // A fresh master's state after replaying this master's changelog.
  std::unique_ptr<Metadata> replayed() {
    settle();
    auto fresh = std::make_unique<Metadata>();
    fresh->init_empty(kNow);
    Status status =
        replay_changelogs(data_path, fresh->version(), [&fresh](const ChangelogEntry& e) { return fresh->apply(e); });
    EXPECT_TRUE(status) << status.to_string();
    return fresh;
  }

  // The version a fresh master reaches by replaying this master's changelog.
  uint64_t replayed_version() {
    std::unique_ptr<Metadata> fresh = replayed();
    EXPECT_EQ(fresh->fs().node_count(), std::as_const(metadata).fs().node_count());
    EXPECT_EQ(fresh->sessions().all().size(), std::as_const(metadata).sessions().all().size());
    return fresh->version();
  }
};

}  // namespace mfs::master::testing
