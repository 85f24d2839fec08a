// Helpers for the protocol tests: a master with real state modules (metadata, changelog in
// a temporary folder, chunk and lock managers, exports), fake connections that record what
// the master sends, builders for the requests of spec 10 / spec 20 §2 and decoders for the
// replies. Protocol objects are driven through handle() exactly as the connection code does.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/chunkserver_master_messages.h"
#include "mfscommon/config_file.h"
#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfscommon/version.h"
#include "mfsmaster/changelog_reader.h"
#include "mfsmaster/changelog_writer.h"
#include "mfsmaster/chunk_manager.h"
#include "mfsmaster/chunkserver_protocol.h"
#include "mfsmaster/chunkservers.h"
#include "mfsmaster/client_protocol.h"
#include "mfsmaster/exports.h"
#include "mfsmaster/lock_manager.h"
#include "mfsmaster/metadata.h"
#include "mfsmaster/mutation_log.h"

namespace mfs::master::testing {

inline constexpr uint32_t kClientVersion = 0x000300EA;  // 3.0.117, as the real mount sends it
inline constexpr uint32_t kClientIp = 0xC0A80105;       // 192.168.1.5
inline constexpr uint64_t kMetaId = 0x0123456789ABCDEFull;
inline constexpr std::string_view kRegisterBlob = "DjI1GAQDULI5d2YjA26ypc3ovkhjvhciTQVx3CS4nYgtBoUcsljiVpsErJENHaw0";
inline constexpr size_t kAttrSize = 36;

namespace rcode {
inline constexpr uint8_t kGetRandom = 1, kNewSession = 2, kReconnect = 3, kTools = 4, kNewMetaSession = 5,
                         kCloseSession = 6;
}  // namespace rcode

// A frame from PacketWriter::take() as the receiving side sees it.
inline Packet to_packet(const std::vector<uint8_t>& frame) {
  Packet packet;
  EXPECT_GE(frame.size(), kPacketHeaderSize);
  if (frame.size() < kPacketHeaderSize) return packet;
  packet.type = get_u32_be(frame.data());
  EXPECT_EQ(get_u32_be(frame.data() + 4), frame.size() - kPacketHeaderSize) << "length field of type " << packet.type;
  packet.payload.assign(frame.begin() + kPacketHeaderSize, frame.end());
  return packet;
}

inline Packet to_packet(PacketWriter& writer) { return to_packet(writer.take()); }

// The caller's credentials as the 3.0.117 mount sends them: `uid gcnt gids…`.
struct Ids {
  uint32_t uid = 0;
  std::vector<uint32_t> gids{0};
};

inline PacketWriter& put_ids(PacketWriter& out, const Ids& ids) {
  out.u32(ids.uid).u32(static_cast<uint32_t>(ids.gids.size()));
  for (uint32_t gid : ids.gids) out.u32(gid);
  return out;
}

// Requests in the form the 3.0.117 client sends them (spec 10 §3, §7-11).
namespace request {

inline PacketWriter register_header(uint8_t code) {
  PacketWriter out(msg::CLTOMA_FUSE_REGISTER);
  out.bytes(kRegisterBlob).u8(code);
  return out;
}

inline Packet get_random() {
  PacketWriter out = register_header(rcode::kGetRandom);
  return to_packet(out);
}

struct NewSession {
  uint32_t version = kClientVersion;
  std::string info = "/mnt/mfs";
  std::optional<std::string> path = "/";  // nullopt: pleng 0
  std::optional<uint32_t> session_id;
  std::optional<uint64_t> meta_id;  // only sent after a session id
  std::optional<Md5Digest> passcode;
};

inline Packet new_session(const NewSession& fields, uint8_t code = rcode::kNewSession) {
  PacketWriter out = register_header(code);
  out.u32(fields.version).string32(fields.info + std::string(1, '\0'));
  if (code == rcode::kNewSession) out.string32(fields.path ? *fields.path + std::string(1, '\0') : std::string());
  if (fields.session_id) out.u32(*fields.session_id);
  if (fields.session_id && fields.meta_id) out.u64(*fields.meta_id);
  if (fields.passcode) out.bytes(*fields.passcode);
  return to_packet(out);
}

// RECONNECT (rcode 3) or TOOLS (rcode 4).
inline Packet reconnect(uint32_t session_id, uint32_t version = kClientVersion,
                        std::optional<uint64_t> meta_id = std::nullopt, uint8_t code = rcode::kReconnect) {
  PacketWriter out = register_header(code);
  out.u32(session_id).u32(version);
  if (meta_id) out.u64(*meta_id);
  return to_packet(out);
}

inline Packet close_session(uint32_t session_id, std::optional<uint64_t> meta_id = std::nullopt) {
  PacketWriter out = register_header(rcode::kCloseSession);
  out.u32(session_id);
  if (meta_id) out.u64(*meta_id);
  return to_packet(out);
}

inline Packet statfs(uint32_t msgid) {
  PacketWriter out(msg::CLTOMA_FUSE_STATFS);
  out.u32(msgid);
  return to_packet(out);
}

inline Packet access(uint32_t msgid, uint32_t inode, uint16_t mask, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_ACCESS);
  out.u32(msgid).u32(inode);
  put_ids(out, ids).u16(mask);
  return to_packet(out);
}

inline Packet lookup(uint32_t msgid, uint32_t parent, std::string_view name, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_LOOKUP);
  out.u32(msgid).u32(parent).name8(name);
  put_ids(out, ids);
  return to_packet(out);
}

// The 17-byte form of the 3.0.117 client.
inline Packet getattr(uint32_t msgid, uint32_t inode, uint32_t uid = 0, uint32_t gid = 0, uint8_t opened = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_GETATTR);
  out.u32(msgid).u32(inode).u8(opened).u32(uid).u32(gid);
  return to_packet(out);
}

struct SetAttr {
  uint8_t setmask = 0;
  uint16_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
  uint8_t winattr = 0;
  uint8_t sugid_clear_mode = 4;
};

inline Packet setattr(uint32_t msgid, uint32_t inode, const SetAttr& fields, const Ids& ids = {}, uint8_t opened = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_SETATTR);
  out.u32(msgid).u32(inode).u8(opened);
  put_ids(out, ids).u8(fields.setmask).u16(fields.mode).u32(fields.uid).u32(fields.gid);
  out.u32(fields.atime).u32(fields.mtime).u8(fields.winattr).u8(fields.sugid_clear_mode);
  return to_packet(out);
}

inline Packet readlink(uint32_t msgid, uint32_t inode) {
  PacketWriter out(msg::CLTOMA_FUSE_READLINK);
  out.u32(msgid).u32(inode);
  return to_packet(out);
}

// The target is sent with its terminating NUL, as the 3.0.117 client does.
inline Packet symlink(uint32_t msgid, uint32_t parent, std::string_view name, std::string_view target,
                      const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_SYMLINK);
  out.u32(msgid).u32(parent).name8(name).string32(std::string(target) + std::string(1, '\0'));
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet mknod(uint32_t msgid, uint32_t parent, std::string_view name, uint8_t type, uint16_t mode,
                    uint32_t rdev = 0, const Ids& ids = {}, uint16_t umask = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_MKNOD);
  out.u32(msgid).u32(parent).name8(name).u8(type).u16(mode).u16(umask);
  put_ids(out, ids).u32(rdev);
  return to_packet(out);
}

inline Packet mkdir(uint32_t msgid, uint32_t parent, std::string_view name, uint16_t mode = 0755,
                    const Ids& ids = {}, uint16_t umask = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_MKDIR);
  out.u32(msgid).u32(parent).name8(name).u16(mode).u16(umask);
  put_ids(out, ids).u8(1);
  return to_packet(out);
}

// UNLINK or RMDIR.
inline Packet remove(uint32_t type, uint32_t msgid, uint32_t parent, std::string_view name, const Ids& ids = {}) {
  PacketWriter out(type);
  out.u32(msgid).u32(parent).name8(name);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet rename(uint32_t msgid, uint32_t source_parent, std::string_view source_name, uint32_t target_parent,
                     std::string_view target_name, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_RENAME);
  out.u32(msgid).u32(source_parent).name8(source_name).u32(target_parent).name8(target_name);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet link(uint32_t msgid, uint32_t inode, uint32_t parent, std::string_view name, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_LINK);
  out.u32(msgid).u32(inode).u32(parent).name8(name);
  put_ids(out, ids);
  return to_packet(out);
}

inline constexpr uint8_t kReaddirWithAttributes = 0x01;

// The 29+4G form of the 3.0.117 client.
inline Packet readdir(uint32_t msgid, uint32_t inode, uint8_t flags, uint64_t nedgeid = 0, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_READDIR);
  out.u32(msgid).u32(inode);
  put_ids(out, ids).u8(flags).u32(0xFFFFFFFF).u64(nedgeid);
  return to_packet(out);
}

namespace openflag {
inline constexpr uint8_t kRead = 0x01, kWrite = 0x02, kAfterCreate = 0x04, kTruncate = 0x08;
}  // namespace openflag

inline Packet open(uint32_t msgid, uint32_t inode, uint8_t flags, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_OPEN);
  out.u32(msgid).u32(inode);
  put_ids(out, ids).u8(flags);
  return to_packet(out);
}

inline Packet create(uint32_t msgid, uint32_t parent, std::string_view name, uint16_t mode = 0644,
                     const Ids& ids = {}, uint16_t umask = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_CREATE);
  out.u32(msgid).u32(parent).name8(name).u16(mode).u16(umask);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet truncate(uint32_t msgid, uint32_t inode, uint8_t flags, uint64_t length, const Ids& ids = {}) {
  PacketWriter out(msg::CLTOMA_FUSE_TRUNCATE);
  out.u32(msgid).u32(inode).u8(flags);
  put_ids(out, ids).u64(length);
  return to_packet(out);
}

// READ_CHUNK or WRITE_CHUNK, 13-byte form.
inline Packet chunk(uint32_t type, uint32_t msgid, uint32_t inode, uint32_t index, uint8_t flags = 0) {
  PacketWriter out(type);
  out.u32(msgid).u32(inode).u32(index).u8(flags);
  return to_packet(out);
}

inline Packet write_chunk_end(uint32_t msgid, uint64_t chunk_id, uint32_t inode, uint32_t index, uint64_t length) {
  PacketWriter out(msg::CLTOMA_FUSE_WRITE_CHUNK_END);
  out.u32(msgid).u64(chunk_id).u32(inode).u32(index).u64(length).u8(0);
  return to_packet(out);
}

inline Packet getxattr(uint32_t msgid, uint32_t inode, std::string_view name, uint8_t mode, const Ids& ids = {},
                       uint8_t opened = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_GETXATTR);
  out.u32(msgid).u32(inode).name8(name).u8(mode).u8(opened);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet setxattr(uint32_t msgid, uint32_t inode, std::string_view name, std::string_view value, uint8_t mode,
                       const Ids& ids = {}, uint8_t opened = 0) {
  PacketWriter out(msg::CLTOMA_FUSE_SETXATTR);
  out.u32(msgid).u32(inode).name8(name).string32(value).u8(mode).u8(opened);
  put_ids(out, ids);
  return to_packet(out);
}

inline Packet getfacl(uint32_t msgid, uint32_t inode, uint8_t acl_type) {
  PacketWriter out(msg::CLTOMA_FUSE_GETFACL);
  out.u32(msgid).u32(inode).u8(acl_type);
  return to_packet(out);
}

// Removal form: all four permissions 0xFFFF, no named entries.
inline Packet setfacl(uint32_t msgid, uint32_t inode, uint8_t acl_type) {
  PacketWriter out(msg::CLTOMA_FUSE_SETFACL);
  out.u32(msgid).u32(inode).u32(0).u8(acl_type).u16(0xFFFF).u16(0xFFFF).u16(0xFFFF).u16(0xFFFF).u16(0).u16(0);
  return to_packet(out);
}

namespace flockcmd {
inline constexpr uint8_t kUnlock = 0, kTryShared = 1, kLockShared = 2, kTryExclusive = 3, kLockExclusive = 4,
                         kInterrupt = 5, kRelease = 6;
}  // namespace flockcmd

inline Packet flock(uint32_t msgid, uint32_t inode, uint32_t reqid, uint64_t owner, uint8_t command) {
  PacketWriter out(msg::CLTOMA_FUSE_FLOCK);
  out.u32(msgid).u32(inode).u32(reqid).u64(owner).u8(command);
  return to_packet(out);
}

struct PosixLock {
  uint32_t inode = 0;
  uint32_t reqid = 0;
  uint64_t owner = 0;
  uint32_t pid = 0;
  uint8_t command = 0;  // 0 GET, 1 SET, 2 TRY, 3 INT
  uint8_t type = 0;     // 0 unlock, 1 read, 2 write
  uint64_t start = 0;
  uint64_t end = 0;
};

inline Packet posix_lock(uint32_t msgid, const PosixLock& fields) {
  PacketWriter out(msg::CLTOMA_FUSE_POSIX_LOCK);
  out.u32(msgid).u32(fields.inode).u32(fields.reqid).u64(fields.owner).u32(fields.pid);
  out.u8(fields.command).u8(fields.type).u64(fields.start).u64(fields.end);
  return to_packet(out);
}

inline Packet check(uint32_t msgid, uint32_t inode, std::optional<uint32_t> index = std::nullopt) {
  PacketWriter out(msg::CLTOMA_FUSE_CHECK);
  out.u32(msgid).u32(inode);
  if (index) out.u32(*index);
  return to_packet(out);
}

inline Packet time_sync(std::optional<uint32_t> msgid) {
  PacketWriter out(msg::CLTOMA_FUSE_TIME_SYNC);
  if (msgid) out.u32(*msgid);
  return to_packet(out);
}

inline Packet sustained_inodes(const std::vector<uint32_t>& inodes) {
  PacketWriter out(msg::CLTOMA_FUSE_SUSTAINED_INODES);
  for (uint32_t inode : inodes) out.u32(inode);
  return to_packet(out);
}

}  // namespace request

// The attribute record of spec 10 §5 (36 bytes for 3.0.117 clients).
struct Attr {
  uint8_t flags = 0;
  uint16_t typemode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
  uint32_t ctime = 0;
  uint32_t nlink = 0;
  uint64_t length = 0;
  uint8_t winattr = 0;

  uint8_t type() const { return static_cast<uint8_t>(typemode >> 12); }
  uint16_t mode() const { return typemode & 07777; }
};

inline Attr read_attr(PacketReader& in) {
  Attr attr;
  attr.flags = in.u8();
  attr.typemode = in.u16();
  attr.uid = in.u32();
  attr.gid = in.u32();
  attr.atime = in.u32();
  attr.mtime = in.u32();
  attr.ctime = in.u32();
  attr.nlink = in.u32();
  attr.length = in.u64();
  attr.winattr = in.u8();
  return attr;
}

// The status of a `msgid status` reply (5 bytes); 0xFF when the reply has another shape.
inline uint8_t status_of(const Packet& reply) { return reply.payload.size() == 5 ? reply.payload[4] : 0xFF; }

inline uint32_t msgid_of(const Packet& reply) {
  return reply.payload.size() >= 4 ? get_u32_be(reply.payload.data()) : 0xFFFFFFFF;
}

// The client connection as the protocol sees it: records frames and the close request.
class FakeClientLink : public ClientLink {
 public:
  explicit FakeClientLink(uint32_t ip) : ip(ip) {}
  void send(std::vector<uint8_t> frame) override { frames.push_back(std::move(frame)); }
  void close_after_flush() override { closed_after_flush = true; }
  uint32_t peer_ip() const override { return ip; }

  std::vector<Packet> take() {
    std::vector<Packet> packets;
    for (const auto& frame : frames) packets.push_back(to_packet(frame));
    frames.clear();
    return packets;
  }

  uint32_t ip;
  std::vector<std::vector<uint8_t>> frames;
  bool closed_after_flush = false;
};

struct TestClient {
  std::shared_ptr<FakeClientLink> link;
  std::unique_ptr<ClientProtocol> protocol;
  uint32_t session_id = 0;

  bool handle(const Packet& packet) { return protocol->handle(packet); }
};

class FakeChunkserverLink : public ChunkserverLink {
 public:
  explicit FakeChunkserverLink(uint32_t ip) : ip(ip) {}
  void send(std::vector<uint8_t> frame) override { frames.push_back(std::move(frame)); }
  uint32_t peer_ip() const override { return ip; }
  void set_timeout(uint16_t seconds) override { timeout = seconds; }

  // The commands the master sent, decoded as the chunkserver decodes them (answers to
  // the chunkserver's own ANTOAN queries are left out).
  std::vector<csmsg::MasterToChunkserver> take() {
    std::vector<csmsg::MasterToChunkserver> messages;
    for (const auto& frame : frames) {
      Packet packet = to_packet(frame);
      if (packet.type == msg::ANTOAN_VERSION || packet.type == msg::ANTOAN_CONFIG_VALUE) continue;
      auto decoded = csmsg::decode_from_master(packet);
      EXPECT_TRUE(decoded) << decoded.status().to_string();
      if (decoded) messages.push_back(*decoded);
    }
    frames.clear();
    return messages;
  }

  uint32_t ip;
  std::vector<std::vector<uint8_t>> frames;
  std::optional<uint16_t> timeout;
};

struct TestChunkserver {
  std::shared_ptr<FakeChunkserverLink> link;
  std::unique_ptr<ChunkserverProtocol> protocol;

  bool handle(const std::vector<uint8_t>& frame) { return protocol->handle(to_packet(frame)); }
};

inline csmsg::RegisterBeginV6 chunkserver_begin(uint32_t ip, uint16_t port) {
  csmsg::RegisterBeginV6 begin;
  begin.version = kClientVersion;
  begin.ip = ip;
  begin.port = port;
  begin.space = {0, uint64_t{100} << 30, 0, 0, 0, 0};
  return begin;
}

// A master in a temporary data folder, with every module the protocols use.
class ProtocolFixture : public ::testing::Test {
 public:
  static constexpr uint32_t kNow = 1700000000;

 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "mfsmaster_protocol_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    data_path = pattern;
    metadata.init_empty(kNow);
    auto opened = ChangelogWriter::open(io, data_path);
    ASSERT_TRUE(opened) << opened.status().to_string();
    writer = std::move(*opened);
    mutations = std::make_unique<MutationLog>(metadata, *writer);
    ASSERT_TRUE(mutations->commit({ChangelogEntry::make("SETMETAID", kNow).arg(kMetaId)}));
    chunks = std::make_unique<ChunkManager>(metadata, *mutations, servers, [this] { return now; });
    chunks->configure(config);
    locks = std::make_unique<LockManager>(metadata, *mutations, [this] { return now; });
    exports = Exports::parse("* / rw,alldirs,maproot=0\n");
    client_services.reset(new ClientServices{
        metadata, *mutations, *chunks, *locks, [this]() -> const Exports& { return exports; },
        [this] { return now; }, [this]() -> const ConfigFile& { return config; }});
    chunkserver_services.reset(
        new ChunkserverServices{metadata, servers, *chunks, [this]() -> const ConfigFile& { return config; }});
  }

  void TearDown() override {
    if (writer) {
      EXPECT_TRUE(writer->shutdown());
    }
    std::filesystem::remove_all(data_path);
  }

  // Runs the metadata loop until every reply waiting for durability has been sent.
  void settle() {
    bool done = false;
    mutations->when_durable([&done] { done = true; });
    auto work = boost::asio::make_work_guard(io);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(1));
    }
    work.reset();
    io.restart();
    io.poll();
    EXPECT_TRUE(done) << "changelog never became durable";
  }

  TestClient connect(uint32_t ip = kClientIp) {
    TestClient client;
    client.link = std::make_shared<FakeClientLink>(ip);
    client.protocol = std::make_unique<ClientProtocol>(*client_services, client.link);
    return client;
  }

  // Everything the client got since the last call, once durable replies are out.
  std::vector<Packet> replies(TestClient& client) {
    settle();
    return client.link->take();
  }

  // Sends one request that must be accepted and answered by exactly one reply.
  Packet call(TestClient& client, const Packet& packet) {
    EXPECT_TRUE(client.handle(packet)) << client.protocol->error();
    std::vector<Packet> got = replies(client);
    EXPECT_EQ(got.size(), 1u) << "replies to a request of type " << packet.type;
    return got.empty() ? Packet{} : got.front();
  }

  // NEWSESSION for `fields`; returns the reply.
  Packet register_with(TestClient& client, const request::NewSession& fields) {
    Packet reply = call(client, request::new_session(fields));
    if (reply.payload.size() >= 8) client.session_id = get_u32_be(reply.payload.data() + 4);
    return reply;
  }

  // A mount registered for `path` with the 3.0.117 client version.
  TestClient mount(const std::string& path = "/", uint32_t ip = kClientIp) {
    TestClient client = connect(ip);
    request::NewSession fields;
    fields.path = path;
    Packet reply = register_with(client, fields);
    EXPECT_EQ(reply.type, msg::MATOCL_FUSE_REGISTER);
    EXPECT_EQ(reply.payload.size(), 49u) << "registration refused with status "
                                         << (reply.payload.empty() ? -1 : int(reply.payload[0]));
    return client;
  }

  TestChunkserver connect_chunkserver(uint32_t ip) {
    TestChunkserver server;
    server.link = std::make_shared<FakeChunkserverLink>(ip);
    server.protocol = std::make_unique<ChunkserverProtocol>(*chunkserver_services, server.link);
    return server;
  }

  // A chunkserver through BEGIN and END (no chunks), acknowledged with the 17-byte ACK.
  TestChunkserver registered_chunkserver(uint32_t ip, uint16_t port = 9422) {
    TestChunkserver server = connect_chunkserver(ip);
    EXPECT_TRUE(server.handle(csmsg::encode(chunkserver_begin(ip, port)))) << server.protocol->error();
    EXPECT_TRUE(server.handle(csmsg::encode(csmsg::RegisterEndV6{}))) << server.protocol->error();
    EXPECT_TRUE(server.protocol->server() && server.protocol->server()->registered);
    server.link->take();
    return server;
  }

  uint32_t inode_of(uint32_t parent, std::string_view name) const {
    const Node* directory = std::as_const(metadata).fs().find(parent);
    const Edge* edge = directory ? std::as_const(metadata).fs().lookup(*directory, name) : nullptr;
    return edge ? edge->child->inode : 0;
  }

  std::string changelog() {
    settle();
    std::ifstream in(data_path + "/changelog.0.mfs", std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

  // The version a fresh master reaches by replaying this master's changelog.
  uint64_t replayed_version() {
    settle();
    Metadata fresh;
    fresh.init_empty(kNow);
    Status replayed =
        replay_changelogs(data_path, fresh.version(), [&fresh](const ChangelogEntry& e) { return fresh.apply(e); });
    EXPECT_TRUE(replayed) << replayed.to_string();
    EXPECT_EQ(fresh.fs().node_count(), std::as_const(metadata).fs().node_count());
    EXPECT_EQ(fresh.sessions().all().size(), std::as_const(metadata).sessions().all().size());
    return fresh.version();
  }

  boost::asio::io_context io;
  std::string data_path;
  uint32_t now = kNow;
  Metadata metadata;
  std::unique_ptr<ChangelogWriter> writer;
  std::unique_ptr<MutationLog> mutations;
  Chunkservers servers;
  std::unique_ptr<ChunkManager> chunks;
  std::unique_ptr<LockManager> locks;
  Exports exports;
  ConfigFile config;
  std::unique_ptr<ClientServices> client_services;
  std::unique_ptr<ChunkserverServices> chunkserver_services;
};

}  // namespace mfs::master::testing
