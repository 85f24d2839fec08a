#include "mfsmount/disk_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace mfs::mount {
namespace {

namespace fs = std::filesystem;
constexpr uint32_t kBlock = 64 * 1024;

std::vector<uint8_t> pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(seed + i * 7 + i / 251);
  return out;
}

size_t files_in(const fs::path& folder) {
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(folder)) count += entry.path().extension() == ".mfscache";
  return count;
}

class DiskCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mfsmount_disk_cache_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
  }
  void TearDown() override { fs::remove_all(folder_); }

  std::unique_ptr<DiskCache> open_cache(uint64_t max_bytes = 64u << 20) {
    Result<std::unique_ptr<DiskCache>> cache = DiskCache::open(folder_.string(), max_bytes);
    EXPECT_TRUE(cache) << cache.status().to_string();
    return cache ? std::move(*cache) : nullptr;
  }

  fs::path folder_;
};

TEST_F(DiskCacheTest, KeepsBlocksAndServesAnyRangeInsideThem) {
  auto cache = open_cache();
  DiskCache::Key key{5, 0x100, 3};
  std::vector<uint8_t> data = pattern(3 * kBlock, 1);
  std::vector<uint8_t> out(1000);
  EXPECT_FALSE(cache->read(key, 0, out));
  cache->store(cache->begin_fill(key), kBlock, data);  // blocks 1..3
  ASSERT_TRUE(cache->read(key, kBlock + 5000, out));
  EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin() + 5000));
  std::vector<uint8_t> across(2 * kBlock);
  ASSERT_TRUE(cache->read(key, kBlock + kBlock / 2, across));  // spans blocks 1..3
  EXPECT_TRUE(std::equal(across.begin(), across.end(), data.begin() + kBlock / 2));
  EXPECT_FALSE(cache->read(key, kBlock - 10, out));  // touches block 0, not cached
  EXPECT_FALSE(cache->read(key, 4 * kBlock - 10, out));  // runs into block 4
  EXPECT_EQ(cache->bytes(), 3u * kBlock);
}

TEST_F(DiskCacheTest, OnlyTheVersionAndInodeReadAreFound) {
  auto cache = open_cache();
  std::vector<uint8_t> data = pattern(kBlock, 2);
  std::vector<uint8_t> out(100);
  cache->store(cache->begin_fill({5, 0x100, 3}), 0, data);
  EXPECT_FALSE(cache->read({5, 0x100, 4}, 0, out));
  EXPECT_FALSE(cache->read({6, 0x100, 3}, 0, out));
  EXPECT_TRUE(cache->read({5, 0x100, 3}, 0, out));
  // Filling another version replaces the chunk's blocks.
  cache->store(cache->begin_fill({5, 0x100, 4}), kBlock, data);
  EXPECT_FALSE(cache->read({5, 0x100, 3}, 0, out));
  EXPECT_TRUE(cache->read({5, 0x100, 4}, kBlock, out));
  EXPECT_EQ(cache->bytes(), uint64_t{kBlock});
}

TEST_F(DiskCacheTest, AShortLastBlockServesOnlyTheBytesItHas) {
  auto cache = open_cache();
  DiskCache::Key key{5, 0x100, 3};
  std::vector<uint8_t> data = pattern(kBlock + 300, 3);  // the chunk's data ends 300 bytes into block 1
  cache->store(cache->begin_fill(key), 0, data);
  std::vector<uint8_t> out(300);
  ASSERT_TRUE(cache->read(key, kBlock, out));
  EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin() + kBlock));
  std::vector<uint8_t> longer(301);
  EXPECT_FALSE(cache->read(key, kBlock, longer));
  // The file grew: the whole block replaces the short one.
  std::vector<uint8_t> grown = pattern(kBlock, 4);
  cache->store(cache->begin_fill(key), kBlock, grown);
  ASSERT_TRUE(cache->read(key, kBlock, longer));
  EXPECT_TRUE(std::equal(longer.begin(), longer.end(), grown.begin()));
  EXPECT_EQ(cache->bytes(), 2u * kBlock);
  // A short block elsewhere replaces the earlier short one only.
  cache->store(cache->begin_fill(key), 5 * kBlock, pattern(10, 5));
  cache->store(cache->begin_fill(key), 7 * kBlock, pattern(20, 6));
  std::vector<uint8_t> ten(10);
  EXPECT_FALSE(cache->read(key, 5 * kBlock, ten));
  EXPECT_TRUE(cache->read(key, 7 * kBlock, ten));
  EXPECT_TRUE(cache->read(key, 0, ten));
  EXPECT_EQ(cache->bytes(), 2u * kBlock + 20);
}

TEST_F(DiskCacheTest, ForgettingDropsTheInodesBlocksAndTheirFiles) {
  auto cache = open_cache();
  std::vector<uint8_t> data = pattern(kBlock, 7);
  std::vector<uint8_t> out(10);
  cache->store(cache->begin_fill({5, 0x100, 1}), 0, data);
  cache->store(cache->begin_fill({5, 0x101, 1}), 0, data);
  cache->store(cache->begin_fill({6, 0x200, 1}), 0, data);
  EXPECT_EQ(files_in(folder_), 3u);
  cache->forget(5);
  EXPECT_FALSE(cache->read({5, 0x100, 1}, 0, out));
  EXPECT_FALSE(cache->read({5, 0x101, 1}, 0, out));
  EXPECT_TRUE(cache->read({6, 0x200, 1}, 0, out));
  EXPECT_EQ(files_in(folder_), 1u);
  EXPECT_EQ(cache->bytes(), uint64_t{kBlock});
  cache->forget_all();
  EXPECT_FALSE(cache->read({6, 0x200, 1}, 0, out));
  EXPECT_EQ(files_in(folder_), 0u);
  EXPECT_EQ(cache->bytes(), 0u);
}

TEST_F(DiskCacheTest, BytesReadBeforeAForgetAreNotKept) {
  auto cache = open_cache();
  DiskCache::Key key{5, 0x100, 1};
  DiskCache::Fill before_the_change = cache->begin_fill(key);
  cache->forget(5);  // the inode changed while the chunkserver was sending the old bytes
  cache->store(before_the_change, 0, pattern(kBlock, 8));
  std::vector<uint8_t> out(10);
  EXPECT_FALSE(cache->read(key, 0, out));
  EXPECT_EQ(files_in(folder_), 0u);
  EXPECT_EQ(cache->bytes(), 0u);
  // A fill that began after the forget is kept.
  cache->store(cache->begin_fill(key), 0, pattern(kBlock, 8));
  EXPECT_TRUE(cache->read(key, 0, out));
}

TEST_F(DiskCacheTest, TheLeastRecentlyUsedChunksMakeRoom) {
  auto cache = open_cache(3 * uint64_t{kBlock});
  std::vector<uint8_t> data = pattern(kBlock, 9);
  std::vector<uint8_t> out(10);
  cache->store(cache->begin_fill({1, 1, 1}), 0, data);
  cache->store(cache->begin_fill({2, 2, 1}), 0, data);
  cache->store(cache->begin_fill({3, 3, 1}), 0, data);
  EXPECT_TRUE(cache->read({1, 1, 1}, 0, out));  // now 2 is the least recently used
  cache->store(cache->begin_fill({4, 4, 1}), 0, data);
  EXPECT_TRUE(cache->read({1, 1, 1}, 0, out));
  EXPECT_FALSE(cache->read({2, 2, 1}, 0, out));
  EXPECT_TRUE(cache->read({3, 3, 1}, 0, out));
  EXPECT_TRUE(cache->read({4, 4, 1}, 0, out));
  EXPECT_EQ(cache->bytes(), 3u * kBlock);
  EXPECT_EQ(files_in(folder_), 3u);
  // More than the whole cache is not kept.
  cache->store(cache->begin_fill({5, 5, 1}), 0, pattern(4 * kBlock, 1));
  EXPECT_FALSE(cache->read({5, 5, 1}, 0, out));
  EXPECT_LE(cache->bytes(), 3u * kBlock);
}

TEST_F(DiskCacheTest, BadRangesAreNeitherKeptNorServed) {
  auto cache = open_cache();
  DiskCache::Key key{5, 0x100, 1};
  std::vector<uint8_t> out(10);
  cache->store(cache->begin_fill(key), 100, pattern(kBlock, 1));  // not at a block boundary
  cache->store(cache->begin_fill(key), 64u << 20, pattern(10, 1));  // past the chunk
  EXPECT_EQ(cache->bytes(), 0u);
  EXPECT_FALSE(cache->read(key, (64u << 20) - 5, out));
  EXPECT_FALSE(cache->read(key, 64u << 20, out));
}

TEST_F(DiskCacheTest, AFolderServesOneMountAndStartsEmpty) {
  std::ofstream(folder_ / "17.mfscache") << "left by an earlier mount";
  std::ofstream(folder_ / "notes.txt") << "not ours";
  auto cache = open_cache();
  EXPECT_FALSE(fs::exists(folder_ / "17.mfscache"));
  EXPECT_TRUE(fs::exists(folder_ / "notes.txt"));
  Result<std::unique_ptr<DiskCache>> second = DiskCache::open(folder_.string(), 1u << 20);
  ASSERT_FALSE(second);
  EXPECT_NE(second.status().to_string().find("used by another mfsmount"), std::string::npos);
  cache.reset();
  EXPECT_TRUE(DiskCache::open(folder_.string(), 1u << 20));  // the lock went with the first
}

TEST_F(DiskCacheTest, AMissingFolderIsCreatedAndAnUnusableOneRefused) {
  fs::path inner = folder_ / "cache";
  EXPECT_TRUE(DiskCache::open(inner.string(), 1u << 20));
  EXPECT_TRUE(fs::is_directory(inner));
  std::ofstream(folder_ / "file") << "x";
  EXPECT_FALSE(DiskCache::open((folder_ / "file").string(), 1u << 20));
  EXPECT_FALSE(DiskCache::open((folder_ / "no" / "such").string(), 1u << 20));
}

}  // namespace
}  // namespace mfs::mount
