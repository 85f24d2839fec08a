#include "mfscommon/chunkserver_master_messages.h"

#include <gtest/gtest.h>

#include <random>

#include "mfscommon/version.h"

namespace mfs::csmsg {
namespace {

Packet to_packet(const std::vector<uint8_t>& frame) {
  EXPECT_GE(frame.size(), kPacketHeaderSize);
  EXPECT_EQ(get_u32_be(frame.data() + 4), frame.size() - kPacketHeaderSize);
  return Packet{get_u32_be(frame.data()), {frame.begin() + kPacketHeaderSize, frame.end()}};
}

Packet packet(uint32_t type, std::vector<uint8_t> payload) { return Packet{type, std::move(payload)}; }

std::vector<uint8_t> frame_of(const Packet& packet) {
  PacketWriter out(packet.type);
  out.bytes(packet.payload);
  return out.take();
}

SpaceInfo sample_space() {
  return SpaceInfo{.used = 0x0102030405060708,
                   .total = 0x1112131415161718,
                   .chunks = 0x21222324,
                   .td_used = 0x3132333435363738,
                   .td_total = 0x4142434445464748,
                   .td_chunks = 0x51525354};
}

std::vector<ChunkEntry> sample_chunks() {
  return {{.chunkid = 1, .version = 2, .marked_for_removal = false},
          {.chunkid = 0xFFFFFFFFFFFFFFFF, .version = 0x7FFFFFFF, .marked_for_removal = true},
          {.chunkid = 0x123456789A, .version = 0, .marked_for_removal = true}};
}

ChunkOpCommand sample_chunkop() {
  return ChunkOpCommand{.chunkid = 0xA1, .version = 2, .new_version = 3, .copy_chunkid = 0xB4,
                        .copy_version = 5, .length = 0xFFFFFFFF};
}

// One instance of every message a chunkserver sends, in every form.
std::vector<ChunkserverToMaster> all_chunkserver_messages() {
  std::vector<ChunkserverToMaster> all;
  RegisterBeginV6 begin{.digest = std::nullopt, .version = kOwnVersion, .ip = 0xC0A80001,
                        .port = 9422, .timeout = 0, .csid = 7, .space = sample_space()};
  all.push_back(begin);
  begin.digest = std::array<uint8_t, 16>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  all.push_back(begin);
  all.push_back(RegisterChunksV6{sample_chunks()});
  all.push_back(RegisterChunksV6{});
  all.push_back(RegisterEndV6{});
  all.push_back(RegisterDisconnect{});
  all.push_back(RegisterBeginV5{.version = 0x00020000, .ip = 0x0A000001, .port = 9422, .timeout = 60});
  all.push_back(RegisterChunksV5{sample_chunks()});
  all.push_back(RegisterEndV5{sample_space()});
  for (uint8_t variant = 0; variant <= 4; ++variant) {
    RegisterLegacy legacy;
    legacy.variant = variant;
    legacy.ip = 0x0A000002;
    legacy.port = 9422;
    legacy.space.used = 100;
    legacy.space.total = 200;
    if (variant >= 1) {
      legacy.space.td_used = 10;
      legacy.space.td_total = 20;
    }
    if (variant >= 2) {
      legacy.space.chunks = 3;
      legacy.space.td_chunks = 1;
    }
    if (variant >= 3) legacy.timeout = 30;
    if (variant == 4) legacy.version = 0x0001061B;
    legacy.chunks = sample_chunks();
    all.push_back(legacy);
    legacy.chunks.clear();
    all.push_back(legacy);
  }
  SpaceInfo space = sample_space();
  all.push_back(SpaceReport{.form = SpaceReport::Form::kFull, .space = space});
  space.chunks = space.td_chunks = 0;
  all.push_back(SpaceReport{.form = SpaceReport::Form::kWithoutChunkCounts, .space = space});
  space.td_used = space.td_total = 0;
  all.push_back(SpaceReport{.form = SpaceReport::Form::kUsedTotal, .space = space});
  all.push_back(CurrentLoadReport{.load = 12, .status = LoadStatus::kOverloaded});
  all.push_back(CurrentLoadReport{.load = 0xFFFFFFFF, .status = std::nullopt});
  all.push_back(LabelsReport{0b101});
  all.push_back(ErrorOccurredReport{});
  all.push_back(ChunkDamagedReport{{1, 2, 0xFFFFFFFFFFFFFFFF}});
  all.push_back(ChunkLostReport{{42}});
  all.push_back(ChunkLostReport{});
  all.push_back(ChunkNewReport{sample_chunks()});
  all.push_back(CreateReply{.chunkid = 1, .status = StatusCode::kChunkExist});
  all.push_back(DeleteReply{.chunkid = 2, .status = StatusCode::kOk});
  all.push_back(SetVersionReply{.chunkid = 3, .status = StatusCode::kWrongVersion});
  all.push_back(DuplicateReply{.chunkid = 4, .status = StatusCode::kNoSpace});
  all.push_back(TruncateReply{.chunkid = 5, .status = StatusCode::kEINVAL});
  all.push_back(DupTruncReply{.chunkid = 6, .status = static_cast<StatusCode>(200)});
  all.push_back(ReplicateReply{.chunkid = 7, .version = 8, .status = StatusCode::kCantConnect});
  all.push_back(ChunkOpReply{.request = sample_chunkop(), .status = StatusCode::kOk});
  all.push_back(ChunkBlocksReply{.chunkid = 9, .version = 1, .blocks = 1024, .status = StatusCode::kOk});
  all.push_back(ChunkChecksumReply{.chunkid = 10, .version = 1, .status = StatusCode::kOk,
                                   .checksum = 0x7422E6EE});
  all.push_back(ChunkChecksumReply{.chunkid = 10, .version = 1, .status = StatusCode::kNoChunk,
                                   .checksum = 0});
  ChunkChecksumTabReply table{.chunkid = 11, .version = 2, .status = StatusCode::kOk, .crcs = {}};
  table.crcs.assign(kBlocksPerChunk, 0xD7978EEB);
  table.crcs[0] = 0x79B2766A;
  all.push_back(table);
  all.push_back(ChunkChecksumTabReply{.chunkid = 11, .version = 2,
                                      .status = StatusCode::kWrongVersion, .crcs = {}});
  all.push_back(anymsg::Ignorable{msg::ANTOAN_NOP});
  all.push_back(anymsg::Ignorable{msg::ANTOAN_UNKNOWN_COMMAND});
  all.push_back(anymsg::Ignorable{msg::ANTOAN_BAD_COMMAND_SIZE});
  all.push_back(anymsg::GetVersion{});
  all.push_back(anymsg::GetVersion{77});
  all.push_back(anymsg::GetConfig{.msgid = 5, .name = "MATOCS_TIMEOUT"});
  all.push_back(anymsg::GetConfig{.msgid = 6, .name = ""});
  return all;
}

// One instance of every message a master sends, in every form.
std::vector<MasterToChunkserver> all_master_messages() {
  std::vector<MasterToChunkserver> all;
  all.push_back(AckNextBatch{});
  all.push_back(AckAccepted{.form = AckAccepted::Form::kVersionOnly, .master_version = kOwnVersion,
                            .timeout = 0, .csid = 0, .metaid = 0});
  all.push_back(AckAccepted{.form = AckAccepted::Form::kWithoutMetaid,
                            .master_version = kOwnVersion, .timeout = 10, .csid = 3, .metaid = 0});
  all.push_back(AckAccepted{.form = AckAccepted::Form::kFull, .master_version = kOwnVersion,
                            .timeout = 60, .csid = 3, .metaid = 0x1122334455667788});
  all.push_back(AckRedirect{0x0A000003});
  all.push_back(AckWait{.master_version = kOwnVersion, .timeout = 10, .metaid = std::nullopt});
  all.push_back(AckWait{.master_version = kOwnVersion, .timeout = 10, .metaid = 99});
  AckChallenge challenge;
  for (size_t i = 0; i < challenge.random.size(); ++i) challenge.random[i] = static_cast<uint8_t>(i * 7);
  all.push_back(challenge);
  all.push_back(CreateCommand{.chunkid = 1, .version = 1});
  all.push_back(DeleteCommand{.chunkid = 2, .version = 0});
  all.push_back(SetVersionCommand{.chunkid = 3, .new_version = 5, .old_version = 4});
  all.push_back(DuplicateCommand{.new_chunkid = 4, .new_version = 1, .old_chunkid = 3, .old_version = 5});
  all.push_back(TruncateCommand{.chunkid = 5, .length = 0x04000000, .new_version = 2, .old_version = 1});
  all.push_back(DupTruncCommand{.new_chunkid = 6, .new_version = 1, .old_chunkid = 5,
                                .old_version = 2, .length = 100});
  all.push_back(ReplicateCommand{.chunkid = 7, .version = 3, .source_ip = 0xC0A80002, .source_port = 9422});
  ReplicateMultiCommand multi{.chunkid = 8, .version = 4, .xormask = {1, 2, 3, 4}, .sources = {}};
  all.push_back(multi);
  for (uint32_t i = 0; i < kMaxReplicationSources; ++i) {
    multi.sources.push_back({.chunkid = 100 + i, .version = i, .ip = 0x0A000000 + i, .port = 9422});
  }
  all.push_back(multi);
  all.push_back(sample_chunkop());
  all.push_back(GetChunkBlocksCommand{.chunkid = 9, .version = 0});
  all.push_back(GetChunkChecksumCommand{.chunkid = 10, .version = 1});
  all.push_back(GetChunkChecksumTabCommand{.chunkid = 11, .version = 2});
  all.push_back(anymsg::Ignorable{msg::ANTOAN_NOP});
  return all;
}

// ---- round trips

TEST(ChunkserverMasterMessages, EveryChunkserverMessageRoundTrips) {
  auto all = all_chunkserver_messages();
  // Every alternative of the variant is covered.
  std::vector<bool> seen(std::variant_size_v<ChunkserverToMaster>);
  for (const auto& message : all) {
    seen[message.index()] = true;
    auto frame = encode(message);
    auto decoded = decode_from_chunkserver(to_packet(frame));
    ASSERT_TRUE(decoded) << "alternative " << message.index() << ": " << decoded.status().to_string();
    EXPECT_EQ(*decoded, message) << "alternative " << message.index();
    EXPECT_EQ(encode(*decoded), frame);
  }
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "alternative " << i << " not covered";
}

TEST(ChunkserverMasterMessages, EveryMasterMessageRoundTrips) {
  auto all = all_master_messages();
  std::vector<bool> seen(std::variant_size_v<MasterToChunkserver>);
  for (const auto& message : all) {
    seen[message.index()] = true;
    auto frame = encode(message);
    auto decoded = decode_from_master(to_packet(frame));
    ASSERT_TRUE(decoded) << "alternative " << message.index() << ": " << decoded.status().to_string();
    EXPECT_EQ(*decoded, message) << "alternative " << message.index();
    EXPECT_EQ(encode(*decoded), frame);
  }
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "alternative " << i << " not covered";
}

TEST(ChunkserverMasterMessages, EncodedLengthsMatchTheSpec) {
  auto length = [](const std::vector<uint8_t>& frame) { return frame.size() - kPacketHeaderSize; };
  EXPECT_EQ(length(encode(RegisterBeginV6{})), 55u);
  EXPECT_EQ(length(encode(RegisterBeginV6{.digest = std::array<uint8_t, 16>{}, .space = {}})), 71u);
  EXPECT_EQ(length(encode(RegisterChunksV6{sample_chunks()})), 1u + 12 * 3);
  EXPECT_EQ(length(encode(RegisterEndV6{})), 1u);
  EXPECT_EQ(length(encode(RegisterDisconnect{})), 1u);
  EXPECT_EQ(length(encode(RegisterBeginV5{})), 13u);
  EXPECT_EQ(length(encode(RegisterEndV5{})), 41u);
  const size_t legacy_fixed[] = {22, 39, 47, 49, 53};
  for (uint8_t variant = 0; variant <= 4; ++variant) {
    RegisterLegacy legacy;
    legacy.variant = variant;
    legacy.chunks = sample_chunks();
    EXPECT_EQ(length(encode(legacy)), legacy_fixed[variant] + 36) << int(variant);
  }
  EXPECT_EQ(length(encode(SpaceReport{.form = SpaceReport::Form::kUsedTotal, .space = {}})), 16u);
  EXPECT_EQ(length(encode(SpaceReport{.form = SpaceReport::Form::kWithoutChunkCounts, .space = {}})), 32u);
  EXPECT_EQ(length(encode(SpaceReport{})), 40u);
  EXPECT_EQ(length(encode(CurrentLoadReport{})), 4u);
  EXPECT_EQ(length(encode(CurrentLoadReport{.load = 1, .status = LoadStatus::kOk})), 5u);
  EXPECT_EQ(length(encode(LabelsReport{})), 4u);
  EXPECT_EQ(length(encode(ErrorOccurredReport{})), 0u);
  EXPECT_EQ(length(encode(AckNextBatch{})), 1u);
  EXPECT_EQ(length(encode(AckAccepted{.form = AckAccepted::Form::kVersionOnly})), 5u);
  EXPECT_EQ(length(encode(AckAccepted{.form = AckAccepted::Form::kWithoutMetaid})), 9u);
  EXPECT_EQ(length(encode(AckAccepted{})), 17u);
  EXPECT_EQ(length(encode(AckRedirect{})), 5u);
  EXPECT_EQ(length(encode(AckWait{})), 7u);
  EXPECT_EQ(length(encode(AckWait{.metaid = 1})), 15u);
  EXPECT_EQ(length(encode(AckChallenge{})), 33u);
  EXPECT_EQ(length(encode(CreateCommand{})), 12u);
  EXPECT_EQ(length(encode(DeleteCommand{})), 12u);
  EXPECT_EQ(length(encode(SetVersionCommand{})), 16u);
  EXPECT_EQ(length(encode(DuplicateCommand{})), 24u);
  EXPECT_EQ(length(encode(TruncateCommand{})), 20u);
  EXPECT_EQ(length(encode(DupTruncCommand{})), 28u);
  EXPECT_EQ(length(encode(ReplicateCommand{})), 18u);
  EXPECT_EQ(length(encode(ReplicateMultiCommand{.sources = {{}, {}}})), 28u + 36);
  EXPECT_EQ(length(encode(ChunkOpCommand{})), 32u);
  EXPECT_EQ(length(encode(CreateReply{})), 9u);
  EXPECT_EQ(length(encode(DupTruncReply{})), 9u);
  EXPECT_EQ(length(encode(ReplicateReply{})), 13u);
  EXPECT_EQ(length(encode(ChunkOpReply{})), 33u);
  EXPECT_EQ(length(encode(ChunkBlocksReply{})), 15u);
  EXPECT_EQ(length(encode(ChunkChecksumReply{})), 16u);
  EXPECT_EQ(length(encode(ChunkChecksumReply{.status = StatusCode::kNoChunk})), 13u);
  EXPECT_EQ(length(encode(ChunkChecksumTabReply{.crcs = std::vector<uint32_t>(kBlocksPerChunk)})), 4108u);
  EXPECT_EQ(length(encode(ChunkChecksumTabReply{.status = StatusCode::kNoChunk, .crcs = {}})), 13u);
}

// ---- exact byte layouts

TEST(ChunkserverMasterMessages, BeginV6LayoutFollowsSpecFieldOrder) {
  RegisterBeginV6 begin{.digest = std::nullopt, .version = 0x000300EA, .ip = 0xC0A80001,
                        .port = 0x24CE, .timeout = 0x003C, .csid = 0x0102, .space = sample_space()};
  std::vector<uint8_t> expected = {
      0, 0, 0, 100, 0, 0, 0, 55,                       // header
      60,                                              // rver
      0x00, 0x03, 0x00, 0xEA,                          // version 3.0.117
      0xC0, 0xA8, 0x00, 0x01,                          // myip
      0x24, 0xCE,                                      // myport 9422
      0x00, 0x3C,                                      // timeout
      0x01, 0x02,                                      // csid
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // usedspace
      0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,  // totalspace
      0x21, 0x22, 0x23, 0x24,                          // chunks
      0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,  // tdusedspace
      0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,  // tdtotalspace
      0x51, 0x52, 0x53, 0x54,                          // tdchunks
  };
  EXPECT_EQ(encode(begin), expected);

  // The 71-byte form puts the digest right after rver.
  begin.digest = std::array<uint8_t, 16>{0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                                         0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};
  auto with_digest = encode(begin);
  ASSERT_EQ(with_digest.size(), 8u + 71);
  EXPECT_EQ(with_digest[7], 71);
  EXPECT_EQ(with_digest[8], 60);
  EXPECT_EQ(with_digest[9], 0xD0);
  EXPECT_EQ(with_digest[24], 0xDF);
  EXPECT_TRUE(std::equal(expected.begin() + 9, expected.end(), with_digest.begin() + 25));
}

TEST(ChunkserverMasterMessages, FullAckLayoutFollowsSpecFieldOrder) {
  AckAccepted ack{.form = AckAccepted::Form::kFull, .master_version = 0x000300EA, .timeout = 0x003C,
                  .csid = 0x0001, .metaid = 0x1122334455667788};
  std::vector<uint8_t> expected = {0, 0, 0, 104, 0, 0, 0, 17,
                                   0,                                               // atype
                                   0x00, 0x03, 0x00, 0xEA,                          // mversion
                                   0x00, 0x3C,                                      // timeout
                                   0x00, 0x01,                                      // csid
                                   0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};  // metaid
  EXPECT_EQ(encode(ack), expected);
  EXPECT_EQ(encode(AckNextBatch{}), (std::vector<uint8_t>{0, 0, 0, 104, 0, 0, 0, 1, 0}));
}

TEST(ChunkserverMasterMessages, ChunkListSeparatesTheRemovalFlag) {
  std::vector<uint8_t> payload = {61,
                                  0, 0, 0, 0, 0, 0, 0, 5, 0x80, 0, 0, 3,   // marked, version 3
                                  0, 0, 0, 0, 0, 0, 0, 6, 0x7F, 0xFF, 0xFF, 0xFF};
  auto decoded = decode_from_chunkserver(packet(msg::CSTOMA_REGISTER, payload));
  ASSERT_TRUE(decoded);
  const auto& chunks = std::get<RegisterChunksV6>(*decoded).chunks;
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], (ChunkEntry{.chunkid = 5, .version = 3, .marked_for_removal = true}));
  EXPECT_EQ(chunks[1], (ChunkEntry{.chunkid = 6, .version = 0x7FFFFFFF, .marked_for_removal = false}));

  // A version that already carries bit 31 is not doubled up: the flag comes from the bool.
  auto frame = encode(ChunkNewReport{{{.chunkid = 1, .version = 0xFFFFFFFF, .marked_for_removal = false}}});
  EXPECT_EQ(frame[kPacketHeaderSize + 8], 0x7F);
}

TEST(ChunkserverMasterMessages, ChunkOpReplyEchoesTheRequest) {
  auto request = encode(sample_chunkop());
  auto reply = encode(ChunkOpReply{.request = sample_chunkop(), .status = StatusCode::kCRC});
  ASSERT_EQ(reply.size(), request.size() + 1);
  EXPECT_TRUE(std::equal(request.begin() + kPacketHeaderSize, request.end(),
                         reply.begin() + kPacketHeaderSize));
  EXPECT_EQ(reply.back(), 29);
}

TEST(ChunkserverMasterMessages, LegacyVariantZeroIsRecognisedByEvenLength) {
  PacketWriter out(msg::CSTOMA_REGISTER);
  out.u32(0x0A000001).u16(9422).u64(1000).u64(2000).u64(77).u32(0x80000002);
  auto decoded = decode_from_chunkserver(to_packet(out.take()));
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  const auto& legacy = std::get<RegisterLegacy>(*decoded);
  EXPECT_EQ(legacy.variant, 0);
  EXPECT_EQ(legacy.ip, 0x0A000001u);
  EXPECT_EQ(legacy.port, 9422);
  EXPECT_EQ(legacy.space.used, 1000u);
  EXPECT_EQ(legacy.space.total, 2000u);
  ASSERT_EQ(legacy.chunks.size(), 1u);
  EXPECT_EQ(legacy.chunks[0], (ChunkEntry{.chunkid = 77, .version = 2, .marked_for_removal = true}));
}

TEST(ChunkserverMasterMessages, ChunkserverDecodesAckTypesItMustUnderstand) {
  auto wait = decode_from_master(packet(msg::MATOCS_MASTER_ACK, {2, 0, 3, 0, 0xEA, 0, 10}));
  ASSERT_TRUE(wait);
  EXPECT_EQ(std::get<AckWait>(*wait),
            (AckWait{.master_version = 0x000300EA, .timeout = 10, .metaid = std::nullopt}));
  auto redirect = decode_from_master(packet(msg::MATOCS_MASTER_ACK, {1, 0, 0, 0, 0}));
  ASSERT_TRUE(redirect);
  EXPECT_EQ(std::get<AckRedirect>(*redirect).leader_ip, 0u);
  auto version_only = decode_from_master(packet(msg::MATOCS_MASTER_ACK, {0, 0, 3, 0, 0xEA}));
  ASSERT_TRUE(version_only);
  EXPECT_EQ(std::get<AckAccepted>(*version_only).form, AckAccepted::Form::kVersionOnly);
}

// ---- malformed packets

struct Malformed {
  uint32_t type;
  std::vector<uint8_t> payload;
};

std::vector<uint8_t> filled(size_t size, uint8_t first) {
  std::vector<uint8_t> bytes(size, 0);
  if (size > 0) bytes[0] = first;
  return bytes;
}

TEST(ChunkserverMasterMessages, RejectsMalformedChunkserverPackets) {
  const std::vector<Malformed> cases = {
      {msg::CSTOMA_REGISTER, {}},                    // empty: even, too short for legacy 0
      {msg::CSTOMA_REGISTER, filled(20, 0)},         // legacy 0 shorter than 22
      {msg::CSTOMA_REGISTER, filled(24, 0)},         // 22+12N mismatch
      {msg::CSTOMA_REGISTER, filled(33, 0)},         // 22+12N+11 would be odd: rver 0 unknown
      {msg::CSTOMA_REGISTER, filled(1, 0)},          // rver 0 unknown
      {msg::CSTOMA_REGISTER, filled(55, 64)},        // rver 64 unknown
      {msg::CSTOMA_REGISTER, filled(1, 255)},        // rver 255 unknown
      {msg::CSTOMA_REGISTER, filled(37, 1)},         // rver 1 below 39
      {msg::CSTOMA_REGISTER, filled(41, 1)},         // rver 1: 39+12N mismatch
      {msg::CSTOMA_REGISTER, filled(45, 2)},         // rver 2 below 47
      {msg::CSTOMA_REGISTER, filled(49, 2)},         // rver 2: 47+12N mismatch
      {msg::CSTOMA_REGISTER, filled(47, 3)},         // rver 3 below 49
      {msg::CSTOMA_REGISTER, filled(51, 3)},         // rver 3: 49+12N mismatch
      {msg::CSTOMA_REGISTER, filled(51, 4)},         // rver 4 below 53
      {msg::CSTOMA_REGISTER, filled(55, 4)},         // rver 4: 53+12N mismatch
      {msg::CSTOMA_REGISTER, filled(11, 50)},        // v5 BEGIN 13 - 2
      {msg::CSTOMA_REGISTER, filled(15, 50)},        // v5 BEGIN 13 + 2
      {msg::CSTOMA_REGISTER, filled(15, 51)},        // v5 CHUNKS 1+12N mismatch
      {msg::CSTOMA_REGISTER, filled(39, 52)},        // v5 END 41 - 2
      {msg::CSTOMA_REGISTER, filled(43, 52)},        // v5 END 41 + 2
      {msg::CSTOMA_REGISTER, filled(53, 60)},        // BEGIN 55 - 2
      {msg::CSTOMA_REGISTER, filled(57, 60)},        // BEGIN 55 + 2
      {msg::CSTOMA_REGISTER, filled(69, 60)},        // BEGIN 71 - 2
      {msg::CSTOMA_REGISTER, filled(73, 60)},        // BEGIN 71 + 2
      {msg::CSTOMA_REGISTER, filled(63, 60)},        // between the two BEGIN forms
      {msg::CSTOMA_REGISTER, filled(3, 61)},         // CHUNKS 1+12N mismatch
      {msg::CSTOMA_REGISTER, filled(23, 61)},        // CHUNKS 1+12N mismatch (N*12 - 2)
      {msg::CSTOMA_REGISTER, filled(3, 62)},         // END must be 1 byte
      {msg::CSTOMA_REGISTER, filled(13, 62)},
      {msg::CSTOMA_REGISTER, filled(3, 63)},         // DISCONNECT must be 1 byte
      {msg::CSTOMA_SPACE, filled(15, 0)},
      {msg::CSTOMA_SPACE, filled(17, 0)},
      {msg::CSTOMA_SPACE, filled(31, 0)},
      {msg::CSTOMA_SPACE, filled(33, 0)},
      {msg::CSTOMA_SPACE, filled(39, 0)},
      {msg::CSTOMA_SPACE, filled(41, 0)},
      {msg::CSTOMA_SPACE, {}},
      {msg::CSTOMA_CURRENT_LOAD, filled(3, 0)},
      {msg::CSTOMA_CURRENT_LOAD, filled(6, 0)},
      {msg::CSTOMA_LABELS, filled(3, 0)},
      {msg::CSTOMA_LABELS, filled(5, 0)},
      {msg::CSTOMA_ERROR_OCCURRED, filled(1, 0)},
      {msg::CSTOMA_CHUNK_DAMAGED, filled(7, 0)},
      {msg::CSTOMA_CHUNK_DAMAGED, filled(9, 0)},
      {msg::CSTOMA_CHUNK_LOST, filled(15, 0)},
      {msg::CSTOMA_CHUNK_NEW, filled(11, 0)},
      {msg::CSTOMA_CHUNK_NEW, filled(13, 0)},
      {msg::CSTOMA_CHUNK_NEW, filled(8, 0)},
      {msg::CSTOMA_CREATE, filled(8, 0)},
      {msg::CSTOMA_CREATE, filled(10, 0)},
      {msg::CSTOMA_DELETE, filled(8, 0)},
      {msg::CSTOMA_SET_VERSION, filled(10, 0)},
      {msg::CSTOMA_DUPLICATE, filled(8, 0)},
      {msg::CSTOMA_TRUNCATE, filled(10, 0)},
      {msg::CSTOMA_DUPTRUNC, {}},
      {msg::CSTOMA_REPLICATE, filled(12, 0)},
      {msg::CSTOMA_REPLICATE, filled(14, 0)},
      {msg::CSTOMA_CHUNKOP, filled(32, 0)},
      {msg::CSTOMA_CHUNKOP, filled(34, 0)},
      {msg::CSTOAN_CHUNK_BLOCKS, filled(14, 0)},
      {msg::CSTOAN_CHUNK_BLOCKS, filled(16, 0)},
      {msg::CSTOAN_CHUNK_CHECKSUM, filled(12, 0)},
      {msg::CSTOAN_CHUNK_CHECKSUM, filled(14, 0)},
      {msg::CSTOAN_CHUNK_CHECKSUM, filled(15, 0)},
      {msg::CSTOAN_CHUNK_CHECKSUM, filled(17, 0)},
      {msg::CSTOAN_CHUNK_CHECKSUM, filled(13, 0)},   // error form with status OK
      {msg::CSTOAN_CHUNK_CHECKSUM_TAB, filled(13, 0)},
      {msg::CSTOAN_CHUNK_CHECKSUM_TAB, filled(4107, 0)},
      {msg::CSTOAN_CHUNK_CHECKSUM_TAB, filled(4109, 0)},
      {msg::CSTOAN_CHUNK_CHECKSUM_TAB, filled(14, 0)},
      {msg::ANTOAN_GET_VERSION, filled(3, 0)},
      {msg::ANTOAN_GET_VERSION, filled(5, 0)},
      {msg::ANTOAN_GET_CONFIG, filled(4, 0)},
      {msg::ANTOAN_GET_CONFIG, {0, 0, 0, 1, 3, 'a', 'b'}},       // name shorter than nleng
      {msg::ANTOAN_GET_CONFIG, {0, 0, 0, 1, 1, 'a', 'b'}},       // trailing byte
      {msg::MATOCS_CREATE, filled(12, 0)},
      {msg::MATOCS_MASTER_ACK, filled(1, 0)},                   // a master-to-chunkserver type
      {108, {}},                                                 // unused id
      {msg::ANTOAN_VERSION, filled(8, 0)},
      {0xFFFFFFFF, {}},
  };
  for (const auto& bad : cases) {
    auto decoded = decode_from_chunkserver(packet(bad.type, bad.payload));
    EXPECT_FALSE(decoded) << "type " << bad.type << " length " << bad.payload.size();
    if (!decoded) {
      EXPECT_EQ(decoded.code(), StatusCode::kEINVAL);
      EXPECT_FALSE(decoded.status().to_string().empty());
    }
  }
}

TEST(ChunkserverMasterMessages, RejectsMalformedMasterPackets) {
  const std::vector<Malformed> cases = {
      {msg::MATOCS_MASTER_ACK, {}},
      {msg::MATOCS_MASTER_ACK, filled(2, 0)},
      {msg::MATOCS_MASTER_ACK, filled(4, 0)},
      {msg::MATOCS_MASTER_ACK, filled(6, 0)},
      {msg::MATOCS_MASTER_ACK, filled(7, 0)},     // 7 is atype 2 only
      {msg::MATOCS_MASTER_ACK, filled(8, 0)},
      {msg::MATOCS_MASTER_ACK, filled(10, 0)},
      {msg::MATOCS_MASTER_ACK, filled(15, 0)},    // 15 is atype 2 only
      {msg::MATOCS_MASTER_ACK, filled(16, 0)},
      {msg::MATOCS_MASTER_ACK, filled(18, 0)},
      {msg::MATOCS_MASTER_ACK, filled(33, 0)},    // 33 is atype 3 only
      {msg::MATOCS_MASTER_ACK, filled(1, 1)},
      {msg::MATOCS_MASTER_ACK, filled(4, 1)},
      {msg::MATOCS_MASTER_ACK, filled(6, 1)},
      {msg::MATOCS_MASTER_ACK, filled(17, 1)},
      {msg::MATOCS_MASTER_ACK, filled(5, 2)},
      {msg::MATOCS_MASTER_ACK, filled(8, 2)},
      {msg::MATOCS_MASTER_ACK, filled(14, 2)},
      {msg::MATOCS_MASTER_ACK, filled(16, 2)},
      {msg::MATOCS_MASTER_ACK, filled(17, 2)},
      {msg::MATOCS_MASTER_ACK, filled(32, 3)},
      {msg::MATOCS_MASTER_ACK, filled(34, 3)},
      {msg::MATOCS_MASTER_ACK, filled(1, 3)},
      {msg::MATOCS_MASTER_ACK, filled(5, 4)},     // unknown atype
      {msg::MATOCS_MASTER_ACK, filled(17, 255)},
      {msg::MATOCS_CREATE, filled(11, 0)},
      {msg::MATOCS_CREATE, filled(13, 0)},
      {msg::MATOCS_DELETE, filled(11, 0)},
      {msg::MATOCS_DELETE, {}},
      {msg::MATOCS_SET_VERSION, filled(15, 0)},
      {msg::MATOCS_SET_VERSION, filled(17, 0)},
      {msg::MATOCS_DUPLICATE, filled(23, 0)},
      {msg::MATOCS_DUPLICATE, filled(25, 0)},
      {msg::MATOCS_TRUNCATE, filled(19, 0)},
      {msg::MATOCS_TRUNCATE, filled(21, 0)},
      {msg::MATOCS_DUPTRUNC, filled(27, 0)},
      {msg::MATOCS_DUPTRUNC, filled(29, 0)},
      {msg::MATOCS_REPLICATE, filled(17, 0)},
      {msg::MATOCS_REPLICATE, filled(19, 0)},
      {msg::MATOCS_REPLICATE, filled(27, 0)},
      {msg::MATOCS_REPLICATE, filled(29, 0)},
      {msg::MATOCS_REPLICATE, filled(28 + 18 + 1, 0)},
      {msg::MATOCS_REPLICATE, filled(28 + 18 * 9, 0)},   // more than 8 sources
      {msg::MATOCS_CHUNKOP, filled(31, 0)},
      {msg::MATOCS_CHUNKOP, filled(33, 0)},
      {msg::ANTOCS_GET_CHUNK_BLOCKS, filled(11, 0)},
      {msg::ANTOCS_GET_CHUNK_CHECKSUM, filled(13, 0)},
      {msg::ANTOCS_GET_CHUNK_CHECKSUM_TAB, filled(0, 0)},
      {msg::CSTOMA_CREATE, filled(9, 0)},                // a chunkserver-to-master type
      {msg::CSTOMA_REGISTER, filled(1, 62)},
      {msg::ANTOAN_GET_VERSION, {}},                     // not accepted on the master link
      {msg::CLTOCS_READ, filled(20, 0)},
      {0x80000000, {}},
  };
  for (const auto& bad : cases) {
    auto decoded = decode_from_master(packet(bad.type, bad.payload));
    EXPECT_FALSE(decoded) << "type " << bad.type << " length " << bad.payload.size();
  }
}

TEST(ChunkserverMasterMessages, ErrorsNameTheMessageAndTheExpectedLength) {
  auto begin = decode_from_chunkserver(packet(msg::CSTOMA_REGISTER, filled(57, 60)));
  EXPECT_EQ(begin.status().to_string(),
            "Invalid argument: CSTOMA_REGISTER rver 60: payload of 57 bytes, expected 55 or 71");
  auto chunks = decode_from_chunkserver(packet(msg::CSTOMA_REGISTER, filled(15, 61)));
  EXPECT_NE(chunks.status().to_string().find("1+12*N"), std::string::npos);
  auto rver = decode_from_chunkserver(packet(msg::CSTOMA_REGISTER, filled(1, 64)));
  EXPECT_NE(rver.status().to_string().find("rver 64: unknown"), std::string::npos);
  auto unknown = decode_from_chunkserver(packet(9999, {}));
  EXPECT_NE(unknown.status().to_string().find("unknown message type 9999"), std::string::npos);
  auto ack = decode_from_master(packet(msg::MATOCS_MASTER_ACK, filled(16, 0)));
  EXPECT_NE(ack.status().to_string().find("MATOCS_MASTER_ACK atype 0"), std::string::npos);
}

TEST(ChunkserverMasterMessages, IgnorablePacketsAreAcceptedWithAnyPayload) {
  for (uint32_t type : {msg::ANTOAN_NOP, msg::ANTOAN_UNKNOWN_COMMAND, msg::ANTOAN_BAD_COMMAND_SIZE}) {
    auto from_cs = decode_from_chunkserver(packet(type, filled(16, 1)));
    ASSERT_TRUE(from_cs);
    EXPECT_EQ(std::get<anymsg::Ignorable>(*from_cs).type, type);
    EXPECT_TRUE(decode_from_master(packet(type, {})));
  }
  EXPECT_EQ(anymsg::encode(anymsg::Ignorable{}), (std::vector<uint8_t>(8, 0)));
}

// ---- deterministic fuzzing

// Whatever decodes must re-encode to the same bytes, except an ignorable packet, whose
// payload is dropped; a failure must come with an error status. Returns whether it decoded.
template <typename Variant>
bool expect_canonical(const Result<Variant>& decoded, const Packet& packet) {
  if (!decoded) {
    EXPECT_FALSE(decoded.status().is_ok());
    return false;
  }
  if (std::holds_alternative<anymsg::Ignorable>(*decoded) && !packet.payload.empty()) return true;
  EXPECT_EQ(encode(*decoded), frame_of(packet)) << "type " << packet.type;
  return true;
}

// Decodes in both directions; returns how many directions accepted the packet.
int check_decoders(const Packet& packet) {
  return int{expect_canonical(decode_from_chunkserver(packet), packet)} +
         int{expect_canonical(decode_from_master(packet), packet)};
}

std::vector<Packet> valid_corpus() {
  std::vector<Packet> corpus;
  for (const auto& message : all_chunkserver_messages()) corpus.push_back(to_packet(encode(message)));
  for (const auto& message : all_master_messages()) corpus.push_back(to_packet(encode(message)));
  return corpus;
}

void mutate(Packet& packet, std::mt19937& random, const std::vector<Packet>& corpus) {
  std::vector<uint8_t>& payload = packet.payload;
  switch (random() % 5) {
    case 0:  // flip bits of one byte
      if (!payload.empty()) payload[random() % payload.size()] ^= static_cast<uint8_t>(1 + random() % 255);
      break;
    case 1:  // drop bytes from the end
      payload.resize(payload.size() - std::min<size_t>(payload.size(), 1 + random() % 13));
      break;
    case 2:  // append bytes
      for (size_t n = 1 + random() % 13; n > 0; --n) payload.push_back(static_cast<uint8_t>(random()));
      break;
    case 3:  // another message type
      packet.type = corpus[random() % corpus.size()].type;
      break;
    default:  // another sub-version / ack type
      if (!payload.empty()) payload[0] = static_cast<uint8_t>(random() % 70);
      break;
  }
}

TEST(ChunkserverMasterMessagesFuzz, RandomPacketsNeverCrash) {
  std::mt19937 random(20240117);
  const std::vector<uint32_t> types = {0,   1,   2,   10,  11,  80,  81,  100, 101, 102, 103, 104, 105, 106,
                                       107, 108, 109, 110, 111, 120, 121, 130, 131, 140, 141, 150, 151, 152,
                                       153, 160, 161, 170, 171, 200, 250, 251, 300, 301, 302, 303, 5000};
  const std::vector<uint8_t> first_bytes = {0, 1, 2, 3, 4, 50, 51, 52, 60, 61, 62, 63, 64, 255};
  int accepted = 0;
  for (int iteration = 0; iteration < 5000; ++iteration) {
    Packet packet;
    packet.type = types[random() % types.size()];
    size_t length = random() % 4 == 0 ? 4107 + random() % 3 : random() % 120;
    packet.payload.resize(length);
    for (auto& byte : packet.payload) byte = static_cast<uint8_t>(random());
    if (length > 0 && random() % 2 == 0) packet.payload[0] = first_bytes[random() % first_bytes.size()];
    accepted += check_decoders(packet);
  }
  EXPECT_GT(accepted, 100);  // the generator reaches the decoders' success paths too
}

TEST(ChunkserverMasterMessagesFuzz, MutatedValidPacketsNeverCrash) {
  std::mt19937 random(3117);
  auto corpus = valid_corpus();
  int accepted = 0;
  for (int iteration = 0; iteration < 5000; ++iteration) {
    Packet packet = corpus[random() % corpus.size()];
    for (int n = 1 + static_cast<int>(random() % 3); n > 0; --n) mutate(packet, random, corpus);
    accepted += check_decoders(packet);
  }
  EXPECT_GT(accepted, 500);
  EXPECT_LT(accepted, 5000);
}

}  // namespace
}  // namespace mfs::csmsg
