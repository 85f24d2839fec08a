#include "mfsmount/master_messages.h"

#include <gtest/gtest.h>

#include "mfscommon/packet.h"
#include "mfsmount/tests/master_reply_builders.h"

namespace mfs::mount {
namespace {

using testing::body;
using testing::put_attr;

Credentials who() { return Credentials{1000, {100, 200}}; }

size_t payload_size(const Frame& frame) { return frame.size() - kPacketHeaderSize; }

TEST(MasterMessages, AttrReply) {
  PacketWriter out(0);
  auto attr = decode_attr_reply(body(std::move(put_attr(out))));
  ASSERT_TRUE(attr) << attr.status().to_string();
  EXPECT_EQ(attr->type, NodeType::kFile);
  EXPECT_EQ(attr->mode, 0644);
  EXPECT_EQ(attr->uid, 1000u);
  EXPECT_EQ(attr->length, 12345u);
  EXPECT_EQ(attr->nlink, 1u);
}

TEST(MasterMessages, AttrReplyStatusAndMalformed) {
  std::vector<uint8_t> status = {3};
  EXPECT_EQ(decode_attr_reply(status).code(), StatusCode::kENOENT);
  std::vector<uint8_t> short_reply(35, 0);
  EXPECT_EQ(decode_attr_reply(short_reply).code(), StatusCode::kIO);
  PacketWriter bad_type(0);
  EXPECT_EQ(decode_attr_reply(body(std::move(put_attr(bad_type, 9)))).code(), StatusCode::kIO);
  EXPECT_EQ(decode_attr_reply({}).code(), StatusCode::kIO);
}

TEST(MasterMessages, DeviceAttrCarriesRdev) {
  PacketWriter out(0);
  out.u8(0).u16(6 << 12 | 0600).u32(0).u32(0).u32(0).u32(0).u32(0).u32(1).u32(0x0801).u32(0).u8(0);
  auto attr = decode_attr_reply(body(std::move(out)));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr->type, NodeType::kCharDev);
  EXPECT_EQ(attr->rdev, 0x0801u);
}

TEST(MasterMessages, LookupReplyForms) {
  PacketWriter plain(0);
  plain.u32(7);
  put_attr(plain).u16(0x00FF);
  auto entry = decode_lookup_reply(body(std::move(plain)));
  ASSERT_TRUE(entry) << entry.status().to_string();
  EXPECT_EQ(entry->inode, 7u);
  EXPECT_EQ(entry->lookup_flags, std::optional<uint16_t>(0x00FF));

  PacketWriter with_chunk(0);
  with_chunk.u32(7);
  put_attr(with_chunk).u16(0x01FF).u8(2).u64(99).u32(1).u32(0x0A000001).u16(9422).u32(0x000300EA).u32(0);
  auto with_location = decode_lookup_reply(body(std::move(with_chunk)));
  ASSERT_TRUE(with_location) << with_location.status().to_string();
  ASSERT_TRUE(with_location->chunk0);
  EXPECT_EQ(with_location->lookup_flags, std::optional<uint16_t>(0x01FF));
  EXPECT_EQ(with_location->chunk0->chunkid, 99u);
  EXPECT_EQ(with_location->chunk0->file_length, 12345u);
  ASSERT_EQ(with_location->chunk0->copies.size(), 1u);
  EXPECT_EQ(with_location->chunk0->copies[0].port, 9422);

  PacketWriter bad_chunk(0);
  bad_chunk.u32(7);
  put_attr(bad_chunk).u16(0x01FF).u8(2).u64(99).u32(1).u32(0x0A000001);  // a cut copy entry
  EXPECT_EQ(decode_lookup_reply(body(std::move(bad_chunk))).code(), StatusCode::kIO);

  PacketWriter trailing(0);
  trailing.u32(7);
  put_attr(trailing).u16(0x00FF).u8(1);  // bytes without the chunk flag
  EXPECT_EQ(decode_lookup_reply(body(std::move(trailing))).code(), StatusCode::kIO);

  std::vector<uint8_t> nocache = {48};
  EXPECT_EQ(decode_lookup_reply(nocache).code(), StatusCode::kENOENT_NoCache);
  EXPECT_EQ(to_errno(StatusCode::kENOENT_NoCache), ENOENT);
}

TEST(MasterMessages, OpenAndCreateReplies) {
  PacketWriter open(0);
  open.u8(kOpenKeepCache);
  auto opened = decode_open_reply(body(std::move(put_attr(open))));
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->oflags, kOpenKeepCache);

  PacketWriter create(0);
  create.u8(0).u32(42);
  auto created = decode_create_reply(body(std::move(put_attr(create))));
  ASSERT_TRUE(created);
  EXPECT_EQ(created->inode, 42u);
  std::vector<uint8_t> garbage(20, 0xFF);
  EXPECT_FALSE(decode_create_reply(garbage));
  EXPECT_FALSE(decode_open_reply(garbage));
}

TEST(MasterMessages, ReaddirEntries) {
  PacketWriter out(0);
  out.u64(0).name8(".").u32(1).u8(2).name8("..").u32(1).u8(2).name8("file").u32(5).u8(1);
  auto entries = decode_readdir_reply(body(std::move(out)));
  ASSERT_TRUE(entries) << entries.status().to_string();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[2].name, "file");
  EXPECT_EQ((*entries)[2].inode, 5u);
  EXPECT_EQ((*entries)[2].type, NodeType::kFile);
}

TEST(MasterMessages, ReaddirMalformed) {
  PacketWriter overrun(0);
  overrun.u64(0).u8(200).bytes(std::string_view("abc"));  // name longer than the packet
  EXPECT_EQ(decode_readdir_reply(body(std::move(overrun))).code(), StatusCode::kIO);
  PacketWriter bad_type(0);
  bad_type.u64(0).name8("x").u32(5).u8(0);
  EXPECT_EQ(decode_readdir_reply(body(std::move(bad_type))).code(), StatusCode::kIO);
  PacketWriter empty_name(0);
  empty_name.u64(0).u8(0).u32(5).u8(1);
  EXPECT_EQ(decode_readdir_reply(body(std::move(empty_name))).code(), StatusCode::kIO);
  std::vector<uint8_t> short_edge(4, 0);
  EXPECT_EQ(decode_readdir_reply(short_edge).code(), StatusCode::kIO);
  // Names the kernel would refuse or cut short.
  PacketWriter with_slash(0);
  with_slash.u64(0).name8("a/b").u32(5).u8(1);
  EXPECT_EQ(decode_readdir_reply(body(std::move(with_slash))).code(), StatusCode::kIO);
  PacketWriter with_nul(0);
  with_nul.u64(0).name8(std::string_view("a\0b", 3)).u32(5).u8(1);
  EXPECT_EQ(decode_readdir_reply(body(std::move(with_nul))).code(), StatusCode::kIO);
}

TEST(MasterMessages, ChunkLocation) {
  PacketWriter out(0);
  out.u8(2).u64(1000).u64(77).u32(3);
  out.u32(0xC6120000 | 11).u16(9422).u32(0x000300EA).u32(0);
  out.u32(0xC6120000 | 12).u16(9423).u32(0x000300EA).u32(0);
  auto location = decode_chunk_location(body(std::move(out)));
  ASSERT_TRUE(location) << location.status().to_string();
  EXPECT_EQ(location->file_length, 1000u);
  EXPECT_EQ(location->chunkid, 77u);
  EXPECT_EQ(location->version, 3u);
  ASSERT_EQ(location->copies.size(), 2u);
  EXPECT_EQ(location->copies[1].port, 9423);
}

TEST(MasterMessages, ChunkLocationMalformed) {
  PacketWriter old_protocol(0);
  old_protocol.u8(1).u64(1000).u64(77).u32(3);
  EXPECT_FALSE(decode_chunk_location(body(std::move(old_protocol))));
  PacketWriter cut(0);
  cut.u8(2).u64(1000).u64(77).u32(3).u32(1).u16(2);
  EXPECT_FALSE(decode_chunk_location(body(std::move(cut))));
  std::vector<uint8_t> locked = {11};
  EXPECT_EQ(decode_chunk_location(locked).code(), StatusCode::kLocked);
}

TEST(MasterMessages, Readlink) {
  PacketWriter out(0);
  out.string32(std::string_view("target\0", 7));
  auto path = decode_readlink_reply(body(std::move(out)));
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "target");
  PacketWriter no_nul(0);
  no_nul.string32("target");
  EXPECT_FALSE(decode_readlink_reply(body(std::move(no_nul))));
  PacketWriter too_long(0);
  too_long.u32(1000).bytes(std::string_view("x"));
  EXPECT_FALSE(decode_readlink_reply(body(std::move(too_long))));
}

TEST(MasterMessages, RegisterReplies) {
  PacketWriter ok(0);
  ok.u32(0x000300EA).u32(5).u64(0x1122334455667788).u8(0).u16(022).u32(0).u32(0).u32(999).u32(999).u8(1).u8(9)
      .u32(0).u32(0xFFFFFFFF).u32(0);
  auto session = decode_new_session(body(std::move(ok)));
  ASSERT_TRUE(session) << session.status().to_string();
  EXPECT_EQ(session->session_id, 5u);
  EXPECT_EQ(session->meta_id, 0x1122334455667788u);
  EXPECT_EQ(session->umask, 022);
  std::vector<uint8_t> refused = {4};
  EXPECT_EQ(decode_new_session(refused).code(), StatusCode::kEACCES);
  std::vector<uint8_t> odd(17, 0);
  EXPECT_EQ(decode_new_session(odd).code(), StatusCode::kIO);
  std::vector<uint8_t> reconnect_ok = {0, 3, 0, 0xEA, 0};
  EXPECT_TRUE(decode_reconnect(reconnect_ok));
  std::vector<uint8_t> reconnect_bad = {35};
  EXPECT_EQ(decode_reconnect(reconnect_bad).code(), StatusCode::kBadSessionId);
  EXPECT_FALSE(decode_random(odd));
}

TEST(MasterMessages, StatfsAndStatuses) {
  PacketWriter out(0);
  out.u64(100).u64(50).u64(60).u64(1).u64(2).u32(7);
  auto space = decode_statfs_reply(body(std::move(out)));
  ASSERT_TRUE(space);
  EXPECT_EQ(space->avail, 50u);
  EXPECT_EQ(space->inodes, 7u);
  std::vector<uint8_t> short_statfs(10, 0);
  EXPECT_FALSE(decode_statfs_reply(short_statfs));
  std::vector<uint8_t> unlinked = {0, 0, 0, 9};
  EXPECT_TRUE(decode_unlink_reply(unlinked));
  std::vector<uint8_t> odd(3, 0);
  EXPECT_FALSE(decode_unlink_reply(odd));
  EXPECT_FALSE(decode_simple_status(odd));
}

TEST(MasterMessages, XattrReplies) {
  PacketWriter value(0);
  value.string32("abc");
  auto got = decode_getxattr_reply(body(std::move(value)), false);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value, (std::vector<uint8_t>{'a', 'b', 'c'}));
  PacketWriter length_only(0);
  length_only.u32(3);
  auto length = decode_getxattr_reply(body(std::move(length_only)), true);
  ASSERT_TRUE(length);
  EXPECT_EQ(length->length, 3u);
  PacketWriter lying(0);
  lying.u32(1000).bytes(std::string_view("abc"));  // claims more than it carries
  EXPECT_EQ(decode_getxattr_reply(body(std::move(lying)), false).code(), StatusCode::kIO);
  std::vector<uint8_t> noattr = {38};
  EXPECT_EQ(to_errno(decode_getxattr_reply(noattr, false).code()), ENODATA);
}

TEST(MasterMessages, PosixLockReply) {
  PacketWriter conflict(0);
  conflict.u32(77).u8(kLockWrite).u64(10).u64(20);
  auto lock = decode_posix_lock_reply(body(std::move(conflict)));
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->pid, 77u);
  EXPECT_EQ(lock->type, kLockWrite);
  EXPECT_EQ(lock->end, 20u);
  PacketWriter bad_type(0);
  bad_type.u32(77).u8(9).u64(10).u64(20);
  EXPECT_FALSE(decode_posix_lock_reply(body(std::move(bad_type))));
  std::vector<uint8_t> cut(24, 0);
  EXPECT_FALSE(decode_posix_lock_reply(cut));
  std::vector<uint8_t> eagain = {45};
  EXPECT_EQ(decode_posix_lock_reply(eagain).code(), StatusCode::kEAGAIN);
}

// Request lengths are what the master checks exactly (spec 10 §7).
TEST(MasterMessages, RequestLengths) {
  const size_t g = 4 * who().gids.size();
  EXPECT_EQ(payload_size(lookup_request(1, "name", who())), 17 + 4 + g);
  EXPECT_EQ(payload_size(getattr_request(1, true, who())), 17u);
  EXPECT_EQ(payload_size(setattr_request(1, false, who(), SetattrFields{})), 38 + g);
  EXPECT_EQ(payload_size(truncate_request(1, 0, who(), 5)), 25 + g);
  EXPECT_EQ(payload_size(mknod_request(1, "n", NodeType::kFifo, 0644, 022, who(), 0)), 26 + 1 + g);
  EXPECT_EQ(payload_size(mkdir_request(1, "dir", 0755, 022, who(), true)), 22 + 3 + g);
  EXPECT_EQ(payload_size(create_request(1, "f", 0644, 022, who())), 21 + 1 + g);
  EXPECT_EQ(payload_size(symlink_request(1, "l", "target", who())), 21 + 1 + 7 + g);
  EXPECT_EQ(payload_size(unlink_request(1, "f", who())), 17 + 1 + g);
  EXPECT_EQ(payload_size(rename_request(1, "a", 2, "bb", who())), 22 + 1 + 2 + g);
  EXPECT_EQ(payload_size(link_request(5, 1, "h", who())), 21 + 1 + g);
  EXPECT_EQ(payload_size(readdir_request(1, who())), 29 + g);
  EXPECT_EQ(payload_size(open_request(1, who(), kOpenRead)), 17 + g);
  EXPECT_EQ(payload_size(access_request(1, who(), 4)), 18 + g);
  EXPECT_EQ(payload_size(read_chunk_request(1, 0)), 13u);
  EXPECT_EQ(payload_size(write_chunk_request(1, 0)), 13u);
  EXPECT_EQ(payload_size(write_chunk_end_request(9, 1, 0, 100)), 29u);
  EXPECT_EQ(payload_size(statfs_request()), 4u);
  EXPECT_EQ(payload_size(flock_request(1, 2, 3, kFlockTryShared)), 21u);
  EXPECT_EQ(payload_size(posix_lock_request(1, 2, 3, kPosixTry, PosixLock{})), 42u);
  EXPECT_EQ(payload_size(getxattr_request(1, "user.a", kXattrGetData, who())), 19 + 6 + g);
  std::vector<uint8_t> value(10);
  EXPECT_EQ(payload_size(setxattr_request(1, "user.a", value, kXattrCreateOnly, who())), 23 + 6 + 10 + g);
  EXPECT_EQ(payload_size(register_new_session("/mnt", "/", 0, 0, nullptr)), 77u + 5 + 2);
  EXPECT_EQ(payload_size(register_reconnect(3, 4)), 81u);
  EXPECT_EQ(payload_size(register_close_session(3, 4)), 77u);
  EXPECT_EQ(payload_size(register_get_random()), 65u);
}

TEST(MasterMessages, AmtimeInodesRecords) {
  InodeTimes records[] = {{7, 100, 0}, {9, 0, 200}};
  Frame frame = amtime_inodes(records);
  ASSERT_EQ(payload_size(frame), 24u);  // no msgid: N × [inode atime mtime]
  const uint8_t* payload = frame.data() + kPacketHeaderSize;
  EXPECT_EQ(get_u32_be(payload), 7u);
  EXPECT_EQ(get_u32_be(payload + 4), 100u);
  EXPECT_EQ(get_u32_be(payload + 8), 0u);
  EXPECT_EQ(get_u32_be(payload + 12), 9u);
  EXPECT_EQ(get_u32_be(payload + 20), 200u);
}

TEST(MasterMessages, OpenCarriesTheTruncateFlag) {
  Frame frame = open_request(1, who(), kOpenWrite | kOpenTruncate);
  EXPECT_EQ(frame.back(), 0x0A);  // the flags byte ends the request
}

}  // namespace
}  // namespace mfs::mount
