#include "mfschunkserver/chunk_index.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mfs::cs {
namespace {

namespace fs = std::filesystem;

class ChunkIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chunk_index_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path() const { return dir_.string() + "/"; }
  void add_chunk_file(const std::string& folder, uint64_t chunkid, uint32_t version) const {
    std::ofstream(dir_ / folder / chunk_file_name(chunkid, version)) << "x";
  }
  static std::vector<ScannedChunk> sorted(std::vector<ScannedChunk> chunks) {
    std::sort(chunks.begin(), chunks.end(), [](auto& a, auto& b) { return a.chunkid < b.chunkid; });
    return chunks;
  }

  fs::path dir_;
};

TEST_F(ChunkIndexTest, ValidOnceForItsFingerprint) {
  auto index = ChunkIndex::open(path());
  ASSERT_TRUE(index);
  std::vector<ScannedChunk> chunks = {{1, 2, 3}, {0xFFFFFFFFFFFFFFFF, 0x7FFFFFFF, 255}};
  EXPECT_FALSE((*index)->take(42));  // nothing stored yet
  ASSERT_TRUE((*index)->store(chunks, 42));
  EXPECT_FALSE((*index)->take(43));  // the folders changed: the list is dropped
  EXPECT_FALSE((*index)->take(42));
  ASSERT_TRUE((*index)->store(chunks, 42));
  ASSERT_TRUE((*index)->store({chunks[0]}, 42));  // replaces the list
  EXPECT_EQ((*index)->take(42), std::vector<ScannedChunk>{chunks[0]});
  EXPECT_FALSE((*index)->take(42));  // read once: a crash after a start means a scan
}

TEST_F(ChunkIndexTest, DiskTrustsItsIndexOnlyWhileTheFoldersAreUnchanged) {
  {
    Disk disk(DiskConfig{path(), false, std::nullopt, std::nullopt}, 0);
    ASSERT_TRUE(disk.open());
    add_chunk_file("0A", 10, 1);
    add_chunk_file("FF", 0x1FF, 7);
    disk.save_index();
  }
  {
    Disk disk(DiskConfig{path(), false, std::nullopt, std::nullopt}, 0);
    ASSERT_TRUE(disk.open());
    auto listed = disk.list_chunks();
    ASSERT_TRUE(listed);
    EXPECT_EQ(sorted(*listed), (std::vector<ScannedChunk>{{10, 1, 0x0A}, {0x1FF, 7, 0xFF}}));
    disk.save_index();
  }
  // Another chunkserver adds a file: the index is stale and a scan finds it.
  add_chunk_file("00", 5, 1);
  Disk disk(DiskConfig{path(), false, std::nullopt, std::nullopt}, 0);
  ASSERT_TRUE(disk.open());
  auto listed = disk.list_chunks();
  ASSERT_TRUE(listed);
  EXPECT_EQ(sorted(*listed), (std::vector<ScannedChunk>{{5, 1, 0}, {10, 1, 0x0A}, {0x1FF, 7, 0xFF}}));
}

}  // namespace
}  // namespace mfs::cs
