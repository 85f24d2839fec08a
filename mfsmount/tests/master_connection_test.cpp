// MasterConnection against a scripted fake master on 127.0.0.1: registration, a
// pipelined call, a reply with a wrong msgid (the connection is dropped, the session is
// resumed with RECONNECT and the request re-sent), a refused registration, CLOSESESSION.
#include "mfsmount/master_connection.h"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "mfsmount/tests/localhost_listener.h"
#include "mfscommon/protocol_ids.h"

namespace mfs::mount {
namespace {

using testing::kLocalhost;
constexpr uint8_t kRcodeNewSession = 2, kRcodeReconnect = 3, kRcodeCloseSession = 6;

// Accepts `connections` connections one after another and runs the script on each.
class FakeMaster {
 public:
  FakeMaster(int connections, std::function<void(int index, TcpSocket&)> script) {
    thread_ = std::thread([this, connections, script] {
      for (int i = 0; i < connections; ++i) {
        TcpSocket peer(listener_.accept());
        peer.set_timeout(std::chrono::milliseconds(5000));
        script(i, peer);
      }
    });
  }
  ~FakeMaster() {
    thread_.join();
  }
  MasterSettings settings() const {
    MasterSettings settings;
    settings.host = "127.0.0.1";
    settings.port = listener_.port();
    settings.info = "/mnt/test";
    settings.io_retries.retries = 3;
    return settings;
  }

 private:
  testing::LocalhostListener listener_;
  std::thread thread_;
};

uint8_t rcode_of(const Packet& packet) { return packet.payload.size() > 64 ? packet.payload[64] : 0xFF; }

void answer_new_session(TcpSocket& peer) {
  auto request = peer.read_packet(1000);
  ASSERT_TRUE(request);
  ASSERT_EQ(request->type, msg::CLTOMA_FUSE_REGISTER);
  ASSERT_EQ(rcode_of(*request), kRcodeNewSession);
  PacketWriter reply(msg::MATOCL_FUSE_REGISTER);
  reply.u32(0x000300EA).u32(7).u64(99).u8(0).u16(0).u32(0).u32(0).u32(999).u32(999).u8(1).u8(9).u32(0)
      .u32(0xFFFFFFFF).u32(0);
  ASSERT_TRUE(peer.write_all(reply.take()));
}

// Reads the next request that is not a keep-alive.
Packet next_request(TcpSocket& peer) {
  while (true) {
    auto packet = peer.read_packet(100000);
    if (!packet) return Packet{0xFFFFFFFF, {}};
    if (packet->type != msg::ANTOAN_NOP) return *packet;
  }
}

void answer_statfs(TcpSocket& peer, const Packet& request, uint32_t msgid_offset = 0) {
  ASSERT_EQ(request.type, msg::CLTOMA_FUSE_STATFS);
  uint32_t msgid = get_u32_be(request.payload.data()) + msgid_offset;
  ASSERT_TRUE(peer.write_all(PacketWriter(msg::MATOCL_FUSE_STATFS).u32(msgid).u64(100).u64(50).u64(50).u64(0).u64(0)
                                 .u32(3).take()));
}

void answer_close_session(TcpSocket& peer) {
  Packet close = next_request(peer);
  EXPECT_EQ(close.type, msg::CLTOMA_FUSE_REGISTER);
  EXPECT_EQ(rcode_of(close), kRcodeCloseSession);
  peer.write_all(PacketWriter(msg::MATOCL_FUSE_REGISTER).u8(0).take());
}

TEST(MasterConnection, RegistersCallsAndClosesTheSession) {
  FakeMaster master(1, [](int, TcpSocket& peer) {
    answer_new_session(peer);
    answer_statfs(peer, next_request(peer));
    answer_close_session(peer);
  });
  MasterConnection connection(master.settings());
  ASSERT_TRUE(connection.start(nullptr, nullptr));
  EXPECT_EQ(connection.session().session_id, 7u);
  auto reply = connection.call(statfs_request(), msg::MATOCL_FUSE_STATFS);
  ASSERT_TRUE(reply) << reply.status().to_string();
  auto space = decode_statfs_reply(*reply);
  ASSERT_TRUE(space);
  EXPECT_EQ(space->inodes, 3u);
  connection.stop();
}

TEST(MasterConnection, WrongMsgidDropsTheConnectionAndTheRequestIsResent) {
  FakeMaster master(2, [](int index, TcpSocket& peer) {
    if (index == 0) {
      answer_new_session(peer);
      answer_statfs(peer, next_request(peer), 1000);  // a reply nobody asked for
      next_request(peer);                             // the client hangs up
      return;
    }
    auto reconnect = peer.read_packet(1000);
    ASSERT_TRUE(reconnect);
    EXPECT_EQ(rcode_of(*reconnect), kRcodeReconnect);
    ASSERT_TRUE(peer.write_all(PacketWriter(msg::MATOCL_FUSE_REGISTER).u32(0x000300EA).u8(0).take()));
    answer_statfs(peer, next_request(peer));
    answer_close_session(peer);
  });
  MasterConnection connection(master.settings());
  ASSERT_TRUE(connection.start(nullptr, nullptr));
  auto reply = connection.call(statfs_request(), msg::MATOCL_FUSE_STATFS);
  ASSERT_TRUE(reply) << reply.status().to_string();
  EXPECT_EQ(connection.session().session_id, 7u);
  connection.stop();
}

// A detached request's answer (here an error status) is taken off the connection, which
// stays up for the calls that follow; the request is sent as given, with a msgid.
TEST(MasterConnection, DetachedRequestsAnswersAreConsumed) {
  FakeMaster master(1, [](int, TcpSocket& peer) {
    answer_new_session(peer);
    Packet open = next_request(peer);
    ASSERT_EQ(open.type, msg::CLTOMA_FUSE_OPEN);
    uint32_t msgid = get_u32_be(open.payload.data());
    EXPECT_NE(msgid, 0u);
    ASSERT_TRUE(peer.write_all(PacketWriter(msg::MATOCL_FUSE_OPEN).u32(msgid).u8(3).take()));  // ENOENT
    answer_statfs(peer, next_request(peer));
    answer_close_session(peer);
  });
  MasterConnection connection(master.settings());
  ASSERT_TRUE(connection.start(nullptr, nullptr));
  connection.send_detached(open_request(5, Credentials{0, {0}}, kOpenRead | kOpenAfterCreate), msg::MATOCL_FUSE_OPEN,
                           "open of inode 5");
  auto reply = connection.call(statfs_request(), msg::MATOCL_FUSE_STATFS);
  ASSERT_TRUE(reply) << reply.status().to_string();
  EXPECT_EQ(connection.session().session_id, 7u);  // the one connection served everything
  connection.stop();
}

TEST(MasterConnection, RefusedRegistration) {
  FakeMaster master(1, [](int, TcpSocket& peer) {
    ASSERT_TRUE(peer.read_packet(1000));
    peer.write_all(PacketWriter(msg::MATOCL_FUSE_REGISTER).u8(4).take());
  });
  MasterConnection connection(master.settings());
  Status status = connection.start(nullptr, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kEACCES);
}

TEST(MasterConnection, GarbageRegistrationReply) {
  FakeMaster master(1, [](int, TcpSocket& peer) {
    ASSERT_TRUE(peer.read_packet(1000));
    peer.write_all(PacketWriter(msg::MATOCL_FUSE_REGISTER).u32(1).u32(2).take());
  });
  MasterConnection connection(master.settings());
  EXPECT_FALSE(connection.start(nullptr, nullptr));
}

}  // namespace
}  // namespace mfs::mount
