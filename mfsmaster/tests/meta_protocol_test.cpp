// The meta mount's requests (spec 11 §8.2), mfsfilepaths (PATHS, §5.14) and the archive
// flags (ARCHCTL, §5.15) through ClientProtocol: reply layouts, statuses, malformed
// sizes, the changelog entries in MooseFS's format (as 3.0.117 writes them) and replay.
#include <string>
#include <utility>
#include <vector>

#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

const Ids kUser{1000, {1000}};

Packet inode_request(uint32_t type, uint32_t msgid, uint32_t inode) {
  PacketWriter out(type);
  out.u32(msgid).u32(inode);
  return to_packet(out);
}

Packet get_trash(uint32_t msgid, std::optional<uint32_t> bucket) {
  PacketWriter out(msg::CLTOMA_FUSE_GETTRASH);
  out.u32(msgid);
  if (bucket) out.u32(*bucket);
  return to_packet(out);
}

Packet get_sustained(uint32_t msgid) {
  PacketWriter out(msg::CLTOMA_FUSE_GETSUSTAINED);
  out.u32(msgid);
  return to_packet(out);
}

Packet detached_attr(uint32_t msgid, uint32_t inode, std::optional<uint8_t> dtype) {
  PacketWriter out(msg::CLTOMA_FUSE_GETDETACHEDATTR);
  out.u32(msgid).u32(inode);
  if (dtype) out.u8(*dtype);
  return to_packet(out);
}

Packet set_trash_path(uint32_t msgid, uint32_t inode, std::string_view path) {
  PacketWriter out(msg::CLTOMA_FUSE_SETTRASHPATH);
  out.u32(msgid).u32(inode).string32(path);
  return to_packet(out);
}

Packet archive(uint32_t msgid, uint32_t inode, uint8_t command, std::optional<uint32_t> uid) {
  PacketWriter out(msg::CLTOMA_FUSE_ARCHCTL);
  out.u32(msgid).u32(inode).u8(command);
  if (uid) out.u32(*uid);
  return to_packet(out);
}

using Listing = std::vector<std::pair<std::string, uint32_t>>;

Listing read_listing(const Packet& reply) {
  PacketReader in(reply.payload);
  in.u32();
  Listing listing;
  while (in.ok() && in.remaining() > 0) {
    std::string name(in.name8());
    listing.emplace_back(std::move(name), in.u32());
  }
  EXPECT_TRUE(in.finished()) << "listing of " << reply.payload.size() << " bytes";
  return listing;
}

std::vector<std::string> read_paths(const Packet& reply) {
  PacketReader in(reply.payload);
  in.u32();
  std::vector<std::string> paths;
  while (in.ok() && in.remaining() > 0) {
    uint32_t length = in.u32();
    auto bytes = in.bytes(length);
    paths.emplace_back(bytes.begin(), bytes.end());
  }
  EXPECT_TRUE(in.finished());
  return paths;
}

class MetaProtocolTest : public ProtocolFixture {
 protected:
  void SetUp() override {
    ProtocolFixture::SetUp();
    exports = Exports::parse("* / rw,alldirs,maproot=0,admin\n* . rw\n");
  }

  TestClient meta_mount() {
    TestClient client = connect();
    Packet reply = call(client, request::new_session({}, rcode::kNewMetaSession));
    EXPECT_EQ(reply.payload.size(), 27u) << "meta registration refused";
    if (reply.payload.size() >= 8) client.session_id = get_u32_be(reply.payload.data() + 4);
    return client;
  }

  // d/sub/f1 and d/f2 (in the trash after remove()), g: the inodes.
  void make_tree(TestClient& client) {
    dir = created(client, request::mkdir(1, kRootInode, "d", 0777));
    subdir = created(client, request::mkdir(1, dir, "sub", 0777));
    file1 = created(client, request::mknod(1, subdir, "f1", 1, 0644));
    file2 = created(client, request::mknod(1, dir, "f2", 1, 0644, 0, kUser));
    top = created(client, request::mknod(1, kRootInode, "g", 1, 0644));
  }

  void remove(TestClient& client, uint32_t parent, std::string_view name) {
    Packet reply = call(client, request::remove(msg::CLTOMA_FUSE_UNLINK, 1, parent, name));
    EXPECT_EQ(reply.payload.size(), 8u) << "unlink status " << int(status_of(reply));
  }

  // A new chunk in slot `index` of `file`, made as a client write makes it (WRITE, UNLOCK).
  uint64_t give_chunk(uint32_t file, uint32_t index) {
    uint64_t chunk_id = std::as_const(metadata).chunks().next_id();
    Status written = mutations->commit({ChangelogEntry::make("WRITE", kNow).arg(file).arg(index).arg(1).arg(0).result(
                                            chunk_id),
                                        ChangelogEntry::make("UNLOCK", kNow).arg(chunk_id)});
    EXPECT_TRUE(written) << written.to_string();
    return chunk_id;
  }

  uint8_t status(TestClient& client, const Packet& request, uint32_t reply_type) {
    Packet reply = call(client, request);
    EXPECT_EQ(reply.type, reply_type);
    EXPECT_EQ(msgid_of(reply), 7u);
    return status_of(reply);
  }

  bool in_changelog(const std::string& text) { return changelog().find(text) != std::string::npos; }

  // Replaying the changelog gives the same tree, trash and chunk flags.
  void expect_replay_gives_same_state() {
    std::unique_ptr<Metadata> fresh = replayed();
    const FsTree& ours = std::as_const(metadata).fs();
    const FsTree& theirs = std::as_const(*fresh).fs();
    ASSERT_EQ(theirs.node_count(), ours.node_count());
    for (const Node* node : ours.all_nodes()) {
      const Node* other = theirs.find(node->inode);
      ASSERT_NE(other, nullptr) << node->inode;
      EXPECT_EQ(other->type, node->type) << node->inode;
      EXPECT_EQ(other->mode, node->mode) << node->inode;
      EXPECT_EQ(other->ctime, node->ctime) << node->inode;
      EXPECT_EQ(other->sclass, node->sclass) << node->inode;
      EXPECT_EQ(theirs.path_of(*other), ours.path_of(*node)) << node->inode;
    }
    for (const auto& [id, chunk] : std::as_const(metadata).chunks().all()) {
      const ChunkRecord* other = std::as_const(*fresh).chunks().find(id);
      ASSERT_NE(other, nullptr);
      EXPECT_EQ(other->archived, chunk->archived) << id;
    }
  }

  uint32_t dir = 0, subdir = 0, file1 = 0, file2 = 0, top = 0;
};

// ---------------------------------------------------------------------------------------
// Meta session: listings and attributes

TEST_F(MetaProtocolTest, TrashListsPathsWithBarsPerBucketOrAll) {
  TestClient client = mount();
  make_tree(client);
  remove(client, subdir, "f1");
  remove(client, dir, "f2");
  TestClient meta = meta_mount();
  Packet all = call(meta, get_trash(7, std::nullopt));
  EXPECT_EQ(all.type, msg::MATOCL_FUSE_GETTRASH);
  EXPECT_EQ(read_listing(all), (Listing{{"d|sub|f1", file1}, {"d|f2", file2}}));
  EXPECT_EQ(read_listing(call(meta, get_trash(7, file2 % 4096))), (Listing{{"d|f2", file2}}));
  EXPECT_EQ(read_listing(call(meta, get_trash(7, file2 % 4096 + 100))), Listing{});
  EXPECT_EQ(read_listing(call(meta, get_trash(7, 4096))).size(), 2u);  // past the last bucket: all
  EXPECT_EQ(read_listing(call(meta, get_sustained(7))), Listing{});
}

TEST_F(MetaProtocolTest, LongTrashPathsAreListedByTheirEnd) {
  TestClient client = mount();
  uint32_t parent = kRootInode;
  std::string path;
  for (int i = 0; i < 3; ++i) {
    std::string name(100, static_cast<char>('a' + i));
    parent = created(client, request::mkdir(1, parent, name, 0777));
    path += name + "/";
  }
  uint32_t file = created(client, request::mknod(1, parent, "file", 1, 0644));
  remove(client, parent, "file");
  path += "file";
  TestClient meta = meta_mount();
  Listing listing = read_listing(call(meta, get_trash(7, std::nullopt)));
  ASSERT_EQ(listing.size(), 1u);
  std::string expected = "(...)" + path.substr(path.size() - 235);
  for (char& c : expected) c = c == '/' ? '|' : c;
  EXPECT_EQ(listing[0], std::make_pair(expected, file));
  EXPECT_EQ(listing[0].first.size(), 240u);
}

TEST_F(MetaProtocolTest, OpenFileWithoutTrashTimeIsListedAsSustained) {
  TestClient client = mount();
  make_tree(client);
  call(client, request::set_trash_time(1, top, 0, 0, 0));
  call(client, request::open(1, top, 1));
  remove(client, kRootInode, "g");
  TestClient meta = meta_mount();
  EXPECT_EQ(read_listing(call(meta, get_sustained(7))), (Listing{{"g", top}}));
  EXPECT_EQ(read_listing(call(meta, get_trash(7, std::nullopt))), Listing{});
  // Sustained files are neither undeleted nor purged, nor have a trash path.
  EXPECT_EQ(status(meta, inode_request(msg::CLTOMA_FUSE_UNDEL, 7, top), msg::MATOCL_FUSE_UNDEL),
            uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status(meta, inode_request(msg::CLTOMA_FUSE_PURGE, 7, top), msg::MATOCL_FUSE_PURGE),
            uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(status(meta, inode_request(msg::CLTOMA_FUSE_GETTRASHPATH, 7, top), msg::MATOCL_FUSE_GETTRASHPATH),
            uint8_t(StatusCode::kENOENT));
}

TEST_F(MetaProtocolTest, DetachedAttributesByKind) {
  TestClient client = mount();
  make_tree(client);
  remove(client, dir, "f2");
  TestClient meta = meta_mount();
  Packet reply = call(meta, detached_attr(7, file2, 1));
  ASSERT_EQ(reply.payload.size(), 4u + kAttrSize);
  PacketReader in(reply.payload);
  in.u32();
  Attr attr = read_attr(in);
  EXPECT_EQ(attr.type(), 1);  // a plain file
  EXPECT_EQ(attr.mode(), 0644);
  EXPECT_EQ(attr.uid, kUser.uid);
  EXPECT_EQ(attr.nlink, 0u);  // 3.0.117 shows trash and sustained files without links
  EXPECT_EQ(call(meta, detached_attr(7, file2, 0)).payload.size(), 4u + kAttrSize);
  EXPECT_EQ(call(meta, detached_attr(7, file2, std::nullopt)).payload.size(), 4u + kAttrSize);
  auto attr_status = [&](uint32_t inode, uint8_t dtype) {
    return status(meta, detached_attr(7, inode, dtype), msg::MATOCL_FUSE_GETDETACHEDATTR);
  };
  EXPECT_EQ(attr_status(file2, 2), uint8_t(StatusCode::kENOENT));  // not sustained
  EXPECT_EQ(attr_status(file2, 3), uint8_t(StatusCode::kEINVAL));
  EXPECT_EQ(attr_status(top, 0), uint8_t(StatusCode::kENOENT));  // in the tree
  EXPECT_EQ(attr_status(999, 0), uint8_t(StatusCode::kENOENT));
}

TEST_F(MetaProtocolTest, OnlyMetaSessionsMayUseTheTrashRequests) {
  TestClient client = mount();
  make_tree(client);
  remove(client, dir, "f2");
  for (const Packet& request :
       {get_trash(7, std::nullopt), get_sustained(7), detached_attr(7, file2, 0),
        inode_request(msg::CLTOMA_FUSE_GETTRASHPATH, 7, file2), set_trash_path(7, file2, "x"),
        inode_request(msg::CLTOMA_FUSE_UNDEL, 7, file2), inode_request(msg::CLTOMA_FUSE_PURGE, 7, file2)}) {
    EXPECT_EQ(status(client, request, request.type + 1), uint8_t(StatusCode::kEPERM)) << request.type;
  }
  // The meta session sees only trash and sustained files, not the tree.
  TestClient meta = meta_mount();
  EXPECT_EQ(status(meta, request::get_setting(msg::CLTOMA_FUSE_GETTRASHTIME, 7, top, 0),
                   msg::MATOCL_FUSE_GETTRASHTIME),
            uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(call(meta, request::get_setting(msg::CLTOMA_FUSE_GETTRASHTIME, 7, file2, 0)).payload.size(), 20u);
}

TEST_F(MetaProtocolTest, MalformedRequestsCloseTheConnection) {
  TestClient meta = meta_mount();
  auto sized = [](uint32_t type, size_t extra) {
    PacketWriter out(type);
    out.u32(7);
    for (size_t i = 0; i < extra; ++i) out.u8(0);
    return to_packet(out);
  };
  for (const Packet& bad : {sized(msg::CLTOMA_FUSE_GETTRASH, 2), sized(msg::CLTOMA_FUSE_GETTRASH, 8),
                            sized(msg::CLTOMA_FUSE_GETSUSTAINED, 4), sized(msg::CLTOMA_FUSE_GETDETACHEDATTR, 0),
                            sized(msg::CLTOMA_FUSE_GETDETACHEDATTR, 6), sized(msg::CLTOMA_FUSE_GETTRASHPATH, 5),
                            sized(msg::CLTOMA_FUSE_SETTRASHPATH, 7), sized(msg::CLTOMA_FUSE_UNDEL, 0),
                            sized(msg::CLTOMA_FUSE_PURGE, 9), sized(msg::CLTOMA_FUSE_PATHS, 3)}) {
    TestClient fresh = meta_mount();
    EXPECT_FALSE(fresh.handle(bad)) << bad.type << " of " << bad.payload.size() << " bytes";
  }
  // SETTRASHPATH whose length field does not match the packet.
  PacketWriter lying(msg::CLTOMA_FUSE_SETTRASHPATH);
  lying.u32(7).u32(2).u32(100).u8('x');
  EXPECT_FALSE(meta.handle(to_packet(lying)));
}

// ---------------------------------------------------------------------------------------
// Trash path, undelete, purge

TEST_F(MetaProtocolTest, TrashPathIsReadAndChangedWithTheMooseFsEntry) {
  TestClient client = mount();
  make_tree(client);
  remove(client, dir, "f2");
  TestClient meta = meta_mount();
  Packet reply = call(meta, inode_request(msg::CLTOMA_FUSE_GETTRASHPATH, 7, file2));
  const std::string expected_path("d/f2\0", 5);
  PacketWriter expected(msg::MATOCL_FUSE_GETTRASHPATH);
  expected.u32(7).u32(5).bytes(std::string_view(expected_path));
  EXPECT_EQ(reply.payload, to_packet(expected).payload);

  EXPECT_EQ(status(meta, set_trash_path(7, file2, std::string("d/renamed\0\0", 11)), msg::MATOCL_FUSE_SETTRASHPATH),
            0);
  EXPECT_TRUE(in_changelog("|SETPATH(" + std::to_string(file2) + ",d/renamed)\n"));
  EXPECT_EQ(read_listing(call(meta, get_trash(7, std::nullopt))), (Listing{{"d|renamed", file2}}));
  for (const std::string& bad : {std::string(), std::string("\0", 1), std::string("a\0b", 3), std::string(1025, 'x')}) {
    EXPECT_EQ(status(meta, set_trash_path(7, file2, bad), msg::MATOCL_FUSE_SETTRASHPATH), uint8_t(StatusCode::kEINVAL));
  }
  EXPECT_EQ(status(meta, set_trash_path(7, top, "x"), msg::MATOCL_FUSE_SETTRASHPATH), uint8_t(StatusCode::kENOENT));
  expect_replay_gives_same_state();
}

TEST_F(MetaProtocolTest, UndeleteCreatesMissingDirectoriesLikeTheRealMaster) {
  TestClient client = mount();
  make_tree(client);
  call(client, request::set_goal(1, kRootInode, 0, 5, 0));
  remove(client, subdir, "f1");
  call(client, request::remove(msg::CLTOMA_FUSE_RMDIR, 1, dir, "sub"));
  now += 10;
  TestClient meta = meta_mount();
  EXPECT_EQ(status(meta, inode_request(msg::CLTOMA_FUSE_UNDEL, 7, file1), msg::MATOCL_FUSE_UNDEL), 0);
  EXPECT_TRUE(in_changelog("|UNDEL(" + std::to_string(file1) + ")\n"));
  uint32_t recreated = inode_of(dir, "sub");
  ASSERT_NE(recreated, 0u);
  EXPECT_NE(recreated, subdir);  // freed numbers wait out the reuse delay
  const Node* made = std::as_const(metadata).fs().find(recreated);
  EXPECT_EQ(made->mode, 0755);
  EXPECT_EQ(made->uid, 0u);
  EXPECT_EQ(made->sclass, std::as_const(metadata).fs().find(dir)->sclass);  // inherited as by mkdir
  EXPECT_EQ(made->ctime, now);
  const Node* restored = std::as_const(metadata).fs().find(file1);
  EXPECT_EQ(restored->type, NodeType::kFile);
  EXPECT_EQ(restored->ctime, now);
  EXPECT_EQ(inode_of(recreated, "f1"), file1);
  EXPECT_TRUE(std::as_const(metadata).fs().trash().empty());
  expect_replay_gives_same_state();
}

TEST_F(MetaProtocolTest, UndeleteRefusals) {
  TestClient client = mount();
  make_tree(client);
  remove(client, dir, "f2");
  TestClient meta = meta_mount();
  auto undel = [&](uint32_t inode) {
    return status(meta, inode_request(msg::CLTOMA_FUSE_UNDEL, 7, inode), msg::MATOCL_FUSE_UNDEL);
  };
  auto set_path = [&](std::string_view path) {
    EXPECT_EQ(status(meta, set_trash_path(7, file2, path), msg::MATOCL_FUSE_SETTRASHPATH), 0) << path;
  };
  created(client, request::mknod(1, dir, "f2", 1, 0644));
  EXPECT_EQ(undel(file2), uint8_t(StatusCode::kEEXIST));
  for (std::string_view bad : {"g/x", "d//x", "d/../x", "./x", "d/"}) {
    set_path(bad);
    EXPECT_EQ(undel(file2), uint8_t(StatusCode::kCantCreatePath)) << bad;
  }
  set_path("/d/elsewhere");  // a leading slash is ignored
  call(client, request::set_eattr(1, dir, 0, eattr::kImmutable, 0));
  EXPECT_EQ(undel(file2), uint8_t(StatusCode::kEPERM));
  call(client, request::set_eattr(1, dir, 0, eattr::kImmutable, 2));
  EXPECT_EQ(undel(top), uint8_t(StatusCode::kENOENT));
  EXPECT_EQ(undel(file2), 0);
  EXPECT_EQ(inode_of(dir, "elsewhere"), file2);
  expect_replay_gives_same_state();
}

TEST_F(MetaProtocolTest, PurgeFreesATrashFileOrKeepsItSustainedWhileOpen) {
  TestClient client = mount();
  make_tree(client);
  uint64_t chunk = give_chunk(file1, 0);
  call(client, request::open(1, file2, 1));
  remove(client, subdir, "f1");
  remove(client, dir, "f2");
  TestClient meta = meta_mount();
  EXPECT_EQ(status(meta, inode_request(msg::CLTOMA_FUSE_PURGE, 7, file1), msg::MATOCL_FUSE_PURGE), 0);
  EXPECT_TRUE(in_changelog("|PURGE(" + std::to_string(file1) + ")\n"));
  EXPECT_EQ(std::as_const(metadata).fs().find(file1), nullptr);
  EXPECT_EQ(std::as_const(metadata).chunks().find(chunk)->file_references, 0u);  // deleted by the chunk loop
  EXPECT_EQ(status(meta, inode_request(msg::CLTOMA_FUSE_PURGE, 7, file2), msg::MATOCL_FUSE_PURGE), 0);
  EXPECT_EQ(read_listing(call(meta, get_sustained(7))), (Listing{{"d|f2", file2}}));
  EXPECT_EQ(status(meta, inode_request(msg::CLTOMA_FUSE_PURGE, 7, file1), msg::MATOCL_FUSE_PURGE),
            uint8_t(StatusCode::kENOENT));
  expect_replay_gives_same_state();
}

TEST_F(MetaProtocolTest, ReadOnlyMetaExportRefusesChanges) {
  exports = Exports::parse("* / rw,alldirs,maproot=0\n* . ro\n");
  TestClient client = mount();
  make_tree(client);
  remove(client, dir, "f2");
  TestClient meta = meta_mount();
  for (const Packet& request : {set_trash_path(7, file2, "x"), inode_request(msg::CLTOMA_FUSE_UNDEL, 7, file2),
                                inode_request(msg::CLTOMA_FUSE_PURGE, 7, file2)}) {
    EXPECT_EQ(status(meta, request, request.type + 1), uint8_t(StatusCode::kEROFS)) << request.type;
  }
  EXPECT_EQ(read_listing(call(meta, get_trash(7, std::nullopt))).size(), 1u);
}

// ---------------------------------------------------------------------------------------
// PATHS

TEST_F(MetaProtocolTest, PathsOfLinksNewestFirstRootAndTrash) {
  TestClient client = mount();
  make_tree(client);
  call(client, request::link(1, top, dir, "toplink"));
  auto paths = [&](TestClient& session, uint32_t inode) {
    Packet reply = call(session, inode_request(msg::CLTOMA_FUSE_PATHS, 7, inode));
    EXPECT_EQ(reply.type, msg::MATOCL_FUSE_PATHS);
    return status_of(reply) == 0xFF ? read_paths(reply) : std::vector<std::string>{"status " +
                                                                                   std::to_string(status_of(reply))};
  };
  using Paths = std::vector<std::string>;
  EXPECT_EQ(paths(client, top), (Paths{"d/toplink", "g"}));
  EXPECT_EQ(paths(client, kRootInode), (Paths{"/"}));
  EXPECT_EQ(paths(client, file1), (Paths{"d/sub/f1"}));
  EXPECT_EQ(paths(client, 999), (Paths{"status 3"}));
  // A subfolder session: paths from its root; the root's own number has no path inside.
  TestClient sub = mount("/d");
  EXPECT_EQ(paths(sub, file1), (Paths{"sub/f1"}));
  EXPECT_EQ(paths(sub, kRootInode), (Paths{"/"}));
  EXPECT_EQ(paths(sub, dir), (Paths{"status 3"}));
  EXPECT_EQ(paths(sub, top), (Paths{"toplink"}));  // reachable through its second link
  // Trash and sustained files, also through the meta session.
  remove(client, dir, "f2");
  TestClient meta = meta_mount();
  EXPECT_EQ(paths(client, file2), (Paths{"./TRASH (d/f2)"}));
  EXPECT_EQ(paths(meta, file2), (Paths{"./TRASH (d/f2)"}));
  EXPECT_EQ(paths(meta, file1), (Paths{"status 3"}));
  EXPECT_EQ(paths(meta, kRootInode), (Paths{"status 3"}));
}

// ---------------------------------------------------------------------------------------
// ARCHCTL

struct ArchiveStatusReply {
  uint64_t archived = 0, not_archived = 0;
  uint32_t archived_files = 0, partial_files = 0, not_archived_files = 0;
  bool operator==(const ArchiveStatusReply&) const = default;
};

struct ArchiveChangeReply {
  uint64_t changed = 0, not_changed = 0;
  uint32_t not_permitted = 0;
  bool operator==(const ArchiveChangeReply&) const = default;
};

class ArchiveProtocolTest : public MetaProtocolTest {
 protected:
  ArchiveStatusReply check(TestClient& client, uint32_t inode) {
    Packet reply = call(client, archive(7, inode, 2, std::nullopt));
    EXPECT_EQ(reply.payload.size(), 32u) << "status " << int(status_of(reply));
    PacketReader in(reply.payload);
    in.u32();
    ArchiveStatusReply got;
    got.archived = in.u64();
    got.not_archived = in.u64();
    got.archived_files = in.u32();
    got.partial_files = in.u32();
    got.not_archived_files = in.u32();
    return got;
  }
  ArchiveChangeReply change(TestClient& client, uint32_t inode, uint8_t command, uint32_t uid = 0) {
    Packet reply = call(client, archive(7, inode, command, uid));
    EXPECT_EQ(reply.payload.size(), 24u) << "status " << int(status_of(reply));
    PacketReader in(reply.payload);
    in.u32();
    ArchiveChangeReply got;
    got.changed = in.u64();
    got.not_changed = in.u64();
    got.not_permitted = in.u32();
    return got;
  }
};

TEST_F(ArchiveProtocolTest, SetCheckAndClearOverASubtreeWithHardLinks) {
  TestClient client = mount();
  make_tree(client);
  give_chunk(file1, 0);
  give_chunk(file2, 0);
  give_chunk(file2, 1);
  give_chunk(top, 0);
  call(client, request::link(1, top, dir, "toplink"));
  EXPECT_EQ(check(client, dir), (ArchiveStatusReply{0, 4, 0, 0, 3}));
  EXPECT_EQ(change(client, dir, 1), (ArchiveChangeReply{4, 0, 0}));
  EXPECT_TRUE(in_changelog("|ARCHCHG(" + std::to_string(dir) + ",0,1):4,0,0\n"));
  EXPECT_EQ(check(client, dir), (ArchiveStatusReply{4, 0, 3, 0, 0}));
  EXPECT_EQ(change(client, top, 1), (ArchiveChangeReply{0, 1, 0}));
  now += 5;
  EXPECT_EQ(change(client, file2, 0), (ArchiveChangeReply{2, 0, 0}));
  EXPECT_EQ(std::as_const(metadata).fs().find(file2)->ctime, now);  // the archive delay restarts
  EXPECT_EQ(check(client, dir), (ArchiveStatusReply{2, 2, 2, 0, 1}));
  // A file without chunks counts in no file class; the root sees everything once per link.
  EXPECT_EQ(check(client, kRootInode), (ArchiveStatusReply{3, 2, 3, 0, 1}));
  expect_replay_gives_same_state();
}

TEST_F(ArchiveProtocolTest, PermissionsAndRefusals) {
  TestClient client = mount();
  make_tree(client);
  give_chunk(file1, 0);
  give_chunk(file2, 0);
  // uid 1000 owns only f2.
  EXPECT_EQ(change(client, dir, 1, kUser.uid), (ArchiveChangeReply{1, 0, 1}));
  EXPECT_EQ(status(client, archive(7, file1, 1, kUser.uid), msg::MATOCL_FUSE_ARCHCTL), uint8_t(StatusCode::kEPERM));
  EXPECT_EQ(status(client, archive(7, 999, 1, 0u), msg::MATOCL_FUSE_ARCHCTL), uint8_t(StatusCode::kENOENT));
  uint32_t link = created(client, request::symlink(1, kRootInode, "sl", "g"));
  EXPECT_EQ(status(client, archive(7, link, 2, std::nullopt), msg::MATOCL_FUSE_ARCHCTL), uint8_t(StatusCode::kEPERM));
  expect_replay_gives_same_state();
  // The length must match the command.
  for (const Packet& bad : {archive(7, dir, 1, std::nullopt), archive(7, dir, 2, 0u), archive(7, dir, 3, 0u)}) {
    TestClient fresh = mount();
    EXPECT_FALSE(fresh.handle(bad)) << bad.payload.size();
  }
}

TEST_F(ArchiveProtocolTest, ReadOnlyAndDisabledExports) {
  exports = Exports::parse("* / ro,alldirs,maproot=0\n");
  TestClient read_only = mount();
  EXPECT_EQ(status(read_only, archive(7, kRootInode, 1, 0u), msg::MATOCL_FUSE_ARCHCTL), uint8_t(StatusCode::kEROFS));
  EXPECT_EQ(check(read_only, kRootInode), (ArchiveStatusReply{}));
  exports = Exports::parse("* / rw,alldirs,maproot=0,disable=seteattr\n");
  TestClient disabled = mount();
  EXPECT_EQ(status(disabled, archive(7, kRootInode, 0, 0u), msg::MATOCL_FUSE_ARCHCTL), uint8_t(StatusCode::kEPERM));
}

TEST_F(ArchiveProtocolTest, ReplayRefusesDifferentCounters) {
  TestClient client = mount();
  make_tree(client);
  give_chunk(file1, 0);
  ChangelogEntry wrong = ChangelogEntry::make("ARCHCHG", kNow).arg(dir).arg(0).arg(1).result(2).result(0).result(0);
  wrong.id = std::as_const(metadata).version();
  Status applied = metadata.apply(wrong);
  EXPECT_EQ(applied.code(), StatusCode::kMismatch);
}

}  // namespace
}  // namespace mfs::master::testing
