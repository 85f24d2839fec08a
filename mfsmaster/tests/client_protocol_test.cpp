// ClientProtocol against spec 10: every implemented request through handle(), with the
// exact reply lengths, the key reply fields and the error statuses the spec gives.
#include "mfsmaster/client_protocol.h"

#include <sys/time.h>

#include <set>
#include <string>
#include <vector>

#include "mfscommon/version.h"
#include "mfsmaster/attr_record.h"
#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

const Ids kUser{1000, {1000}};

// A `leng:u8 name inode type|attr` entry of a READDIR reply.
struct DirEntry {
  std::string name;
  uint32_t inode = 0;
  uint8_t type = 0;
};

class ClientProtocolTest : public ProtocolFixture {
 protected:
  uint32_t make_dir(TestClient& client, uint32_t parent, std::string_view name, uint16_t mode = 0755) {
    return created(client, request::mkdir(1, parent, name, mode));
  }
  uint32_t make_file(TestClient& client, uint32_t parent, std::string_view name, uint16_t mode = 0644) {
    return created(client, request::mknod(1, parent, name, 1, mode));
  }

  static Attr attr_at(const Packet& reply, size_t offset) {
    PacketReader in(reply.payload);
    in.bytes(offset);
    Attr attr = read_attr(in);
    EXPECT_TRUE(in.ok());
    return attr;
  }

  static std::vector<DirEntry> entries(const Packet& reply, bool with_edge_id, bool with_attributes) {
    PacketReader in(reply.payload);
    in.u32();
    if (with_edge_id) in.u64();
    std::vector<DirEntry> result;
    while (in.ok() && in.remaining() > 0) {
      DirEntry entry;
      entry.name = std::string(in.name8());
      entry.inode = in.u32();
      entry.type = with_attributes ? read_attr(in).type() : in.u8();
      result.push_back(entry);
    }
    EXPECT_TRUE(in.finished());
    return result;
  }

  // A registration attempt on a fresh connection; the 1-byte status, or 0 for a session.
  uint8_t registration_status(const request::NewSession& fields, TestClient* used = nullptr) {
    TestClient client = connect();
    Packet reply = register_with(client, fields);
    if (used) *used = std::move(client);
    if (reply.payload.size() == 49) return 0;
    EXPECT_EQ(reply.payload.size(), 1u);
    return reply.payload.empty() ? 0xFF : reply.payload[0];
  }
};

// ---------------------------------------------------------------------------------------
// Registration (spec 10 §3)

TEST_F(ClientProtocolTest, GetRandomAnswersWith32Bytes) {
  TestClient client = connect();
  Packet reply = call(client, request::get_random());
  EXPECT_EQ(reply.type, msg::MATOCL_FUSE_REGISTER);
  EXPECT_EQ(reply.payload.size(), 32u);
  EXPECT_EQ(client.protocol->state(), ClientProtocol::State::kUnregistered);
}

TEST_F(ClientProtocolTest, NewSessionReplyHas49BytesForA3_0_117Client) {
  TestClient client = connect();
  Packet reply = register_with(client, {});
  ASSERT_EQ(reply.payload.size(), 49u);
  PacketReader in(reply.payload);
  EXPECT_EQ(in.u32(), kOwnVersion);
  EXPECT_EQ(in.u32(), 1u);  // first session
  EXPECT_EQ(in.u64(), kMetaId);
  EXPECT_EQ(in.u8(), 0u);            // sesflags: rw
  EXPECT_EQ(in.u16(), 0u);           // umask
  EXPECT_EQ(in.u32(), 0u);           // rootuid (maproot=0)
  EXPECT_EQ(in.u32(), 0u);           // rootgid
  EXPECT_EQ(in.u32(), 999u);         // mapalluid
  EXPECT_EQ(in.u32(), 999u);         // mapallgid
  EXPECT_EQ(in.u8(), 1u);            // mingoal
  EXPECT_EQ(in.u8(), 9u);            // maxgoal
  EXPECT_EQ(in.u32(), 0u);           // mintrashtime
  EXPECT_EQ(in.u32(), 0xFFFFFFFFu);  // maxtrashtime
  EXPECT_EQ(in.u32(), 0u);           // disables
  EXPECT_TRUE(in.finished());
  EXPECT_EQ(client.protocol->state(), ClientProtocol::State::kSession);
  const Session* session = std::as_const(metadata).sessions().find(1);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->parameters.peer_ip, kClientIp);
  EXPECT_EQ(session->parameters.info, "/mnt/mfs");
  EXPECT_EQ(session->parameters.root_inode, kRootInode);
  EXPECT_EQ(session->connections, 1u);
  EXPECT_NE(changelog().find("|SESADD(#"), std::string::npos);
}

TEST_F(ClientProtocolTest, NewSessionReplyLayoutFollowsTheClientVersion) {
  auto reply_size = [&](uint32_t version) {
    TestClient client = connect();
    request::NewSession fields;
    fields.version = version;
    return register_with(client, fields).payload.size();
  };
  EXPECT_EQ(reply_size(pack_version(3, 0, 111)), 45u);  // no disables
  EXPECT_EQ(reply_size(pack_version(3, 0, 71)), 43u);   // no umask
  EXPECT_EQ(reply_size(pack_version(3, 0, 10)), 35u);   // no metaid
}

TEST_F(ClientProtocolTest, NewMetaSessionNeedsAMetaExportAndAnswers27Bytes) {
  TestClient refused = connect();
  Packet denied = call(refused, request::new_session({}, rcode::kNewMetaSession));
  ASSERT_EQ(denied.payload.size(), 1u);
  EXPECT_EQ(denied.payload[0], uint8_t(StatusCode::kEACCES));

  exports = Exports::parse("* / rw,alldirs,maproot=0\n* . rw\n");
  TestClient client = connect();
  Packet reply = call(client, request::new_session({}, rcode::kNewMetaSession));
  ASSERT_EQ(reply.payload.size(), 27u);
  PacketReader in(reply.payload);
  EXPECT_EQ(in.u32(), kOwnVersion);
  uint32_t id = in.u32();
  EXPECT_EQ(in.u64(), kMetaId);
  ASSERT_NE(std::as_const(metadata).sessions().find(id), nullptr);
  EXPECT_EQ(std::as_const(metadata).sessions().find(id)->parameters.root_inode, 0u);
}

TEST_F(ClientProtocolTest, PasswordProtectedExportNeedsTheChallengeProof) {
  exports = Exports::parse("* / rw,alldirs,maproot=0,password=secret\n");
  EXPECT_EQ(registration_status({}), uint8_t(StatusCode::kNoPassword));

  auto with_proof = [&](std::string_view password) {
    TestClient client = connect();
    Packet random = call(client, request::get_random());
    EXPECT_EQ(random.payload.size(), 32u);
    request::NewSession fields;
    fields.passcode = password_proof(random.payload.data(), md5(password));
    Packet reply = register_with(client, fields);
    return reply.payload.size() == 49 ? uint8_t{0} : reply.payload.at(0);
  };
  EXPECT_EQ(with_proof("wrong"), uint8_t(StatusCode::kBadPassword));
  EXPECT_EQ(with_proof("secret"), 0u);

  // A passcode without a GETRANDOM on the connection proves nothing.
  request::NewSession unchallenged;
  unchallenged.passcode = md5("secret");
  EXPECT_EQ(registration_status(unchallenged), uint8_t(StatusCode::kNoPassword));
}

TEST_F(ClientProtocolTest, NewSessionForASubfolderRootsTheSessionThere) {
  TestClient root = mount();
  uint32_t directory = make_dir(root, kRootInode, "a");
  uint32_t outside = make_file(root, kRootInode, "outside");

  TestClient sub = mount("/a/");
  const Session* session = std::as_const(metadata).sessions().find(sub.session_id);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->parameters.root_inode, directory);
  // Inode 1 is the session root; nodes outside the subtree do not exist for it.
  Packet own_root = call(sub, request::getattr(3, kRootInode));
  ASSERT_EQ(own_root.payload.size(), 40u);
  EXPECT_EQ(attr_at(own_root, 4).type(), 2u);
  EXPECT_EQ(status_of(call(sub, request::getattr(4, outside))), uint8_t(StatusCode::kENOENT));
  Packet dotdot = call(sub, request::lookup(5, kRootInode, ".."));
  ASSERT_EQ(dotdot.payload.size(), 46u);
  EXPECT_EQ(get_u32_be(dotdot.payload.data() + 4), kRootInode);
}

TEST_F(ClientProtocolTest, NewSessionForABadSubfolderIsRefusedWithItsStatus) {
  TestClient root = mount();
  make_file(root, kRootInode, "file");
  make_dir(root, kRootInode, "a");
  request::NewSession fields;
  fields.path = "/missing";
  EXPECT_EQ(registration_status(fields), uint8_t(StatusCode::kENOENT));
  fields.path = "/file";
  EXPECT_EQ(registration_status(fields), uint8_t(StatusCode::kENOTDIR));
  fields.path = "/a/../a";
  EXPECT_EQ(registration_status(fields), uint8_t(StatusCode::kEINVAL));

  exports = Exports::parse("* /only rw\n");
  fields.path = "/";
  EXPECT_EQ(registration_status(fields), uint8_t(StatusCode::kEACCES));
}

TEST_F(ClientProtocolTest, NewSessionWithAKnownSessionIdReusesIt) {
  TestClient first = mount();
  request::NewSession fields;
  fields.session_id = first.session_id;
  fields.meta_id = kMetaId;
  TestClient again = connect();
  ASSERT_EQ(register_with(again, fields).payload.size(), 49u);
  EXPECT_EQ(again.session_id, first.session_id);
  EXPECT_NE(changelog().find("|SESCHANGED(" + std::to_string(first.session_id) + ",#"), std::string::npos);

  // Another metadata id: the session id is ignored and a new session made.
  fields.meta_id = kMetaId + 1;
  TestClient other = connect();
  ASSERT_EQ(register_with(other, fields).payload.size(), 49u);
  EXPECT_NE(other.session_id, first.session_id);
}

TEST_F(ClientProtocolTest, ReconnectResumesTheSession) {
  TestClient first = mount();
  TestClient second = connect();
  Packet reply = call(second, request::reconnect(first.session_id, kClientVersion, kMetaId));
  ASSERT_EQ(reply.payload.size(), 5u);  // version:u32 status:u8 for clients >= 3.0.95
  EXPECT_EQ(get_u32_be(reply.payload.data()), kOwnVersion);
  EXPECT_EQ(reply.payload[4], 0u);
  EXPECT_EQ(second.protocol->state(), ClientProtocol::State::kSession);
  EXPECT_EQ(std::as_const(metadata).sessions().find(first.session_id)->connections, 2u);
  EXPECT_EQ(call(second, request::getattr(9, kRootInode)).payload.size(), 40u);
}

TEST_F(ClientProtocolTest, ReconnectStatuses) {
  TestClient first = mount();
  auto reconnect_status = [&](const Packet& packet, uint32_t ip = kClientIp) {
    TestClient client = connect(ip);
    Packet reply = call(client, packet);
    EXPECT_EQ(reply.payload.size(), 5u);
    EXPECT_EQ(client.protocol->state() == ClientProtocol::State::kSession, status_of(reply) == 0);
    return status_of(reply);
  };
  uint32_t id = first.session_id;
  EXPECT_EQ(reconnect_status(request::reconnect(id)), 0u);  // 73 bytes: no metaid
  EXPECT_EQ(reconnect_status(request::reconnect(id, kClientVersion, kMetaId + 1)), uint8_t(StatusCode::kBadSessionId));
  EXPECT_EQ(reconnect_status(request::reconnect(id + 100)), uint8_t(StatusCode::kBadSessionId));
  EXPECT_EQ(reconnect_status(request::reconnect(id), kClientIp + 1), uint8_t(StatusCode::kEPERM));

  exports = Exports::parse("* / rw,alldirs\n");  // another checksum: register again
  EXPECT_EQ(reconnect_status(request::reconnect(id)), uint8_t(StatusCode::kEPERM));
}

TEST_F(ClientProtocolTest, ReconnectFromAnotherAddressNeedsDynamicIp) {
  exports = Exports::parse("* / rw,alldirs,maproot=0,dynamicip\n");
  TestClient first = mount();
  TestClient moved = connect(kClientIp + 7);
  EXPECT_EQ(status_of(call(moved, request::reconnect(first.session_id))), 0u);
}

TEST_F(ClientProtocolTest, ReconnectOfOldClientsAndToolsAnswersOneByte) {
  TestClient first = mount();
  TestClient old_client = connect();
  Packet old_reply = call(old_client, request::reconnect(first.session_id, pack_version(3, 0, 90)));
  ASSERT_EQ(old_reply.payload.size(), 1u);
  EXPECT_EQ(old_reply.payload[0], 0u);

  TestClient tools = connect();
  Packet tools_reply = call(tools, request::reconnect(first.session_id, kClientVersion, std::nullopt, rcode::kTools));
  ASSERT_EQ(tools_reply.payload.size(), 1u);
  EXPECT_EQ(tools_reply.payload[0], 0u);
  EXPECT_EQ(tools.protocol->state(), ClientProtocol::State::kOldTools);
}

TEST_F(ClientProtocolTest, CloseSessionAnswersThenClosesAndDeletesTheSessionOnDisconnect) {
  TestClient client = mount();
  uint32_t id = client.session_id;
  Packet reply = call(client, request::close_session(id, kMetaId));
  ASSERT_EQ(reply.payload.size(), 1u);
  EXPECT_EQ(reply.payload[0], 0u);
  EXPECT_TRUE(client.link->closed_after_flush);
  EXPECT_TRUE(std::as_const(metadata).sessions().find(id)->closed);
  client.protocol->disconnected();
  EXPECT_EQ(std::as_const(metadata).sessions().find(id), nullptr);
  EXPECT_NE(changelog().find("|SESDEL(" + std::to_string(id) + ")"), std::string::npos);
}

TEST_F(ClientProtocolTest, CloseSessionWithAnotherMetaIdAnswersBadSessionId) {
  TestClient client = mount();
  Packet reply = call(client, request::close_session(client.session_id, kMetaId + 1));
  ASSERT_EQ(reply.payload.size(), 1u);
  EXPECT_EQ(reply.payload[0], uint8_t(StatusCode::kBadSessionId));
  EXPECT_TRUE(client.link->closed_after_flush);
  EXPECT_FALSE(std::as_const(metadata).sessions().find(client.session_id)->closed);
}

TEST_F(ClientProtocolTest, DisconnectOfAnOpenSessionIsLogged) {
  TestClient client = mount();
  client.protocol->disconnected();
  const Session* session = std::as_const(metadata).sessions().find(client.session_id);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->connections, 0u);
  EXPECT_NE(changelog().find("|SESDISCONNECTED(" + std::to_string(client.session_id) + ")"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Any-to-any queries (spec 00 §4)

TEST_F(ClientProtocolTest, GetVersionAndGetConfigAreAnsweredBeforeRegistration) {
  TestClient client = connect();
  PacketWriter version_request(msg::ANTOAN_GET_VERSION);
  version_request.u32(77);
  Packet version = call(client, to_packet(version_request));
  EXPECT_EQ(version.type, msg::ANTOAN_VERSION);
  EXPECT_EQ(msgid_of(version), 77u);
  EXPECT_EQ(get_u32_be(version.payload.data() + 4), kOwnVersion);

  config.set("ATIME_MODE", "4");
  PacketWriter config_request(msg::ANTOAN_GET_CONFIG);
  config_request.u32(78).name8("ATIME_MODE");
  Packet value = call(client, to_packet(config_request));
  EXPECT_EQ(value.type, msg::ANTOAN_CONFIG_VALUE);
  EXPECT_EQ(value.payload, (std::vector<uint8_t>{0, 0, 0, 78, 1, '4'}));
}

// ---------------------------------------------------------------------------------------
// Namespace operations (spec 10 §7)

TEST_F(ClientProtocolTest, StatfsReportsSpaceAndInodes) {
  TestClient client = mount();
  make_dir(client, kRootInode, "d");
  TestChunkserver server = registered_chunkserver(0x0A000001);
  Packet reply = call(client, request::statfs(11));
  ASSERT_EQ(reply.payload.size(), 48u);
  PacketReader in(reply.payload);
  EXPECT_EQ(in.u32(), 11u);
  EXPECT_EQ(in.u64(), uint64_t{100} << 30);  // total
  EXPECT_EQ(in.u64(), uint64_t{100} << 30);  // available
  EXPECT_EQ(in.u64(), uint64_t{100} << 30);  // free
  EXPECT_EQ(in.u64(), 0u);                   // trash
  EXPECT_EQ(in.u64(), 0u);                   // sustained
  EXPECT_EQ(in.u32(), 2u);                   // inodes
  EXPECT_TRUE(in.finished());
}

TEST_F(ClientProtocolTest, StatfsCountsTrashForTheWholeTree) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  call(client, request::truncate(1, file, 0, 1000));
  call(client, request::remove(msg::CLTOMA_FUSE_UNLINK, 2, kRootInode, "f"));  // root keeps trash for 24 h
  Packet reply = call(client, request::statfs(3));
  ASSERT_EQ(reply.payload.size(), 48u);
  PacketReader in(reply.payload);
  in.bytes(4 + 3 * 8);
  EXPECT_EQ(in.u64(), 1000u);  // trash
}

// Spec 10 §7.1: "inodes: number of inodes in the session root subtree".
TEST_F(ClientProtocolTest, StatfsOfASubfolderSessionCountsOnlyItsSubtree) {
  TestClient root = mount();
  uint32_t directory = make_dir(root, kRootInode, "a");
  make_file(root, directory, "inside");
  make_file(root, kRootInode, "outside");
  make_file(root, kRootInode, "outside2");
  TestClient sub = mount("/a");
  Packet reply = call(sub, request::statfs(1));
  ASSERT_EQ(reply.payload.size(), 48u);
  EXPECT_EQ(get_u32_be(reply.payload.data() + 44), 2u)
      << "BUG: STATFS of a subfolder session counts the inodes of the whole file system";
}

TEST_F(ClientProtocolTest, AccessChecksPermissions) {
  TestClient client = mount();
  uint32_t directory = make_dir(client, kRootInode, "private", 0700);
  EXPECT_EQ(status_of(call(client, request::access(1, directory, 4))), 0u);
  EXPECT_EQ(status_of(call(client, request::access(2, directory, 4, kUser))), uint8_t(StatusCode::kEACCES));
  EXPECT_EQ(status_of(call(client, request::access(3, 999, 4))), uint8_t(StatusCode::kENOENT));
  // Old 17-byte form: uid gid modemask:u8.
  PacketWriter old_form(msg::CLTOMA_FUSE_ACCESS);
  old_form.u32(4).u32(directory).u32(1000).u32(1000).u8(1);
  Packet reply = call(client, to_packet(old_form));
  EXPECT_EQ(msgid_of(reply), 4u);
  EXPECT_EQ(status_of(reply), uint8_t(StatusCode::kEACCES));
}

TEST_F(ClientProtocolTest, AccessForWritingOnAReadOnlyExportIsErofs) {
  exports = Exports::parse("* / ro,alldirs,maproot=0\n");
  TestClient client = mount();
  EXPECT_EQ(status_of(call(client, request::access(1, kRootInode, 2))), uint8_t(StatusCode::kEROFS));
  EXPECT_EQ(status_of(call(client, request::access(2, kRootInode, 4))), 0u);
}

TEST_F(ClientProtocolTest, LookupAnswersInodeAttrAndLookupFlags) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  Packet reply = call(client, request::lookup(21, kRootInode, "f"));
  ASSERT_EQ(reply.payload.size(), 46u);
  EXPECT_EQ(msgid_of(reply), 21u);
  EXPECT_EQ(get_u32_be(reply.payload.data() + 4), file);
  Attr attr = attr_at(reply, 8);
  EXPECT_EQ(attr.type(), 1u);
  EXPECT_EQ(attr.mode(), 0644u);
  EXPECT_EQ(attr.nlink, 1u);
  uint16_t lflags = static_cast<uint16_t>(reply.payload[44] << 8 | reply.payload[45]);
  EXPECT_EQ(lflags & 0x00FF, 0xFF);  // root may do everything
  EXPECT_EQ(lflags & 0x0200, 0);     // not a read-only session

  Packet as_user = call(client, request::lookup(22, kRootInode, "f", kUser));
  ASSERT_EQ(as_user.payload.size(), 46u);
  EXPECT_EQ(as_user.payload[45], 0x11);  // "none" and R only
}

TEST_F(ClientProtocolTest, LookupOfDotAndDotDot) {
  TestClient client = mount();
  uint32_t directory = make_dir(client, kRootInode, "d");
  auto inode_for = [&](uint32_t parent, std::string_view name) {
    Packet reply = call(client, request::lookup(1, parent, name));
    EXPECT_EQ(reply.payload.size(), 46u);
    return reply.payload.size() >= 8 ? get_u32_be(reply.payload.data() + 4) : 0;
  };
  EXPECT_EQ(inode_for(kRootInode, "."), kRootInode);
  EXPECT_EQ(inode_for(kRootInode, ".."), kRootInode);
  EXPECT_EQ(inode_for(directory, "."), directory);
  EXPECT_EQ(inode_for(directory, ".."), kRootInode);
}

TEST_F(ClientProtocolTest, LookupErrors) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  EXPECT_EQ(status_of(call(client, request::lookup(1, kRootInode, "missing"))), uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::lookup(2, 999, "x"))), uint8_t(StatusCode::kENOENT_NoCache));
  EXPECT_EQ(status_of(call(client, request::lookup(3, file, "x"))), uint8_t(StatusCode::kENOTDIR));
  EXPECT_EQ(status_of(call(client, request::lookup(4, kRootInode, "a/b"))), uint8_t(StatusCode::kEINVAL));
  EXPECT_EQ(status_of(call(client, request::lookup(5, kRootInode, std::string("a\0b", 3)))),
            uint8_t(StatusCode::kEINVAL));
  uint32_t closed = make_dir(client, kRootInode, "closed", 0700);
  EXPECT_EQ(status_of(call(client, request::lookup(6, closed, "x", kUser))), uint8_t(StatusCode::kEACCES));
}

TEST_F(ClientProtocolTest, LookupOnAReadOnlySessionSetsTheReadOnlyFlag) {
  exports = Exports::parse("* / ro,alldirs,maproot=0\n");
  TestClient client = mount();
  Packet reply = call(client, request::lookup(1, kRootInode, "."));
  ASSERT_EQ(reply.payload.size(), 46u);
  EXPECT_EQ(reply.payload[44] & 0x02, 0x02);  // lflags 0x0200
}

TEST_F(ClientProtocolTest, GetattrAcceptsThe17_16And8ByteForms) {
  TestClient client = mount();
  Packet full = call(client, request::getattr(31, kRootInode));
  ASSERT_EQ(full.payload.size(), 40u);
  EXPECT_EQ(msgid_of(full), 31u);
  Attr root = attr_at(full, 4);
  EXPECT_EQ(root.type(), 2u);
  EXPECT_EQ(root.mode(), 0777u);
  EXPECT_EQ(root.nlink, 2u);
  EXPECT_EQ(root.length, 1u);  // encoded size of an empty tree

  PacketWriter sixteen(msg::CLTOMA_FUSE_GETATTR);
  sixteen.u32(32).u32(kRootInode).u32(0).u32(0);
  EXPECT_EQ(call(client, to_packet(sixteen)).payload.size(), 40u);
  PacketWriter eight(msg::CLTOMA_FUSE_GETATTR);
  eight.u32(33).u32(kRootInode);
  EXPECT_EQ(call(client, to_packet(eight)).payload.size(), 40u);

  Packet missing = call(client, request::getattr(34, 999));
  EXPECT_EQ(msgid_of(missing), 34u);
  EXPECT_EQ(status_of(missing), uint8_t(StatusCode::kENOENT));
}

TEST_F(ClientProtocolTest, SetattrChangesModeAndAnswersTheAttr) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  request::SetAttr chmod;
  chmod.setmask = setmask::kMode;
  chmod.mode = 0600;
  Packet reply = call(client, request::setattr(41, file, chmod));
  ASSERT_EQ(reply.payload.size(), 40u);
  EXPECT_EQ(attr_at(reply, 4).mode(), 0600u);
  EXPECT_EQ(std::as_const(metadata).fs().find(file)->mode, 0600u);
  EXPECT_NE(changelog().find("|ATTR(" + std::to_string(file) + ",384,"), std::string::npos);

  EXPECT_EQ(status_of(call(client, request::setattr(42, 999, chmod))), uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::setattr(43, file, chmod, kUser))), uint8_t(StatusCode::kEPERM));
}

TEST_F(ClientProtocolTest, SetattrOnAReadOnlySessionIsErofs) {
  exports = Exports::parse("* / ro,alldirs,maproot=0\n");
  TestClient client = mount();
  request::SetAttr chmod;
  chmod.setmask = setmask::kMode;
  chmod.mode = 0700;
  EXPECT_EQ(status_of(call(client, request::setattr(1, kRootInode, chmod))), uint8_t(StatusCode::kEROFS));
}

TEST_F(ClientProtocolTest, SymlinkAndReadlink) {
  TestClient client = mount();
  Packet reply = call(client, request::symlink(51, kRootInode, "l", "target"));
  ASSERT_EQ(reply.payload.size(), 44u);
  uint32_t symlink = get_u32_be(reply.payload.data() + 4);
  Attr attr = attr_at(reply, 8);
  EXPECT_EQ(attr.type(), 3u);
  EXPECT_EQ(attr.length, 6u);  // the trailing NUL is not part of the target

  Packet target = call(client, request::readlink(52, symlink));
  std::vector<uint8_t> expected{0, 0, 0, 52, 0, 0, 0, 7, 't', 'a', 'r', 'g', 'e', 't', 0};
  EXPECT_EQ(target.payload, expected);

  EXPECT_EQ(status_of(call(client, request::symlink(53, kRootInode, "l", "x"))), uint8_t(StatusCode::kEEXIST));
  EXPECT_EQ(status_of(call(client, request::symlink(54, kRootInode, "bad", std::string("a\0b", 3)))),
            uint8_t(StatusCode::kEINVAL));
  EXPECT_EQ(status_of(call(client, request::readlink(55, kRootInode))), uint8_t(StatusCode::kEINVAL));
  EXPECT_EQ(status_of(call(client, request::readlink(56, 999))), uint8_t(StatusCode::kENOENT));
}

TEST_F(ClientProtocolTest, MknodCreatesSpecialFiles) {
  TestClient client = mount();
  Packet fifo = call(client, request::mknod(61, kRootInode, "p", 4, 0640));
  ASSERT_EQ(fifo.payload.size(), 44u);
  EXPECT_EQ(attr_at(fifo, 8).type(), 4u);
  EXPECT_EQ(attr_at(fifo, 8).mode(), 0640u);
  EXPECT_EQ(attr_at(fifo, 8).length, 0u);

  Packet device = call(client, request::mknod(62, kRootInode, "c", 6, 0600, 0x0501));
  ASSERT_EQ(device.payload.size(), 44u);
  EXPECT_EQ(attr_at(device, 8).length, uint64_t{0x0501} << 32);  // rdev:u32 then 4 zero bytes

  EXPECT_EQ(status_of(call(client, request::mknod(63, kRootInode, "s", 3, 0644))), uint8_t(StatusCode::kEINVAL));
  EXPECT_EQ(status_of(call(client, request::mknod(64, 999, "x", 1, 0644))), uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::mknod(65, kRootInode, "p", 1, 0644))), uint8_t(StatusCode::kEEXIST));
}

TEST_F(ClientProtocolTest, MkdirCreatesADirectory) {
  TestClient client = mount();
  Packet reply = call(client, request::mkdir(71, kRootInode, "d", 0750));
  ASSERT_EQ(reply.payload.size(), 44u);
  EXPECT_EQ(msgid_of(reply), 71u);
  uint32_t directory = get_u32_be(reply.payload.data() + 4);
  EXPECT_EQ(directory, inode_of(kRootInode, "d"));
  Attr attr = attr_at(reply, 8);
  EXPECT_EQ(attr.type(), 2u);
  EXPECT_EQ(attr.mode(), 0750u);
  EXPECT_EQ(attr.nlink, 2u);
  EXPECT_EQ(attr_at(call(client, request::getattr(72, kRootInode)), 4).nlink, 3u);

  uint32_t file = make_file(client, kRootInode, "f");
  EXPECT_EQ(status_of(call(client, request::mkdir(73, kRootInode, "d"))), uint8_t(StatusCode::kEEXIST));
  EXPECT_EQ(status_of(call(client, request::mkdir(74, file, "x"))), uint8_t(StatusCode::kENOTDIR));
  EXPECT_EQ(status_of(call(client, request::mkdir(75, kRootInode, ".."))), uint8_t(StatusCode::kEINVAL));
  EXPECT_EQ(status_of(call(client, request::mkdir(76, directory, "x", 0755, kUser))), uint8_t(StatusCode::kEACCES));
}

TEST_F(ClientProtocolTest, MkdirOnAReadOnlySessionIsErofs) {
  exports = Exports::parse("* / ro,alldirs,maproot=0\n");
  TestClient client = mount();
  EXPECT_EQ(status_of(call(client, request::mkdir(1, kRootInode, "d"))), uint8_t(StatusCode::kEROFS));
}

TEST_F(ClientProtocolTest, UnlinkAnswersTheRemovedInode) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  make_dir(client, kRootInode, "d");
  Packet reply = call(client, request::remove(msg::CLTOMA_FUSE_UNLINK, 81, kRootInode, "f"));
  EXPECT_EQ(reply.type, msg::MATOCL_FUSE_UNLINK);
  ASSERT_EQ(reply.payload.size(), 8u);  // msgid inode for clients >= 3.0.107
  EXPECT_EQ(get_u32_be(reply.payload.data() + 4), file);
  EXPECT_EQ(inode_of(kRootInode, "f"), 0u);
  EXPECT_NE(changelog().find("|UNLINK(1,f):" + std::to_string(file)), std::string::npos);

  EXPECT_EQ(status_of(call(client, request::remove(msg::CLTOMA_FUSE_UNLINK, 82, kRootInode, "f"))),
            uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::remove(msg::CLTOMA_FUSE_UNLINK, 83, kRootInode, "d"))),
            uint8_t(StatusCode::kEPERM));
}

TEST_F(ClientProtocolTest, RmdirRemovesOnlyEmptyDirectories) {
  TestClient client = mount();
  uint32_t directory = make_dir(client, kRootInode, "d");
  make_file(client, directory, "inside");
  make_file(client, kRootInode, "f");
  EXPECT_EQ(status_of(call(client, request::remove(msg::CLTOMA_FUSE_RMDIR, 91, kRootInode, "d"))),
            uint8_t(StatusCode::kENOTEMPTY));
  EXPECT_EQ(status_of(call(client, request::remove(msg::CLTOMA_FUSE_RMDIR, 92, kRootInode, "f"))),
            uint8_t(StatusCode::kENOTDIR));
  call(client, request::remove(msg::CLTOMA_FUSE_UNLINK, 93, directory, "inside"));
  Packet reply = call(client, request::remove(msg::CLTOMA_FUSE_RMDIR, 94, kRootInode, "d"));
  EXPECT_EQ(reply.type, msg::MATOCL_FUSE_RMDIR);
  ASSERT_EQ(reply.payload.size(), 8u);
  EXPECT_EQ(get_u32_be(reply.payload.data() + 4), directory);
}

TEST_F(ClientProtocolTest, RenameMovesTheEntry) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  uint32_t directory = make_dir(client, kRootInode, "d");
  Packet reply = call(client, request::rename(101, kRootInode, "f", directory, "g"));
  ASSERT_EQ(reply.payload.size(), 44u);
  EXPECT_EQ(get_u32_be(reply.payload.data() + 4), file);
  EXPECT_EQ(attr_at(reply, 8).type(), 1u);
  EXPECT_EQ(inode_of(directory, "g"), file);
  EXPECT_EQ(inode_of(kRootInode, "f"), 0u);
  EXPECT_NE(changelog().find("|MOVE(1,f," + std::to_string(directory) + ",g):" + std::to_string(file)),
            std::string::npos);

  EXPECT_EQ(status_of(call(client, request::rename(102, kRootInode, "f", kRootInode, "h"))),
            uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::rename(103, kRootInode, "d", directory, "inside"))),
            uint8_t(StatusCode::kEINVAL));  // a directory into itself
}

TEST_F(ClientProtocolTest, LinkAddsAHardLink) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  uint32_t directory = make_dir(client, kRootInode, "d");
  Packet reply = call(client, request::link(111, file, directory, "hard"));
  ASSERT_EQ(reply.payload.size(), 44u);
  EXPECT_EQ(get_u32_be(reply.payload.data() + 4), file);
  EXPECT_EQ(attr_at(reply, 8).nlink, 2u);
  EXPECT_EQ(inode_of(directory, "hard"), file);

  EXPECT_EQ(status_of(call(client, request::link(112, file, directory, "hard"))), uint8_t(StatusCode::kEEXIST));
  EXPECT_EQ(status_of(call(client, request::link(113, directory, kRootInode, "x"))), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status_of(call(client, request::link(114, 999, kRootInode, "x"))), uint8_t(StatusCode::kENOENT));
}

TEST_F(ClientProtocolTest, ReaddirWithoutAttributesListsDotDotDotAndChildrenInCreationOrder) {
  TestClient client = mount();
  uint32_t directory = make_dir(client, kRootInode, "d");
  uint32_t file = make_file(client, kRootInode, "f");
  Packet reply = call(client, request::readdir(121, kRootInode, 0));
  EXPECT_EQ(reply.type, msg::MATOCL_FUSE_READDIR);
  EXPECT_EQ(msgid_of(reply), 121u);
  ASSERT_EQ(reply.payload.size(), 4u + 8 + 7 + 8 + 7 + 7);
  EXPECT_EQ(get_u32_be(reply.payload.data() + 4), 0u);  // nedgeid high half
  auto listed = entries(reply, true, false);
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed[0].name, ".");
  EXPECT_EQ(listed[0].inode, kRootInode);
  EXPECT_EQ(listed[1].name, "..");
  EXPECT_EQ(listed[1].inode, kRootInode);
  EXPECT_EQ(listed[2].name, "d");
  EXPECT_EQ(listed[2].inode, directory);
  EXPECT_EQ(listed[2].type, 2u);
  EXPECT_EQ(listed[3].name, "f");
  EXPECT_EQ(listed[3].inode, file);
  EXPECT_EQ(listed[3].type, 1u);
}

TEST_F(ClientProtocolTest, ReaddirWithAttributes) {
  TestClient client = mount();
  uint32_t directory = make_dir(client, kRootInode, "d");
  make_file(client, directory, "x");
  Packet reply = call(client, request::readdir(122, directory, request::kReaddirWithAttributes));
  ASSERT_EQ(reply.payload.size(), 4u + 8 + (1 + 1 + 4 + kAttrSize) + (1 + 2 + 4 + kAttrSize) + (1 + 1 + 4 + kAttrSize));
  auto listed = entries(reply, true, true);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].inode, directory);
  EXPECT_EQ(listed[1].inode, kRootInode);
  EXPECT_EQ(listed[2].name, "x");
  EXPECT_EQ(listed[2].type, 1u);
}

TEST_F(ClientProtocolTest, ReaddirLegacyFormsHaveNoEdgeIdField) {
  TestClient client = mount();
  PacketWriter sixteen(msg::CLTOMA_FUSE_READDIR);
  sixteen.u32(1).u32(kRootInode).u32(0).u32(0);
  Packet plain = call(client, to_packet(sixteen));
  EXPECT_EQ(plain.payload.size(), 4u + 7 + 8);
  PacketWriter seventeen(msg::CLTOMA_FUSE_READDIR);
  seventeen.u32(2).u32(kRootInode).u32(0).u32(0).u8(request::kReaddirWithAttributes);
  Packet with_attributes = call(client, to_packet(seventeen));
  EXPECT_EQ(with_attributes.payload.size(), 4u + (7 + kAttrSize - 1) + (8 + kAttrSize - 1));
}

// Spec 10 §7.14: the reply's nedgeid field echoes the request's nedgeid.
TEST_F(ClientProtocolTest, ReaddirEchoesTheRequestedEdgeId) {
  TestClient client = mount();
  constexpr uint64_t kEdgeId = 0x0000000100000002ull;
  Packet reply = call(client, request::readdir(123, kRootInode, 0, kEdgeId));
  ASSERT_GE(reply.payload.size(), 12u);
  PacketReader in(reply.payload);
  in.u32();
  EXPECT_EQ(in.u64(), kEdgeId) << "BUG: the 29+4G-byte READDIR reply does not echo the request's nedgeid";
}

TEST_F(ClientProtocolTest, ReaddirErrors) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  uint32_t closed = make_dir(client, kRootInode, "closed", 0700);
  EXPECT_EQ(status_of(call(client, request::readdir(1, file, 0))), uint8_t(StatusCode::kENOTDIR));
  EXPECT_EQ(status_of(call(client, request::readdir(2, 999, 0))), uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::readdir(3, closed, 0, 0, kUser))), uint8_t(StatusCode::kEACCES));
}

// ---------------------------------------------------------------------------------------
// Open, create and data (spec 10 §8)

TEST_F(ClientProtocolTest, OpenAnswersOflagsAndAttrAndRegistersTheOpenFile) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  Packet reply = call(client, request::open(131, file, request::openflag::kRead));
  ASSERT_EQ(reply.payload.size(), 41u);
  EXPECT_EQ(msgid_of(reply), 131u);
  EXPECT_EQ(reply.payload[4], 0u);  // oflags
  EXPECT_EQ(attr_at(reply, 5).type(), 1u);
  EXPECT_EQ(std::as_const(metadata).sessions().find(client.session_id)->open_inodes.count(file), 1u);
  EXPECT_NE(changelog().find("|ACQUIRE(" + std::to_string(client.session_id) + "," + std::to_string(file) + ")"),
            std::string::npos);
  // Already open: answered without a change.
  EXPECT_EQ(call(client, request::open(132, file, request::openflag::kRead)).payload.size(), 41u);
}

TEST_F(ClientProtocolTest, OpenErrors) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  EXPECT_EQ(status_of(call(client, request::open(1, 999, request::openflag::kRead))), uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::open(2, kRootInode, request::openflag::kRead))),
            uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status_of(call(client, request::open(3, file, request::openflag::kWrite, kUser))),
            uint8_t(StatusCode::kEACCES));
}

TEST_F(ClientProtocolTest, OpenWithTruncateEmptiesTheFile) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  call(client, request::truncate(1, file, 0, 5000));
  Packet reply = call(client, request::open(2, file, request::openflag::kWrite | request::openflag::kTruncate));
  ASSERT_EQ(reply.payload.size(), 41u);
  EXPECT_EQ(attr_at(reply, 5).length, 0u);
}

TEST_F(ClientProtocolTest, CreateMakesAndOpensAFile) {
  TestClient client = mount();
  Packet reply = call(client, request::create(141, kRootInode, "new", 0640));
  ASSERT_EQ(reply.payload.size(), 45u);
  EXPECT_EQ(msgid_of(reply), 141u);
  EXPECT_EQ(reply.payload[4], 0u);  // oflags
  uint32_t file = get_u32_be(reply.payload.data() + 5);
  EXPECT_EQ(file, inode_of(kRootInode, "new"));
  Attr attr = attr_at(reply, 9);
  EXPECT_EQ(attr.type(), 1u);
  EXPECT_EQ(attr.mode(), 0640u);
  EXPECT_EQ(attr.flags & attrflag::kAllowDataCache, 0);
  EXPECT_EQ(std::as_const(metadata).sessions().find(client.session_id)->open_inodes.count(file), 1u);
  EXPECT_EQ(status_of(call(client, request::create(142, kRootInode, "new"))), uint8_t(StatusCode::kEEXIST));
  EXPECT_EQ(status_of(call(client, request::create(143, 999, "x"))), uint8_t(StatusCode::kENOENT));
}

TEST_F(ClientProtocolTest, TruncateAnswersThePreviousLengthAndTheAttr) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  Packet grown = call(client, request::truncate(151, file, 0, 1000));
  ASSERT_EQ(grown.payload.size(), 48u);
  PacketReader in(grown.payload);
  EXPECT_EQ(in.u32(), 151u);
  EXPECT_EQ(in.u64(), 0u);
  EXPECT_EQ(read_attr(in).length, 1000u);

  Packet shrunk = call(client, request::truncate(152, file, 0, 10));
  ASSERT_EQ(shrunk.payload.size(), 48u);
  EXPECT_EQ(get_u32_be(shrunk.payload.data() + 8), 1000u);  // low half of prevlength
  EXPECT_NE(changelog().find("|LENGTH(" + std::to_string(file) + ",10,"), std::string::npos);

  EXPECT_EQ(status_of(call(client, request::truncate(153, 999, 0, 1))), uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::truncate(154, kRootInode, 0, 1))), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status_of(call(client, request::truncate(155, file, 0, 1, kUser))), uint8_t(StatusCode::kEACCES));
}

// Appends (RESERVE): consecutive ranges from the end, nothing logged (as 3.0.117); the
// length changes when the data's write ends. A master restart forgets the reservations, so
// a retried one gets its offset again.
TEST_F(ClientProtocolTest, AppendReservationsFollowEachOtherInMemoryOnly) {
  constexpr uint8_t kOpened = 0x01, kUpdate = 0x02, kReserve = 0x08;
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  call(client, request::truncate(1, file, 0, 1000));
  auto reserve = [&](uint32_t msgid, uint64_t bytes) {
    Packet reply = call(client, request::truncate(msgid, file, kOpened | kUpdate | kReserve, bytes));
    EXPECT_EQ(reply.payload.size(), 48u);
    PacketReader in(reply.payload);
    in.u32();
    uint64_t start = in.u64();
    EXPECT_EQ(read_attr(in).length, 1000u);
    return start;
  };
  std::string logged = changelog();
  EXPECT_EQ(reserve(2, 100), 1000u);
  EXPECT_EQ(reserve(3, 50), 1100u);
  EXPECT_EQ(changelog(), logged);

  append_reservations = AppendReservations();  // what a restart leaves
  EXPECT_EQ(reserve(4, 100), 1000u);

  call(client, request::truncate(5, file, 0, 1000));  // a truncate ends the reservations
  EXPECT_EQ(reserve(6, 10), 1000u);
}

TEST_F(ClientProtocolTest, ReadChunkOfAHoleAnswersChunkIdZero) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  call(client, request::truncate(1, file, 0, 3000));
  for (uint32_t index : {0u, 5u}) {
    Packet reply = call(client, request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, 161, file, index));
    ASSERT_EQ(reply.payload.size(), 25u);
    PacketReader in(reply.payload);
    EXPECT_EQ(in.u32(), 161u);
    EXPECT_EQ(in.u8(), 2u);      // protocolid
    EXPECT_EQ(in.u64(), 3000u);  // file length
    EXPECT_EQ(in.u64(), 0u);     // chunkid
    EXPECT_EQ(in.u32(), 0u);     // version
    EXPECT_TRUE(in.finished());
  }
  EXPECT_EQ(status_of(call(client, request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, 162, 999, 0))),
            uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, 163, kRootInode, 0))),
            uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status_of(call(client, request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, 164, file, 0x80000000))),
            uint8_t(StatusCode::kIndexTooBig));
}

TEST_F(ClientProtocolTest, WriteChunkWithoutChunkserversFails) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  Packet reply = call(client, request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 171, file, 0));
  EXPECT_EQ(reply.type, msg::MATOCL_FUSE_WRITE_CHUNK);
  EXPECT_EQ(status_of(reply), uint8_t(StatusCode::kNoChunkServers));
}

TEST_F(ClientProtocolTest, WriteChunkOnAReadOnlySessionIsErofsOrIoForOldClients) {
  exports = Exports::parse("* / ro,alldirs,maproot=0\n");
  TestClient client = mount();
  Packet reply = call(client, request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 1, kRootInode, 0));
  EXPECT_EQ(status_of(reply), uint8_t(StatusCode::kEROFS));

  TestClient old_client = connect();
  request::NewSession fields;
  fields.version = pack_version(3, 0, 100);
  ASSERT_EQ(register_with(old_client, fields).payload.size(), 45u);
  EXPECT_EQ(status_of(call(old_client, request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 2, kRootInode, 0))),
            uint8_t(StatusCode::kIO));
  EXPECT_EQ(status_of(call(old_client, request::write_chunk_end(3, 1, kRootInode, 0, 0))), uint8_t(StatusCode::kIO));
}

TEST_F(ClientProtocolTest, WriteChunkEndOfAnUnknownChunkIsNoChunk) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  Packet reply = call(client, request::write_chunk_end(181, 77, file, 0, 0));
  EXPECT_EQ(reply.type, msg::MATOCL_FUSE_WRITE_CHUNK_END);
  EXPECT_EQ(status_of(reply), uint8_t(StatusCode::kNoChunk));
}

// ---------------------------------------------------------------------------------------
// Extended attributes (spec 10 §10)

TEST_F(ClientProtocolTest, SetxattrThenGetxattrAndList) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  Packet set = call(client, request::setxattr(191, file, "user.a", "value", 0));
  EXPECT_EQ(set.type, msg::MATOCL_FUSE_SETXATTR);
  EXPECT_EQ(msgid_of(set), 191u);
  EXPECT_EQ(status_of(set), 0u);
  EXPECT_NE(changelog().find("|SETXATTR(" + std::to_string(file) + ",user.a,value,0)"), std::string::npos);

  Packet value = call(client, request::getxattr(192, file, "user.a", 0));
  EXPECT_EQ(value.payload, (std::vector<uint8_t>{0, 0, 0, 192, 0, 0, 0, 5, 'v', 'a', 'l', 'u', 'e'}));
  Packet length = call(client, request::getxattr(193, file, "user.a", 1));
  EXPECT_EQ(length.payload, (std::vector<uint8_t>{0, 0, 0, 193, 0, 0, 0, 5}));
  Packet names = call(client, request::getxattr(194, file, "", 0));
  EXPECT_EQ(names.payload, (std::vector<uint8_t>{0, 0, 0, 194, 0, 0, 0, 7, 'u', 's', 'e', 'r', '.', 'a', 0}));
  EXPECT_EQ(attr_at(call(client, request::getattr(195, file)), 4).flags & attrflag::kNoXattr, 0);
}

TEST_F(ClientProtocolTest, XattrErrors) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  EXPECT_EQ(status_of(call(client, request::getxattr(1, file, "user.none", 0))), uint8_t(StatusCode::kENOATTR));
  EXPECT_EQ(status_of(call(client, request::getxattr(2, file, "user.a", 2))), uint8_t(StatusCode::kEINVAL));
  EXPECT_EQ(status_of(call(client, request::getxattr(3, 999, "user.a", 0))), uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::setxattr(4, file, "user.a", "v", 3))), uint8_t(StatusCode::kENOATTR));
  EXPECT_EQ(status_of(call(client, request::setxattr(5, file, "user.a", "v", 2))), uint8_t(StatusCode::kENOATTR));
  EXPECT_EQ(status_of(call(client, request::setxattr(6, file, "user.a", "v", 1))), 0u);
  EXPECT_EQ(status_of(call(client, request::setxattr(7, file, "user.a", "v", 1))), uint8_t(StatusCode::kEEXIST));
  EXPECT_EQ(status_of(call(client, request::setxattr(8, file, "user.a", "", 3))), 0u);
  EXPECT_EQ(status_of(call(client, request::getxattr(9, file, "user.a", 0))), uint8_t(StatusCode::kENOATTR));
  EXPECT_EQ(status_of(call(client, request::setxattr(10, file, "trusted.x", "v", 0, kUser))),
            uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status_of(call(client, request::setxattr(11, file, "user.b", "v", 4))), uint8_t(StatusCode::kEINVAL));
}

// ---------------------------------------------------------------------------------------
// Locks (spec 10 §9)

TEST_F(ClientProtocolTest, FlockNeedsAnOpenFile) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  Packet reply = call(client, request::flock(201, file, 0, 1, request::flockcmd::kTryExclusive));
  EXPECT_EQ(reply.type, msg::MATOCL_FUSE_FLOCK);
  EXPECT_EQ(status_of(reply), uint8_t(StatusCode::kNotOpened));
}

TEST_F(ClientProtocolTest, FlockConflictsWaitersAndInterrupts) {
  TestClient first = mount();
  TestClient second = mount();
  Packet created = call(first, request::create(1, kRootInode, "f"));
  uint32_t file = get_u32_be(created.payload.data() + 5);
  call(second, request::open(1, file, request::openflag::kRead));

  EXPECT_EQ(status_of(call(first, request::flock(211, file, 0, 1, request::flockcmd::kTryExclusive))), 0u);
  EXPECT_NE(changelog().find("|FLOCK(" + std::to_string(file) + "," + std::to_string(first.session_id) + ",1,W)"),
            std::string::npos);
  EXPECT_EQ(status_of(call(second, request::flock(212, file, 0, 2, request::flockcmd::kTryShared))),
            uint8_t(StatusCode::kEAGAIN));

  // A blocking request is answered only when granted.
  EXPECT_TRUE(second.handle(request::flock(213, file, 5, 2, request::flockcmd::kLockShared)));
  EXPECT_TRUE(replies(second).empty());
  EXPECT_EQ(status_of(call(first, request::flock(214, file, 0, 1, request::flockcmd::kUnlock))), 0u);
  std::vector<Packet> granted = replies(second);
  ASSERT_EQ(granted.size(), 1u);
  EXPECT_EQ(msgid_of(granted[0]), 213u);
  EXPECT_EQ(status_of(granted[0]), 0u);

  // An interrupted waiter gets EINTR on its own msgid; the interrupt itself 0.
  EXPECT_TRUE(first.handle(request::flock(215, file, 9, 1, request::flockcmd::kLockExclusive)));
  EXPECT_TRUE(replies(first).empty());
  EXPECT_TRUE(first.handle(request::flock(216, file, 9, 1, request::flockcmd::kInterrupt)));
  std::vector<Packet> answers = replies(first);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(msgid_of(answers[0]), 215u);
  EXPECT_EQ(status_of(answers[0]), uint8_t(StatusCode::kEINTR));
  EXPECT_EQ(msgid_of(answers[1]), 216u);
  EXPECT_EQ(status_of(answers[1]), 0u);
}

TEST_F(ClientProtocolTest, PosixLockGetTrySet) {
  TestClient first = mount();
  TestClient second = mount();
  Packet created = call(first, request::create(1, kRootInode, "f"));
  uint32_t file = get_u32_be(created.payload.data() + 5);
  call(second, request::open(1, file, request::openflag::kRead));

  request::PosixLock lock{file, 0, 1, 4242, 1, 2, 0, 100};
  Packet set = call(first, request::posix_lock(221, lock));
  EXPECT_EQ(set.type, msg::MATOCL_FUSE_POSIX_LOCK);
  EXPECT_EQ(status_of(set), 0u);

  request::PosixLock probe{file, 0, 2, 7, 0, 2, 50, 60};
  Packet conflict = call(second, request::posix_lock(222, probe));
  ASSERT_EQ(conflict.payload.size(), 25u);
  PacketReader in(conflict.payload);
  EXPECT_EQ(in.u32(), 222u);
  EXPECT_EQ(in.u32(), 4242u);
  EXPECT_EQ(in.u8(), 2u);
  EXPECT_EQ(in.u64(), 0u);
  EXPECT_EQ(in.u64(), 100u);

  probe.start = 200;
  probe.end = 300;
  Packet free = call(second, request::posix_lock(223, probe));
  ASSERT_EQ(free.payload.size(), 25u);
  EXPECT_EQ(free.payload[8], 0u);  // type 0: no conflict

  request::PosixLock attempt{file, 0, 2, 7, 2, 1, 0, 10};
  EXPECT_EQ(status_of(call(second, request::posix_lock(224, attempt))), uint8_t(StatusCode::kEAGAIN));
  request::PosixLock unopened{make_file(first, kRootInode, "g"), 0, 2, 7, 2, 1, 0, 10};
  EXPECT_EQ(status_of(call(second, request::posix_lock(225, unopened))), uint8_t(StatusCode::kNotOpened));
}

// ---------------------------------------------------------------------------------------
// Synchronisation messages (spec 10 §8.6, §11) and CHECK (spec 11)

TEST_F(ClientProtocolTest, TimeSyncAnswersTheMasterClock) {
  TestClient client = mount();
  timeval before{};
  gettimeofday(&before, nullptr);
  Packet plain = call(client, request::time_sync(std::nullopt));
  EXPECT_EQ(plain.type, msg::MATOCL_FUSE_TIME_SYNC);
  ASSERT_EQ(plain.payload.size(), 8u);
  PacketReader in(plain.payload);
  uint64_t usec = in.u64();
  EXPECT_GE(usec / 1000000, uint64_t(before.tv_sec));
  EXPECT_LE(usec / 1000000, uint64_t(before.tv_sec) + 60);

  Packet with_msgid = call(client, request::time_sync(0));
  ASSERT_EQ(with_msgid.payload.size(), 12u);
  EXPECT_EQ(msgid_of(with_msgid), 0u);
}

TEST_F(ClientProtocolTest, SustainedInodesReplaceTheOpenFileSet) {
  TestClient client = mount();
  Packet created = call(client, request::create(1, kRootInode, "f"));
  uint32_t file = get_u32_be(created.payload.data() + 5);
  uint32_t other = make_file(client, kRootInode, "g");
  const Session* session = std::as_const(metadata).sessions().find(client.session_id);
  std::string id = std::to_string(client.session_id);

  EXPECT_TRUE(client.handle(request::sustained_inodes({})));
  EXPECT_TRUE(session->open_inodes.empty());
  EXPECT_NE(changelog().find("|RELEASE(" + id + "," + std::to_string(file) + ")"), std::string::npos);

  EXPECT_TRUE(client.handle(request::sustained_inodes({0, other, 99999})));
  EXPECT_EQ(session->open_inodes, std::set<uint32_t>{other});
  EXPECT_NE(changelog().find("|ACQUIRE(" + id + "," + std::to_string(other) + ")"), std::string::npos);
  EXPECT_TRUE(replies(client).empty());
}

TEST_F(ClientProtocolTest, CheckCountsCopiesPerChunk) {
  TestClient client = mount();
  uint32_t file = make_file(client, kRootInode, "f");
  Packet counts = call(client, request::check(231, file));
  EXPECT_EQ(counts.type, msg::MATOCL_FUSE_CHECK);
  EXPECT_EQ(counts.payload.size(), 4u + 12 * 4);
  Packet hole = call(client, request::check(232, file, 0));
  EXPECT_EQ(hole.payload, (std::vector<uint8_t>{0, 0, 0, 232, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(status_of(call(client, request::check(233, 999))), uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status_of(call(client, request::check(234, kRootInode))), uint8_t(StatusCode::kEPERM));
}

// ---------------------------------------------------------------------------------------
// The changelog (spec 30 §4.2)

TEST_F(ClientProtocolTest, MutationsAreLoggedInOrderWithConsecutiveIds) {
  TestClient client = mount();
  uint32_t directory = make_dir(client, kRootInode, "d");
  Packet created = call(client, request::create(1, directory, "f", 0644));
  uint32_t file = get_u32_be(created.payload.data() + 5);
  call(client, request::rename(2, directory, "f", kRootInode, "g"));
  call(client, request::remove(msg::CLTOMA_FUSE_UNLINK, 3, kRootInode, "g"));

  std::string log = changelog();
  std::string s = std::to_string(client.session_id);
  std::string d = std::to_string(directory);
  std::string f = std::to_string(file);
  std::vector<std::string> expected{
      "|SETMETAID(" + std::to_string(kMetaId) + ")\n",
      "|SESADD(#",
      "|CREATE(1,d,2,493,0,0,0,0):" + d + "\n",
      "|CREATE(" + d + ",f,1,420,0,0,0,0):" + f + "\n",
      "|ACQUIRE(" + s + "," + f + ")\n",
      "|MOVE(" + d + ",f,1,g):" + f + "\n",
      "|UNLINK(1,g):" + f + "\n",
  };
  size_t position = 0;
  for (const std::string& part : expected) {
    size_t found = log.find(part, position);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << part << "\nin:\n" << log;
    position = found + part.size();
  }
  // Every line: "<id>: <ts>|..." with ids 1, 2, 3, ...
  std::istringstream lines(log);
  std::string line;
  uint64_t id = 1;
  while (std::getline(lines, line)) EXPECT_EQ(line.substr(0, line.find(':')), std::to_string(id++));
  EXPECT_EQ(id, std::as_const(metadata).version());
}

}  // namespace
}  // namespace mfs::master::testing
