// POSIX ACLs through the mutation path and the stored forms: the SETACL changelog entries
// SETFACL produces (compared with lines the real 3.0.117 master wrote for the same
// requests), their replay, the LevelDB node record and the PACL section of metadata.mfs.
#include <algorithm>
#include <random>
#include <sstream>

#include "mfsmaster/checkpoint_records.h"
#include "mfsmaster/metadata_image_reader.h"
#include "mfsmaster/metadata_image_writer.h"
#include "mfsmaster/tests/metadata_test_util.h"

namespace mfs::master {
namespace {

using Fixture = testing::MetadataFixture;

std::string line_body(const ChangelogEntry& entry) {
  std::string line = format_changelog_line(entry);
  return line.substr(line.find('|') + 1, line.size() - line.find('|') - 2);
}

std::string describe_acl(const PosixAcl* acl) {
  if (!acl) return "-";
  std::ostringstream out;
  out << acl->user << "," << acl->group << "," << acl->other << "," << acl->mask;
  for (const AclEntry& e : acl->named_users) out << " u" << e.id << ":" << e.perm;
  for (const AclEntry& e : acl->named_groups) out << " g" << e.id << ":" << e.perm;
  return out.str();
}

// Every node's attributes and ACLs, for comparing two states.
std::string describe(const Metadata& metadata) {
  std::ostringstream out;
  for (uint32_t inode = 1; inode <= metadata.fs().max_inode(); ++inode) {
    const Node* node = metadata.fs().find(inode);
    if (!node) continue;
    out << inode << " m" << std::oct << node->mode << std::dec << " u" << node->uid << " g" << node->gid << " c"
        << node->ctime << " acl " << describe_acl(node->extras().access_acl.get()) << " default "
        << describe_acl(node->extras().default_acl.get()) << "\n";
  }
  return out.str() + "v" + std::to_string(metadata.version());
}

class SetfaclTest : public Fixture {
 protected:
  uint32_t file() {
    EXPECT_TRUE(run(ops.mknod(as_user(0), 1, "file", 1, 0644, 0, 0)));
    return inode_of(1, "file");
  }
  // Validates, checks the logged line and applies it.
  void expect_logged(uint32_t inode, uint8_t type, const PosixAcl& acl, const std::string& expected,
                     const RequestContext& context) {
    auto entries = ops.setfacl(context, inode, type, acl);
    ASSERT_TRUE(entries) << entries.status().to_string();
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ(line_body(entries->front()), expected);
    ASSERT_TRUE(run(entries));
  }
  void expect_logged(uint32_t inode, uint8_t type, const PosixAcl& acl, const std::string& expected) {
    expect_logged(inode, type, acl, expected, as_user(0));
  }
  const Node& node(uint32_t inode) { return *std::as_const(metadata).fs().find(inode); }
};

TEST_F(SetfaclTest, EntriesAreThoseOfTheRealMaster) {
  uint32_t f = file();
  // setfacl -m u:1234:rw
  expect_logged(f, 1, {6, 4, 4, 6, {{1234, 6}}, {}}, "SETACL(2,420,1,1,6,4,4,6,1,0,%00%00%04%D2%00%06)");
  EXPECT_EQ(node(f).effective_mode(), 0664);
  // setfacl -m g:555:r-x
  expect_logged(f, 1, {6, 4, 4, 7, {{1234, 6}}, {{555, 5}}},
                "SETACL(2,420,1,1,6,4,4,7,1,1,%00%00%04%D2%00%06%00%00%02+%00%05)");
  // setfacl -b: the client sends the minimal ACL; the master folds it into the mode.
  expect_logged(f, 1, {6, 4, 4, kNoAclEntry, {}, {}}, "SETACL(2,420,1,1,6,4,4,65535,0,0,)");
  EXPECT_EQ(node(f).extras().access_acl, nullptr);
  // setfacl -m u::rwx,g::r,o::-
  expect_logged(f, 1, {7, 4, 0, kNoAclEntry, {}, {}}, "SETACL(2,480,1,1,7,4,0,65535,0,0,)");
  EXPECT_EQ(node(f).mode, 0740);
  // setfacl -m m::r: a mask alone is stored.
  expect_logged(f, 1, {7, 4, 0, 4, {}, {}}, "SETACL(2,480,1,1,7,4,0,4,0,0,)");
  ASSERT_NE(node(f).extras().access_acl, nullptr);
  // removexattr: all absent.
  expect_logged(f, 1, {kNoAclEntry, kNoAclEntry, kNoAclEntry, kNoAclEntry, {}, {}},
                "SETACL(2,480,1,1,65535,65535,65535,65535,0,0,)");
  EXPECT_EQ(node(f).extras().access_acl, nullptr);
  EXPECT_EQ(node(f).mode, 0740);
}

TEST_F(SetfaclTest, AbsentBaseEntriesComeFromTheModeAndHighBitsAreKept) {
  uint32_t f = file();
  expect_logged(f, 1, {kNoAclEntry, kNoAclEntry, kNoAclEntry, 5, {{6, 7}}, {{9, 1}}},
                "SETACL(2,420,1,1,6,4,4,5,1,1,%00%00%00%06%00%07%00%00%00%09%00%01)");
  expect_logged(f, 1, {0x1F, 0x0D, 0x0C, 0x0F, {{6, 0xFF}}, {}},
                "SETACL(2,492,1,1,31,13,12,15,1,0,%00%00%00%06%00%FF)");
  auto acl = ops.getfacl(as_user(0), f, 1);
  ASSERT_TRUE(acl);
  EXPECT_EQ(**acl, (PosixAcl{0x1F, 0x0D, 0x0C, 0x0F, {{6, 0xFF}}, {}}));
  // A default ACL on a file is accepted, as by 3.0.117.
  expect_logged(f, 2, {7, 5, 5, 7, {{5, 7}}, {}}, "SETACL(2,492,1,2,7,5,5,7,1,0,%00%00%00%05%00%07)");
  // Removing a default ACL a directory does not have is no error.
  ASSERT_TRUE(run(ops.mkdir(as_user(0), 1, "d", 0755, 0)));
  expect_logged(inode_of(1, "d"), 2, {kNoAclEntry, kNoAclEntry, kNoAclEntry, kNoAclEntry, {}, {}},
                "SETACL(3,493,1,2,65535,65535,65535,65535,0,0,)");
}

TEST_F(SetfaclTest, CtimeChangesOnlyWithTheModeOrWithinTheSameSecond) {
  uint32_t f = file();
  RequestContext later = as_user(0);
  later.now = kNow + 2;
  expect_logged(f, 1, {6, 4, 4, 4, {{1, 4}}, {}}, "SETACL(2,420,0,1,6,4,4,4,1,0,%00%00%00%01%00%04)", later);
  EXPECT_EQ(node(f).ctime, kNow);
  expect_logged(f, 1, {7, 4, 4, 4, {{1, 4}}, {}}, "SETACL(2,484,1,1,7,4,4,4,1,0,%00%00%00%01%00%04)", later);
  EXPECT_EQ(node(f).ctime, kNow + 2);
  // Now ctime equals the change's time: logged as changed although the mode is not.
  expect_logged(f, 1, {7, 4, 4, 6, {{1, 4}}, {}}, "SETACL(2,484,1,1,7,4,4,6,1,0,%00%00%00%01%00%04)", later);
}

TEST_F(SetfaclTest, Validation) {
  uint32_t f = file();
  PosixAcl acl{6, 4, 4, 6, {{1234, 6}}, {}};
  EXPECT_EQ(ops.setfacl(as_user(0), 99, 1, acl).code(), StatusCode::kENOENT);
  EXPECT_EQ(ops.setfacl(as_user(1234), f, 1, acl).code(), StatusCode::kEPERM);
  EXPECT_EQ(ops.setfacl(as_user(0), f, 0, acl).code(), StatusCode::kEINVAL);
  EXPECT_EQ(ops.setfacl(as_user(0), f, 3, acl).code(), StatusCode::kEINVAL);
  PosixAcl huge = acl;
  huge.named_groups.resize(8191);
  EXPECT_EQ(ops.setfacl(as_user(0), f, 1, huge).code(), StatusCode::kEINVAL);
  huge.named_groups.resize(8190);
  EXPECT_TRUE(ops.setfacl(as_user(0), f, 1, huge));

  metadata.fs().find(f)->uid = 1234;
  EXPECT_TRUE(ops.setfacl(as_user(1234), f, 1, acl));
  metadata.fs().find(f)->uid = 0;
  metadata.fs().find(f)->eattr = eattr::kNoOwner;
  EXPECT_TRUE(ops.setfacl(as_user(1234), f, 1, acl));
  metadata.fs().find(f)->eattr = eattr::kImmutable;
  EXPECT_EQ(ops.setfacl(as_user(0), f, 1, acl).code(), StatusCode::kEPERM);
  metadata.fs().find(f)->eattr = 0;

  SessionParameters& session = metadata.sessions().find(1)->parameters;
  session.disables = disable::kSetFacl;
  EXPECT_EQ(ops.setfacl(as_user(0), f, 1, acl).code(), StatusCode::kEPERM);
  session.disables = 0;
  session.sesflags = sesflag::kReadOnly;
  EXPECT_EQ(ops.setfacl(as_user(0), f, 1, acl).code(), StatusCode::kEROFS);
  EXPECT_EQ(ops.getfacl(as_user(0), f, 1).code(), StatusCode::kENOATTR);  // reading is fine
}

TEST_F(SetfaclTest, GetfaclStatuses) {
  uint32_t f = file();
  EXPECT_EQ(ops.getfacl(as_user(0), 99, 1).code(), StatusCode::kENOENT);
  EXPECT_EQ(ops.getfacl(as_user(0), f, 1).code(), StatusCode::kENOATTR);
  ASSERT_TRUE(run(ops.setfacl(as_user(0), f, 1, {6, 4, 4, 6, {{1234, 6}}, {}})));
  EXPECT_TRUE(ops.getfacl(as_user(1234), f, 1));  // no permission check
  EXPECT_EQ(ops.getfacl(as_user(0), f, 2).code(), StatusCode::kENOATTR);
  EXPECT_EQ(ops.getfacl(as_user(0), f, 0).code(), StatusCode::kENOATTR);
  EXPECT_EQ(ops.getfacl(as_user(0), f, 3).code(), StatusCode::kENOATTR);
}

// Lines of a real 3.0.117 changelog (setfacl, getfacl, chmod and chown through a mount),
// replayed; the expected state is what mfsmetadump showed of that master's image.
TEST_F(Fixture, ReplaysTheRealMastersAclChanges) {
  const char* lines[] = {
      "9: 1795586223|CREATE(1,file,1,438,18,0,0,0):2",
      "10: 1795586223|ACQUIRE(1,2)",
      "11: 1795586223|ATTR(2,420,0,0,1795586223,1795586223,0,0)",
      "12: 1795586223|SETACL(2,420,1,1,6,4,4,6,1,0,%00%00%04%D2%00%06)",
      "13: 1795586223|SETACL(2,420,1,1,6,4,4,65535,0,0,)",
      "14: 1795586223|CREATE(1,plain,1,438,18,0,0,0):3",
      "17: 1795586223|CREATE(1,same,1,438,18,0,0,0):4",
      "20: 1795586223|SETACL(4,420,1,1,6,4,4,6,1,0,%00%00%04%D2%00%06)",
      "21: 1795586225|CREATE(1,dd,2,511,18,0,0,0):5",
      "22: 1795586225|SETACL(5,493,1,2,7,5,5,7,1,0,%00%00%04%D2%00%07)",
      "23: 1795586226|SYMLINK(5,sl,target,0,0):6",
      "25: 1795586226|ATTR(5,448,0,0,1795586226,1795586226,0,0)",
      "26: 1795586226|CREATE(1,d2,2,511,18,0,0,0):7",
      "27: 1795586226|SETACL(7,493,1,2,7,5,0,65535,0,0,)",
      "28: 1795586226|CREATE(7,f,1,438,18,0,0,0):8",
      "31: 1795586226|CREATE(7,s,2,511,18,0,0,0):9",
      "32: 1795586226|CREATE(1,priv,1,438,18,0,0,0):10",
      "37: 1795586226|ATTR(10,384,0,0,1795586226,1795586226,0,0)",
      "38: 1795586226|SETACL(10,384,1,1,6,0,0,4,1,0,%00%00%04%D2%00%04)",
      "39: 1795586227|SETACL(10,384,0,1,6,0,0,6,1,1,%00%00%04%D2%00%04%00%00%03%09%00%06)",
      "43: 1795586227|SETACL(10,384,0,1,6,0,0,4,1,1,%00%00%04%D2%00%04%00%00%03%09%00%06)",
      "44: 1795586227|ATTR(10,384,1234,0,1795586226,1795586226,0,4512)",
      "45: 1795586227|SETACL(10,384,1,1,6,0,0,6,2,1,%00%00%00c%00%04%00%00%04%D2%00%04%00%00%03%09%00%06)",
      "46: 1795586227|ATTR(10,384,1234,55,1795586226,1795586226,0,4528)",
  };
  for (const char* line : lines) {
    auto entry = parse_changelog_line(line);
    ASSERT_TRUE(entry) << line;
    ASSERT_TRUE(apply(*entry)) << line;
  }
  const FsTree& fs = std::as_const(metadata).fs();
  auto acl_of = [&](uint32_t inode, AclType type) { return describe_acl(fs.find(inode)->acl(type)); };
  std::vector<std::pair<uint32_t, uint16_t>> modes = {{2, 0644}, {4, 0644}, {5, 0700}, {6, 0755},
                                                      {7, 0755}, {8, 0640}, {9, 0750}, {10, 0600}};
  for (auto [inode, mode] : modes) EXPECT_EQ(fs.find(inode)->mode, mode) << inode;
  // POSIXACL|i: 10|t:1|u:6|g:0|o:0|m:6|n:(u(99):4,u(1234):4,g(777):6) and so on.
  EXPECT_EQ(acl_of(10, AclType::kAccess), "6,0,0,6 u99:4 u1234:4 g777:6");
  EXPECT_EQ(acl_of(9, AclType::kDefault), "7,5,0,65535");
  EXPECT_EQ(acl_of(9, AclType::kAccess), "-");
  EXPECT_EQ(acl_of(8, AclType::kAccess), "-");
  EXPECT_EQ(acl_of(7, AclType::kDefault), "7,5,0,65535");
  EXPECT_EQ(acl_of(6, AclType::kAccess), "7,5,5,7 u1234:7");
  EXPECT_EQ(acl_of(5, AclType::kDefault), "7,5,5,7 u1234:7");
  EXPECT_EQ(acl_of(5, AclType::kAccess), "-");
  EXPECT_EQ(acl_of(4, AclType::kAccess), "6,4,4,6 u1234:6");
  EXPECT_EQ(acl_of(2, AclType::kAccess), "-");
  EXPECT_EQ(fs.find(10)->uid, 1234u);
  EXPECT_EQ(fs.find(10)->gid, 55u);
  EXPECT_EQ(fs.find(10)->ctime, 1795586227u);
}

TEST_F(Fixture, ReplayedSetaclWithoutCtimeChangeKeepsCtime) {
  ASSERT_TRUE(apply(*parse_changelog_line("1: 1795586313|CREATE(1,a,1,438,18,0,0,0):2")));
  ASSERT_TRUE(apply(*parse_changelog_line("2: 1795586315|SETACL(2,420,0,1,6,4,4,4,1,0,%00%00%00%01%00%04)")));
  EXPECT_EQ(metadata.fs().find(2)->ctime, 1795586313u);
  EXPECT_FALSE(apply(*parse_changelog_line("3: 1795586315|SETACL(2,420,0,1,6,4,4,4,1,0,%00%00%00%01)")));
  EXPECT_FALSE(apply(*parse_changelog_line("3: 1795586315|SETACL(2,420,0,3,6,4,4,4,0,0,)")));
  EXPECT_FALSE(apply(*parse_changelog_line("3: 1795586315|SETACL(99,420,0,1,6,4,4,4,0,0,)")));
}

// Random operations with ACLs, live; their log through the changelog text and replayed on
// a fresh file system gives the same state.
TEST_F(Fixture, LiveAndReplayedAclStatesAgree) {
  std::mt19937 random(4242);
  std::vector<std::string> names = {"a", "b", "c"};
  auto random_acl = [&random] {
    PosixAcl acl;
    auto perm = [&random] { return static_cast<uint16_t>(random() % 4 == 0 ? kNoAclEntry : random() % 8); };
    acl.user = perm();
    acl.group = perm();
    acl.other = perm();
    acl.mask = perm();
    for (uint32_t i = random() % 3; i > 0; --i)
      acl.named_users.push_back({1000 + i, static_cast<uint16_t>(random() % 8)});
    for (uint32_t i = random() % 2; i > 0; --i)
      acl.named_groups.push_back({2000 + i, static_cast<uint16_t>(random() % 8)});
    return acl;
  };
  for (int step = 0; step < 2000; ++step) {
    std::vector<uint32_t> inodes;
    std::vector<uint32_t> directories;
    for (uint32_t inode = 1; inode <= metadata.fs().max_inode(); ++inode) {
      const Node* node = std::as_const(metadata).fs().find(inode);
      if (!node) continue;
      inodes.push_back(inode);
      if (node->is_directory()) directories.push_back(inode);
    }
    uint32_t dir = directories[random() % directories.size()];
    uint32_t target = inodes[random() % inodes.size()];
    const std::string& name = names[random() % names.size()];
    RequestContext context = as_user(random() % 3 ? 0 : 1000);
    context.now = kNow + step / 10;
    switch (random() % 7) {
      case 0:
        run(ops.mkdir(context, dir, name, 0777, 022));
        break;
      case 1:
        run(ops.mknod(context, dir, name, 1, 0666, 077, 0));
        break;
      case 2:
        run(ops.symlink(context, dir, name, "t"));
        break;
      case 3:
        run(ops.unlink(context, dir, name, random() % 2));
        break;
      case 4: {
        SetAttrRequest request;
        request.setmask = static_cast<uint8_t>(random() % 2 ? setmask::kMode : setmask::kMode | setmask::kUid);
        request.mode = random() % 07777;
        request.uid = 1000;
        run(ops.setattr(context, target, false, request));
        break;
      }
      default:
        run(ops.setfacl(context, target, static_cast<uint8_t>(1 + random() % 2), random_acl()));
        break;
    }
  }
  Metadata replayed;
  replayed.init_empty(kNow);
  for (ChangelogEntry entry : log) {
    auto reparsed = parse_changelog_line(format_changelog_line(entry));
    ASSERT_TRUE(reparsed);
    ASSERT_EQ(*reparsed, entry);
    ASSERT_TRUE(replayed.apply(entry)) << format_changelog_line(entry);
  }
  EXPECT_EQ(describe(replayed), describe(metadata));
  size_t with_acls = 0;
  for (const Node* node : std::as_const(metadata).fs().all_nodes()) with_acls += node->extras().access_acl || node->extras().default_acl;
  EXPECT_GT(with_acls, 5u);
}

TEST(AclCheckpointRecord, NodeRecordKeepsBothAcls) {
  Node node;
  node.inode = 5;
  node.type = NodeType::kDirectory;
  node.mode = 0750;
  node.edit_extras().access_acl = std::make_unique<PosixAcl>(PosixAcl{7, 5, 0, 0, {{1, 7}}, {{2, 0xFFFF}}});
  node.edit_extras().default_acl = std::make_unique<PosixAcl>(PosixAcl{7, 5, 0, kNoAclEntry, {}, {}});
  std::vector<checkpoint_records::StoredEdge> edges;
  auto decoded = checkpoint_records::decode_node(5, checkpoint_records::encode_node(node), edges);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  ASSERT_NE((*decoded)->extras().access_acl, nullptr);
  EXPECT_EQ(*(*decoded)->extras().access_acl, *node.extras().access_acl);
  ASSERT_NE((*decoded)->extras().default_acl, nullptr);
  EXPECT_EQ(*(*decoded)->extras().default_acl, *node.extras().default_acl);

  // Records written before ACLs were stored (format 1) still load. Such a record holds
  // the chunk table as a count and the ids, where today's has a run count too.
  node.edit_extras().access_acl.reset();
  node.edit_extras().default_acl.reset();
  std::string record = checkpoint_records::encode_node(node);
  record[0] = 1;
  record.resize(record.size() - 2);  // the two "no ACL" bytes
  constexpr size_t kAfterRunCount = 12;  // empty symlink target, rdev, xattr count
  record.erase(record.size() - kAfterRunCount - 4, 4);
  auto old = checkpoint_records::decode_node(5, record, edges);
  ASSERT_TRUE(old) << old.status().to_string();
  EXPECT_EQ((*old)->extras().access_acl, nullptr);
  // A truncated ACL is an error, not a crash.
  node.edit_extras().access_acl = std::make_unique<PosixAcl>(PosixAcl{7, 5, 0, 0, {{1, 7}}, {}});
  record = checkpoint_records::encode_node(node);
  record.resize(record.size() - 4);
  EXPECT_FALSE(checkpoint_records::decode_node(5, record, edges));
}

// The PACL section: version 1.0 (mask 0 meant "no mask") and records of missing i-nodes.
TEST_F(Fixture, ImageAclSectionVersions) {
  ASSERT_TRUE(run(ops.mknod(as_user(0), 1, "f", 1, 0640, 0, 0)));
  uint32_t f = inode_of(1, "f");
  ASSERT_TRUE(run(ops.setfacl(as_user(0), f, 1, {6, 4, 0, 0, {{7, 6}}, {}})));
  auto image = serialize_metadata_image(metadata, nullptr);
  ASSERT_TRUE(image);
  std::vector<uint8_t>& bytes = *image;
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  size_t pacl = text.find("PACL 1.1");
  ASSERT_NE(pacl, std::string_view::npos);

  Metadata loaded;
  ImageLoadReport report;
  ASSERT_TRUE(load_metadata_image_bytes(bytes, loaded, nullptr, kNow, &report));
  EXPECT_EQ(*loaded.fs().find(f)->extras().access_acl, *metadata.fs().find(f)->extras().access_acl);

  std::vector<uint8_t> old = bytes;
  old[pacl + 7] = '0';  // "PACL 1.0"
  ASSERT_TRUE(load_metadata_image_bytes(old, loaded, nullptr, kNow, &report));
  EXPECT_EQ(*loaded.fs().find(f)->extras().access_acl, (PosixAcl{6, 4, 0, 7, {{7, 6}}, {}}));

  std::vector<uint8_t> orphan = bytes;
  orphan[pacl + 16 + 3] = 0x63;  // the record names i-node 99
  ASSERT_TRUE(load_metadata_image_bytes(orphan, loaded, nullptr, kNow, &report));
  EXPECT_EQ(report.acls_skipped, 1u);
  EXPECT_EQ(loaded.fs().find(f)->extras().access_acl, nullptr);

  std::vector<uint8_t> bad_type = bytes;
  bad_type[pacl + 16 + 4] = 3;
  EXPECT_FALSE(load_metadata_image_bytes(bad_type, loaded, nullptr, kNow));
}

}  // namespace
}  // namespace mfs::master
