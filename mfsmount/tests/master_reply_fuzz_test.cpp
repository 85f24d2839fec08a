// Deterministic fuzzing of the mount's decoders of master replies (fixed seeds): random
// bodies, and valid replies cut short, extended and with bytes changed, through every decoder
// (fuzz/master_reply_decoders.h aborts on a value beyond what its input allows; the
// sanitizer build catches reads outside the input).
#include <gtest/gtest.h>

#include <random>

#include "mfscommon/packet.h"
#include "mfsmount/fuzz/master_reply_decoders.h"
#include "mfsmount/tests/master_reply_builders.h"

namespace mfs::mount {
namespace {

using testing::body;
using testing::put_attr;

// One valid reply of each shape with variable-length parts, each checked to decode.
std::vector<std::vector<uint8_t>> valid_replies() {
  std::vector<std::vector<uint8_t>> replies;
  PacketWriter lookup(0);
  lookup.u32(7);
  put_attr(lookup).u16(0x01FF).u8(2).u64(99).u32(1).u32(0x0A000001).u16(9422).u32(0x000300EA).u32(0);
  replies.push_back(body(std::move(lookup)));
  EXPECT_TRUE(decode_lookup_reply(replies.back()));
  PacketWriter readdir(0);
  readdir.u64(0).name8(".").u32(1).u8(2).name8("..").u32(1).u8(2).name8("file").u32(5).u8(1);
  replies.push_back(body(std::move(readdir)));
  EXPECT_TRUE(decode_readdir_reply(replies.back()));
  PacketWriter location(0);
  location.u8(2).u64(1000).u64(77).u32(3).u32(0xC612000B).u16(9422).u32(0x000300EA).u32(0);
  replies.push_back(body(std::move(location)));
  EXPECT_TRUE(decode_chunk_location(replies.back()));
  PacketWriter xattr(0);
  xattr.u32(4).bytes(std::string_view("blue"));
  replies.push_back(body(std::move(xattr)));
  EXPECT_TRUE(decode_getxattr_reply(replies.back(), false));
  PacketWriter readlink(0);
  readlink.u32(7).bytes(std::string_view("target\0", 7));
  replies.push_back(body(std::move(readlink)));
  EXPECT_TRUE(decode_readlink_reply(replies.back()));
  PacketWriter detached(0);
  detached.name8("d|f").u32(4).name8("x").u32(4100);
  replies.push_back(body(std::move(detached)));
  EXPECT_TRUE(decode_detached_list(replies.back()));
  return replies;
}

TEST(MasterReplyFuzz, RandomBodies) {
  std::mt19937 random(20261206);
  for (int i = 0; i < 20000; ++i) {
    // Mostly short bodies: the fixed-size replies are 1 to 49 bytes long.
    std::vector<uint8_t> data(random() % (i % 4 == 0 ? 400 : 60));
    for (uint8_t& byte : data) byte = static_cast<uint8_t>(random());
    decode_as_every_master_reply(data);
  }
}

TEST(MasterReplyFuzz, ValidRepliesCutExtendedAndChanged) {
  std::mt19937 random(7);
  for (const std::vector<uint8_t>& reply : valid_replies()) {
    for (size_t length = 0; length <= reply.size(); ++length) {
      decode_as_every_master_reply(Body(reply.data(), length));
      std::vector<uint8_t> extended(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(length));
      extended.push_back(static_cast<uint8_t>(random()));
      decode_as_every_master_reply(extended);
    }
    for (int i = 0; i < 2000; ++i) {
      std::vector<uint8_t> changed = reply;
      for (int flips = 1 + static_cast<int>(random() % 3); flips > 0; --flips) {
        changed[random() % changed.size()] = static_cast<uint8_t>(random());
      }
      decode_as_every_master_reply(changed);
    }
  }
}

}  // namespace
}  // namespace mfs::mount
