#include "mfschunkserver/chunk_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/detached.hpp>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>

#include "mfschunkserver/chunk_queries.h"
#include "mfschunkserver/disk_rebalancer.h"
#include "mfschunkserver/scrubber.h"
#include "mfscommon/crc32.h"

namespace mfs::cs {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

class RecordingReports : public ChunkReports {
 public:
  void chunk_lost(uint64_t chunkid) override { lost.push_back(chunkid); }
  void chunk_damaged(uint64_t chunkid) override { damaged.push_back(chunkid); }
  std::vector<uint64_t> lost;
  std::vector<uint64_t> damaged;
};

class ChunkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("chunk_store_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    store_ = make_store();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // The first disk is dir_, a second one dir_/second; `configure` sets the mfshdd.cfg
  // markers of disk i.
  std::unique_ptr<ChunkStore> make_store(bool marked = false, bool second_disk = false,
                                         const std::function<void(DiskConfig&, size_t)>& configure = {}) {
    std::vector<std::unique_ptr<Disk>> disks;
    for (std::string path : {dir_.string() + "/", dir_.string() + "/second/"}) {
      if (disks.size() == 1 && !second_disk) break;
      fs::create_directories(path);
      DiskConfig config;
      config.path = path;
      config.marked_for_removal = marked;
      if (configure) configure(config, disks.size());
      disks.push_back(std::make_unique<Disk>(config, 0));
      EXPECT_TRUE(disks.back()->open());
    }
    auto store = std::make_unique<ChunkStore>(std::move(disks), pool_, reports_, false);
    EXPECT_TRUE(store->load());
    return store;
  }

  // Runs a coroutine of the store on the test's io_context to its end.
  template <typename T>
  T run(std::function<asio::awaitable<T>()> body) {
    std::optional<T> result;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> { result.emplace(co_await body()); }, asio::detached);
    io_.restart();
    io_.run();
    return std::move(*result);
  }
  Status write(uint64_t chunkid, uint32_t version, uint16_t block, std::span<const uint8_t> data) {
    return run<Status>([&]() -> asio::awaitable<Status> {
      auto chunk = co_await store_->open(chunkid, version);
      if (!chunk) co_return chunk.status();
      co_return co_await store_->write(*chunk, block, 0, data, crc32(data));
    });
  }

  // `count` chunks on the first disk, marked `<`; runs a rebalancer until that disk is
  // empty, calling `poll` every 5 ms meanwhile, and checks that they all reached the second.
  void rebalance_out_marked_disk(RebalanceSettings settings, uint64_t count, const std::function<void()>& poll = {});

  fs::path dir_;
  asio::io_context io_;
  BlockingPool pool_{2};
  RecordingReports reports_;
  std::unique_ptr<ChunkStore> store_;
};

TEST_F(ChunkStoreTest, CreateWriteReadThroughTheThreads) {
  EXPECT_TRUE(run<Status>([&] { return store_->create(10, 1); }));
  EXPECT_EQ(run<Status>([&] { return store_->create(10, 1); }).code(), StatusCode::kChunkExist);
  std::vector<uint8_t> data(kBlockSize, 0x5A);
  ASSERT_TRUE(write(10, 1, 1, data));
  auto summary = run<Result<ChunkSummary>>([&] { return store_->summary(10, 0); });
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->blocks, 2);
  EXPECT_EQ(summary->crcs[1], crc32(data));
  EXPECT_TRUE(fs::exists(dir_ / "0A" / "chunk_000000000000000A_00000001.mfs"));
  EXPECT_EQ(store_->space().chunks, 1u);
}

TEST_F(ChunkStoreTest, VersionChecksAndLostReports) {
  ASSERT_TRUE(run<Status>([&] { return store_->create(1, 5); }));
  EXPECT_EQ(run<Status>([&] { return store_->set_version(1, 6, 4); }).code(), StatusCode::kWrongVersion);
  EXPECT_EQ(run<Status>([&] { return store_->set_version(1, 0, 5); }).code(), StatusCode::kEINVAL);
  EXPECT_TRUE(run<Status>([&] { return store_->set_version(1, 6, 5); }));
  EXPECT_TRUE(fs::exists(dir_ / "01" / "chunk_0000000000000001_00000006.mfs"));
  EXPECT_EQ(run<Status>([&] { return store_->remove(2, 0); }).code(), StatusCode::kNoChunk);
  EXPECT_EQ(reports_.lost, std::vector<uint64_t>{2});
  EXPECT_EQ(run<Status>([&] { return store_->remove(1, 5); }).code(), StatusCode::kWrongVersion);
  EXPECT_TRUE(run<Status>([&] { return store_->remove(1, 0); }));
  EXPECT_FALSE(fs::exists(dir_ / "01" / "chunk_0000000000000001_00000006.mfs"));
}

TEST_F(ChunkStoreTest, DuplicateAndDupTrunc) {
  ASSERT_TRUE(run<Status>([&] { return store_->create(1, 1); }));
  std::vector<uint8_t> data(kBlockSize, 7);
  ASSERT_TRUE(write(1, 1, 0, data));
  ASSERT_TRUE(write(1, 1, 1, data));
  EXPECT_TRUE(run<Status>([&] { return store_->duplicate(2, 0, 1, 1, std::nullopt); }));
  EXPECT_EQ(run<Status>([&] { return store_->duplicate(2, 1, 1, 1, std::nullopt); }).code(), StatusCode::kChunkExist);
  EXPECT_EQ(run<Status>([&] { return store_->duplicate(3, 1, 1, 0, std::nullopt); }).code(), StatusCode::kEINVAL);
  EXPECT_TRUE(run<Status>([&] { return store_->duplicate(3, 9, 1, 1, uint32_t{100}); }));
  auto copy = run<Result<ChunkSummary>>([&] { return store_->summary(2, 1); });
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->blocks, 2);
  auto truncated = run<Result<ChunkSummary>>([&] { return store_->summary(3, 9); });
  ASSERT_TRUE(truncated);
  EXPECT_EQ(truncated->blocks, 1);
  std::vector<uint8_t> expected(kBlockSize, 0);
  std::fill(expected.begin(), expected.begin() + 100, 7);
  EXPECT_EQ(truncated->crcs[0], crc32(expected));
}

TEST_F(ChunkStoreTest, TruncateChangesVersionAndLength) {
  ASSERT_TRUE(run<Status>([&] { return store_->create(4, 1); }));
  std::vector<uint8_t> data(kBlockSize, 1);
  ASSERT_TRUE(write(4, 1, 2, data));
  EXPECT_EQ(run<Status>([&] { return store_->truncate(4, 0xFFFFFFFF, 2, 1); }).code(), StatusCode::kEINVAL);
  EXPECT_TRUE(run<Status>([&] { return store_->truncate(4, 10, 2, 1); }));
  auto summary = run<Result<ChunkSummary>>([&] { return store_->summary(4, 2); });
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->blocks, 1);
}

TEST_F(ChunkStoreTest, DamagedCopiesAreReported) {
  ASSERT_TRUE(run<Status>([&] { return store_->create(8, 1); }));
  std::vector<uint8_t> data(kBlockSize, 3);
  ASSERT_TRUE(write(8, 1, 0, data));
  fs::resize_file(dir_ / "08" / "chunk_0000000000000008_00000001.mfs", 8192 + 10);  // not whole blocks
  store_ = make_store();  // forgets the open file
  EXPECT_EQ(run<Status>([&] { return store_->test(8, 1); }).code(), StatusCode::kIO);
  EXPECT_EQ(reports_.damaged, std::vector<uint64_t>{8});
}

TEST_F(ChunkStoreTest, ScanFindsChunksAndFlagsDisksMarkedForRemoval) {
  ASSERT_TRUE(run<Status>([&] { return store_->create(0x1234, 3); }));
  ASSERT_TRUE(run<Status>([&] { return store_->create(0x99, 1); }));
  store_.reset();
  store_ = make_store(true);
  auto list = store_->chunk_list();
  std::sort(list.begin(), list.end(), [](auto& a, auto& b) { return a.chunkid < b.chunkid; });
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], (csmsg::ChunkEntry{0x99, 1, true}));
  EXPECT_EQ(list[1], (csmsg::ChunkEntry{0x1234, 3, true}));
  EXPECT_EQ(store_->space().td_chunks, 2u);
  EXPECT_EQ(store_->space().chunks, 0u);
  // A disk marked for removal takes no new chunks.
  EXPECT_EQ(run<Status>([&] { return store_->create(5, 1); }).code(), StatusCode::kNoSpace);
}

TEST_F(ChunkStoreTest, IoErrorsMarkADiskDamagedAndTheOtherDisksKeepWorking) {
  store_.reset();
  store_ = make_store(false, true);  // creates the folders
  ASSERT_TRUE(ChunkFile::create((dir_ / "03" / "chunk_0000000000000003_00000001.mfs").string(), 3, 1));
  ASSERT_TRUE(ChunkFile::create((dir_ / "second" / "07" / "chunk_0000000000000007_00000001.mfs").string(), 7, 1));
  // Chunks 1 and 2 of the first disk cannot be read: a folder where the file should be
  // fails with EISDIR.
  fs::create_directory(dir_ / "01" / "chunk_0000000000000001_00000001.mfs");
  fs::create_directory(dir_ / "02" / "chunk_0000000000000002_00000001.mfs");
  store_ = make_store(false, true);
  store_->set_error_tolerance({1, std::chrono::seconds(600)});
  EXPECT_EQ(run<Status>([&] { return store_->test(1, 1); }).code(), StatusCode::kIO);
  EXPECT_EQ(store_->disk_entries()[0].flags & csdata::kDiskDamaged, 0);  // one error is tolerated
  EXPECT_EQ(run<Status>([&] { return store_->test(2, 1); }).code(), StatusCode::kIO);
  EXPECT_EQ(store_->disk_entries()[0].flags & csdata::kDiskDamaged, csdata::kDiskDamaged);
  EXPECT_EQ(store_->disk_entries()[1].flags & csdata::kDiskDamaged, 0);
  std::sort(reports_.lost.begin(), reports_.lost.end());
  EXPECT_EQ(reports_.lost, (std::vector<uint64_t>{1, 2, 3}));
  // The master hears of the other disk only; it keeps serving and takes the new chunks.
  auto list = store_->chunk_list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].chunkid, 7u);
  EXPECT_EQ(store_->space().chunks, 1u);
  EXPECT_EQ(run<Status>([&] { return store_->test(3, 1); }).code(), StatusCode::kNoChunk);
  EXPECT_TRUE(run<Status>([&] { return store_->test(7, 1); }));
  EXPECT_TRUE(run<Status>([&] { return store_->create(3, 2); }));
  EXPECT_TRUE(fs::exists(dir_ / "second" / "03" / "chunk_0000000000000003_00000002.mfs"));
}

TEST_F(ChunkStoreTest, ScrubberReportsACorruptBlock) {
  ASSERT_TRUE(run<Status>([&] { return store_->create(6, 1); }));
  std::vector<uint8_t> data(kBlockSize, 9);
  ASSERT_TRUE(write(6, 1, 0, data));
  ASSERT_TRUE(write(6, 1, 1, data));
  {
    std::fstream file(dir_ / "06" / "chunk_0000000000000006_00000001.mfs", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(8192 + kBlockSize + 1234);
    file.put(8);
  }
  store_ = make_store();  // forgets the open file
  Scrubber scrubber(io_, *store_, ScrubSettings{1000.0, std::chrono::seconds(0)});
  scrubber.start();
  io_.restart();
  for (int i = 0; i < 50 && reports_.damaged.empty(); ++i) io_.run_for(std::chrono::milliseconds(100));
  scrubber.stop();
  io_.run();
  EXPECT_EQ(reports_.damaged, std::vector<uint64_t>{6});
  EXPECT_EQ(store_->disk_entries()[0].error_chunkid, 6u);
  EXPECT_EQ(store_->disk_entries()[0].flags & csdata::kDiskDamaged, 0);  // a CRC error is the chunk's
}

TEST(ScrubSettings, SpeedFromTheOptionOrTheDeprecatedFrequency) {
  EXPECT_EQ(ScrubSettings::from(ConfigFile::parse("")).mib_per_second, 1.0);
  EXPECT_EQ(ScrubSettings::from(ConfigFile::parse("HDD_TEST_FREQ = 5")).mib_per_second, 2.0);
  EXPECT_EQ(ScrubSettings::from(ConfigFile::parse("HDD_TEST_SPEED = 0.5\nHDD_TEST_FREQ = 5")).mib_per_second, 0.5);
  EXPECT_EQ(ScrubSettings::from(ConfigFile::parse("HDD_MIN_TEST_INTERVAL = 7")).min_idle, std::chrono::seconds(7));
}

TEST(ChunkChecksum, FoldsTheCrcTable) {
  CrcTable crcs;
  crcs.fill(kEmptyBlockCrc);
  crcs[0] = 0x79B2766A;
  EXPECT_EQ(chunk_checksum(crcs), 0x7422E6EEu);  // observed, spec 20 §3.5
}

// mfshdd.cfg "<first" and "second": local rebalancing empties the first disk.
void first_moves_out(DiskConfig& config, size_t disk) { config.move_out = disk == 0; }

std::vector<fs::path> chunk_files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (unsigned sub = 0; sub < kFolderCount; ++sub) {
    char name[3];
    std::snprintf(name, sizeof name, "%02X", sub);
    if (!fs::exists(folder / name)) continue;
    for (const auto& entry : fs::directory_iterator(folder / name)) files.push_back(entry.path());
  }
  return files;
}

TEST_F(ChunkStoreTest, NewChunksAvoidOutMarkedDisks) {
  store_ = make_store(false, true, first_moves_out);
  ASSERT_TRUE(run<Status>([&] { return store_->create(5, 1); }));
  EXPECT_EQ(store_->disks()[0]->chunks, 0u);
  EXPECT_EQ(store_->disks()[1]->chunks, 1u);
}

TEST_F(ChunkStoreTest, MoveKeepsTheChunkReadableAndKnownToTheMaster) {
  store_ = make_store(false, true);
  std::vector<uint8_t> data(1000, 7);
  ASSERT_TRUE(run<Status>([&] { return store_->create(5, 1); }));
  ASSERT_TRUE(write(5, 1, 0, data));
  ASSERT_TRUE(write(5, 1, 1, data));
  store_ = make_store(false, true, first_moves_out);
  ASSERT_TRUE(run<Status>([&] { return store_->test(5, 1); }));  // opened and kept open by the store
  Disk& first = *store_->disks()[0];
  Disk& second = *store_->disks()[1];
  ASSERT_EQ(first.chunks, 1u);
  ChunkId chunk{5, 1};  // named: GCC 12 mishandles temporaries passed to coroutines
  EXPECT_TRUE(run<Status>([&] { return store_->move(chunk, second); }));
  EXPECT_EQ(first.chunks, 0u);
  EXPECT_EQ(second.chunks, 1u);
  EXPECT_EQ(chunk_files_in(dir_ / "second").size(), 1u);
  EXPECT_TRUE(chunk_files_in(dir_).empty());
  auto list = store_->chunk_list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].chunkid, 5u);
  auto summary = run<Result<ChunkSummary>>([&] { return store_->summary(5, 1); });
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->blocks, 2);
  EXPECT_TRUE(run<Status>([&] { return store_->test(5, 1); }));
  // After a clean stop (index written from the folders) a new store finds it on the second
  // disk only.
  for (const auto& disk : store_->disks()) disk->save_index();
  store_.reset();  // releases the indexes
  store_ = make_store(false, true, first_moves_out);
  EXPECT_EQ(store_->disks()[0]->chunks, 0u);
  EXPECT_EQ(store_->disks()[1]->chunks, 1u);
}

TEST_F(ChunkStoreTest, ChunksInUseAreNotMoved) {
  store_ = make_store(false, true);  // new chunks go to the first disk
  ASSERT_TRUE(run<Status>([&] { return store_->create(5, 1); }));
  store_ = make_store(false, true, first_moves_out);
  auto opened = run<Result<OpenedChunk>>([&] { return store_->open(5, 1); });
  ASSERT_TRUE(opened);
  ChunkId chunk{5, 1};
  ChunkId other_version{5, 2};
  Status moved = run<Status>([&] { return store_->move(chunk, *store_->disks()[1]); });
  EXPECT_EQ(moved.code(), StatusCode::kChunkBusy);
  EXPECT_EQ(store_->disks()[0]->chunks, 1u);
  EXPECT_EQ(run<Status>([&] { return store_->move(other_version, *store_->disks()[1]); }).code(),
            StatusCode::kNoChunk);
}

// A crash between the copy and the removal of the source leaves the chunk on both disks;
// one cut short during the copy leaves a ".part". Start-up keeps the copy on the disk
// rebalancing moves to and removes the rest; the chunk reads back intact.
TEST_F(ChunkStoreTest, StartAfterACrashMidMoveKeepsOneCopy) {
  store_ = make_store(false, true);  // new chunks go to the first disk
  std::vector<uint8_t> data(1000, 3);
  ASSERT_TRUE(run<Status>([&] { return store_->create(5, 1); }));
  ASSERT_TRUE(write(5, 1, 0, data));
  ASSERT_TRUE(run<Status>([&] { return store_->create(6, 1); }));
  store_.reset();
  auto on_first = chunk_files_in(dir_);
  ASSERT_EQ(on_first.size(), 2u);
  fs::path copy = dir_ / "second" / on_first[0].parent_path().filename() / on_first[0].filename();
  fs::copy_file(on_first[0], copy);
  fs::path part = dir_ / "second" / on_first[1].parent_path().filename() / (on_first[1].filename().string() + ".part");
  std::ofstream(part) << "half";

  store_ = make_store(false, true, first_moves_out);
  EXPECT_EQ(store_->chunk_list().size(), 2u);
  EXPECT_FALSE(fs::exists(on_first[0]));  // the source copy went
  EXPECT_TRUE(fs::exists(copy));
  EXPECT_FALSE(fs::exists(part));
  EXPECT_TRUE(fs::exists(on_first[1]));
  EXPECT_EQ(store_->disks()[0]->chunks + store_->disks()[1]->chunks, 2u);
  EXPECT_TRUE(run<Status>([&] { return store_->test(5, 1); }));
  EXPECT_TRUE(run<Status>([&] { return store_->test(6, 1); }));
}

void ChunkStoreTest::rebalance_out_marked_disk(RebalanceSettings settings, uint64_t count,
                                               const std::function<void()>& poll) {
  store_ = make_store(false, true);  // new chunks go to the first disk
  for (uint64_t chunkid = 1; chunkid <= count; ++chunkid) {
    ASSERT_TRUE(run<Status>([&] { return store_->create(chunkid, 1); }));
  }
  store_ = make_store(false, true, first_moves_out);
  ASSERT_EQ(store_->disks()[0]->chunks, count);
  DiskRebalancer rebalancer(io_, *store_, settings);
  rebalancer.start();
  // Stops the rebalancer once the first disk is empty; the io_context runs out of work
  // once its loop and its moves have ended.
  asio::steady_timer timer(io_);
  std::function<void(boost::system::error_code)> check = [&](boost::system::error_code) {
    if (poll) poll();
    if (store_->disks()[0]->chunks == 0) return rebalancer.stop();
    timer.expires_after(std::chrono::milliseconds(5));
    timer.async_wait(check);
  };
  check({});
  io_.restart();
  io_.run_for(std::chrono::seconds(20));
  EXPECT_EQ(store_->disks()[0]->chunks, 0u);
  EXPECT_EQ(store_->disks()[1]->chunks, count);
  EXPECT_EQ(chunk_files_in(dir_ / "second").size(), count);
  EXPECT_FALSE(rebalancer.moving());
}

TEST_F(ChunkStoreTest, RebalancerEmptiesTheOutMarkedDisk) { rebalance_out_marked_disk(RebalanceSettings{100}, 4); }

// HDD_HIGH_SPEED_REBALANCE_LIMIT = 3: with the disk threads held, exactly 3 moves wait
// for them (one destination disk), not one and not all 8.
TEST_F(ChunkStoreTest, HighSpeedRebalancerKeepsTheLimitOfMovesInFlight) {
  std::atomic<bool> released{false};
  auto hold_thread = [&]() -> asio::awaitable<void> {
    co_await pool_.run([&released] {
      released.wait(false);
      return 0;
    });
  };
  bool held = false;
  size_t most_pending = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  rebalance_out_marked_disk(RebalanceSettings{1, 3}, 8, [&] {
    if (!held) {  // first poll: the rebalancer waits 1 s before its first round
      held = true;
      for (int i = 0; i < 2; ++i) asio::co_spawn(io_, hold_thread, asio::detached);
    }
    most_pending = std::max(most_pending, pool_.pending());
    if (!released && (pool_.pending() == 2 + 3 || std::chrono::steady_clock::now() > deadline)) {
      released = true;
      released.notify_all();
    }
  });
  EXPECT_EQ(most_pending, 2u + 3u);
}

TEST(RebalanceSettings, UtilizationBoundsTheMovingTime) {
  EXPECT_EQ(RebalanceSettings::from(ConfigFile::parse("")).utilization_percent, 20.0);
  EXPECT_EQ(RebalanceSettings::from(ConfigFile::parse("HDD_REBALANCE_UTILIZATION = 500")).utilization_percent, 100.0);
  EXPECT_EQ(RebalanceSettings{20}.pause_after(std::chrono::milliseconds(10)), std::chrono::milliseconds(40));
  EXPECT_EQ(RebalanceSettings{100}.pause_after(std::chrono::milliseconds(10)), std::chrono::nanoseconds(0));
  EXPECT_EQ(RebalanceSettings::from(ConfigFile::parse("")).high_speed_limit, 0u);
  EXPECT_EQ(RebalanceSettings::from(ConfigFile::parse("HDD_HIGH_SPEED_REBALANCE_LIMIT = 5")).high_speed_limit, 5u);
}

}  // namespace
}  // namespace mfs::cs
