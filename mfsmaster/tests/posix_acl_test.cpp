// POSIX ACLs in the master's state (spec 10 §4, §7.5, §7.9, §10.3): access evaluation,
// default ACL inheritance on creation, and chmod on a node with an access ACL. Expected
// values are what the real 3.0.117 master did in the same situations (see
// docs/protocol-notes.md, "POSIX ACLs").
#include "mfsmaster/posix_acl.h"

#include "mfsmaster/credentials.h"
#include "mfsmaster/tests/metadata_test_util.h"

namespace mfs::master {
namespace {

using Fixture = testing::MetadataFixture;

Credentials user(uint32_t uid, std::vector<uint32_t> gids) {
  return map_credentials(SessionMapping{.sesflags = 0, .root_uid = 0, .root_gid = 0}, uid, std::move(gids));
}

Node file_with(uint16_t mode, PosixAcl acl, uint32_t owner = 0, uint32_t group = 0) {
  Node node;
  node.mode = mode;
  node.uid = owner;
  node.gid = group;
  node.edit_extras().access_acl = std::make_unique<PosixAcl>(std::move(acl));
  return node;
}

TEST(PosixAclEvaluation, NamedUserIsCappedByTheMask) {
  // chmod 600; setfacl -m u:1234:r
  Node node = file_with(0600, {6, 0, 0, 4, {{1234, 4}}, {}});
  EXPECT_TRUE(has_access(node, user(1234, {1234}), kAccessRead));
  EXPECT_FALSE(has_access(node, user(1234, {1234}), kAccessWrite));
  EXPECT_FALSE(has_access(node, user(1235, {1235}), kAccessRead));
  node.edit_extras().access_acl->named_users = {{1234, 6}};
  node.edit_extras().access_acl->mask = 4;
  EXPECT_FALSE(has_access(node, user(1234, {1234}), kAccessWrite));
  node.edit_extras().access_acl->mask = 6;
  EXPECT_TRUE(has_access(node, user(1234, {1234}), kAccessRead | kAccessWrite));
  EXPECT_TRUE(has_access(node, user(0, {0}), kAccessRead | kAccessWrite | kAccessExecute));
}

TEST(PosixAclEvaluation, OwnerEntryWinsOverANamedEntryForTheOwner) {
  // setfacl -m u::-,u:1600:rw on a file owned by 1600: the owner is denied.
  Node node = file_with(0000, {0, 0, 0, 6, {{1600, 6}}, {}}, 1600);
  EXPECT_FALSE(has_access(node, user(1600, {1600}), kAccessRead));
}

TEST(PosixAclEvaluation, OneGroupEntryMustGrantEverythingAsked) {
  // setfacl -m g:501:r,g:502:w: a member of both may read or write, but not open read-write.
  Node node = file_with(0600, {6, 0, 0, 6, {}, {{501, 4}, {502, 2}}});
  Credentials both = user(1500, {501, 502});
  EXPECT_TRUE(has_access(node, both, kAccessRead));
  EXPECT_TRUE(has_access(node, both, kAccessWrite));
  EXPECT_FALSE(has_access(node, both, kAccessRead | kAccessWrite));
  EXPECT_EQ(access_modes_mask(node, both), 0x01 | 0x04 | 0x10);  // none, W, R
}

TEST(PosixAclEvaluation, GroupClassMembersDoNotFallBackToOther) {
  Node node = file_with(0604, {6, 0, 4, 7, {}, {{77, 0}}}, 0, 5);
  EXPECT_FALSE(has_access(node, user(1500, {77}), kAccessRead));   // named group grants nothing
  EXPECT_FALSE(has_access(node, user(1500, {5}), kAccessRead));    // owning group grants nothing
  EXPECT_TRUE(has_access(node, user(1500, {1500}), kAccessRead));  // other
  node.edit_extras().access_acl->group = 4;
  node.edit_extras().access_acl->mask = 0;
  EXPECT_FALSE(has_access(node, user(1500, {5}), kAccessRead));    // the mask caps the owning group
  EXPECT_TRUE(has_access(node, user(1500, {1500}), kAccessRead));  // but not other
}

TEST(PosixAclEvaluation, ImmutableNodesOfferNoWriteModes) {
  Node node = file_with(0600, {6, 0, 0, 6, {{1234, 6}}, {}});
  EXPECT_EQ(access_modes_mask(node, user(1234, {1234})), 0x01 | 0x04 | 0x10 | 0x40);
  node.eattr = eattr::kImmutable;
  EXPECT_EQ(access_modes_mask(node, user(1234, {1234})), 0x01 | 0x10);
}

TEST(PosixAcl, ModeBitsShowTheMaskAsGroupClass) {
  PosixAcl acl{6, 4, 4, 6, {{1234, 6}}, {}};
  EXPECT_EQ(acl.mode_bits(), 0664);
  acl.set_mode_bits(0640);
  EXPECT_EQ(acl, (PosixAcl{6, 4, 0, 4, {{1234, 6}}, {}}));
  PosixAcl unmasked{7, 5, 0, kNoAclEntry, {}, {}};
  EXPECT_EQ(unmasked.mode_bits(), 0750);
  EXPECT_TRUE(unmasked.is_minimal());
  EXPECT_FALSE(unmasked.is_empty());
}

TEST(PosixAcl, EntryBlobIsBigEndianUsersThenGroups) {
  PosixAcl acl{6, 4, 4, 7, {{1234, 6}}, {{555, 5}}};
  std::string blob = encode_acl_entries(acl);
  EXPECT_EQ(blob, std::string("\0\0\x04\xD2\0\x06\0\0\x02\x2B\0\x05", 12));
  PosixAcl decoded;
  ASSERT_TRUE(decode_acl_entries(blob, 1, 1, decoded));
  EXPECT_EQ(decoded.named_users, acl.named_users);
  EXPECT_EQ(decoded.named_groups, acl.named_groups);
  EXPECT_FALSE(decode_acl_entries(blob, 1, 0, decoded));
  EXPECT_FALSE(decode_acl_entries(blob.substr(1), 1, 1, decoded));
}

class AclInheritance : public Fixture {
 protected:
  // d with the default ACL of `setfacl -d -m u:1234:rwx,g:77:r` on a 0755 directory.
  uint32_t directory_with_default_acl(PosixAcl acl = {7, 5, 5, 7, {{1234, 7}}, {{77, 4}}}) {
    EXPECT_TRUE(run(ops.mkdir(as_user(0), 1, "d", 0777, 022)));
    uint32_t d = inode_of(1, "d");
    EXPECT_TRUE(run(ops.setfacl(as_user(0), d, 2, acl)));
    return d;
  }
  const Node& node(uint32_t parent, std::string_view name) {
    return *std::as_const(metadata).fs().find(inode_of(parent, name));
  }
};

TEST_F(AclInheritance, NewFileTakesTheDefaultAclCappedByItsMode) {
  uint32_t d = directory_with_default_acl();
  ASSERT_TRUE(run(ops.mknod(as_user(0), d, "f1", 1, 0666, 022, 0)));
  const Node& f1 = node(d, "f1");
  EXPECT_EQ(f1.mode, 0654);              // owner, owning group entry, other
  EXPECT_EQ(f1.effective_mode(), 0664);  // ls -l: -rw-rw-r--+
  ASSERT_NE(f1.extras().access_acl, nullptr);
  EXPECT_EQ(*f1.extras().access_acl, (PosixAcl{6, 5, 4, 6, {{1234, 7}}, {{77, 4}}}));
  EXPECT_EQ(f1.extras().default_acl, nullptr);
}

TEST_F(AclInheritance, NewDirectoryAlsoKeepsTheDefaultAcl) {
  uint32_t d = directory_with_default_acl();
  ASSERT_TRUE(run(ops.mkdir(as_user(0), d, "sub", 0777, 022)));
  ASSERT_TRUE(run(ops.mkdir(as_user(0), d, "sub700", 0700, 022)));
  const Node& sub = node(d, "sub");
  EXPECT_EQ(sub.effective_mode(), 0775);
  EXPECT_EQ(*sub.extras().access_acl, (PosixAcl{7, 5, 5, 7, {{1234, 7}}, {{77, 4}}}));
  EXPECT_EQ(*sub.extras().default_acl, *node(1, "d").extras().default_acl);
  const Node& sub700 = node(d, "sub700");
  EXPECT_EQ(sub700.mode, 0750);
  EXPECT_EQ(sub700.effective_mode(), 0700);
  EXPECT_EQ(sub700.extras().access_acl->mask, 0);
}

TEST_F(AclInheritance, UmaskIsNotApplied) {
  uint32_t d = directory_with_default_acl({7, 5, 5, 5, {{1, 4}}, {}});
  ASSERT_TRUE(run(ops.mknod(as_user(0), d, "u077", 1, 0666, 077, 0)));
  EXPECT_EQ(node(d, "u077").mode, 0654);
  EXPECT_EQ(node(d, "u077").effective_mode(), 0644);
}

TEST_F(AclInheritance, MinimalDefaultAclGivesAModeButNoAccessAcl) {
  uint32_t d = directory_with_default_acl({7, 5, 0, kNoAclEntry, {}, {}});
  ASSERT_TRUE(run(ops.mknod(as_user(0), d, "f", 1, 0666, 022, 0)));
  ASSERT_TRUE(run(ops.mkdir(as_user(0), d, "s", 0777, 022)));
  EXPECT_EQ(node(d, "f").mode, 0640);
  EXPECT_EQ(node(d, "f").extras().access_acl, nullptr);
  EXPECT_EQ(node(d, "s").mode, 0750);
  EXPECT_EQ(node(d, "s").extras().access_acl, nullptr);
  EXPECT_EQ(*node(d, "s").extras().default_acl, (PosixAcl{7, 5, 0, kNoAclEntry, {}, {}}));
}

TEST_F(AclInheritance, SymlinksAndFifosInheritToo) {
  uint32_t d = directory_with_default_acl({7, 5, 5, 7, {{1234, 7}}, {}});
  ASSERT_TRUE(run(ops.symlink(as_user(0), d, "sl", "target")));
  ASSERT_TRUE(run(ops.mknod(as_user(0), d, "fifo", 4, 0666, 022, 0)));
  EXPECT_EQ(node(d, "sl").mode, 0755);  // lrwxrwxr-x
  EXPECT_EQ(node(d, "sl").effective_mode(), 0775);
  EXPECT_EQ(*node(d, "sl").extras().access_acl, (PosixAcl{7, 5, 5, 7, {{1234, 7}}, {}}));
  EXPECT_EQ(node(d, "fifo").effective_mode(), 0664);
}

TEST_F(AclInheritance, SetgidDirectoryStillGivesItsGroupAndBit) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "sg", 02775, 0)));
  uint32_t sg = inode_of(1, "sg");
  metadata.fs().find(sg)->gid = 77;
  ASSERT_TRUE(run(ops.setfacl(as_user(0), sg, 2, {7, 7, 5, 7, {}, {{88, 7}}})));
  ASSERT_TRUE(run(ops.mkdir(as_user(0), sg, "sub", 02777, 022)));
  EXPECT_EQ(node(sg, "sub").gid, 77u);
  EXPECT_EQ(node(sg, "sub").effective_mode(), 02775);
}

SetAttrRequest attr_change(uint8_t mask, uint16_t mode, uint32_t uid = 0) {
  SetAttrRequest request;
  request.setmask = mask;
  request.mode = mode;
  request.uid = uid;
  return request;
}

// ATTR's mode and aclmode arguments.
std::pair<std::string, std::string> logged_modes(const Result<Entries>& entries) {
  EXPECT_TRUE(entries) << entries.status().to_string();
  if (!entries) return {};
  return {entries->at(0).args.at(1), entries->at(0).args.at(7)};
}

TEST_F(Fixture, ChmodSetsOwnerMaskAndOtherOfTheAccessAcl) {
  ASSERT_TRUE(run(ops.mknod(as_user(0), 1, "file", 1, 0644, 0, 0)));
  uint32_t f = inode_of(1, "file");
  ASSERT_TRUE(run(ops.setfacl(as_user(0), f, 1, {6, 4, 4, 7, {{1234, 6}}, {{555, 5}}})));
  auto chmod = ops.setattr(as_user(0), f, false, attr_change(setmask::kMode, 0640));
  // As 3.0.117 logs it: ATTR(2,416,0,0,…,0,4512) - the node keeps its group bits.
  EXPECT_EQ(logged_modes(chmod), std::make_pair(std::string("416"), std::string("4512")));
  ASSERT_TRUE(run(chmod));
  const Node& node = *std::as_const(metadata).fs().find(f);
  EXPECT_EQ(node.mode, 0640);
  EXPECT_EQ(*node.extras().access_acl, (PosixAcl{6, 4, 0, 4, {{1234, 6}}, {{555, 5}}}));

  // chown: the ACL's mode bits are logged unchanged.
  auto chown = ops.setattr(as_user(0), f, false, attr_change(setmask::kUid, 0, 1234));
  EXPECT_EQ(logged_modes(chown).second, "4512");

  // A setgid directory: aclmode carries the 0777 bits only (chmod 751 keeps its setgid bit).
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "sg", 02775, 0)));
  uint32_t sg = inode_of(1, "sg");
  ASSERT_TRUE(run(ops.setfacl(as_user(0), sg, 1, {7, 7, 5, 7, {{5, 7}}, {}})));
  EXPECT_EQ(logged_modes(ops.setattr(as_user(0), sg, false, attr_change(setmask::kMode, 02751))),
            std::make_pair(std::string("1529"), std::string("4585")));  // 02771, 0x1000 + 0751
}

TEST_F(Fixture, ChmodOfANodeWithOnlyADefaultAclLogsNoAclMode) {
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "dd", 0755, 0)));
  uint32_t dd = inode_of(1, "dd");
  ASSERT_TRUE(run(ops.setfacl(as_user(0), dd, 2, {7, 5, 5, 7, {{1234, 7}}, {}})));
  auto chmod = ops.setattr(as_user(0), dd, false, attr_change(setmask::kMode, 0700));
  EXPECT_EQ(logged_modes(chmod).second, "0");
  ASSERT_TRUE(run(chmod));
  EXPECT_EQ(std::as_const(metadata).fs().find(dd)->extras().default_acl->group, 5);
}

}  // namespace
}  // namespace mfs::master
