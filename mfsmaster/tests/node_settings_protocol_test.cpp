// The tools' goal, trash time and extra attribute requests (spec 11 §3, §5.1-5.6) through
// ClientProtocol: reply layouts, recursive counters, export limits and permissions, the
// changelog entries in MooseFS's format and their replay. User storage classes:
// storage_class_test.cpp.
#include <map>
#include <string>
#include <utility>

#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

const Ids kUser{1000, {1000}};
constexpr uint8_t kSet = 0, kIncrease = 1, kDecrease = 2, kExchange = 3, kRecursive = 4;

Packet set_class_named(uint32_t msgid, uint32_t inode, uint8_t smode, std::string_view source,
                       std::string_view target) {
  PacketWriter out(msg::CLTOMA_FUSE_SETSCLASS);
  out.u32(msgid).u32(inode).u32(0).u8(0xFF).u8(smode);
  if (!source.empty()) out.name8(source);
  out.name8(target);
  return to_packet(out);
}

// A GET reply: files then directories, value -> count.
struct Tally {
  std::map<uint32_t, uint32_t> files;
  std::map<uint32_t, uint32_t> directories;
  bool operator==(const Tally&) const = default;
};

// `wide` replies (GETTRASHTIME) carry u32 list sizes and u32 values, the others u8.
Tally read_tally(const Packet& reply, bool wide) {
  PacketReader in(reply.payload);
  in.u32();
  uint32_t files = wide ? in.u32() : in.u8();
  uint32_t directories = wide ? in.u32() : in.u8();
  Tally tally;
  for (uint32_t i = 0; i < files + directories && in.ok(); ++i) {
    uint32_t value = wide ? in.u32() : in.u8();
    (i < files ? tally.files : tally.directories)[value] = in.u32();
  }
  EXPECT_TRUE(in.finished()) << "reply of " << reply.payload.size() << " bytes";
  return tally;
}

struct Counters {
  uint32_t changed = 0, not_changed = 0, not_permitted = 0;
  bool operator==(const Counters&) const = default;
};

class NodeSettingsProtocolTest : public ProtocolFixture {
 protected:
  // Root with d (dir), d/f1, d/f2, d/s (symlink), d/e (dir) and g: 3 dirs, 3 files.
  void make_tree(TestClient& client) {
    dir = created(client, request::mkdir(1, kRootInode, "d", 0777));
    file1 = created(client, request::mknod(1, dir, "f1", 1, 0644));
    file2 = created(client, request::mknod(1, dir, "f2", 1, 0644, 0, kUser));
    created(client, request::symlink(1, dir, "s", "f1"));
    subdir = created(client, request::mkdir(1, dir, "e"));
    top_file = created(client, request::mknod(1, kRootInode, "g", 1, 0644));
  }

  Counters counters(TestClient& client, const Packet& request, uint32_t reply_type) {
    Packet reply = call(client, request);
    EXPECT_EQ(reply.type, reply_type);
    EXPECT_EQ(reply.payload.size(), 16u) << "status " << int(status_of(reply));
    if (reply.payload.size() != 16) return {};
    return {get_u32_be(reply.payload.data() + 4), get_u32_be(reply.payload.data() + 8),
            get_u32_be(reply.payload.data() + 12)};
  }

  Tally tally(TestClient& client, uint32_t type, uint32_t inode, uint8_t gmode) {
    Packet reply = call(client, request::get_setting(type, 7, inode, gmode));
    EXPECT_EQ(reply.type, type + 1);
    EXPECT_EQ(msgid_of(reply), 7u);
    return read_tally(reply, type == msg::CLTOMA_FUSE_GETTRASHTIME);
  }

  const Node& node(uint32_t inode) const { return *std::as_const(metadata).fs().find(inode); }

  // A fresh master replaying this one's changelog ends with the same settings everywhere.
  void expect_replay_gives_same_settings() {
    std::unique_ptr<Metadata> fresh = replayed();
    for (const Node* original : std::as_const(metadata).fs().all_nodes()) {
      const Node* copy = std::as_const(*fresh).fs().find(original->inode);
      ASSERT_TRUE(copy);
      EXPECT_EQ(copy->sclass, original->sclass) << original->inode;
      EXPECT_EQ(copy->trash_hours, original->trash_hours) << original->inode;
      EXPECT_EQ(copy->eattr, original->eattr) << original->inode;
      EXPECT_EQ(copy->ctime, original->ctime) << original->inode;
    }
  }

  uint32_t dir = 0, file1 = 0, file2 = 0, subdir = 0, top_file = 0;
};

// ---------------------------------------------------------------------------------------
// Goals (GETSCLASS / SETSCLASS)

TEST_F(NodeSettingsProtocolTest, GetSclassCountsFilesFirstThenDirectoriesByClass) {
  TestClient client = mount();
  make_tree(client);
  // Non-recursive: one entry, the node's own class (new nodes inherit the root's 2).
  EXPECT_EQ(tally(client, msg::CLTOMA_FUSE_GETSCLASS, file1, 0), (Tally{{{2, 1}}, {}}));
  EXPECT_EQ(tally(client, msg::CLTOMA_FUSE_GETSCLASS, dir, 0), (Tally{{}, {{2, 1}}}));
  EXPECT_EQ(counters(client, request::set_goal(1, file1, 0, 3, kSet), msg::MATOCL_FUSE_SETSCLASS), (Counters{1, 0, 0}));
  // Recursive: the symlink is not counted.
  EXPECT_EQ(tally(client, msg::CLTOMA_FUSE_GETSCLASS, dir, 1), (Tally{{{2, 1}, {3, 1}}, {{2, 2}}}));
  Packet reply = call(client, request::get_setting(msg::CLTOMA_FUSE_GETSCLASS, 7, dir, 1));
  EXPECT_EQ(reply.payload, (std::vector<uint8_t>{0, 0, 0, 7, 2, 1, 2, 0, 0, 0, 1, 3, 0, 0, 0, 1, 2, 0, 0, 0, 2}));
}

TEST_F(NodeSettingsProtocolTest, GetSettingErrors) {
  TestClient client = mount();
  make_tree(client);
  uint32_t link = inode_of(dir, "s");
  EXPECT_EQ(status_of(call(client, request::get_setting(msg::CLTOMA_FUSE_GETSCLASS, 1, 999, 0))), 3);   // ENOENT
  EXPECT_EQ(status_of(call(client, request::get_setting(msg::CLTOMA_FUSE_GETSCLASS, 1, link, 0))), 1);  // EPERM
  EXPECT_EQ(status_of(call(client, request::get_setting(msg::CLTOMA_FUSE_GETTRASHTIME, 1, link, 0))), 1);
  EXPECT_EQ(status_of(call(client, request::get_setting(msg::CLTOMA_FUSE_GETSCLASS, 1, dir, 2))), 6);  // EINVAL
  // Extra attributes exist on every node type.
  EXPECT_EQ(tally(client, msg::CLTOMA_FUSE_GETEATTR, link, 0), (Tally{{{0, 1}}, {}}));
  // A wrong length closes the connection.
  Packet longer = request::get_setting(msg::CLTOMA_FUSE_GETSCLASS, 1, dir, 0);
  longer.payload.push_back(0);
  EXPECT_FALSE(client.handle(longer));
}

TEST_F(NodeSettingsProtocolTest, RecursiveSetGoalCountsAndLogsTheMooseFsEntry) {
  TestClient client = mount();
  make_tree(client);
  EXPECT_EQ(counters(client, request::set_goal(1, file1, 0, 3, kSet), msg::MATOCL_FUSE_SETSCLASS), (Counters{1, 0, 0}));
  now += 10;
  // d, f1 (already 3), f2, e: symlinks are skipped.
  EXPECT_EQ(counters(client, request::set_goal(1, dir, 0, 3, kSet | kRecursive), msg::MATOCL_FUSE_SETSCLASS),
            (Counters{3, 1, 0}));
  EXPECT_EQ(node(subdir).sclass, 3);
  EXPECT_EQ(node(subdir).ctime, now);
  EXPECT_EQ(node(top_file).sclass, 2);
  std::string log = changelog();
  EXPECT_NE(log.find("|SETSCLASS(" + std::to_string(dir) + ",0,3,3,4):3,1,0\n"), std::string::npos) << log;
  // INCREASE and DECREASE only move in their direction.
  EXPECT_EQ(counters(client, request::set_goal(1, dir, 0, 2, kIncrease | kRecursive), msg::MATOCL_FUSE_SETSCLASS),
            (Counters{0, 4, 0}));
  EXPECT_EQ(counters(client, request::set_goal(1, dir, 0, 5, kDecrease | kRecursive), msg::MATOCL_FUSE_SETSCLASS),
            (Counters{0, 4, 0}));
  EXPECT_EQ(counters(client, request::set_goal(1, dir, 0, 2, kDecrease | kRecursive), msg::MATOCL_FUSE_SETSCLASS),
            (Counters{4, 0, 0}));
  expect_replay_gives_same_settings();
}

TEST_F(NodeSettingsProtocolTest, ClassNamesOfTheGoalsAndExchange) {
  TestClient client = mount();
  make_tree(client);
  EXPECT_EQ(counters(client, set_class_named(1, file1, kSet, "", "4"), msg::MATOCL_FUSE_SETSCLASS),
            (Counters{1, 0, 0}));
  EXPECT_EQ(node(file1).sclass, 4);
  // 3.0.117 logs class 1 as the source of a set by name.
  EXPECT_NE(changelog().find("|SETSCLASS(" + std::to_string(file1) + ",0,1,4,0):1,0,0\n"), std::string::npos);
  // EXCHANGE changes only the nodes of the source class.
  EXPECT_EQ(counters(client, set_class_named(1, dir, kExchange | kRecursive, "4", "5"), msg::MATOCL_FUSE_SETSCLASS),
            (Counters{1, 3, 0}));
  EXPECT_EQ(node(file1).sclass, 5);
  EXPECT_EQ(node(file2).sclass, 2);
  // Unknown names and goals outside 1..9 are EINVAL.
  EXPECT_EQ(status_of(call(client, set_class_named(1, file1, kSet, "", "fast"))), 6);
  EXPECT_EQ(status_of(call(client, request::set_goal(1, file1, 0, 0, kSet))), 6);
  EXPECT_EQ(status_of(call(client, request::set_goal(1, file1, 0, 12, kSet))), 6);
  EXPECT_EQ(status_of(call(client, request::set_goal(1, file1, 0, 2, 8))), 6);
  expect_replay_gives_same_settings();
}

TEST_F(NodeSettingsProtocolTest, GoalLimitsOfTheExportAndPermissions) {
  exports = Exports::parse("* / rw,alldirs,maproot=0,mingoal=2,maxgoal=3\n");
  TestClient client = mount();
  make_tree(client);
  EXPECT_EQ(status_of(call(client, request::set_goal(1, file1, 0, 4, kSet))), 1);
  EXPECT_EQ(status_of(call(client, request::set_goal(1, file1, 0, 1, kSet))), 1);
  EXPECT_EQ(status_of(call(client, request::set_goal(1, file1, 0, 4, kIncrease))), 1);
  EXPECT_EQ(status_of(call(client, request::set_goal(1, file1, 0, 1, kDecrease))), 1);
  // A non-owner is refused on one node; recursively the refusals are counted.
  EXPECT_EQ(status_of(call(client, request::set_goal(1, file1, kUser.uid, 3, kSet))), 1);
  EXPECT_EQ(counters(client, request::set_goal(1, dir, kUser.uid, 3, kSet | kRecursive), msg::MATOCL_FUSE_SETSCLASS),
            (Counters{1, 0, 3}));
  EXPECT_EQ(node(file2).sclass, 3);
  EXPECT_EQ(status_of(call(client, request::set_goal(1, inode_of(dir, "s"), 0, 3, kSet))), 1);
}

TEST_F(NodeSettingsProtocolTest, DisabledAndReadOnlyExports) {
  exports = Exports::parse("* / rw,alldirs,maproot=0,disable=setsclass:settrash:seteattr\n* /d ro\n");
  TestClient client = mount();
  make_tree(client);
  EXPECT_EQ(status_of(call(client, request::set_goal(1, file1, 0, 3, kSet))), 1);
  EXPECT_EQ(status_of(call(client, request::set_trash_time(1, file1, 0, 3600, kSet))), 1);
  EXPECT_EQ(status_of(call(client, request::set_eattr(1, file1, 0, 1, kIncrease))), 1);
  TestClient read_only = mount("/d");
  EXPECT_EQ(status_of(call(read_only, request::set_goal(1, kRootInode, 0, 3, kSet))), 33);  // EROFS
}

// ---------------------------------------------------------------------------------------
// Trash time (GETTRASHTIME / SETTRASHTIME)

TEST_F(NodeSettingsProtocolTest, TrashTimeIsSetInSecondsStoredInHoursAndAnsweredInSeconds) {
  TestClient client = mount();
  make_tree(client);
  EXPECT_EQ(counters(client, request::set_trash_time(1, file1, 0, 1, kSet), msg::MATOCL_FUSE_SETTRASHTIME),
            (Counters{1, 0, 0}));
  EXPECT_EQ(node(file1).trash_hours, 1);
  EXPECT_NE(changelog().find("|SETTRASHTIME(" + std::to_string(file1) + ",0,1,0):1,0,0\n"), std::string::npos);
  Packet reply = call(client, request::get_setting(msg::CLTOMA_FUSE_GETTRASHTIME, 7, file1, 0));
  EXPECT_EQ(reply.payload, (std::vector<uint8_t>{0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x0E, 0x10, 0, 0, 0, 1}));
  EXPECT_EQ(tally(client, msg::CLTOMA_FUSE_GETTRASHTIME, dir, 1), (Tally{{{3600, 1}, {86400, 1}}, {{86400, 2}}}));
  EXPECT_EQ(
      counters(client, request::set_trash_time(1, dir, 0, 7200, kIncrease | kRecursive), msg::MATOCL_FUSE_SETTRASHTIME),
      (Counters{1, 3, 0}));
  // 32-bit rounding wraps: the largest value becomes 0 hours.
  EXPECT_EQ(counters(client, request::set_trash_time(1, file2, 0, 0xFFFFFFFF, kSet), msg::MATOCL_FUSE_SETTRASHTIME),
            (Counters{1, 0, 0}));
  EXPECT_EQ(node(file2).trash_hours, 0);
  expect_replay_gives_same_settings();
}

TEST_F(NodeSettingsProtocolTest, TrashTimeLimitsOfTheExport) {
  exports = Exports::parse("* / rw,alldirs,maproot=0,mintrashtime=1h,maxtrashtime=2d\n");
  TestClient client = mount();
  make_tree(client);
  EXPECT_EQ(status_of(call(client, request::set_trash_time(1, file1, 0, 60, kSet))), 1);
  EXPECT_EQ(status_of(call(client, request::set_trash_time(1, file1, 0, 3 * 86400, kIncrease))), 1);
  EXPECT_EQ(status_of(call(client, request::set_trash_time(1, file1, 0, 60, kDecrease))), 1);
  EXPECT_EQ(counters(client, request::set_trash_time(1, file1, 0, 60, kIncrease), msg::MATOCL_FUSE_SETTRASHTIME),
            (Counters{0, 1, 0}));
}

// ---------------------------------------------------------------------------------------
// Extra attributes (GETEATTR / SETEATTR)

TEST_F(NodeSettingsProtocolTest, ExtraAttributesSetAndClearedRecursively) {
  TestClient client = mount();
  make_tree(client);
  // noentrycache is for directories only; on files it is dropped from the request.
  EXPECT_EQ(
      counters(client, request::set_eattr(1, dir, 0, eattr::kNoOwner | eattr::kNoEntryCache, kIncrease | kRecursive),
               msg::MATOCL_FUSE_SETEATTR),
      (Counters{5, 0, 0}));
  EXPECT_EQ(node(dir).eattr, eattr::kNoOwner | eattr::kNoEntryCache);
  EXPECT_EQ(node(file1).eattr, eattr::kNoOwner);
  EXPECT_EQ(tally(client, msg::CLTOMA_FUSE_GETEATTR, dir, 1), (Tally{{{1, 3}}, {{5, 2}}}));
  EXPECT_NE(changelog().find("|SETEATTR(" + std::to_string(dir) + ",0,5,5):5,0,0\n"), std::string::npos);
  EXPECT_EQ(counters(client, request::set_eattr(1, file1, 0, eattr::kNoOwner, kDecrease), msg::MATOCL_FUSE_SETEATTR),
            (Counters{1, 0, 0}));
  EXPECT_EQ(counters(client, request::set_eattr(1, file1, 0, eattr::kNoOwner, kDecrease), msg::MATOCL_FUSE_SETEATTR),
            (Counters{0, 1, 0}));
  EXPECT_EQ(tally(client, msg::CLTOMA_FUSE_GETEATTR, file1, 0), (Tally{{{0, 1}}, {}}));
  expect_replay_gives_same_settings();
}

TEST_F(NodeSettingsProtocolTest, ProtectingAttributesNeedAnAdminSessionAndImmutableBlocksNoowner) {
  TestClient client = mount();
  make_tree(client);
  EXPECT_EQ(status_of(call(client, request::set_eattr(1, file1, 0, eattr::kImmutable, kIncrease))), 1);
  exports = Exports::parse("* / rw,alldirs,maproot=0,admin\n");
  TestClient admin = mount();
  EXPECT_EQ(counters(admin, request::set_eattr(1, file1, 0, eattr::kImmutable, kIncrease), msg::MATOCL_FUSE_SETEATTR),
            (Counters{1, 0, 0}));
  EXPECT_EQ(status_of(call(admin, request::set_eattr(1, file1, 0, eattr::kNoOwner, kIncrease))), 1);
  EXPECT_EQ(counters(admin, request::set_eattr(1, file1, 0, eattr::kNoAttrCache, kIncrease), msg::MATOCL_FUSE_SETEATTR),
            (Counters{1, 0, 0}));
  // Immutable nodes keep their goal and trash time.
  EXPECT_EQ(status_of(call(admin, request::set_goal(1, file1, 0, 3, kSet))), 1);
  EXPECT_EQ(status_of(call(admin, request::set_trash_time(1, file1, 0, 3600, kSet))), 1);
  expect_replay_gives_same_settings();
}

TEST_F(NodeSettingsProtocolTest, AGoalChangeReachesTheFileChunks) {
  TestClient client = mount();
  make_tree(client);
  ChunkRecord& chunk = metadata.chunks().add(77, 1, 0);
  chunk.file_references = 1;
  chunk.goal = 2;
  metadata.fs().find(file1)->chunks = {77};
  EXPECT_EQ(counters(client, request::set_goal(1, file1, 0, 3, kSet), msg::MATOCL_FUSE_SETSCLASS), (Counters{1, 0, 0}));
  EXPECT_EQ(std::as_const(metadata).chunks().find(77)->goal, 3);
  EXPECT_EQ(counters(client, request::set_goal(1, file1, 0, 1, kSet), msg::MATOCL_FUSE_SETSCLASS), (Counters{1, 0, 0}));
  EXPECT_EQ(std::as_const(metadata).chunks().find(77)->goal, 1);
  // A chunk another file shares keeps the higher goal, and follows it down.
  EXPECT_EQ(counters(client, request::set_goal(1, top_file, 0, 1, kSet), msg::MATOCL_FUSE_SETSCLASS), (Counters{1, 0, 0}));
  metadata.fs().find(top_file)->chunks = {77};
  chunk.file_references = 2;
  EXPECT_EQ(counters(client, request::set_goal(1, top_file, 0, 4, kSet), msg::MATOCL_FUSE_SETSCLASS), (Counters{1, 0, 0}));
  EXPECT_EQ(std::as_const(metadata).chunks().find(77)->goal, 4);
  EXPECT_EQ(counters(client, request::set_goal(1, file1, 0, 2, kSet), msg::MATOCL_FUSE_SETSCLASS), (Counters{1, 0, 0}));
  EXPECT_EQ(std::as_const(metadata).chunks().find(77)->goal, 4);
  EXPECT_EQ(counters(client, request::set_goal(1, top_file, 0, 1, kSet), msg::MATOCL_FUSE_SETSCLASS), (Counters{1, 0, 0}));
  EXPECT_EQ(std::as_const(metadata).chunks().find(77)->goal, 2);
}

TEST_F(NodeSettingsProtocolTest, AHardLinkedNodeIsChangedOnceAndCountedPerLink) {
  exports = Exports::parse("* / rw,alldirs,maproot=0,admin\n");
  TestClient admin = mount();
  make_tree(admin);
  ASSERT_EQ(created(admin, request::link(1, file1, subdir, "again")), file1);
  ASSERT_EQ(created(admin, request::link(1, file1, subdir, "third")), file1);
  // d, f1 (three times), f2, s, e: the later meetings of f1 see the value already planned.
  EXPECT_EQ(counters(admin, request::set_eattr(1, dir, 0, eattr::kNoOwner | eattr::kImmutable, kIncrease | kRecursive),
                     msg::MATOCL_FUSE_SETEATTR),
            (Counters{5, 2, 0}));
  EXPECT_EQ(node(file1).eattr, eattr::kNoOwner | eattr::kImmutable);
  EXPECT_EQ(counters(admin, request::set_goal(1, dir, 0, 5, kSet | kRecursive), msg::MATOCL_FUSE_SETSCLASS),
            (Counters{0, 0, 6}));  // immutable everywhere now
  EXPECT_EQ(counters(admin, request::set_eattr(1, dir, 0, eattr::kImmutable, kDecrease | kRecursive),
                     msg::MATOCL_FUSE_SETEATTR),
            (Counters{5, 2, 0}));
  // Symlinks have no goal.
  EXPECT_EQ(counters(admin, request::set_goal(1, dir, 0, 5, kSet | kRecursive), msg::MATOCL_FUSE_SETSCLASS),
            (Counters{4, 2, 0}));
  EXPECT_EQ(node(file1).sclass, 5);
  expect_replay_gives_same_settings();
}

// ---------------------------------------------------------------------------------------
// Replay checks the recorded counters

TEST_F(NodeSettingsProtocolTest, ReplayRefusesAnEntryWhoseCountersDiffer) {
  TestClient client = mount();
  make_tree(client);
  Metadata& state = metadata;
  ChangelogEntry wrong =
      ChangelogEntry::make("SETSCLASS", kNow).arg(dir).arg(0).arg(0).arg(3).arg(4).result(1).result(0).result(0);
  wrong.id = state.version();
  EXPECT_FALSE(state.apply(wrong));
  ChangelogEntry old_form =
      ChangelogEntry::make("SETGOAL", kNow).arg(dir).arg(0).arg(3).arg(4).result(4).result(0).result(0);
  old_form.id = state.version();
  EXPECT_TRUE(state.apply(old_form));
  EXPECT_EQ(node(file2).sclass, 3);
}

// ---------------------------------------------------------------------------------------
// Unknown requests

TEST_F(NodeSettingsProtocolTest, UnknownRequestClosesTheConnection) {
  TestClient client = mount();
  PacketWriter unknown(9999);
  unknown.u32(42);
  EXPECT_FALSE(client.handle(to_packet(unknown)));
}

}  // namespace
}  // namespace mfs::master::testing
