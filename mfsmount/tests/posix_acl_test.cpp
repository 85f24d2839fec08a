#include "mfsmount/posix_acl.h"

#include <gtest/gtest.h>

#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfsmount/tests/master_reply_builders.h"

namespace mfs::mount {
namespace {

using testing::body;

// Linux xattr bytes: version 2, then (tag, perm, id) entries, little-endian.
std::vector<uint8_t> xattr(std::initializer_list<std::tuple<uint16_t, uint16_t, uint32_t>> entries,
                           uint32_t version = 2) {
  std::vector<uint8_t> out;
  auto le = [&](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  le(version, 4);
  for (auto [tag, perm, id] : entries) {
    le(tag, 2);
    le(perm, 2);
    le(id, 4);
  }
  return out;
}

constexpr uint32_t kNone = 0xFFFFFFFF;

TEST(PosixAcl, Names) {
  EXPECT_EQ(acl_type_of("system.posix_acl_access"), kAclAccess);
  EXPECT_EQ(acl_type_of("system.posix_acl_default"), kAclDefault);
  EXPECT_EQ(acl_type_of("system.posix_acl_other"), std::nullopt);
  EXPECT_EQ(acl_type_of("user.x"), std::nullopt);
}

TEST(PosixAcl, FromXattrInGetfaclOrder) {
  auto acl = acl_from_xattr(xattr({{0x01, 6, kNone}, {0x02, 6, 1234}, {0x04, 4, kNone}, {0x08, 5, 501},
                                   {0x02, 4, 77}, {0x10, 7, kNone}, {0x20, 4, kNone}}));
  ASSERT_TRUE(acl) << acl.status().to_string();
  EXPECT_EQ(acl->user, 6);
  EXPECT_EQ(acl->group, 4);
  EXPECT_EQ(acl->other, 4);
  EXPECT_EQ(acl->mask, 7);
  EXPECT_EQ(acl->users, (std::vector<AclEntry>{{1234, 6}, {77, 4}}));  // in the order given
  EXPECT_EQ(acl->groups, (std::vector<AclEntry>{{501, 5}}));
  // Absent single entries go as 0xFFFF.
  auto partial = acl_from_xattr(xattr({{0x20, 1, kNone}}));
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->user, kAclAbsent);
  EXPECT_EQ(partial->other, 1);
}

TEST(PosixAcl, BadXattrValuesAreEinval) {
  auto refused = [](const std::vector<uint8_t>& value) {
    auto acl = acl_from_xattr(value);
    return !acl && acl.code() == StatusCode::kEINVAL;
  };
  EXPECT_TRUE(refused({}));
  EXPECT_TRUE(refused({2, 0, 0}));
  EXPECT_TRUE(refused(xattr({{0x01, 6, kNone}}, 1)));                         // version
  std::vector<uint8_t> ragged = xattr({{0x01, 6, kNone}});
  ragged.push_back(0);
  EXPECT_TRUE(refused(ragged));                                               // not 4 + 8n
  EXPECT_TRUE(refused(xattr({{0x01, 6, kNone}, {0x01, 7, kNone}})));          // two USER_OBJ
  EXPECT_TRUE(refused(xattr({{0x10, 6, kNone}, {0x10, 7, kNone}})));          // two masks
  EXPECT_TRUE(refused(xattr({{0x40, 6, kNone}})));                            // unknown tag
  EXPECT_TRUE(refused(xattr({{0x01, 6, kNone}, {0x02, 6, 5}, {0x20, 0, kNone}})));  // named, no mask
}

TEST(PosixAcl, ToXattrAlwaysHasAMask) {
  PosixAcl acl;
  acl.user = 7;
  acl.group = 5;
  acl.other = 0;
  acl.users = {{1234, 6}};
  std::vector<uint8_t> value = acl_to_xattr(acl);
  EXPECT_EQ(value, xattr({{0x01, 7, kNone}, {0x02, 6, 1234}, {0x04, 5, kNone}, {0x10, 0xFFFF, kNone},
                          {0x20, 0, kNone}}));
  auto back = acl_from_xattr(value);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, acl);
}

TEST(PosixAcl, Requests) {
  Frame get = getfacl_request(0x0A0B0C0D, kAclDefault);
  EXPECT_EQ(std::vector<uint8_t>(get.begin() + kPacketHeaderSize + 4, get.end()),
            (std::vector<uint8_t>{0x0A, 0x0B, 0x0C, 0x0D, 2}));
  PosixAcl acl;
  acl.user = 6;
  acl.mask = 7;
  acl.users = {{5, 4}};
  acl.groups = {{6, 1}};
  Frame set = setfacl_request(2, 1000, kAclAccess, acl);
  // msgid inode uid acltype 4 perms 2 counts 2 entries = 4+4+4+1+8+4+12 = 37 = 25 + 6*2
  ASSERT_EQ(set.size() - kPacketHeaderSize, 37u);
  PacketReader in(Body(set).subspan(kPacketHeaderSize + 4));
  EXPECT_EQ(in.u32(), 2u);
  EXPECT_EQ(in.u32(), 1000u);
  EXPECT_EQ(in.u8(), kAclAccess);
  EXPECT_EQ(in.u16(), 6);
  EXPECT_EQ(in.u16(), kAclAbsent);
  EXPECT_EQ(in.u16(), kAclAbsent);
  EXPECT_EQ(in.u16(), 7);
  EXPECT_EQ(in.u16(), 1);
  EXPECT_EQ(in.u16(), 1);
  EXPECT_EQ(in.u32(), 5u);
  EXPECT_EQ(in.u16(), 4);
  EXPECT_EQ(in.u32(), 6u);
  EXPECT_EQ(in.u16(), 1);
  EXPECT_TRUE(in.finished());
}

TEST(PosixAcl, GetfaclReply) {
  PacketWriter out(0);
  out.u16(7).u16(5).u16(4).u16(7).u16(1).u16(1).u32(1234).u16(6).u32(501).u16(4);
  auto acl = decode_getfacl_reply(body(std::move(out)));
  ASSERT_TRUE(acl) << acl.status().to_string();
  EXPECT_EQ(acl->users, (std::vector<AclEntry>{{1234, 6}}));
  EXPECT_EQ(acl->groups, (std::vector<AclEntry>{{501, 4}}));
  EXPECT_EQ(decode_getfacl_reply(std::vector<uint8_t>{38}).code(), StatusCode::kENOATTR);
}

TEST(PosixAcl, MalformedGetfaclRepliesAreRefused) {
  auto refused = [](PacketWriter& out) {
    auto acl = decode_getfacl_reply(body(std::move(out)));
    return !acl && acl.code() == StatusCode::kIO;
  };
  PacketWriter short_header(0);
  short_header.u16(7).u16(5).u16(4);
  EXPECT_TRUE(refused(short_header));
  PacketWriter too_few(0);
  too_few.u16(7).u16(5).u16(4).u16(7).u16(2).u16(0).u32(1).u16(6);  // 2 users announced, 1 sent
  EXPECT_TRUE(refused(too_few));
  PacketWriter too_many(0);
  too_many.u16(7).u16(5).u16(4).u16(7).u16(0).u16(0).u8(1);
  EXPECT_TRUE(refused(too_many));
  PacketWriter huge(0);
  huge.u16(7).u16(5).u16(4).u16(7).u16(0xFFFF).u16(0xFFFF);
  EXPECT_TRUE(refused(huge));
}

}  // namespace
}  // namespace mfs::mount
