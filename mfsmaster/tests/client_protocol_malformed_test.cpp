// ClientProtocol against malformed and misplaced packets (spec 10 §1, §3.1; spec 11 §2.6):
// every wrong length of every request, unknown commands, requests in the wrong registration
// state, oversized length fields and invalid names. The master must refuse each one (close
// the connection, or answer an error status), never crash, and keep serving other sessions.
#include <set>
#include <string>
#include <vector>

#include "mfsmaster/client_protocol.h"
#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

// One request type: a packet the master accepts, and every payload length the spec accepts
// for that packet's field values (the lengths of the legacy forms included).
struct RequestCase {
  std::string name;
  Packet valid;
  std::set<size_t> accepted;
  bool allowed_unregistered = false;
  bool allowed_for_tools = false;  // spec 11 §2.6: commands of REGISTER_TOOLS connections
};

std::vector<RequestCase> request_cases() {
  PacketWriter get_version(msg::ANTOAN_GET_VERSION);
  get_version.u32(1);
  PacketWriter get_config(msg::ANTOAN_GET_CONFIG);
  get_config.u32(1).name8("ATIME_MODE");
  PacketWriter amtime(msg::CLTOMA_FUSE_AMTIME_INODES);
  amtime.u32(kRootInode).u32(1).u32(1);
  return {
      {"GetVersion", to_packet(get_version), {0, 4}, true, true},
      {"GetConfig", to_packet(get_config), {15}, true, true},
      {"Statfs", request::statfs(1), {4}},
      {"Access", request::access(1, kRootInode, 4), {17, 18, 22}},
      {"Lookup", request::lookup(1, kRootInode, "l"), {18, 22}},
      {"Getattr", request::getattr(1, kRootInode), {8, 16, 17}},
      {"Setattr", request::setattr(1, kRootInode, {}), {38, 42}},
      {"Readlink", request::readlink(1, kRootInode), {8}},
      {"Symlink", request::symlink(1, kRootInode, "s", "t"), {24, 28}},
      {"Mknod", request::mknod(1, kRootInode, "n", 1, 0644), {25, 27, 31}},
      {"Mkdir", request::mkdir(1, kRootInode, "d"), {20, 21, 23, 27}},
      {"Unlink", request::remove(msg::CLTOMA_FUSE_UNLINK, 1, kRootInode, "u"), {18, 22}},
      {"Rmdir", request::remove(msg::CLTOMA_FUSE_RMDIR, 1, kRootInode, "r"), {18, 22}},
      {"Rename", request::rename(1, kRootInode, "a", kRootInode, "b"), {24, 28}},
      {"Link", request::link(1, kRootInode, kRootInode, "k"), {22, 26}},
      {"Readdir", request::readdir(1, kRootInode, request::kReaddirWithAttributes), {16, 17, 29, 33}},
      {"Open", request::open(1, kRootInode, request::openflag::kRead), {17, 21}},
      {"Create", request::create(1, kRootInode, "c"), {20, 22, 26}},
      {"Truncate", request::truncate(1, kRootInode, 0, 0), {24, 25, 29}, false, true},
      {"ReadChunk", request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, 1, kRootInode, 0), {12, 13}, false, true},
      {"WriteChunk", request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 1, kRootInode, 0), {12, 13}},
      {"WriteChunkEnd", request::write_chunk_end(1, 1, kRootInode, 0, 0), {24, 25, 29}},
      {"Getxattr", request::getxattr(1, kRootInode, "x", 0), {20, 24}},
      {"Setxattr", request::setxattr(1, kRootInode, "x", "v", 0), {25, 29}},
      {"Getfacl", request::getfacl(1, kRootInode, 1), {9}},
      {"Setfacl", request::setfacl(1, kRootInode, 1), {25}},
      {"Flock", request::flock(1, kRootInode, 0, 1, request::flockcmd::kTryShared), {21}},
      {"PosixLock", request::posix_lock(1, {kRootInode, 0, 1, 1, 0, 1, 0, 10}), {42}},
      {"Check", request::check(1, kRootInode), {8, 12}, false, true},
      {"GetSclass", request::get_setting(msg::CLTOMA_FUSE_GETSCLASS, 1, kRootInode, 0), {9}, false, true},
      {"GetTrashtime", request::get_setting(msg::CLTOMA_FUSE_GETTRASHTIME, 1, kRootInode, 0), {9}, false, true},
      {"GetEattr", request::get_setting(msg::CLTOMA_FUSE_GETEATTR, 1, kRootInode, 0), {9}, false, true},
      {"SetGoal", request::set_goal(1, kRootInode, 0, 2, 0), {14}, false, true},
      {"SetTrashtime", request::set_trash_time(1, kRootInode, 0, 86400, 0), {17}, false, true},
      {"SetEattr", request::set_eattr(1, kRootInode, 0, 0, 0), {14}, false, true},
      {"GetDirStats", request::dir_stats(1, kRootInode), {8}, false, true},
      {"TimeSync", request::time_sync(0), {0, 4}},
      {"SustainedInodes", request::sustained_inodes({kRootInode, 2}), {0, 4, 8, 12, 16}},
      {"AmtimeInodes", to_packet(amtime), {0, 12}},
  };
}

class ClientProtocolMalformedTest : public ProtocolFixture {
 protected:
  // A fresh connection attached to `session` with RECONNECT, as a real mount gets one.
  TestClient reconnected(uint32_t session, uint8_t code = rcode::kReconnect) {
    TestClient client = connect();
    Packet reply = call(client, request::reconnect(session, kClientVersion, kMetaId, code));
    EXPECT_EQ(reply.payload.empty() ? 0xFF : reply.payload.back(), 0u);
    return client;
  }

  // `packet` must be refused: handle() false with a reason, or exactly one error-status reply.
  void expect_refused(TestClient& client, const Packet& packet, const std::string& what) {
    bool handled = client.handle(packet);
    std::vector<Packet> got = replies(client);
    if (!handled) {
      EXPECT_FALSE(client.protocol->error().empty()) << what;
      return;
    }
    ASSERT_EQ(got.size(), 1u) << what << ": accepted without a single reply";
    EXPECT_EQ(got[0].payload.size(), 5u) << what << ": answered like a valid request";
    EXPECT_NE(status_of(got[0]), 0u) << what << ": answered OK";
  }

  // The master still serves another session normally.
  void expect_serving(TestClient& bystander) {
    EXPECT_EQ(call(bystander, request::getattr(99, kRootInode)).payload.size(), 40u);
    EXPECT_EQ(call(bystander, request::statfs(100)).payload.size(), 48u);
  }
};

class EveryRequestLength : public ClientProtocolMalformedTest, public ::testing::WithParamInterface<RequestCase> {};

TEST_P(EveryRequestLength, WrongLengthsAreRefusedAndTheValidPacketAccepted) {
  const RequestCase& c = GetParam();
  TestClient owner = mount();
  TestClient bystander = mount();
  for (uint8_t fill : {0x00, 0xFF}) {
    for (size_t length = 0; length <= c.valid.payload.size() + 8; ++length) {
      if (c.accepted.count(length)) continue;
      Packet packet = c.valid;
      packet.payload.resize(length, fill);
      TestClient attempt = reconnected(owner.session_id);
      expect_refused(attempt, packet, c.name + " with " + std::to_string(length) + " bytes");
      attempt.protocol->disconnected();
    }
  }
  TestClient attempt = reconnected(owner.session_id);
  EXPECT_TRUE(attempt.handle(c.valid)) << attempt.protocol->error();
  settle();
  expect_serving(bystander);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

TEST_P(EveryRequestLength, IsRefusedBeforeRegistrationUnlessAnyToAny) {
  const RequestCase& c = GetParam();
  TestClient client = connect();
  bool handled = client.handle(c.valid);
  EXPECT_EQ(handled, c.allowed_unregistered) << client.protocol->error();
  if (!handled) {
    EXPECT_FALSE(client.protocol->error().empty());
  }
  EXPECT_TRUE(replies(client).size() == (handled ? 1u : 0u));
}

INSTANTIATE_TEST_SUITE_P(ClientProtocol, EveryRequestLength, ::testing::ValuesIn(request_cases()),
                         [](const ::testing::TestParamInfo<RequestCase>& info) { return info.param.name; });

// Spec 11 §2.6: a REGISTER_TOOLS connection accepts only the tool commands; anything else
// kills the connection.
TEST_F(ClientProtocolMalformedTest, ToolsConnectionsAcceptOnlyToolCommands) {
  TestClient owner = mount();
  std::vector<std::string> wrongly_accepted;
  for (const RequestCase& c : request_cases()) {
    TestClient tools = reconnected(owner.session_id, rcode::kTools);
    ASSERT_EQ(tools.protocol->state(), ClientProtocol::State::kOldTools);
    bool handled = tools.handle(c.valid);
    if (handled != c.allowed_for_tools) wrongly_accepted.push_back(c.name);
    replies(tools);
    tools.protocol->disconnected();
  }
  EXPECT_TRUE(wrongly_accepted.empty())
      << "BUG: in the tools state (rcode 4) these mount commands are served instead of closing: "
      << ::testing::PrintToString(wrongly_accepted);
}

TEST_F(ClientProtocolMalformedTest, UnknownCommandsCloseTheConnection) {
  TestClient owner = mount();
  TestClient bystander = mount();
  for (uint32_t type : {uint32_t{3}, uint32_t{401}, uint32_t{484}, uint32_t{498}, uint32_t{9999}, 0xFFFFFFFFu}) {
    for (bool registered : {false, true}) {
      TestClient client = registered ? reconnected(owner.session_id) : connect();
      PacketWriter out(type);
      out.u32(1).u32(kRootInode);
      EXPECT_FALSE(client.handle(to_packet(out))) << "type " << type;
      EXPECT_FALSE(client.protocol->error().empty());
      EXPECT_TRUE(replies(client).empty());
      client.protocol->disconnected();
    }
  }
  expect_serving(bystander);
}

TEST_F(ClientProtocolMalformedTest, AnyToAnyNoticesAreIgnored) {
  TestClient client = connect();
  for (uint32_t type : {msg::ANTOAN_NOP, msg::ANTOAN_UNKNOWN_COMMAND, msg::ANTOAN_BAD_COMMAND_SIZE}) {
    PacketWriter out(type);
    out.u32(0).u32(7);
    EXPECT_TRUE(client.handle(to_packet(out)));
  }
  EXPECT_TRUE(replies(client).empty());
}

// ---------------------------------------------------------------------------------------
// Registration packets (spec 10 §3.1)

TEST_F(ClientProtocolMalformedTest, RegisterWithAWrongOrShortBlobOrUnknownCodeCloses) {
  Packet valid = request::get_random();
  std::vector<Packet> refused;
  for (size_t length = 0; length < 65; ++length) {
    Packet shorter = valid;
    shorter.payload.resize(length);
    refused.push_back(shorter);
  }
  Packet wrong_blob = valid;
  wrong_blob.payload[63] = '1';
  refused.push_back(wrong_blob);
  for (uint8_t code : {0, 7, 255}) {
    Packet unknown = valid;
    unknown.payload[64] = code;
    refused.push_back(unknown);
  }
  for (const Packet& packet : refused) {
    TestClient client = connect();
    EXPECT_FALSE(client.handle(packet)) << packet.payload.size() << " bytes";
    EXPECT_FALSE(client.protocol->error().empty());
    EXPECT_TRUE(replies(client).empty());
  }
}

TEST_F(ClientProtocolMalformedTest, RegisterLengthsOutsideEachFormClose) {
  TestClient owner = mount();
  struct Form {
    std::string name;
    Packet valid;
    std::set<size_t> accepted;  // within [0, valid + 8]
  };
  request::NewSession fields;  // 88 bytes: info "/mnt/mfs\0", path "/\0"
  std::vector<Form> forms{
      {"GETRANDOM", request::get_random(), {65}},
      {"NEWSESSION", request::new_session(fields), {88, 92}},
      {"NEWMETASESSION", request::new_session(fields, rcode::kNewMetaSession), {82, 86}},
  };
  for (const Form& form : forms) {
    for (size_t length = 0; length <= form.valid.payload.size() + 8; ++length) {
      if (form.accepted.count(length)) continue;
      Packet packet = form.valid;
      packet.payload.resize(length);
      TestClient client = connect();
      bool handled = client.handle(packet);
      std::vector<Packet> got = replies(client);
      if (handled) {
        // A NEWSESSION cut inside the optional tail is still a request for a new session.
        ASSERT_EQ(got.size(), 1u) << form.name << " " << length;
        EXPECT_EQ(got[0].payload.size(), 1u) << form.name << " with " << length << " bytes registered";
      } else {
        EXPECT_FALSE(client.protocol->error().empty());
        EXPECT_TRUE(got.empty());
      }
    }
  }
  // RECONNECT / TOOLS need at least 73 bytes, CLOSESESSION 69.
  for (size_t length = 65; length < 73; ++length) {
    Packet packet = request::reconnect(owner.session_id);
    packet.payload.resize(length);
    TestClient client = connect();
    EXPECT_FALSE(client.handle(packet)) << "RECONNECT with " << length << " bytes";
  }
  for (size_t length = 65; length < 69; ++length) {
    Packet packet = request::close_session(owner.session_id);
    packet.payload.resize(length);
    TestClient client = reconnected(owner.session_id);
    EXPECT_FALSE(client.handle(packet)) << "CLOSESESSION with " << length << " bytes";
  }
}

TEST_F(ClientProtocolMalformedTest, SecondRegistrationAndEarlyCloseSessionClose) {
  TestClient client = mount();
  for (const Packet& again : {request::get_random(), request::new_session({}), request::reconnect(client.session_id),
                              request::reconnect(client.session_id, kClientVersion, std::nullopt, rcode::kTools),
                              request::new_session({}, rcode::kNewMetaSession)}) {
    TestClient registered = reconnected(client.session_id);
    EXPECT_FALSE(registered.handle(again));
    EXPECT_FALSE(registered.protocol->error().empty());
  }
  TestClient fresh = connect();
  EXPECT_FALSE(fresh.handle(request::close_session(client.session_id)));
  EXPECT_FALSE(fresh.protocol->error().empty());
  EXPECT_FALSE(std::as_const(metadata).sessions().find(client.session_id)->closed);
}

TEST_F(ClientProtocolMalformedTest, NewSessionWithBadLengthFieldsOrPathCloses) {
  // ileng far beyond the packet.
  PacketWriter huge_info = request::register_header(rcode::kNewSession);
  huge_info.u32(kClientVersion).u32(0xFFFFFFFF).bytes(std::string_view("/mnt"));
  // pleng far beyond the packet.
  PacketWriter huge_path = request::register_header(rcode::kNewSession);
  huge_path.u32(kClientVersion).string32(std::string_view("/mnt\0", 5)).u32(0x7FFFFFFF).bytes(std::string_view("/"));
  // A path without its terminating NUL.
  PacketWriter unterminated = request::register_header(rcode::kNewSession);
  unterminated.u32(kClientVersion).string32(std::string_view("/mnt\0", 5)).string32("/");
  // An optional tail of 8 bytes fits no form.
  Packet odd_tail = request::new_session({});
  odd_tail.payload.resize(odd_tail.payload.size() + 8);
  for (const Packet& packet : {to_packet(huge_info), to_packet(huge_path), to_packet(unterminated), odd_tail}) {
    TestClient client = connect();
    EXPECT_FALSE(client.handle(packet)) << packet.payload.size() << " bytes";
    EXPECT_FALSE(client.protocol->error().empty());
    EXPECT_TRUE(replies(client).empty());
  }
  EXPECT_TRUE(std::as_const(metadata).sessions().all().empty());
}

TEST_F(ClientProtocolMalformedTest, NewSessionPathWithNulOrDotDotIsInvalid) {
  for (std::string path : {std::string("a\0b", 3), std::string(".."), std::string("/./")}) {
    TestClient client = connect();
    request::NewSession fields;
    fields.path = path;
    Packet reply = register_with(client, fields);
    ASSERT_EQ(reply.payload.size(), 1u) << "path " << ::testing::PrintToString(path);
    EXPECT_EQ(reply.payload[0], uint8_t(StatusCode::kEINVAL));
    EXPECT_EQ(client.protocol->state(), ClientProtocol::State::kUnregistered);
  }
}

// ---------------------------------------------------------------------------------------
// Length fields and names inside requests

TEST_F(ClientProtocolMalformedTest, LengthFieldsBeyondThePacketClose) {
  TestClient owner = mount();
  TestClient bystander = mount();
  std::vector<Packet> refused;
  {  // LOOKUP: nleng 255 with a 3-byte name
    PacketWriter out(msg::CLTOMA_FUSE_LOOKUP);
    out.u32(1).u32(kRootInode).u8(255).bytes(std::string_view("abc")).u32(0).u32(1).u32(0);
    refused.push_back(to_packet(out));
  }
  {  // RENAME: second nleng beyond the end
    PacketWriter out(msg::CLTOMA_FUSE_RENAME);
    out.u32(1).u32(kRootInode).name8("a").u32(kRootInode).u8(200).bytes(std::string_view("b")).u32(0).u32(0);
    refused.push_back(to_packet(out));
  }
  {  // SYMLINK: pleng 0xFFFFFFFF
    PacketWriter out(msg::CLTOMA_FUSE_SYMLINK);
    out.u32(1).u32(kRootInode).name8("s").u32(0xFFFFFFFF).bytes(std::string_view("t")).u32(0).u32(1).u32(0);
    refused.push_back(to_packet(out));
  }
  {  // SETXATTR: vleng 0xFFFFFFFF
    PacketWriter out(msg::CLTOMA_FUSE_SETXATTR);
    out.u32(1).u32(kRootInode).name8("user.x").u32(0xFFFFFFFF).u8(0).u8(0).u32(0).u32(1).u32(0);
    refused.push_back(to_packet(out));
  }
  {  // SETFACL: named entries announced but missing
    PacketWriter out(msg::CLTOMA_FUSE_SETFACL);
    out.u32(1).u32(kRootInode).u32(0).u8(1).u16(7).u16(7).u16(7).u16(7).u16(0xFFFF).u16(0xFFFF);
    refused.push_back(to_packet(out));
  }
  // gcnt 0xFFFFFFFF with one gid: must not allocate or read 16 GiB of gids.
  struct WithGcnt {
    Packet packet;
    size_t gcnt_offset;
  };
  for (WithGcnt request :
       {WithGcnt{request::access(1, kRootInode, 4), 12}, WithGcnt{request::lookup(1, 1, "g"), 14},
        WithGcnt{request::setattr(1, kRootInode, {}), 13}, WithGcnt{request::mkdir(1, 1, "g"), 18},
        WithGcnt{request::remove(msg::CLTOMA_FUSE_UNLINK, 1, 1, "g"), 14},
        WithGcnt{request::readdir(1, kRootInode, 0), 12},
        WithGcnt{request::open(1, kRootInode, request::openflag::kRead), 12},
        WithGcnt{request::truncate(1, kRootInode, 0, 0), 13}, WithGcnt{request::getxattr(1, kRootInode, "g", 0), 16}}) {
    put_u32_be(request.packet.payload.data() + request.gcnt_offset, 0xFFFFFFFF);
    refused.push_back(request.packet);
  }
  for (const Packet& packet : refused) {
    TestClient client = reconnected(owner.session_id);
    EXPECT_FALSE(client.handle(packet)) << "type " << packet.type;
    EXPECT_FALSE(client.protocol->error().empty());
    EXPECT_TRUE(replies(client).empty());
    client.protocol->disconnected();
  }
  expect_serving(bystander);
}

TEST_F(ClientProtocolMalformedTest, NamesWithNulSlashOrDotsAreInvalid) {
  TestClient client = mount();
  ASSERT_EQ(call(client, request::mknod(1, kRootInode, "file", 1, 0644)).payload.size(), 44u);
  uint32_t file = inode_of(kRootInode, "file");
  std::string nul("a\0b", 3);
  std::vector<Packet> invalid{
      request::mkdir(1, kRootInode, "a/b"),
      request::mkdir(2, kRootInode, nul),
      request::mkdir(3, kRootInode, ""),
      request::mknod(4, kRootInode, nul, 1, 0644),
      request::mknod(5, kRootInode, ".", 1, 0644),
      request::create(6, kRootInode, ".."),
      request::create(7, kRootInode, "x/"),
      request::symlink(8, kRootInode, "/abs", "t"),
      request::symlink(9, kRootInode, "s", nul),
      request::rename(10, kRootInode, "file", kRootInode, "x/y"),
      request::rename(11, kRootInode, "file", kRootInode, nul),
      request::rename(12, kRootInode, "a/b", kRootInode, "c"),
      request::link(13, file, kRootInode, "."),
      request::link(14, file, kRootInode, nul),
      request::remove(msg::CLTOMA_FUSE_UNLINK, 15, kRootInode, "file/"),
      request::remove(msg::CLTOMA_FUSE_RMDIR, 16, kRootInode, ".."),
      request::lookup(17, kRootInode, nul),
      request::getxattr(18, file, std::string("user.\0x", 7), 0),
      request::setxattr(19, file, std::string("user.\0x", 7), "v", 0),
  };
  for (const Packet& packet : invalid) {
    Packet reply = call(client, packet);
    EXPECT_EQ(status_of(reply), uint8_t(StatusCode::kEINVAL))
        << "type " << packet.type << " msgid " << msgid_of(reply) << " reply " << reply.payload.size() << " bytes";
  }
  EXPECT_EQ(std::as_const(metadata).fs().node_count(), 2u);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

}  // namespace
}  // namespace mfs::master::testing
