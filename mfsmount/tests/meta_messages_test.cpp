#include "mfsmount/meta_messages.h"

#include <gtest/gtest.h>

#include "mfscommon/packet.h"
#include "mfscommon/protocol_ids.h"
#include "mfsmount/tests/master_reply_builders.h"

namespace mfs::mount {
namespace {

using testing::body;

// A request frame's type and payload after the msgid.
std::pair<uint32_t, std::vector<uint8_t>> request_of(const Frame& frame) {
  PacketReader header(Body(frame).first(kPacketHeaderSize));
  uint32_t type = header.u32();
  EXPECT_EQ(header.u32(), frame.size() - kPacketHeaderSize);
  return {type, std::vector<uint8_t>(frame.begin() + kPacketHeaderSize + 4, frame.end())};
}

TEST(MetaMessages, Requests) {
  auto [type, payload] = request_of(trash_list_request(7));
  EXPECT_EQ(type, msg::CLTOMA_FUSE_GETTRASH);
  EXPECT_EQ(payload, (std::vector<uint8_t>{0, 0, 0, 7}));
  EXPECT_TRUE(request_of(trash_list_request(std::nullopt)).second.empty());
  EXPECT_EQ(request_of(sustained_list_request()).first, msg::CLTOMA_FUSE_GETSUSTAINED);
  EXPECT_EQ(request_of(detached_attr_request(0x01020304, kDetachedTrash)).second,
            (std::vector<uint8_t>{1, 2, 3, 4, 1}));
  EXPECT_EQ(request_of(trash_path_request(5)).first, msg::CLTOMA_FUSE_GETTRASHPATH);
  EXPECT_EQ(request_of(set_trash_path_request(5, "a/b")).second,
            (std::vector<uint8_t>{0, 0, 0, 5, 0, 0, 0, 3, 'a', '/', 'b'}));
  EXPECT_EQ(request_of(undelete_request(5)).first, msg::CLTOMA_FUSE_UNDEL);
  EXPECT_EQ(request_of(purge_request(5)).first, msg::CLTOMA_FUSE_PURGE);
}

TEST(MetaMessages, DetachedList) {
  PacketWriter out(0);
  out.name8("d|f").u32(4).name8("x").u32(4100);
  auto list = decode_detached_list(body(std::move(out)));
  ASSERT_TRUE(list) << list.status().to_string();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "d|f");
  EXPECT_EQ((*list)[1].inode, 4100u);
  EXPECT_TRUE(decode_detached_list({}));  // an empty trash
  EXPECT_EQ(decode_detached_list(std::vector<uint8_t>{1}).code(), StatusCode::kEPERM);
}

TEST(MetaMessages, MalformedDetachedListsAreRefused) {
  auto refused = [](PacketWriter out) {
    auto list = decode_detached_list(body(std::move(out)));
    return !list && list.code() == StatusCode::kIO;
  };
  EXPECT_TRUE(refused(std::move(PacketWriter(0).name8("abc").u32(4).u8(1))));     // trailing byte
  EXPECT_TRUE(refused(std::move(PacketWriter(0).u8(200).bytes("short"))));       // name past the end
  EXPECT_TRUE(refused(std::move(PacketWriter(0).name8("a/b").u32(4))));          // a slash in a name
  EXPECT_TRUE(refused(std::move(PacketWriter(0).name8(std::string_view("a\0b", 3)).u32(4))));
  EXPECT_TRUE(refused(std::move(PacketWriter(0).name8("").u32(4))));
  EXPECT_TRUE(refused(std::move(PacketWriter(0).name8("a").u32(0))));
  EXPECT_TRUE(refused(std::move(PacketWriter(0).name8("a").u16(4))));            // inode cut short
}

TEST(MetaMessages, TrashPath) {
  auto path = decode_trash_path(body(std::move(PacketWriter(0).u32(4).bytes(std::string_view("d/f\0", 4)))));
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "d/f");
  EXPECT_EQ(decode_trash_path(std::vector<uint8_t>{3}).code(), StatusCode::kENOENT);
  EXPECT_EQ(decode_trash_path(body(std::move(PacketWriter(0).u32(10).bytes("d/f")))).code(), StatusCode::kIO);
  EXPECT_EQ(decode_trash_path(body(std::move(PacketWriter(0).u32(1).bytes("d/f")))).code(), StatusCode::kIO);
  EXPECT_EQ(decode_trash_path(std::vector<uint8_t>{0, 0}).code(), StatusCode::kIO);
}

TEST(MetaMessages, MetaRegistration) {
  PacketWriter out(0);
  out.u32(0x0003004B).u32(17).u64(0x1122334455667788).u8(0x01).u8(1).u8(9).u32(0).u32(0xFFFFFFFF);
  auto session = decode_new_meta_session(body(std::move(out)));
  ASSERT_TRUE(session) << session.status().to_string();
  EXPECT_EQ(session->session_id, 17u);
  EXPECT_EQ(session->meta_id, 0x1122334455667788u);
  EXPECT_EQ(session->sesflags, 0x01);
  PacketWriter old(0);
  old.u32(0x00030000).u32(18).u8(0).u8(1).u8(9).u32(0).u32(0);
  auto older = decode_new_meta_session(body(std::move(old)));
  ASSERT_TRUE(older);
  EXPECT_EQ(older->session_id, 18u);
  EXPECT_EQ(older->meta_id, 0u);
  EXPECT_EQ(decode_new_meta_session(std::vector<uint8_t>{1}).code(), StatusCode::kEPERM);
  EXPECT_EQ(decode_new_meta_session(std::vector<uint8_t>(26)).code(), StatusCode::kIO);
  EXPECT_EQ(decode_new_meta_session(std::vector<uint8_t>(49)).code(), StatusCode::kIO);

  auto [type, payload] = request_of(register_new_meta_session("/mnt/meta", 0, 0, nullptr));
  EXPECT_EQ(type, msg::CLTOMA_FUSE_REGISTER);
  // The blob, rcode 5, the version, and the mount point with its NUL (no msgid: the request_of
  // helper dropped the blob's first 4 bytes).
  ASSERT_EQ(payload.size() + 4, kRegisterBlob.size() + 1 + 4 + 4 + 10);
  EXPECT_EQ(payload[kRegisterBlob.size() - 4], 5);
}

}  // namespace
}  // namespace mfs::mount
