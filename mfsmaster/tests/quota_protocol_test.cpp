// QUOTACONTROL (spec 11 §5.7) and QUOTA_INFO (spec 40 B.3.11) through ClientProtocol:
// request forms, who may change quotas, reply layouts and the errors of each check.
#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

struct QuotaState {
  uint8_t flags = 0;
  uint32_t grace = 0;
  SubtreeUsage soft, hard, current;
};

SubtreeUsage read_measures(PacketReader& in) {
  SubtreeUsage usage;
  usage.inodes = in.u32();
  usage.length = in.u64();
  usage.size = in.u64();
  usage.realsize = in.u64();
  return usage;
}

QuotaState read_state(const Packet& reply) {
  EXPECT_EQ(reply.payload.size(), 93u) << "status " << int(status_of(reply));
  PacketReader in(reply.payload);
  in.u32();
  QuotaState state;
  state.flags = in.u8();
  state.grace = in.u32();
  state.soft = read_measures(in);
  state.hard = read_measures(in);
  state.current = read_measures(in);
  return state;
}

Packet get_or_delete(uint32_t inode, uint8_t qflags) {
  PacketWriter out(msg::CLTOMA_FUSE_QUOTACONTROL);
  out.u32(7).u32(inode).u8(qflags);
  return to_packet(out);
}

Packet set(uint32_t inode, uint8_t qflags, uint32_t grace, const SubtreeUsage& soft, const SubtreeUsage& hard) {
  PacketWriter out(msg::CLTOMA_FUSE_QUOTACONTROL);
  out.u32(7).u32(inode).u8(qflags).u32(grace);
  for (const SubtreeUsage* limits : {&soft, &hard}) {
    out.u32(limits->inodes).u64(limits->length).u64(limits->size).u64(limits->realsize);
  }
  return to_packet(out);
}

class QuotaProtocolTest : public ProtocolFixture {
 protected:
  TestClient admin_mount() {
    exports = Exports::parse("* / rw,alldirs,maproot=0,admin\n");
    return mount();
  }
};

TEST_F(QuotaProtocolTest, SetGetAndDeleteAsTheToolsDo) {
  TestClient client = admin_mount();
  uint32_t q = created(client, request::mkdir(1, kRootInode, "q", 0777));
  created(client, request::mknod(1, q, "f", 1, 0644));
  QuotaState empty = read_state(call(client, get_or_delete(q, 0)));
  EXPECT_EQ(empty.flags, 0);
  EXPECT_EQ(empty.current.inodes, 1u);  // the directory itself is not counted

  QuotaState state = read_state(call(client, set(q, 0x11, 4, {3, 0, 0, 0}, {5, 0, 0, 0})));
  EXPECT_EQ(state.flags, 0x11);
  EXPECT_EQ(state.grace, 4u);
  EXPECT_EQ(state.soft, (SubtreeUsage{3, 0, 0, 0}));
  EXPECT_EQ(state.hard, (SubtreeUsage{5, 0, 0, 0}));
  state = read_state(call(client, get_or_delete(q, 0x10)));  // delete the hard inode limit
  EXPECT_EQ(state.flags, 0x01);
  EXPECT_EQ(state.hard, SubtreeUsage{});
  EXPECT_EQ(state.grace, 4u);

  // mfscli's list: one record with the directory's absolute path.
  Packet info = call(client, Packet{msg::CLTOMA_QUOTA_INFO, {}});
  ASSERT_EQ(info.type, msg::MATOCL_QUOTA_INFO);
  PacketReader in(info.payload);
  EXPECT_EQ(in.u32(), q);
  uint32_t path_length = in.u32();
  EXPECT_EQ(path_length, 2u);
  in.bytes(path_length);
  EXPECT_EQ(in.u32(), 4u);           // grace period
  EXPECT_EQ(in.u8(), 0);             // not exceeded
  EXPECT_EQ(in.u8(), 0x01);          // flags
  EXPECT_EQ(in.u32(), 0xFFFFFFFFu);  // within the soft limits: no time to block
  EXPECT_EQ(read_measures(in), (SubtreeUsage{3, 0, 0, 0}));
  EXPECT_EQ(read_measures(in), SubtreeUsage{});
  EXPECT_EQ(read_measures(in).inodes, 1u);
  EXPECT_TRUE(in.finished());

  EXPECT_EQ(read_state(call(client, get_or_delete(q, 0xFF))).flags, 0);
  EXPECT_EQ(call(client, Packet{msg::CLTOMA_QUOTA_INFO, {}}).payload.size(), 0u);
}

TEST_F(QuotaProtocolTest, ChecksInTheRealMastersOrder) {
  TestClient user = mount();  // the default exports have no admin flag
  uint32_t q = created(user, request::mkdir(1, kRootInode, "q", 0777));
  uint32_t f = created(user, request::mknod(1, q, "f", 1, 0644));
  EXPECT_EQ(status_of(call(user, set(q, 0x01, 0, {1, 0, 0, 0}, {}))), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(read_state(call(user, get_or_delete(q, 0))).flags, 0);  // reading needs no admin
  EXPECT_EQ(status_of(call(user, get_or_delete(f, 0))), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status_of(call(user, get_or_delete(9999, 0))), uint8_t(StatusCode::kENOENT));
  TestClient admin = admin_mount();
  EXPECT_EQ(status_of(call(admin, set(f, 0x01, 0, {1, 0, 0, 0}, {}))), uint8_t(StatusCode::kEPERM));
  exports = Exports::parse("* / ro,alldirs,maproot=0,admin\n");
  TestClient read_only = mount();
  EXPECT_EQ(status_of(call(read_only, set(q, 0x01, 0, {1, 0, 0, 0}, {}))), uint8_t(StatusCode::kEROFS));
  exports = Exports::parse("* / rw,alldirs,admin\n");  // root mapped to 999
  TestClient mapped = mount();
  EXPECT_EQ(status_of(call(mapped, set(q, 0x01, 0, {1, 0, 0, 0}, {}))), uint8_t(StatusCode::kEACCES));
}

TEST_F(QuotaProtocolTest, AGoalIncreaseIsLimitedByTheRealsizeItAdds) {
  TestClient admin = admin_mount();
  uint32_t q = created(admin, request::mkdir(1, kRootInode, "q", 0777));
  uint32_t f = created(admin, request::mknod(1, q, "f", 1, 0644));
  created(admin, request::mknod(1, q, "empty", 1, 0644));  // no chunks: adds nothing
  Node& file = *metadata.fs().find(f);
  file.chunks = {77};
  metadata.fs().set_length(file, 100000);
  metadata.fs().refresh_usage();
  QuotaState before = read_state(call(admin, get_or_delete(q, 0)));
  uint8_t goal = std::as_const(metadata).fs().find(f)->sclass;
  uint64_t size = before.current.realsize / goal;
  ASSERT_GT(size, 0u);
  // Room for one more copy of f, not two.
  read_state(call(admin, set(q, 0x80, 0, {}, {0, 0, 0, before.current.realsize + size})));
  constexpr uint8_t kRecursive = 4;
  EXPECT_EQ(status_of(call(admin, request::set_goal(1, q, 0, goal + 2, kRecursive))), uint8_t(StatusCode::kQuota));
  EXPECT_EQ(std::as_const(metadata).fs().find(f)->sclass, goal) << "a refused change changed the file";
  Packet raised = call(admin, request::set_goal(1, q, 0, goal + 1, kRecursive));
  EXPECT_EQ(raised.type, msg::MATOCL_FUSE_SETSCLASS);
  EXPECT_EQ(raised.payload.size(), 16u) << "status " << int(status_of(raised));
  EXPECT_EQ(read_state(call(admin, get_or_delete(q, 0))).current.realsize, before.current.realsize + size);
  // Lowering a goal is never limited.
  EXPECT_EQ(call(admin, request::set_goal(1, q, 0, 1, kRecursive)).payload.size(), 16u);
}

TEST_F(QuotaProtocolTest, MalformedRequestsCloseTheConnection) {
  TestClient client = admin_mount();
  PacketWriter short_request(msg::CLTOMA_FUSE_QUOTACONTROL);
  short_request.u32(7).u32(kRootInode);
  EXPECT_FALSE(client.handle(to_packet(short_request)));
  PacketWriter long_info(msg::CLTOMA_QUOTA_INFO);
  long_info.u8(0);
  TestClient other = connect();
  EXPECT_FALSE(other.handle(to_packet(long_info)));
}

}  // namespace
}  // namespace mfs::master::testing
