#include "mfscommon/packet.h"

#include <gtest/gtest.h>

namespace mfs {
namespace {

TEST(PacketWriter, FramesBigEndianFieldsAndLength) {
  PacketWriter writer(0x01020304);
  writer.u8(0xAA).u16(0xBBCC).u32(0x11223344).u64(0x5566778899AABBCCull).name8("ab").string32("xyz");
  auto frame = writer.take();
  std::vector<uint8_t> expected = {1, 2, 3, 4, 0, 0, 0, 25, 0xAA, 0xBB, 0xCC, 0x11, 0x22, 0x33, 0x44,
                                   0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 2, 'a', 'b', 0, 0, 0, 3,
                                   'x', 'y', 'z'};
  EXPECT_EQ(frame, expected);
}

TEST(PacketReader, ReadsWhatWriterWrote) {
  PacketWriter writer(7);
  writer.u8(1).u16(2).u32(3).u64(4).name8("name").string32("path");
  auto frame = writer.take();
  PacketReader reader(std::span<const uint8_t>(frame).subspan(kPacketHeaderSize));
  EXPECT_EQ(reader.u8(), 1);
  EXPECT_EQ(reader.u16(), 2);
  EXPECT_EQ(reader.u32(), 3u);
  EXPECT_EQ(reader.u64(), 4u);
  EXPECT_EQ(reader.name8(), "name");
  EXPECT_EQ(reader.string32(), "path");
  EXPECT_TRUE(reader.finished());
}

TEST(PacketReader, OverrunFailsStickyAndReturnsZeros) {
  std::vector<uint8_t> data = {0, 0, 0, 9};
  PacketReader reader(data);
  EXPECT_EQ(reader.u64(), 0u);
  EXPECT_FALSE(reader.ok());
  EXPECT_EQ(reader.u8(), 0u);  // even a read that would fit fails after an overrun
  EXPECT_FALSE(reader.finished());
}

TEST(PacketReader, NameLongerThanPayloadFails) {
  std::vector<uint8_t> data = {200, 'a', 'b'};
  PacketReader reader(data);
  EXPECT_EQ(reader.name8(), "");
  EXPECT_FALSE(reader.ok());
}

TEST(PacketReader, HugeString32LengthFailsWithoutAllocating) {
  std::vector<uint8_t> data = {0xFF, 0xFF, 0xFF, 0xFF, 'x'};
  PacketReader reader(data);
  EXPECT_TRUE(reader.string32().empty());
  EXPECT_FALSE(reader.ok());
}

TEST(PacketReader, FinishedOnlyWhenEverythingConsumed) {
  std::vector<uint8_t> data = {1, 2, 3};
  PacketReader reader(data);
  reader.u16();
  EXPECT_TRUE(reader.ok());
  EXPECT_FALSE(reader.finished());
  EXPECT_EQ(reader.remaining(), 1u);
}

}  // namespace
}  // namespace mfs
