#include "mfschunkserver/chunk_move.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace mfs::cs {
namespace {

namespace fs = std::filesystem;

class ChunkMoveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "a");
    fs::create_directories(dir_ / "b");
    std::ofstream(from_, std::ios::binary) << content_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_ = fs::temp_directory_path() / ("chunk_move_test_" + std::to_string(::getpid()));
  std::string content_ = std::string(3 << 20, 'x') + "end";  // more than one copy buffer
  std::string from_ = (dir_ / "a" / "chunk_0000000000000001_00000001.mfs").string();
  std::string to_ = (dir_ / "b" / "chunk_0000000000000001_00000001.mfs").string();
};

TEST_F(ChunkMoveTest, MovesTheBytesAndRemovesTheSource) {
  FileMove move = move_chunk_file(from_, to_, 100 << 20);
  ASSERT_TRUE(move.status) << move.status.to_string();
  EXPECT_TRUE(move.copied);
  EXPECT_EQ(read(to_), content_);
  EXPECT_FALSE(fs::exists(from_));
  EXPECT_FALSE(fs::exists(to_ + ".part"));
}

TEST_F(ChunkMoveTest, NoRoomLeavesTheSourceAlone) {
  FileMove move = move_chunk_file(from_, to_, 1000);
  EXPECT_EQ(move.status.code(), StatusCode::kNoSpace);
  EXPECT_FALSE(move.copied);
  EXPECT_EQ(read(from_), content_);
  EXPECT_FALSE(fs::exists(to_));
  EXPECT_FALSE(fs::exists(to_ + ".part"));
}

TEST_F(ChunkMoveTest, AMissingSourceIsNoChunk) {
  fs::remove(from_);
  FileMove move = move_chunk_file(from_, to_, 100 << 20);
  EXPECT_EQ(move.status.code(), StatusCode::kNoChunk);
  EXPECT_TRUE(move.source_failed);
  EXPECT_FALSE(fs::exists(to_));
}

TEST(ChunkMoveNames, PartialMoves) {
  EXPECT_TRUE(is_partial_move("chunk_0000000000000001_00000001.mfs.part"));
  EXPECT_FALSE(is_partial_move("chunk_0000000000000001_00000001.mfs"));
  EXPECT_FALSE(is_partial_move(".part"));
  EXPECT_FALSE(is_partial_move("notes.part"));
}

}  // namespace
}  // namespace mfs::cs
