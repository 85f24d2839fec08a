// Storage classes (spec 11 §4, §5.16, spec 30 §3.5, §4.3): the class table, the
// administration requests through ClientProtocol with their statuses and SCSET / SCDEL /
// SCDUP / SCREN entries (text as the 3.0.117 master writes it), replay, the checkpoint and
// metadata.mfs round trips, malformed requests, and the classes' use by GETSCLASS /
// SETSCLASS by name / GETDIRSTATS realsize.
#include <string>
#include <utility>

#include "mfsmaster/checkpoint.h"
#include "mfsmaster/metadata_image_reader.h"
#include "mfsmaster/metadata_image_writer.h"
#include "mfsmaster/topology.h"
#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

constexpr uint32_t kA = 1, kB = 2, kC = 4;

LabelSet labels(std::initializer_list<uint32_t> masks) {
  LabelSet set;
  for (uint32_t mask : masks) set.push_back(CopyLabels{mask, 0, 0, 0});
  return set;
}

StorageClass labelled(LabelSet keep) {
  StorageClass defined;
  defined.create = keep;
  defined.keep = keep;
  defined.archive = std::move(keep);
  return defined;
}

Packet create_request(uint32_t msgid, std::string_view name, const StorageClass& defined, uint8_t format = 0) {
  PacketWriter out(msg::CLTOMA_SCLASS_CREATE);
  out.u32(msgid).name8(name).u8(format);
  put_class_definition(out, defined);
  return to_packet(out);
}

Packet change_request(uint32_t msgid, std::string_view name, uint16_t chgmask, const StorageClass& defined) {
  PacketWriter out(msg::CLTOMA_SCLASS_CHANGE);
  out.u32(msgid).name8(name).u8(0).u16(chgmask);
  put_class_definition(out, defined);
  return to_packet(out);
}

Packet names_request(uint32_t type, uint32_t msgid, std::string_view first, std::string_view second = {}) {
  PacketWriter out(type);
  out.u32(msgid).name8(first);
  if (type != msg::CLTOMA_SCLASS_DELETE) out.name8(second);
  return to_packet(out);
}

Packet list_request(uint32_t msgid, uint8_t longmode) {
  PacketWriter out(msg::CLTOMA_SCLASS_LIST);
  out.u32(msgid).u8(longmode);
  return to_packet(out);
}

Packet set_class_named(uint32_t msgid, uint32_t inode, uint8_t smode, std::string_view name) {
  PacketWriter out(msg::CLTOMA_FUSE_SETSCLASS);
  out.u32(msgid).u32(inode).u32(0).u8(0xFF).u8(smode).name8(name);
  return to_packet(out);
}

// ",0" n times: the masks of copies on any server.
std::string zeros(size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) text += ",0";
  return text;
}

// Changelog lines without their "<id>: <ts>|" prefix.
std::vector<std::string> entries_of(const std::string& changelog, std::string_view prefix) {
  std::vector<std::string> found;
  size_t start = 0;
  while (start < changelog.size()) {
    size_t end = changelog.find('\n', start);
    std::string line = changelog.substr(start, end - start);
    size_t bar = line.find('|');
    if (bar != std::string::npos && line.compare(bar + 1, prefix.size(), prefix) == 0) {
      found.push_back(line.substr(bar + 1));
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return found;
}

TEST(StorageClassTableTest, StartsWithTheGoalClassesAndReusesTheLowestFreeId) {
  StorageClassTable table;
  for (uint8_t id = 1; id <= 9; ++id) {
    ASSERT_TRUE(table.find(id));
    EXPECT_EQ(table.find(id)->name, std::to_string(id));
    EXPECT_EQ(table.goal(id), id);
    EXPECT_EQ(table.find(id)->keep.size(), id);
  }
  EXPECT_FALSE(table.find(0));
  EXPECT_FALSE(table.find(10));
  EXPECT_EQ(table.free_id(), 10);
  table.set(10, labelled(labels({kA, kB})));
  table.set(11, labelled(labels({kC})));
  EXPECT_EQ(table.free_id(), 12);
  table.erase(10);
  EXPECT_EQ(table.free_id(), 10);
  for (uint32_t id = 10; id < 256; ++id) table.set(static_cast<uint8_t>(id), labelled(labels({0})));
  EXPECT_FALSE(table.free_id());
}

TEST(StorageClassTableTest, KeepMaxGoalIsTheLargerOfKeepAndArchiveCounts) {
  StorageClass defined = labelled(labels({kA}));
  defined.archive = labels({kA, kB, kC});
  EXPECT_EQ(defined.keep_max_goal(), 3);
  defined.archive.clear();
  EXPECT_FALSE(defined.counts_valid());
  defined.archive = labels({0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_FALSE(defined.counts_valid());
}

TEST(StorageClassTableTest, NamesAreOneTo255BytesWithoutZero) {
  EXPECT_TRUE(valid_class_name("a"));
  EXPECT_TRUE(valid_class_name(std::string(255, 'x')));
  EXPECT_FALSE(valid_class_name(""));
  EXPECT_FALSE(valid_class_name(std::string(256, 'x')));
  EXPECT_FALSE(valid_class_name(std::string("a\0b", 3)));
}

TEST(StorageClassTableTest, ScsetEntryHasTheObservedLayout) {
  // Observed on 3.0.117 for `mfsscadmin create -a 1 -m s -C A -K A,B -A C -d 3 sc2`.
  StorageClass defined;
  defined.name = "sc2";
  defined.admin_only = 1;
  defined.mode = class_mode::kStrict;
  defined.arch_delay = 3;
  defined.create = labels({kA});
  defined.keep = labels({kA, kB});
  defined.archive = labels({kC});
  EXPECT_EQ(format_changelog_line(class_set_entry(defined, true, 11, 5)),
            "0: 5|SCSET(sc2,1,W1,K2,A1,2,3,1,1,0,0,0,1,0,0,0,2,0,0,0,4,0,0,0):11\n");
}

class StorageClassProtocolTest : public ProtocolFixture {
 protected:
  void SetUp() override {
    ProtocolFixture::SetUp();
    exports = Exports::parse("10.0.0.1 / rw,alldirs,maproot=0,admin\n* / rw,alldirs,maproot=0\n");
  }

  uint8_t status(TestClient& client, const Packet& request) { return status_of(call(client, request)); }

  const StorageClassTable& classes() const { return std::as_const(metadata).storage_classes(); }
  uint8_t node_class(uint32_t inode) const { return std::as_const(metadata).fs().find(inode)->sclass; }

  static constexpr uint32_t kAdminIp = 0x0A000001;
};

TEST_F(StorageClassProtocolTest, AdministrationStatusesAndEntries) {
  TestClient admin = mount("/", kAdminIp);
  TestClient plain = mount("/");
  StorageClass ab = labelled(labels({kA, kB}));
  EXPECT_EQ(status(admin, create_request(1, "sc1", ab)), 0);
  EXPECT_EQ(status(admin, create_request(2, "sc1", ab)), uint8_t(StatusCode::kClassExists));
  EXPECT_EQ(status(plain, create_request(3, "x", ab)), uint8_t(StatusCode::kEPERM_NotAdmin));
  EXPECT_EQ(status(admin, create_request(4, "bad", ab, 1)), uint8_t(StatusCode::kEINVAL));
  EXPECT_EQ(status(admin, create_request(5, "", ab)), uint8_t(StatusCode::kEINVAL));
  StorageClass none;
  none.create = labels({kA});
  none.keep = labels({kA});
  EXPECT_EQ(status(admin, create_request(6, "nocount", none)), uint8_t(StatusCode::kEINVAL));
  ASSERT_TRUE(classes().id_named("sc1"));
  EXPECT_EQ(*classes().id_named("sc1"), 10);

  // CHANGE: show for anyone, changes for admins, 1..8 protected unless forced, 9 not.
  StorageClass loose;
  loose.mode = class_mode::kLoose;
  Packet shown = call(plain, change_request(7, "sc1", 0, StorageClass()));
  EXPECT_EQ(shown.payload.size(), 4u + 1 + 7 + 2 * 3 * 16);
  EXPECT_EQ(status(plain, change_request(8, "sc1", 0x0002, loose)), uint8_t(StatusCode::kEPERM_NotAdmin));
  Packet changed = call(admin, change_request(9, "sc1", 0x0002, loose));
  ASSERT_EQ(changed.payload.size(), 4u + 1 + 7 + 2 * 3 * 16);
  EXPECT_EQ(changed.payload[5 + 1], class_mode::kLoose);
  EXPECT_EQ(classes().find(10)->mode, class_mode::kLoose);
  EXPECT_EQ(status(admin, change_request(10, "2", 0x0002, loose)), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(call(admin, change_request(11, "9", 0x0002, loose)).payload.size(), 4u + 1 + 7 + 3 * 9 * 16);
  EXPECT_EQ(call(admin, change_request(12, "8", 0x8002, loose)).payload.size(), 4u + 1 + 7 + 3 * 8 * 16);
  EXPECT_EQ(status(admin, change_request(13, "nosuch", 0x0002, loose)), uint8_t(StatusCode::kNoSuchClass));
  StorageClass too_many = labelled(labels({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(status(admin, change_request(14, "sc1", 0x0008, too_many)), uint8_t(StatusCode::kEINVAL));

  // DUPLICATE, RENAME, DELETE.
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_DUPLICATE, 15, "sc1", "copy")), 0);
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_DUPLICATE, 16, "sc1", "copy")),
            uint8_t(StatusCode::kClassExists));
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_DUPLICATE, 17, "nosuch", "x")),
            uint8_t(StatusCode::kNoSuchClass));
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_RENAME, 18, "copy", "sc4")), 0);
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_RENAME, 19, "2", "two")), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_RENAME, 20, "sc4", "sc1")),
            uint8_t(StatusCode::kClassExists));
  EXPECT_EQ(status(plain, names_request(msg::CLTOMA_SCLASS_RENAME, 21, "sc4", "y")),
            uint8_t(StatusCode::kEPERM_NotAdmin));
  uint32_t file = created(admin, request::mknod(22, kRootInode, "f", 1, 0644));
  EXPECT_EQ(call(admin, set_class_named(23, file, 0, "sc1")).payload.size(), 16u);
  EXPECT_EQ(node_class(file), 10);
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_DELETE, 24, "sc1")), uint8_t(StatusCode::kClassInUse));
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_DELETE, 25, "3")), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_DELETE, 26, "nosuch")), uint8_t(StatusCode::kNoSuchClass));
  EXPECT_EQ(status(plain, names_request(msg::CLTOMA_SCLASS_DELETE, 27, "sc4")), uint8_t(StatusCode::kEPERM_NotAdmin));
  EXPECT_EQ(status(admin, names_request(msg::CLTOMA_SCLASS_DELETE, 28, "sc4")), 0);
  EXPECT_FALSE(classes().id_named("sc4"));

  std::string log = changelog();
  EXPECT_EQ(entries_of(log, "SC"),
            (std::vector<std::string>{
                "SCSET(sc1,1,W2,K2,A2,1,0,0,1,0,0,0,2,0,0,0,1,0,0,0,2,0,0,0,1,0,0,0,2,0,0,0):10",
                "SCSET(sc1,0,W2,K2,A2,0,0,0,1,0,0,0,2,0,0,0,1,0,0,0,2,0,0,0,1,0,0,0,2,0,0,0):10",
                "SCSET(9,0,W9,K9,A9,0,0,0" + zeros(3 * 9 * 4) + "):9",
                "SCSET(8,0,W8,K8,A8,0,0,0" + zeros(3 * 8 * 4) + "):8",
                "SCDUP(sc1,copy):10,11",
                "SCREN(copy,sc4):11",
                "SCDEL(sc4):11",
            }));

  // A fresh master replaying the changelog has the same classes.
  std::unique_ptr<Metadata> fresh = replayed();
  for (uint32_t id = 1; id < 256; ++id) {
    const StorageClass* original = classes().find(id);
    const StorageClass* copy = std::as_const(*fresh).storage_classes().find(id);
    ASSERT_EQ(bool(original), bool(copy)) << id;
    if (original) {
      EXPECT_EQ(*copy, *original) << id;
    }
  }
}

TEST_F(StorageClassProtocolTest, ListGivesEveryClassInIdOrder) {
  TestClient admin = mount("/", kAdminIp);
  EXPECT_EQ(status(admin, create_request(1, "b", labelled(labels({kB})))), 0);
  EXPECT_EQ(status(admin, create_request(2, "a", labelled(labels({kA, kC})))), 0);
  Packet shortlist = call(admin, list_request(3, 0));
  PacketReader in(shortlist.payload);
  EXPECT_EQ(in.u32(), 3u);
  std::vector<std::string> names;
  while (in.ok() && in.remaining() > 0) names.emplace_back(in.name8());
  EXPECT_EQ(names, (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "b", "a"}));
  Packet longlist = call(admin, list_request(4, 1));
  PacketReader full(longlist.payload);
  full.u32();
  size_t listed = 0;
  while (full.ok() && full.remaining() > 0) {
    std::string name(full.name8());
    full.bytes(4);
    size_t copies = full.u8() + full.u8() + full.u8();
    full.bytes(copies * 16);
    ++listed;
    if (name == "a") {
      EXPECT_EQ(copies, 6u);
    }
  }
  EXPECT_TRUE(full.finished());
  EXPECT_EQ(listed, 11u);
}

TEST_F(StorageClassProtocolTest, MalformedRequestsCloseTheConnection) {
  TestClient admin = mount("/", kAdminIp);
  StorageClass ab = labelled(labels({kA, kB}));
  Packet cut = create_request(1, "x", ab);
  cut.payload.pop_back();
  EXPECT_FALSE(admin.handle(cut));
  TestClient again = mount("/", kAdminIp);
  Packet extra = change_request(2, "1", 0, StorageClass());
  extra.payload.push_back(0);
  EXPECT_FALSE(again.handle(extra));
  TestClient third = mount("/", kAdminIp);
  Packet list = list_request(3, 0);
  list.payload.push_back(1);
  EXPECT_FALSE(third.handle(list));
  TestClient fourth = mount("/", kAdminIp);
  Packet names = names_request(msg::CLTOMA_SCLASS_RENAME, 4, "1", "x");
  names.payload.pop_back();
  EXPECT_FALSE(fourth.handle(names));
  // Counts that overflow the packet do not read past it.
  PacketWriter out(msg::CLTOMA_SCLASS_CREATE);
  out.u32(5).name8("big").u8(0).u8(0).u8(1).u16(0).u8(255).u8(255).u8(255);
  TestClient fifth = mount("/", kAdminIp);
  EXPECT_FALSE(fifth.handle(to_packet(out)));
}

TEST_F(StorageClassProtocolTest, AdminOnlyClassesNeedAnAdminSession) {
  TestClient admin = mount("/", kAdminIp);
  TestClient plain = mount("/");
  StorageClass locked = labelled(labels({kA}));
  locked.admin_only = 1;
  EXPECT_EQ(status(admin, create_request(1, "locked", locked)), 0);
  uint32_t file = created(admin, request::mknod(2, kRootInode, "f", 1, 0644));
  EXPECT_EQ(status(plain, set_class_named(3, file, 0, "locked")), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(call(admin, set_class_named(4, file, 0, "locked")).payload.size(), 16u);
  EXPECT_EQ(status(plain, set_class_named(5, file, 0, "3")), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status(plain, set_class_named(6, file, 0, "nosuch")), uint8_t(StatusCode::kEINVAL));
  // Replay reproduces the counters of both kinds of session.
  std::unique_ptr<Metadata> fresh = replayed();
  EXPECT_EQ(std::as_const(*fresh).fs().find(file)->sclass, node_class(file));
}

TEST_F(StorageClassProtocolTest, GetsclassNamesUserClassesAndRealsizeUsesTheKeepMaxGoal) {
  TestClient admin = mount("/", kAdminIp);
  StorageClass three = labelled(labels({kA, kB, kC}));
  three.create = labels({kA});
  EXPECT_EQ(status(admin, create_request(1, "three", three)), 0);
  uint32_t dir = created(admin, request::mkdir(2, kRootInode, "d", 0777));
  uint32_t file = created(admin, request::mknod(3, dir, "f", 1, 0644));
  EXPECT_EQ(call(admin, set_class_named(4, file, 0, "three")).payload.size(), 16u);
  Packet reply = call(admin, request::get_setting(msg::CLTOMA_FUSE_GETSCLASS, 5, dir, 1));
  PacketReader in(reply.payload);
  in.u32();
  EXPECT_EQ(in.u8(), 1);  // file classes
  EXPECT_EQ(in.u8(), 1);  // directory classes
  EXPECT_EQ(in.u8(), 0xFF);
  EXPECT_EQ(in.name8(), "three");
  EXPECT_EQ(in.u32(), 1u);
  EXPECT_EQ(in.u8(), 2);
  EXPECT_EQ(in.u32(), 1u);
  EXPECT_TRUE(in.finished());

  // A file with data: realsize = size × 3.
  Node& stored = *metadata.fs().find(file);
  stored.chunks = {0};
  metadata.fs().set_length(stored, 10);
  SubtreeStatistics stats = subtree_statistics(*std::as_const(metadata).fs().find(dir), metadata.fs().class_goals());
  EXPECT_EQ(stats.realsize, stats.size * 3);
}

TEST_F(StorageClassProtocolTest, NewChunksGoToServersWithTheCreateLabelsClosestFirst) {
  TestClient admin = mount("/", kAdminIp);
  std::vector<TestChunkserver> servers;
  const uint32_t ips[] = {0x0A000101, 0x0A000102, 0x0A000103};
  const uint32_t masks[] = {kA, kB, kC};
  for (size_t i = 0; i < 3; ++i) {
    servers.push_back(registered_chunkserver(ips[i]));
    ASSERT_TRUE(servers.back().handle(csmsg::encode(csmsg::LabelsReport{masks[i]})));
  }
  // The client is in the rack of the C server.
  chunks->set_topology(Topology::parse("10.0.0.1 R2\n10.0.1.1 R1\n10.0.1.2 R1\n10.0.1.3 R2\n", nullptr));
  StorageClass ca = labelled(labels({kA, kC}));  // placement lists A first
  EXPECT_EQ(status(admin, create_request(1, "ca", ca)), 0);
  uint32_t file = created(admin, request::mknod(2, kRootInode, "f", 1, 0644));
  EXPECT_EQ(call(admin, set_class_named(3, file, 0, "ca")).payload.size(), 16u);
  EXPECT_TRUE(admin.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 4, file, 0)));
  settle();
  std::vector<size_t> created_on;
  for (size_t i = 0; i < 3; ++i) {
    for (const auto& message : servers[i].link->take()) {
      if (const auto* create = std::get_if<csmsg::CreateCommand>(&message)) {
        created_on.push_back(i);
        EXPECT_TRUE(servers[i].handle(csmsg::encode(csmsg::CreateReply{create->chunkid, StatusCode::kOk})));
      }
    }
  }
  EXPECT_EQ(created_on, (std::vector<size_t>{0, 2}));  // A and C, not B
  std::vector<Packet> answer = replies(admin);
  ASSERT_EQ(answer.size(), 1u);
  PacketReader in(answer.front().payload);
  in.bytes(4 + 1 + 8 + 8 + 4);
  EXPECT_EQ(in.u32(), ips[2]);  // same rack as the client first
  in.bytes(10);
  EXPECT_EQ(in.u32(), ips[0]);
}

TEST_F(StorageClassProtocolTest, ImageAndCheckpointKeepTheClasses) {
  TestClient admin = mount("/", kAdminIp);
  StorageClass mixed = labelled(labels({kA | kB, kC}));
  mixed.keep[0][1] = kC;
  mixed.archive = labels({kC});
  mixed.arch_delay = 7;
  mixed.mode = class_mode::kStrict;
  mixed.admin_only = 1;
  EXPECT_EQ(status(admin, create_request(1, "mixed", mixed)), 0);
  StorageClass loose;
  loose.mode = class_mode::kLoose;
  EXPECT_EQ(call(admin, change_request(2, "5", 0x8002, loose)).payload.size(), 4u + 1 + 7 + 3 * 5 * 16);
  settle();

  auto image = serialize_metadata_image(metadata, nullptr);
  ASSERT_TRUE(image);
  Metadata loaded;
  ASSERT_TRUE(load_metadata_image_bytes(*image, loaded, nullptr, kNow));
  auto checkpoint = Checkpoint::open(data_path + "/checkpoint-test");
  ASSERT_TRUE(checkpoint);
  (*checkpoint)->flush(metadata, true);
  ASSERT_TRUE((*checkpoint)->wait_idle());
  Metadata restored;
  ASSERT_TRUE((*checkpoint)->load(restored));
  for (const Metadata* copy : {&loaded, &restored}) {
    for (uint32_t id = 1; id < 256; ++id) {
      const StorageClass* original = classes().find(id);
      const StorageClass* kept = copy->storage_classes().find(id);
      ASSERT_EQ(bool(original), bool(kept)) << id;
      if (original) {
        EXPECT_EQ(*kept, *original) << id;
      }
    }
  }
}

}  // namespace
}  // namespace mfs::master::testing
