#include "mfschunkserver/chunk_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <vector>

#include "mfscommon/crc32.h"

namespace mfs::cs {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint32_t be32(const std::vector<uint8_t>& bytes, size_t offset) {
  return uint32_t{bytes[offset]} << 24 | uint32_t{bytes[offset + 1]} << 16 | uint32_t{bytes[offset + 2]} << 8 |
         bytes[offset + 3];
}

class ChunkFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chunk_file_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(uint64_t chunkid = 1, uint32_t version = 1) const {
    return (dir_ / chunk_file_name(chunkid, version)).string();
  }
  ChunkFile create(uint64_t chunkid = 1, uint32_t version = 1) {
    auto file = ChunkFile::create(path(chunkid, version), chunkid, version);
    EXPECT_TRUE(file) << file.status().to_string();
    return std::move(*file);
  }

  fs::path dir_;
};

std::vector<uint8_t> pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> data(size);
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 7 + seed);
  return data;
}

TEST(ChunkFileName, FormatsAndParses) {
  EXPECT_EQ(chunk_file_name(1, 1), "chunk_0000000000000001_00000001.mfs");
  EXPECT_EQ(chunk_file_name(0xABCDEF0123456789, 0xFEDCBA98), "chunk_ABCDEF0123456789_FEDCBA98.mfs");
  EXPECT_EQ(parse_chunk_file_name("chunk_ABCDEF0123456789_FEDCBA98.mfs"),
            (ChunkName{0xABCDEF0123456789, 0xFEDCBA98}));
}

TEST(ChunkFileName, RejectsOtherNames) {
  EXPECT_FALSE(parse_chunk_file_name("chunk_abcdef0123456789_FEDCBA98.mfs"));  // lower case
  EXPECT_FALSE(parse_chunk_file_name("chunk_0000000000000001_00000001.mf"));
  EXPECT_FALSE(parse_chunk_file_name("chunk_0000000000000001-00000001.mfs"));
  EXPECT_FALSE(parse_chunk_file_name("chunk_000000000000001_000000001.mfs"));
  EXPECT_FALSE(parse_chunk_file_name(".chunkdb"));
  EXPECT_FALSE(parse_chunk_file_name(""));
}

TEST_F(ChunkFileTest, NewChunkHasHeaderAndEmptyBlockCrcs) {
  create(0x1122334455667788, 7);
  std::vector<uint8_t> bytes = read_all(path(0x1122334455667788, 7));
  ASSERT_EQ(bytes.size(), 8192u);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "MFSC 1.0");
  EXPECT_EQ(be32(bytes, 8), 0x11223344u);
  EXPECT_EQ(be32(bytes, 12), 0x55667788u);
  EXPECT_EQ(be32(bytes, 16), 7u);
  EXPECT_TRUE(std::all_of(bytes.begin() + 20, bytes.begin() + 4096, [](uint8_t b) { return b == 0; }));
  for (size_t block = 0; block < kBlocksPerChunk; ++block) EXPECT_EQ(be32(bytes, 4096 + 4 * block), kEmptyBlockCrc);
}

TEST_F(ChunkFileTest, CreateRefusesAnExistingFile) {
  create();
  auto again = ChunkFile::create(path(), 1, 1);
  EXPECT_EQ(again.code(), StatusCode::kChunkExist);
}

TEST_F(ChunkFileTest, WholeBlockWriteAndRead) {
  ChunkFile file = create();
  std::vector<uint8_t> data = pattern(kBlockSize, 3);
  ASSERT_TRUE(file.write(2, 0, data, crc32(data)));
  EXPECT_EQ(file.blocks(), 3);
  Block block;
  auto crc = file.read_block(2, block);
  ASSERT_TRUE(crc);
  EXPECT_EQ(*crc, crc32(data));
  EXPECT_TRUE(std::equal(data.begin(), data.end(), block.begin()));
  // The blocks skipped over are zeros with the empty-block CRC; so is anything past the end.
  ASSERT_TRUE(file.read_block(0, block));
  EXPECT_EQ(*file.read_block(0, block), kEmptyBlockCrc);
  EXPECT_EQ(*file.read_block(500, block), kEmptyBlockCrc);
  EXPECT_EQ(fs::file_size(path()), 8192u + 3 * kBlockSize);
}

TEST_F(ChunkFileTest, PartialWritesMergeAndKeepTheWholeBlockCrc) {
  ChunkFile file = create();
  std::vector<uint8_t> first = pattern(1000, 1);
  std::vector<uint8_t> second = pattern(300, 9);
  ASSERT_TRUE(file.write(0, 100, first, crc32(first)));
  ASSERT_TRUE(file.write(0, 50, second, crc32(second)));
  std::vector<uint8_t> expected(kBlockSize, 0);
  std::copy(first.begin(), first.end(), expected.begin() + 100);
  std::copy(second.begin(), second.end(), expected.begin() + 50);
  Block block;
  auto crc = file.read_block(0, block);
  ASSERT_TRUE(crc);
  EXPECT_EQ(*crc, crc32(expected));
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), block.begin()));
  EXPECT_EQ(file.crc_table()[0], crc32(expected));
}

TEST_F(ChunkFileTest, AnotherProcessSeesWhatWasWritten) {
  {
    ChunkFile file = create();
    std::vector<uint8_t> data = pattern(5000, 4);
    ASSERT_TRUE(file.write(1, 10, data, crc32(data)));
  }
  auto reopened = ChunkFile::open(path(), 1, 1);
  ASSERT_TRUE(reopened) << reopened.status().to_string();
  EXPECT_EQ(reopened->blocks(), 2);
  Block block;
  EXPECT_TRUE(reopened->read_block(1, block));
}

TEST_F(ChunkFileTest, CorruptedDataIsACrcError) {
  {
    ChunkFile file = create();
    std::vector<uint8_t> data = pattern(kBlockSize, 5);
    ASSERT_TRUE(file.write(0, 0, data, crc32(data)));
  }
  {
    std::fstream raw(path(), std::ios::in | std::ios::out | std::ios::binary);
    raw.seekp(8192 + 1234);
    raw.put('\x55');
  }
  auto file = ChunkFile::open(path(), 1, 1);
  ASSERT_TRUE(file);
  Block block;
  auto read = file->read_block(0, block);
  EXPECT_EQ(read.code(), StatusCode::kCRC);
  // A partial write into the damaged block must not hide the damage.
  std::vector<uint8_t> data = pattern(10, 1);
  EXPECT_EQ(file->write(0, 0, data, crc32(data)).code(), StatusCode::kCRC);
}

TEST_F(ChunkFileTest, OpenChecksHeaderAndSize) {
  create(5, 3);
  EXPECT_EQ(ChunkFile::open(path(5, 3), 5, 4).code(), StatusCode::kIO);  // version differs from the header
  EXPECT_EQ(ChunkFile::open(path(5, 3), 6, 3).code(), StatusCode::kIO);  // id differs
  EXPECT_EQ(ChunkFile::open(path(9, 9), 9, 9).code(), StatusCode::kNoChunk);
  fs::resize_file(path(5, 3), 8192 + 100);
  EXPECT_EQ(ChunkFile::open(path(5, 3), 5, 3).code(), StatusCode::kIO);
  std::ofstream(path(6, 1), std::ios::binary) << std::string(8192, 'x');
  EXPECT_EQ(ChunkFile::open(path(6, 1), 6, 1).code(), StatusCode::kIO);  // signature
}

TEST_F(ChunkFileTest, WriteBoundsAreChecked) {
  ChunkFile file = create();
  std::vector<uint8_t> data(10);
  EXPECT_EQ(check_write_bounds(1024, 0, 10).code(), StatusCode::kBNumTooBig);
  EXPECT_EQ(check_write_bounds(0, 0, kBlockSize + 1).code(), StatusCode::kWrongSize);
  EXPECT_EQ(check_write_bounds(0, kBlockSize, 0).code(), StatusCode::kWrongOffset);
  EXPECT_EQ(check_write_bounds(0, kBlockSize - 5, 10).code(), StatusCode::kWrongOffset);
  EXPECT_EQ(file.write(0, kBlockSize - 5, data, crc32(data)).code(), StatusCode::kWrongOffset);
  EXPECT_EQ(file.blocks(), 0);
}

TEST_F(ChunkFileTest, TruncateShrinksZeroesTheTailAndGrows) {
  ChunkFile file = create();
  std::vector<uint8_t> data = pattern(kBlockSize, 6);
  for (uint16_t block = 0; block < 3; ++block) ASSERT_TRUE(file.write(block, 0, data, crc32(data)));
  ASSERT_TRUE(file.truncate(kBlockSize + 100));
  EXPECT_EQ(file.blocks(), 2);
  Block block;
  auto crc = file.read_block(1, block);
  ASSERT_TRUE(crc);
  std::vector<uint8_t> expected(kBlockSize, 0);
  std::copy(data.begin(), data.begin() + 100, expected.begin());
  EXPECT_EQ(*crc, crc32(expected));
  EXPECT_EQ(file.crc_table()[2], kEmptyBlockCrc);
  EXPECT_EQ(fs::file_size(path()), 8192u + 2 * kBlockSize);
  ASSERT_TRUE(file.truncate(5 * kBlockSize));
  EXPECT_EQ(file.blocks(), 5);
  EXPECT_EQ(*file.read_block(4, block), kEmptyBlockCrc);
  ASSERT_TRUE(file.truncate(0));
  EXPECT_EQ(file.blocks(), 0);
  EXPECT_EQ(file.truncate(kChunkSize + 1).code(), StatusCode::kEINVAL);
}

TEST_F(ChunkFileTest, SetVersionRewritesTheHeader) {
  ChunkFile file = create(3, 1);
  ASSERT_TRUE(file.set_version(2));
  fs::rename(path(3, 1), path(3, 2));
  EXPECT_TRUE(ChunkFile::open(path(3, 2), 3, 2));
}

TEST_F(ChunkFileTest, CopyKeepsDataAndCrcs) {
  ChunkFile source = create(1, 1);
  std::vector<uint8_t> data = pattern(kBlockSize, 8);
  ASSERT_TRUE(source.write(0, 0, data, crc32(data)));
  ASSERT_TRUE(source.write(3, 7, std::span<const uint8_t>(), 0));  // an empty write still adds the block
  ChunkFile target = create(2, 5);
  ASSERT_TRUE(source.copy_to(target));
  EXPECT_EQ(target.blocks(), 4);
  EXPECT_EQ(target.crc_table(), source.crc_table());
  auto reopened = ChunkFile::open(path(2, 5), 2, 5);
  ASSERT_TRUE(reopened);
  Block block;
  ASSERT_TRUE(reopened->read_block(0, block));
  EXPECT_TRUE(std::equal(data.begin(), data.end(), block.begin()));
  EXPECT_EQ(reopened->crc_table(), source.crc_table());
}

// The bytes the real 3.0.117 chunkserver writes for chunk 1 version 1 holding one block of
// 100 zero bytes then 0x00..0xFF sixteen times (spec 30 §5.3-5.4, docs/protocol-notes.md
// "A real chunk file"), encoded here from the layout, independently of ChunkFile:
// "MFSC 1.0", id and version big-endian, zeros up to 4096; the CRC table with the block's
// CRC then the empty-block CRC for the 1023 absent blocks; the block zero-padded to 64 KiB.
// compat-tests/test_chunkserver_disks.py checks this layout against a file the real
// chunkserver writes during the test.
std::vector<uint8_t> real_layout_chunk() {
  std::vector<uint8_t> bytes(8192 + kBlockSize, 0);
  const std::string signature = "MFSC 1.0";
  std::copy(signature.begin(), signature.end(), bytes.begin());
  bytes[15] = 1;  // chunk id 1 at offset 8
  bytes[19] = 1;  // version 1 at offset 16
  for (size_t i = 0; i < 4096; ++i) bytes[8192 + 100 + i] = static_cast<uint8_t>(i);
  auto put_be32 = [&](size_t offset, uint32_t value) {
    for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<uint8_t>(value >> (24 - 8 * i));
  };
  put_be32(4096, 0x79B2766Au);  // CRC of the padded block, spec 20 §5
  for (size_t block = 1; block < 1024; ++block) put_be32(4096 + 4 * block, kEmptyBlockCrc);
  return bytes;
}

void write_all(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

TEST(RealChunkLayout, BlockCrcMatchesTheSpecExample) {
  std::vector<uint8_t> bytes = real_layout_chunk();
  EXPECT_EQ(crc32(std::span<const uint8_t>(bytes.data() + 8192, kBlockSize)), 0x79B2766Au);
}

TEST_F(ChunkFileTest, ReadsAChunkInTheRealChunkserversLayout) {
  write_all(path(1, 1), real_layout_chunk());
  auto file = ChunkFile::open(path(1, 1), 1, 1);
  ASSERT_TRUE(file) << file.status().to_string();
  EXPECT_EQ(file->blocks(), 1);
  Block block;
  auto crc = file->read_block(0, block);
  ASSERT_TRUE(crc) << crc.status().to_string();
  EXPECT_EQ(*crc, 0x79B2766Au);
  std::vector<uint8_t> expected(kBlockSize, 0);
  for (size_t i = 0; i < 4096; ++i) expected[100 + i] = static_cast<uint8_t>(i);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), block.begin()));
  EXPECT_EQ(file->crc_table()[1], kEmptyBlockCrc);
}

// What we write for the same content is byte for byte what the real chunkserver writes.
TEST_F(ChunkFileTest, WritesTheRealChunkserversLayout) {
  {
    ChunkFile file = create(1, 1);
    std::vector<uint8_t> data(100 + 4096, 0);
    for (size_t i = 0; i < 4096; ++i) data[100 + i] = static_cast<uint8_t>(i);
    ASSERT_TRUE(file.write(0, 0, data, crc32(data)));
  }
  EXPECT_EQ(read_all(path(1, 1)), real_layout_chunk());
}

// Our writes to the real chunkserver's file keep it in the format it reads: the bytes of
// an extended file match what an independent encoding of spec 30 §5.3 gives.
TEST_F(ChunkFileTest, WritesIntoARealChunkKeepItsFormat) {
  write_all(path(1, 1), real_layout_chunk());
  {
    auto file = ChunkFile::open(path(1, 1), 1, 1);
    ASSERT_TRUE(file);
    std::vector<uint8_t> data = {'a', 'b', 'c'};
    ASSERT_TRUE(file->write(1, 0, data, crc32(data)));
  }
  std::vector<uint8_t> bytes = read_all(path(1, 1));
  ASSERT_EQ(bytes.size(), 8192u + 2 * kBlockSize);
  EXPECT_EQ(be32(bytes, 4096), 0x79B2766Au);
  EXPECT_EQ(be32(bytes, 4100), 0xAD6E9A4Au);  // "abc" and 65533 zeros (spec 20 §5)
  EXPECT_EQ(be32(bytes, 4104), kEmptyBlockCrc);
  EXPECT_EQ(std::string(bytes.begin() + 8192 + kBlockSize, bytes.begin() + 8192 + kBlockSize + 3), "abc");
}

}  // namespace
}  // namespace mfs::cs
