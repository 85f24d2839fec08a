// Deterministic fuzzing of both master protocols: thousands of random, well-formed and
// corrupted packets (fixed seeds) are fed to registered protocol objects while fake
// chunkservers answer the master's commands. The master must not crash or break an
// invariant, every frame it sends must be well-formed, no change may be rejected by apply
// after validation, and replaying its changelog must give the same metadata version.
#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "mfscommon/overloaded.h"
#include "mfsmaster/fuzz/protocol_packet_stream.h"
#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

constexpr uint32_t kServerA = 0x0A000001;
constexpr uint32_t kServerB = 0x0A000002;
constexpr int kSteps = 3000;  // per seed: a few hundred milliseconds in Debug
// What MutationLog logs when apply() rejects a validated change.
constexpr std::string_view kRejectedChange = "this is a master bug";

// Random packets for one protocol: fully random, well-formed with small random
// arguments (so that they hit existing nodes and chunks), or well-formed then corrupted.
class PacketSource {
 public:
  explicit PacketSource(uint32_t seed) : random_(seed) {}

  uint32_t below(uint32_t bound) { return std::uniform_int_distribution<uint32_t>(0, bound - 1)(random_); }
  bool chance(uint32_t percent) { return below(100) < percent; }
  template <class T>
  T pick(std::initializer_list<T> values) {
    return *(values.begin() + below(static_cast<uint32_t>(values.size())));
  }

  std::vector<uint8_t> bytes(size_t count) {
    std::vector<uint8_t> data(count);
    for (uint8_t& byte : data) byte = static_cast<uint8_t>(below(256));
    return data;
  }

  Packet random_packet(std::initializer_list<uint32_t> types) {
    Packet packet;
    packet.type = chance(90) ? pick(types) : static_cast<uint32_t>(random_());
    packet.payload = bytes(below(301));
    // Small msgid-then-inode prefixes reach the request handlers' logic more often.
    if (packet.payload.size() >= 8 && chance(50)) put_u32_be(packet.payload.data() + 4, 1 + below(24));
    return packet;
  }

  Packet mutated(Packet packet) {
    for (uint32_t round = 1 + below(4); round > 0; --round) {
      auto& data = packet.payload;
      switch (below(5)) {
        case 0:
          if (!data.empty()) data[below(static_cast<uint32_t>(data.size()))] ^= static_cast<uint8_t>(1 + below(255));
          break;
        case 1:
          data.resize(below(static_cast<uint32_t>(data.size()) + 1));
          break;
        case 2: {
          std::vector<uint8_t> tail = bytes(1 + below(16));
          data.insert(data.end(), tail.begin(), tail.end());
          break;
        }
        case 3:
          if (data.size() >= 4) {
            put_u32_be(data.data() + below(static_cast<uint32_t>(data.size()) - 3),
                       pick<uint32_t>({0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 255, 256}));
          }
          break;
        default:
          packet.type = pick<uint32_t>({packet.type, packet.type + 1, packet.type - 1});
          break;
      }
    }
    return packet;
  }

  std::mt19937& engine() { return random_; }

 private:
  std::mt19937 random_;
};

class ClientRequests : public PacketSource {
 public:
  using PacketSource::PacketSource;

  Packet next() {
    uint32_t kind = below(100);
    if (kind < 15) {
      return random_packet({msg::ANTOAN_NOP,
                            msg::ANTOAN_GET_VERSION,
                            msg::ANTOAN_GET_CONFIG,
                            msg::CLTOMA_FUSE_REGISTER,
                            msg::CLTOMA_FUSE_STATFS,
                            msg::CLTOMA_FUSE_ACCESS,
                            msg::CLTOMA_FUSE_LOOKUP,
                            msg::CLTOMA_FUSE_GETATTR,
                            msg::CLTOMA_FUSE_SETATTR,
                            msg::CLTOMA_FUSE_READLINK,
                            msg::CLTOMA_FUSE_SYMLINK,
                            msg::CLTOMA_FUSE_MKNOD,
                            msg::CLTOMA_FUSE_MKDIR,
                            msg::CLTOMA_FUSE_UNLINK,
                            msg::CLTOMA_FUSE_RMDIR,
                            msg::CLTOMA_FUSE_RENAME,
                            msg::CLTOMA_FUSE_LINK,
                            msg::CLTOMA_FUSE_READDIR,
                            msg::CLTOMA_FUSE_OPEN,
                            msg::CLTOMA_FUSE_READ_CHUNK,
                            msg::CLTOMA_FUSE_WRITE_CHUNK,
                            msg::CLTOMA_FUSE_WRITE_CHUNK_END,
                            msg::CLTOMA_FUSE_CHECK,
                            msg::CLTOMA_FUSE_TRUNCATE,
                            msg::CLTOMA_FUSE_GETXATTR,
                            msg::CLTOMA_FUSE_SETXATTR,
                            msg::CLTOMA_FUSE_CREATE,
                            msg::CLTOMA_FUSE_GETFACL,
                            msg::CLTOMA_FUSE_SETFACL,
                            msg::CLTOMA_FUSE_FLOCK,
                            msg::CLTOMA_FUSE_POSIX_LOCK,
                            msg::CLTOMA_FUSE_SUSTAINED_INODES_LEGACY,
                            msg::CLTOMA_FUSE_SUSTAINED_INODES,
                            msg::CLTOMA_FUSE_AMTIME_INODES,
                            msg::CLTOMA_FUSE_TIME_SYNC});
    }
    if (kind < 35) return mutated(valid());
    return valid();
  }

  // A well-formed request of a random type.
  Packet valid() {
    uint32_t id = 1 + below(8);
    switch (below(34)) {
      case 0:
        return request::statfs(id);
      case 1:
        return request::access(id, inode(), static_cast<uint16_t>(below(8)), ids());
      case 2:
        return request::lookup(id, inode(), name(), ids());
      case 3:
        return request::getattr(id, inode(), below(2000), below(2000), static_cast<uint8_t>(below(2)));
      case 4: {
        request::SetAttr fields;
        fields.setmask = static_cast<uint8_t>(below(256));
        fields.mode = static_cast<uint16_t>(below(010000));
        fields.uid = pick<uint32_t>({0, 1000, 1001});
        fields.gid = pick<uint32_t>({0, 1000, 1001});
        fields.atime = fields.mtime = ProtocolFixture::kNow + below(1000);
        fields.winattr = static_cast<uint8_t>(below(256));
        fields.sugid_clear_mode = static_cast<uint8_t>(below(7));
        return request::setattr(id, inode(), fields, ids(), static_cast<uint8_t>(below(2)));
      }
      case 5:
        return request::readlink(id, inode());
      case 6:
        return request::symlink(id, inode(), name(), pick<std::string_view>({"t", "../x", "", "a/b/c"}), ids());
      case 7:
        return request::mknod(id, inode(), name(), static_cast<uint8_t>(below(9)), static_cast<uint16_t>(below(010000)),
                              below(70000), ids(), static_cast<uint16_t>(below(01000)));
      case 8:
        return request::mkdir(id, inode(), name(), static_cast<uint16_t>(below(010000)), ids());
      case 9:
        return request::remove(msg::CLTOMA_FUSE_UNLINK, id, inode(), name(), ids());
      case 10:
        return request::remove(msg::CLTOMA_FUSE_RMDIR, id, inode(), name(), ids());
      case 11:
        return request::rename(id, inode(), name(), inode(), name(), ids());
      case 12:
        return request::link(id, inode(), inode(), name(), ids());
      case 13:
        return request::readdir(id, inode(), static_cast<uint8_t>(below(4)), below(3), ids());
      case 14:
        return request::open(id, inode(), static_cast<uint8_t>(below(32)), ids());
      case 15:
        return request::create(id, inode(), name(), static_cast<uint16_t>(below(010000)), ids());
      case 16:
        return request::truncate(id, inode(), static_cast<uint8_t>(below(16)), length(), ids());
      case 17:
        return request::chunk(msg::CLTOMA_FUSE_READ_CHUNK, id, inode(), below(4), static_cast<uint8_t>(below(8)));
      case 18:
      case 19:
        return request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, id, inode(), below(3), static_cast<uint8_t>(below(8)));
      case 20:
        return request::write_chunk_end(id, below(12), inode(), below(3), length());
      case 21:
        return request::getxattr(id, inode(), xattr_name(), static_cast<uint8_t>(below(3)), ids());
      case 22:
        return request::setxattr(id, inode(), xattr_name(), pick<std::string_view>({"", "v", "value"}),
                                 static_cast<uint8_t>(below(5)), ids());
      case 23:
        return request::getfacl(id, inode(), static_cast<uint8_t>(below(4)));
      case 24:
        return request::setfacl(id, inode(), static_cast<uint8_t>(below(4)));
      case 25:
        return request::flock(id, inode(), below(3), below(3), static_cast<uint8_t>(below(8)));
      case 26: {
        request::PosixLock lock{
            inode(),    below(3), below(3), below(100), static_cast<uint8_t>(below(5)), static_cast<uint8_t>(below(4)),
            below(200), 0};
        lock.end = chance(20) ? 0xFFFFFFFFFFFFFFFFull : lock.start + below(200);
        return request::posix_lock(id, lock);
      }
      case 27:
        return request::check(id, inode(), chance(50) ? std::optional<uint32_t>(below(3)) : std::nullopt);
      case 28:
        return request::time_sync(chance(50) ? std::optional<uint32_t>(0) : std::nullopt);
      case 29: {
        std::vector<uint32_t> held;
        for (uint32_t count = below(6); count > 0; --count) held.push_back(inode());
        return request::sustained_inodes(held);
      }
      case 30: {
        PacketWriter out(msg::CLTOMA_FUSE_AMTIME_INODES);
        for (uint32_t count = below(4); count > 0; --count) {
          out.u32(inode()).u32(ProtocolFixture::kNow + below(100000)).u32(ProtocolFixture::kNow + below(100000));
        }
        return to_packet(out);
      }
      case 31: {
        request::NewSession fields;
        fields.path = pick<std::string>({"/", "/a", "a/b"});
        return request::new_session(fields, pick<uint8_t>({rcode::kNewSession, rcode::kNewMetaSession}));
      }
      case 32:
        return pick<Packet>(
            {request::get_random(), request::reconnect(1 + below(3)), request::close_session(1 + below(3))});
      default: {
        PacketWriter out(msg::ANTOAN_GET_CONFIG);
        out.u32(id).name8(pick<std::string_view>({"ATIME_MODE", "", "DATA_PATH"}));
        return to_packet(out);
      }
    }
  }

 private:
  uint32_t inode() { return chance(90) ? 1 + below(16) : pick<uint32_t>({0, 0x7FFFFFFF, 0xFFFFFFFF}); }
  std::string name() {
    if (chance(90)) return std::string(1, static_cast<char>('a' + below(6)));
    return pick<std::string>({".", "..", "", "a/b", std::string("x\0y", 3), std::string(255, 'n')});
  }
  std::string xattr_name() {
    return pick<std::string>({"user.a", "user.b", "trusted.t", "system.s", "", "security.x"});
  }
  uint64_t length() { return pick<uint64_t>({0, 1, 1000, kChunkSize - 1, kChunkSize + 5, 3 * kChunkSize, ~0ull}); }
  Ids ids() { return chance(70) ? Ids{} : pick<Ids>({Ids{1000, {1000}}, Ids{1001, {1001, 1000}}, Ids{0, {}}}); }
};

class ChunkserverMessages : public PacketSource {
 public:
  using PacketSource::PacketSource;

  Packet next() {
    uint32_t kind = below(100);
    if (kind < 15) {
      return random_packet({msg::ANTOAN_NOP,
                            msg::ANTOAN_GET_VERSION,
                            msg::ANTOAN_GET_CONFIG,
                            msg::CSTOMA_REGISTER,
                            msg::CSTOMA_SPACE,
                            msg::CSTOMA_CHUNK_DAMAGED,
                            msg::CSTOMA_CURRENT_LOAD,
                            msg::CSTOMA_CHUNK_LOST,
                            msg::CSTOMA_ERROR_OCCURRED,
                            msg::CSTOMA_CHUNK_NEW,
                            msg::CSTOMA_LABELS,
                            msg::CSTOMA_CREATE,
                            msg::CSTOMA_DELETE,
                            msg::CSTOMA_DUPLICATE,
                            msg::CSTOMA_SET_VERSION,
                            msg::CSTOMA_REPLICATE,
                            msg::CSTOMA_CHUNKOP,
                            msg::CSTOMA_TRUNCATE,
                            msg::CSTOMA_DUPTRUNC,
                            msg::CSTOAN_CHUNK_BLOCKS,
                            msg::CSTOAN_CHUNK_CHECKSUM,
                            msg::CSTOAN_CHUNK_CHECKSUM_TAB});
    }
    Packet packet = to_packet(csmsg::encode(valid()));
    return kind < 35 ? mutated(packet) : packet;
  }

  csmsg::ChunkserverToMaster valid() {
    switch (below(20)) {
      case 0:
        return csmsg::RegisterChunksV6{chunk_list()};
      case 1:
        return csmsg::RegisterEndV6{};
      case 2: {
        csmsg::RegisterBeginV6 begin = chunkserver_begin(pick<uint32_t>({0x0A0000F0, 0x7F000001, 0}), 9422);
        begin.timeout = static_cast<uint16_t>(below(40));
        return begin;
      }
      case 3:
        return csmsg::SpaceReport{pick({csmsg::SpaceReport::Form::kUsedTotal, csmsg::SpaceReport::Form::kFull}),
                                  {below(1000), uint64_t{100} << 30, below(10), 0, below(1000), below(10)}};
      case 4:
        return csmsg::CurrentLoadReport{below(300), static_cast<csmsg::LoadStatus>(below(5))};
      case 5:
        return csmsg::LabelsReport{below(16)};
      case 6:
        return csmsg::ErrorOccurredReport{};
      case 7:
        return csmsg::ChunkDamagedReport{chunk_ids()};
      case 8:
        return csmsg::ChunkLostReport{chunk_ids()};
      case 9:
        return csmsg::ChunkNewReport{chunk_list()};
      case 10:
        return csmsg::CreateReply{chunk_id(), status()};
      case 11:
        return csmsg::SetVersionReply{chunk_id(), status()};
      case 12:
        return csmsg::TruncateReply{chunk_id(), status()};
      case 13:
        return csmsg::DeleteReply{chunk_id(), status()};
      case 14:
        return csmsg::DuplicateReply{chunk_id(), status()};
      case 15:
        return csmsg::DupTruncReply{chunk_id(), status()};
      case 16:
        return csmsg::ReplicateReply{chunk_id(), below(4), status()};
      case 17:
        return csmsg::ChunkChecksumReply{chunk_id(), below(4), StatusCode::kOk, below(1000)};
      case 18:
        return anymsg::GetVersion{below(5)};
      default:
        return csmsg::RegisterDisconnect{};
    }
  }

  StatusCode status() {
    return chance(70) ? StatusCode::kOk
                      : pick({StatusCode::kNoChunk, StatusCode::kNotDone, StatusCode::kWrongVersion,
                              StatusCode::kChunkExist, StatusCode::kNoSpace, StatusCode::kIO, StatusCode::kEINVAL});
  }

 private:
  uint64_t chunk_id() { return chance(95) ? below(12) : pick<uint64_t>({~0ull, uint64_t{1} << 40}); }
  std::vector<uint64_t> chunk_ids() {
    std::vector<uint64_t> ids;
    for (uint32_t count = below(5); count > 0; --count) ids.push_back(chunk_id());
    return ids;
  }
  std::vector<csmsg::ChunkEntry> chunk_list() {
    std::vector<csmsg::ChunkEntry> list;
    for (uint32_t count = 1 + below(5); count > 0; --count) list.push_back({chunk_id(), below(4), chance(20)});
    return list;
  }
};

// The chunkserver's answer to a chunk command, with `status`; nothing for other messages.
std::optional<std::vector<uint8_t>> answer_to(const csmsg::MasterToChunkserver& command, StatusCode status) {
  using Answer = std::optional<std::vector<uint8_t>>;
  return std::visit(Overloaded{
                        [&](const csmsg::CreateCommand& c) -> Answer {
                          return csmsg::encode(csmsg::CreateReply{c.chunkid, status});
                        },
                        [&](const csmsg::DeleteCommand& c) -> Answer {
                          return csmsg::encode(csmsg::DeleteReply{c.chunkid, status});
                        },
                        [&](const csmsg::SetVersionCommand& c) -> Answer {
                          return csmsg::encode(csmsg::SetVersionReply{c.chunkid, status});
                        },
                        [&](const csmsg::TruncateCommand& c) -> Answer {
                          return csmsg::encode(csmsg::TruncateReply{c.chunkid, status});
                        },
                        [&](const csmsg::DuplicateCommand& c) -> Answer {
                          return csmsg::encode(csmsg::DuplicateReply{c.new_chunkid, status});
                        },
                        [&](const csmsg::DupTruncCommand& c) -> Answer {
                          return csmsg::encode(csmsg::DupTruncReply{c.new_chunkid, status});
                        },
                        [&](const csmsg::ReplicateCommand& c) -> Answer {
                          return csmsg::encode(csmsg::ReplicateReply{c.chunkid, c.version, status});
                        },
                        [](const auto&) -> Answer { return std::nullopt; },
                    },
                    command);
}

class ProtocolFuzzTest : public ProtocolFixture {
 protected:
  void SetUp() override {
    ProtocolFixture::SetUp();
    ::testing::internal::CaptureStderr();
  }

  void TearDown() override {
    std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(log.find(kRejectedChange), std::string::npos) << log << "CHANGELOG\n" << changelog();
    ProtocolFixture::TearDown();
  }

  // Answers the commands the servers received, in a shuffled order, some of them later.
  void answer_commands(std::vector<TestChunkserver*> servers, PacketSource& source) {
    for (TestChunkserver* server : servers) {
      for (const auto& command : server->link->take()) {
        if (auto frame = answer_to(command, source.chance(85) ? StatusCode::kOk : StatusCode::kIO)) {
          held_answers_.push_back({server, std::move(*frame)});
        }
      }
    }
    std::shuffle(held_answers_.begin(), held_answers_.end(), source.engine());
    while (!held_answers_.empty() && source.chance(80)) {
      auto [server, frame] = std::move(held_answers_.back());
      held_answers_.pop_back();
      if (server->protocol->server()) {
        EXPECT_TRUE(server->handle(frame)) << server->protocol->error();
      }
    }
  }

  // Answers still held for a server whose connection is gone die with it.
  void forget_answers(const TestChunkserver* server) {
    std::erase_if(held_answers_, [server](const auto& held) { return held.first == server; });
  }

  // Time passes; the master does its periodic chunk work.
  void tick(PacketSource& source) {
    now += source.below(200);
    chunks->housekeeping(now);
  }

  std::vector<std::pair<TestChunkserver*, std::vector<uint8_t>>> held_answers_;
};

class ClientProtocolFuzz : public ProtocolFuzzTest, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(ClientProtocolFuzz, RandomRequestsKeepTheMasterConsistent) {
  ClientRequests source(GetParam());
  TestChunkserver a = registered_chunkserver(kServerA);
  TestChunkserver b = registered_chunkserver(kServerB);
  TestClient owner = mount();
  TestClient bystander = mount();
  auto fresh_connection = [&] {
    TestClient client = connect();
    EXPECT_TRUE(client.handle(request::reconnect(owner.session_id)));
    return client;
  };
  TestClient fuzzed = fresh_connection();
  int refused = 0;
  for (int step = 0; step < kSteps; ++step) {
    bool handled = fuzzed.handle(source.next());
    if (!handled) {
      ++refused;
      EXPECT_FALSE(fuzzed.protocol->error().empty());
    }
    if (!handled || fuzzed.link->closed_after_flush) {  // CLOSESESSION ends the connection too
      fuzzed.protocol->disconnected();
      fuzzed = fresh_connection();
    }
    answer_commands({&a, &b}, source);
    if (step % 50 == 49) {
      tick(source);
      settle();
      fuzzed.link->take();  // frames are checked for well-formedness as they are decoded
    }
  }
  fuzzed.protocol->disconnected();
  EXPECT_GT(refused, 0);
  EXPECT_LT(refused, kSteps);
  EXPECT_GT(std::as_const(metadata).fs().node_count(), 3u) << "the valid requests did not reach the file system";
  EXPECT_EQ(call(bystander, request::getattr(1, kRootInode)).payload.size(), 40u);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

INSTANTIATE_TEST_SUITE_P(Seeds, ClientProtocolFuzz, ::testing::Values(1u, 20240601u, 0xC0FFEEu));

class ChunkserverProtocolFuzz : public ProtocolFuzzTest, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(ChunkserverProtocolFuzz, RandomMessagesKeepTheMasterConsistent) {
  ChunkserverMessages source(GetParam());
  ClientRequests writes(GetParam() + 1);
  TestChunkserver a = registered_chunkserver(kServerA);
  TestChunkserver b = registered_chunkserver(kServerB);
  TestClient client = mount();
  for (std::string_view name : {"a", "b", "c", "d"}) call(client, request::create(1, kRootInode, name));
  uint32_t next_ip = 0x0A000100;
  TestChunkserver fuzzed = registered_chunkserver(next_ip++);
  int refused = 0;
  for (int step = 0; step < kSteps; ++step) {
    if (source.chance(10)) {
      // Client writes give the servers chunk operations to answer, rightly or not.
      EXPECT_TRUE(client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 1, 2 + writes.below(4), writes.below(3))));
    }
    if (!fuzzed.protocol->handle(source.next())) {
      ++refused;
      EXPECT_FALSE(fuzzed.protocol->error().empty());
      fuzzed.protocol->disconnected();
      forget_answers(&fuzzed);
      fuzzed = registered_chunkserver(next_ip++);
    }
    answer_commands({&a, &b, &fuzzed}, source);
    if (step % 50 == 49) {
      tick(source);
      settle();
      client.link->take();
      fuzzed.link->take();
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_LT(refused, kSteps);
  EXPECT_EQ(call(client, request::getattr(1, kRootInode)).payload.size(), 40u);
  EXPECT_EQ(replayed_version(), std::as_const(metadata).version());
}

INSTANTIATE_TEST_SUITE_P(Seeds, ChunkserverProtocolFuzz, ::testing::Values(2u, 77u, 0xBADC0DEu));

// One record of the libFuzzer target's input: `peer:u8 type:u32 length:u16 payload`.
void append_record(std::vector<uint8_t>& stream, uint8_t peer, const Packet& packet) {
  uint16_t length = static_cast<uint16_t>(std::min<size_t>(packet.payload.size(), 0xFFFF));
  stream.push_back(peer);
  for (int shift = 24; shift >= 0; shift -= 8) stream.push_back(static_cast<uint8_t>(packet.type >> shift));
  stream.push_back(static_cast<uint8_t>(length >> 8));
  stream.push_back(static_cast<uint8_t>(length));
  stream.insert(stream.end(), packet.payload.begin(), packet.payload.begin() + length);
}

// The libFuzzer target's property (fuzz/protocol_packet_stream.h) on streams of the packets
// above, so that every build runs it, with the sanitizers where they are on.
TEST(ProtocolPacketStream, GeneratedStreamsKeepTheMasterServing) {
  for (uint32_t seed : {3u, 41u, 0xFEEDu}) {
    ClientRequests requests(seed);
    ChunkserverMessages messages(seed + 1);
    for (int run = 0; run < 20; ++run) {
      std::vector<uint8_t> stream;
      for (uint32_t records = requests.below(300); records > 0; --records) {
        uint8_t peer = static_cast<uint8_t>(requests.below(5));
        append_record(stream, peer, peer == 2 || peer == 3 ? messages.next() : requests.next());
      }
      EXPECT_EQ(protocol_packet_stream_violation(stream), std::nullopt) << "seed " << seed << ", run " << run;
    }
  }
}

}  // namespace
}  // namespace mfs::master::testing
