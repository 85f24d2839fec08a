#include "mfscommon/chunkserver_data_messages.h"

#include <gtest/gtest.h>

#include <random>

#include "mfscommon/crc32.h"
#include "mfscommon/version.h"

namespace mfs::csdata {
namespace {

Packet to_packet(const std::vector<uint8_t>& frame) {
  EXPECT_GE(frame.size(), kPacketHeaderSize);
  EXPECT_EQ(get_u32_be(frame.data() + 4), frame.size() - kPacketHeaderSize);
  return Packet{get_u32_be(frame.data()), {frame.begin() + kPacketHeaderSize, frame.end()}};
}

std::vector<uint8_t> bytes(std::initializer_list<int> values) {
  std::vector<uint8_t> out;
  for (int v : values) out.push_back(static_cast<uint8_t>(v));
  return out;
}

template <typename T, typename Variant>
T decoded_as(const Result<Variant>& result) {
  EXPECT_TRUE(result) << result.status().to_string();
  EXPECT_TRUE(std::holds_alternative<T>(*result));
  return std::get<T>(*result);
}

TEST(ChunkserverDataMessages, ReadRequestBothForms) {
  ReadRequest old_form{std::nullopt, 0x0102030405060708, 3, 50, 70000};
  Packet packet = to_packet(encode(old_form));
  EXPECT_EQ(packet.type, 200u);
  EXPECT_EQ(packet.payload, bytes({1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 3, 0, 0, 0, 50, 0, 1, 0x11, 0x70}));
  EXPECT_EQ(decoded_as<ReadRequest>(decode_to_chunkserver(packet)), old_form);
  ReadRequest new_form = old_form;
  new_form.protover = 1;
  packet = to_packet(encode(new_form));
  EXPECT_EQ(packet.payload.size(), 21u);
  EXPECT_EQ(packet.payload[0], 1);
  EXPECT_EQ(decoded_as<ReadRequest>(decode_to_chunkserver(packet)), new_form);
}

TEST(ChunkserverDataMessages, WriteInitWithAChain) {
  WriteInit init{1, 0xABCDEF, 7, {{0xC6120001, 9422}, {0xC6120002, 9423}}};
  Packet packet = to_packet(encode(init));
  EXPECT_EQ(packet.type, 210u);
  ASSERT_EQ(packet.payload.size(), 13u + 12);
  EXPECT_EQ(decoded_as<WriteInit>(decode_to_chunkserver(packet)), init);
  // The even form has no protover.
  init.protover.reset();
  init.chain.pop_back();
  packet = to_packet(encode(init));
  EXPECT_EQ(packet.payload.size(), 12u + 6);
  EXPECT_EQ(decoded_as<WriteInit>(decode_to_chunkserver(packet)), init);
}

TEST(ChunkserverDataMessages, WriteDataPointsIntoThePacket) {
  std::vector<uint8_t> data = {'a', 'b', 'c'};
  WriteData message{5, 9, 1023, 100, crc32(data), data};
  Packet packet = to_packet(encode(message));
  EXPECT_EQ(packet.type, 212u);
  EXPECT_EQ(packet.payload.size(), 24u + 3);
  auto decoded = decoded_as<WriteData>(decode_to_chunkserver(packet));
  EXPECT_EQ(decoded.chunkid, 5u);
  EXPECT_EQ(decoded.writeid, 9u);
  EXPECT_EQ(decoded.blocknum, 1023);
  EXPECT_EQ(decoded.offset, 100);
  EXPECT_EQ(decoded.crc, crc32(data));
  EXPECT_EQ(std::vector<uint8_t>(decoded.data.begin(), decoded.data.end()), data);
  EXPECT_EQ(decoded.data.data(), packet.payload.data() + 24);
}

TEST(ChunkserverDataMessages, RepliesFromAChunkserver) {
  std::vector<uint8_t> data(4514, 0);
  ReadData read{7, 1, 0, crc32(data), data};
  Packet packet = to_packet(encode(read));
  EXPECT_EQ(packet.payload.size(), 20u + 4514);
  auto decoded = decoded_as<ReadData>(decode_from_chunkserver(packet));
  EXPECT_EQ(decoded.crc, 0xF92DA399u);  // spec 20 §5, observed
  EXPECT_EQ(decoded.data.size(), 4514u);

  ReadStatus status{7, StatusCode::kCRC};
  EXPECT_EQ(to_packet(encode(status)).payload, bytes({0, 0, 0, 0, 0, 0, 0, 7, 29}));
  EXPECT_EQ(decoded_as<ReadStatus>(decode_from_chunkserver(to_packet(encode(status)))), status);

  WriteStatus write{7, 3, StatusCode::kOk};
  EXPECT_EQ(to_packet(encode(write)).payload, bytes({0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3, 0}));
  EXPECT_EQ(decoded_as<WriteStatus>(decode_from_chunkserver(to_packet(encode(write)))), write);

  csmsg::ChunkBlocksReply blocks{7, 1, 12, StatusCode::kOk};
  EXPECT_EQ(decoded_as<csmsg::ChunkBlocksReply>(decode_from_chunkserver(to_packet(csmsg::encode(blocks)))), blocks);
}

TEST(ChunkserverDataMessages, SmallRequests) {
  WriteFinish finish{9, 2};
  EXPECT_EQ(decoded_as<WriteFinish>(decode_to_chunkserver(to_packet(encode(finish)))), finish);
  csmsg::GetChunkChecksumTabCommand table{9, 0};
  EXPECT_EQ(decoded_as<csmsg::GetChunkChecksumTabCommand>(decode_to_chunkserver(to_packet(csmsg::encode(table)))),
            table);
  decoded_as<HddListRequest>(decode_to_chunkserver(Packet{600, {}}));
  decoded_as<ModuleInfoRequest>(decode_to_chunkserver(Packet{530, {}}));
  decoded_as<anymsg::GetVersion>(decode_to_chunkserver(Packet{10, {}}));
  EXPECT_EQ(decoded_as<anymsg::Ignorable>(decode_to_chunkserver(Packet{0, bytes({1, 2})})).type, 0u);
}

TEST(ChunkserverDataMessages, ModuleInfoAsObserved) {
  // spec 20 §6: 02 000300EA 0001 1122334455667788 C6120001 24CC
  Packet packet = to_packet(encode(ModuleInfo{kOwnVersion, 1, 0x1122334455667788, 0xC6120001, 9420}));
  EXPECT_EQ(packet.type, 531u);
  EXPECT_EQ(packet.payload, bytes({0x02, 0x00, 0x03, 0x00, 0xEA, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                                   0x77, 0x88, 0xC6, 0x12, 0x00, 0x01, 0x24, 0xCC}));
}

TEST(ChunkserverDataMessages, HddListEntries) {
  DiskEntry disk;
  disk.path = "/mnt/hdd1/";
  disk.flags = kDiskMarkedForRemoval;
  disk.used = 10;
  disk.total = 20;
  disk.chunks = 3;
  DiskEntry long_path;
  long_path.path = "/" + std::string(300, 'x') + "/";
  Packet packet = to_packet(encode(HddList{{disk, long_path}}));
  EXPECT_EQ(packet.type, 601u);
  PacketReader in(packet.payload);
  EXPECT_EQ(in.u16(), 1 + 10 + 33 + 192);
  EXPECT_EQ(in.name8(), "/mnt/hdd1/");
  EXPECT_EQ(in.u8(), kDiskMarkedForRemoval);
  in.bytes(12);
  EXPECT_EQ(in.u64(), 10u);
  EXPECT_EQ(in.u64(), 20u);
  EXPECT_EQ(in.u32(), 3u);
  in.bytes(192);
  EXPECT_EQ(in.u16(), 1 + 255 + 33 + 192);
  std::string_view shortened = in.name8();
  EXPECT_EQ(shortened.substr(0, 5), "(...)");
  EXPECT_EQ(shortened.substr(5), long_path.path.substr(long_path.path.size() - 250));
  in.bytes(33 + 192);
  EXPECT_TRUE(in.finished());
}

TEST(ChunkserverDataMessages, MalformedPacketsAreErrors) {
  struct Case {
    uint32_t type;
    size_t size;
  };
  for (Case c : {Case{200, 19}, Case{200, 22}, Case{210, 11}, Case{210, 14}, Case{210, 15}, Case{212, 23},
                 Case{213, 11}, Case{213, 13}, Case{250, 11}, Case{300, 13}, Case{302, 0}, Case{600, 1},
                 Case{530, 4}, Case{80, 3}, Case{10, 2}, Case{201, 0}, Case{999, 0}}) {
    EXPECT_FALSE(decode_to_chunkserver(Packet{c.type, std::vector<uint8_t>(c.size)})) << c.type << "/" << c.size;
  }
  for (Case c : {Case{201, 8}, Case{201, 10}, Case{202, 19}, Case{211, 12}, Case{251, 14}, Case{200, 20}}) {
    EXPECT_FALSE(decode_from_chunkserver(Packet{c.type, std::vector<uint8_t>(c.size)})) << c.type << "/" << c.size;
  }
  // A data size that does not match the rest of the payload.
  std::vector<uint8_t> data(10);
  Packet write = to_packet(encode(WriteData{1, 1, 0, 0, crc32(data), data}));
  write.payload.pop_back();
  EXPECT_FALSE(decode_to_chunkserver(write));
  write.payload.resize(write.payload.size() + 2);
  EXPECT_FALSE(decode_to_chunkserver(write));
  Packet read = to_packet(encode(ReadData{1, 0, 0, crc32(data), data}));
  read.payload[15] = 0xFF;  // size field
  EXPECT_FALSE(decode_from_chunkserver(read));
}

TEST(ChunkserverDataMessages, RandomBytesNeverCrashTheDecoders) {
  std::mt19937 random(1234);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> payload(random() % 40);
    for (uint8_t& b : payload) b = static_cast<uint8_t>(random());
    uint32_t type = std::array<uint32_t, 12>{0, 10, 80, 200, 201, 202, 210, 211, 212, 213, 250, 600}[random() % 12];
    (void)decode_to_chunkserver(Packet{type, payload});
    (void)decode_from_chunkserver(Packet{type, payload});
  }
}

}  // namespace
}  // namespace mfs::csdata
