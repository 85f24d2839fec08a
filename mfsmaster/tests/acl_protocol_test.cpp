// GETFACL / SETFACL on the client port (spec 10 §10.3): request forms and lengths, reply
// encoding, and the attribute record of a node with ACLs (mode from the mask, NOXATTR).
#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

constexpr uint8_t kAttrNoXattr = 0x08;

Packet setfacl(uint32_t msgid, uint32_t inode, uint32_t uid, uint8_t type, const PosixAcl& acl) {
  PacketWriter out(msg::CLTOMA_FUSE_SETFACL);
  out.u32(msgid).u32(inode).u32(uid).u8(type).u16(acl.user).u16(acl.group).u16(acl.other).u16(acl.mask);
  out.u16(static_cast<uint16_t>(acl.named_users.size())).u16(static_cast<uint16_t>(acl.named_groups.size()));
  out.bytes(encode_acl_entries(acl));
  return to_packet(out);
}

// The three forms the master accepts; fields after acltype are ignored.
Packet getfacl(uint32_t msgid, uint32_t inode, uint8_t type, size_t form = 9) {
  PacketWriter out(msg::CLTOMA_FUSE_GETFACL);
  out.u32(msgid).u32(inode).u8(type);
  if (form >= 18) out.u8(1).u32(0).u32(form == 18 ? 0 : 1);
  if (form == 22) out.u32(0);
  return to_packet(out);
}

class AclProtocolTest : public ProtocolFixture {
 protected:
  uint32_t make(TestClient& client, std::string_view name, bool directory) {
    Packet reply =
        call(client, directory ? request::mkdir(1, kRootInode, name, 0755) : request::create(1, kRootInode, name));
    EXPECT_GT(reply.payload.size(), 5u);
    return inode_of(kRootInode, name);
  }
  Attr attr_of(TestClient& client, uint32_t inode) {
    Packet reply = call(client, request::getattr(2, inode));
    PacketReader in(reply.payload);
    in.u32();
    return read_attr(in);
  }
};

TEST_F(AclProtocolTest, SetAndGetAccessAndDefaultAcls) {
  TestClient client = mount();
  uint32_t d = make(client, "d", true);
  EXPECT_TRUE(attr_of(client, d).flags & kAttrNoXattr);
  PosixAcl access{7, 5, 5, 6, {{1234, 7}}, {{77, 4}}};
  EXPECT_EQ(status_of(call(client, setfacl(3, d, 0, 1, access))), 0u);

  std::vector<uint8_t> expected = {0, 0, 0, 4, 0, 7,    0, 5, 0, 5, 0, 6,  0, 1,
                                   0, 1, 0, 0, 4, 0xD2, 0, 7, 0, 0, 0, 77, 0, 4};
  for (size_t form : {9, 18, 22}) {
    Packet reply = call(client, getfacl(4, d, 1, form));
    EXPECT_EQ(reply.type, msg::MATOCL_FUSE_GETFACL);
    EXPECT_EQ(reply.payload, expected) << "form " << form;
  }
  EXPECT_EQ(status_of(call(client, getfacl(5, d, 2))), 38u);  // ENOATTR

  Attr attr = attr_of(client, d);
  EXPECT_FALSE(attr.flags & kAttrNoXattr);
  EXPECT_EQ(attr.mode(), 0765);  // group bits: the mask

  EXPECT_EQ(status_of(call(client, setfacl(6, d, 0, 2, {7, 5, 0, kNoAclEntry, {}, {}}))), 0u);
  Packet reply = call(client, getfacl(7, d, 2));
  EXPECT_EQ(reply.payload, (std::vector<uint8_t>{0, 0, 0, 7, 0, 7, 0, 5, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0}));
  EXPECT_NE(changelog().find("|SETACL(2,493,1,1,7,5,5,6,1,1,%00%00%04%D2%00%07%00%00%00M%00%04)\n"), std::string::npos);

  // A file made in d inherits; removing its access ACL leaves the mode.
  Packet created = call(client, request::create(8, d, "f", 0666, {}, 022));
  ASSERT_GE(created.payload.size(), 9u);
  uint32_t f = inode_of(d, "f");
  EXPECT_EQ(attr_of(client, f).mode(), 0640);
  EXPECT_TRUE(attr_of(client, f).flags & kAttrNoXattr);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

TEST_F(AclProtocolTest, SetfaclStatuses) {
  TestClient client = mount();
  uint32_t f = make(client, "f", false);
  PosixAcl acl{6, 4, 4, 6, {{1234, 6}}, {}};
  EXPECT_EQ(status_of(call(client, setfacl(1, 99, 0, 1, acl))), 3u);
  EXPECT_EQ(status_of(call(client, setfacl(1, f, 1234, 1, acl))), 1u);
  EXPECT_EQ(status_of(call(client, setfacl(1, f, 0, 3, acl))), 6u);
  EXPECT_EQ(status_of(call(client, getfacl(1, 99, 1))), 3u);
  EXPECT_EQ(status_of(call(client, getfacl(1, f, 1))), 38u);
}

TEST_F(AclProtocolTest, MalformedLengthsCloseTheConnection) {
  TestClient owner = mount();
  uint32_t f = make(owner, "f", false);
  Packet valid = setfacl(1, f, 0, 1, {6, 4, 4, 6, {{1, 6}}, {{2, 4}}});
  ASSERT_EQ(valid.payload.size(), 25u + 12u);
  for (size_t length = 0; length <= valid.payload.size() + 8; ++length) {
    if (length == valid.payload.size()) continue;
    Packet packet = valid;
    packet.payload.resize(length, 0);
    TestClient client = mount();
    EXPECT_FALSE(client.handle(packet)) << "SETFACL of " << length << " bytes";
    EXPECT_TRUE(client.link->take().empty());
  }
  // Entry counts that promise more than the packet holds.
  Packet overstated = valid;
  overstated.payload[22] = 0xFF;
  TestClient client = mount();
  EXPECT_FALSE(client.handle(overstated));

  Packet get = getfacl(1, f, 1, 22);
  for (size_t length = 0; length <= get.payload.size() + 3; ++length) {
    if (length == 9 || (length >= 18 && (length - 18) % 4 == 0)) continue;
    Packet packet = get;
    packet.payload.resize(length, 0);
    TestClient reader = mount();
    EXPECT_FALSE(reader.handle(packet)) << "GETFACL of " << length << " bytes";
  }
  EXPECT_EQ(status_of(call(owner, valid)), 0u);
}

}  // namespace
}  // namespace mfs::master::testing
