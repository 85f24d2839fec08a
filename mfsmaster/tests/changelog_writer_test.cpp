#include "mfsmaster/changelog_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mfsmaster/changelog_entry.h"

namespace mfs::master {
namespace {

namespace fs = std::filesystem;

class ChangelogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "changelog_writer_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

  std::string read(const std::string& name) const {
    std::ifstream in(path(name), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

  // The lines of a live changelog: what comes before its preallocated zeros.
  std::string lines_in(const std::string& name) const {
    std::string content = read(name);
    return content.substr(0, content.find('\0'));
  }

  static std::string line(uint64_t id) {
    ChangelogEntry entry = ChangelogEntry::make("LENGTH", 1795569339).arg(3).arg(id).arg(0);
    entry.id = id;
    return format_changelog_line(entry);
  }

  std::unique_ptr<ChangelogWriter> open_writer(
      std::chrono::milliseconds lazy_delay = ChangelogWriter::kLazyDelay) {
    auto writer = ChangelogWriter::open(io_, dir_, lazy_delay);
    EXPECT_TRUE(writer) << writer.status().to_string();
    return writer ? std::move(*writer) : nullptr;
  }

  // A changelog.0.mfs of lines 1 and 2 followed by `left_by_crash`: the writer cuts the
  // latter off and continues with line 3.
  void expect_continued_after_lines_1_and_2(const std::string& left_by_crash) {
    {
      std::ofstream out(path("changelog.0.mfs"), std::ios::binary);
      out << line(1) << line(2) << left_by_crash;
    }
    auto writer = open_writer();
    ASSERT_TRUE(writer);
    EXPECT_EQ(read("changelog.0.mfs"), line(1) + line(2));
    writer->append(line(3), 3);
    EXPECT_TRUE(writer->shutdown());
    EXPECT_EQ(read("changelog.0.mfs"), line(1) + line(2) + line(3));
  }

  // Runs the metadata loop until `done` holds or `limit` passes.
  template <typename Predicate>
  void run_until(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
  }

  boost::asio::io_context io_;
  std::string dir_;
};

TEST_F(ChangelogWriterTest, CallbacksRunOnlyOnceTheirLinesAreInTheFile) {
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  constexpr uint64_t kCount = 2000;
  std::string expected;
  std::vector<uint64_t> completed;
  bool all_present = true;
  for (uint64_t id = 1; id <= kCount; ++id) {
    expected += line(id);
    writer->append(line(id), id);
    writer->on_durable(id, [&, id, size = expected.size()] {
      // Every line up to this id must already be in the file (its content is checked below).
      std::ifstream in(path("changelog.0.mfs"), std::ios::binary);
      std::string head(size, '\0');
      in.read(head.data(), static_cast<std::streamsize>(size));
      if (head.find('\0') != std::string::npos) all_present = false;
      if (writer->durable_id() < id) all_present = false;
      completed.push_back(id);
    });
  }
  run_until([&] { return completed.size() == kCount; });
  ASSERT_EQ(completed.size(), kCount);
  EXPECT_TRUE(all_present);
  for (uint64_t i = 0; i < kCount; ++i) EXPECT_EQ(completed[i], i + 1);
  EXPECT_EQ(writer->durable_id(), kCount);
  EXPECT_TRUE(writer->shutdown());
  EXPECT_EQ(read("changelog.0.mfs"), expected);
}

TEST_F(ChangelogWriterTest, CallbacksNeverRunBeforeTheMetadataLoopRuns) {
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  bool ran = false;
  writer->append(line(1), 1);
  writer->on_durable(1, [&] { ran = true; });
  EXPECT_TRUE(writer->shutdown());  // durable now, but the callback belongs to the io_context
  EXPECT_FALSE(ran);
  run_until([&] { return ran; });
  EXPECT_TRUE(ran);
}

TEST_F(ChangelogWriterTest, CallbacksRunInIdThenRegistrationOrder) {
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  std::vector<std::string> order;
  for (uint64_t id = 1; id <= 5; ++id) writer->append(line(id), id);
  writer->on_durable(5, [&] { order.push_back("5a"); });
  writer->on_durable(3, [&] { order.push_back("3"); });
  writer->on_durable(5, [&] { order.push_back("5b"); });
  writer->on_durable(1, [&] { order.push_back("1"); });
  run_until([&] { return order.size() == 4; });
  EXPECT_EQ(order, (std::vector<std::string>{"1", "3", "5a", "5b"}));

  // Already durable: runs through the io_context, after callbacks queued before it.
  order.clear();
  writer->on_durable(2, [&] { order.push_back("old"); });
  EXPECT_TRUE(order.empty());
  run_until([&] { return order.size() == 1; });
  EXPECT_EQ(order, std::vector<std::string>{"old"});
}

TEST_F(ChangelogWriterTest, WaitingBeyondTheLastAppendedIdMeansEverythingAppendedSoFar) {
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  int ran = 0;
  writer->on_durable(10, [&] { ++ran; });  // nothing appended yet: nothing to wait for
  run_until([&] { return ran == 1; });
  EXPECT_EQ(ran, 1);
  writer->append(line(1), 1);
  writer->on_durable(10, [&] { ++ran; });
  run_until([&] { return ran == 2; });
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(writer->durable_id(), 1u);
}

TEST_F(ChangelogWriterTest, CallbacksMayRegisterFurtherCallbacks) {
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  bool inner = false;
  writer->append(line(1), 1);
  writer->on_durable(1, [&] {
    writer->append(line(2), 2);
    writer->on_durable(2, [&] { inner = true; });
  });
  run_until([&] { return inner; });
  EXPECT_TRUE(inner);
  EXPECT_EQ(lines_in("changelog.0.mfs"), line(1) + line(2));
}

TEST_F(ChangelogWriterTest, LazyLinesWaitForTheDelay) {
  auto writer = open_writer(std::chrono::milliseconds(100));
  ASSERT_TRUE(writer);
  auto appended = std::chrono::steady_clock::now();
  writer->append(line(1), 1, ChangelogWriter::Sync::kLazily);
  run_until([&] { return writer->durable_id() == 1; });
  EXPECT_EQ(writer->durable_id(), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - appended, std::chrono::milliseconds(100));
  EXPECT_EQ(lines_in("changelog.0.mfs"), line(1));
}

TEST_F(ChangelogWriterTest, WaitingForLazyLinesSyncsThemAtOnce) {
  auto writer = open_writer(std::chrono::hours(1));
  ASSERT_TRUE(writer);
  writer->append(line(1), 1, ChangelogWriter::Sync::kLazily);
  writer->append(line(2), 2, ChangelogWriter::Sync::kLazily);
  run_until([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(writer->durable_id(), 0u);
  EXPECT_EQ(lines_in("changelog.0.mfs"), "");
  bool ran = false;
  writer->on_durable(1, [&] { ran = true; });
  run_until([&] { return ran; });
  EXPECT_TRUE(ran);
  EXPECT_EQ(writer->durable_id(), 2u);  // one batch: everything queued before the request
  EXPECT_EQ(lines_in("changelog.0.mfs"), line(1) + line(2));
}

TEST_F(ChangelogWriterTest, LinesSyncedNowTakeEarlierLazyLinesAlong) {
  auto writer = open_writer(std::chrono::hours(1));
  ASSERT_TRUE(writer);
  writer->append(line(1), 1, ChangelogWriter::Sync::kLazily);
  writer->append(line(2), 2);
  writer->append(line(3), 3, ChangelogWriter::Sync::kLazily);
  run_until([&] { return writer->durable_id() >= 2; });
  EXPECT_GE(writer->durable_id(), 2u);
  EXPECT_TRUE(read("changelog.0.mfs").starts_with(line(1) + line(2)));
  EXPECT_TRUE(writer->shutdown());  // lazy lines are written at shutdown
  EXPECT_EQ(read("changelog.0.mfs"), line(1) + line(2) + line(3));
}

TEST_F(ChangelogWriterTest, ContinuesAnExistingFileAndCutsATornLastLine) {
  expect_continued_after_lines_1_and_2("3: 1795569339|LENG");
}

TEST_F(ChangelogWriterTest, OpenCutsWhatACrashLeftAfterTheFirstZero) {
  // Batch 3-4 was being written when the machine stopped: the page holding line 3 was not
  // on disk yet (zeros), the one holding line 4 was.
  expect_continued_after_lines_1_and_2(std::string(100, '\0') + line(4) + std::string(4096, '\0'));
}

TEST_F(ChangelogWriterTest, LinesOverwritePreallocatedZerosAndAStopCutsThemOff) {
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  std::string expected;
  uint64_t id = 1;
  auto append_and_wait = [&](size_t count) {
    std::string lines;
    for (size_t i = 0; i < count; ++i, ++id) lines += line(id);
    expected += lines;
    writer->append(std::move(lines), id - 1);
    run_until([&] { return writer->durable_id() == id - 1; });
  };
  append_and_wait(1);
  EXPECT_EQ(lines_in("changelog.0.mfs"), expected);
  EXPECT_EQ(fs::file_size(path("changelog.0.mfs")), 1u << 20);
  append_and_wait(1);
  EXPECT_EQ(fs::file_size(path("changelog.0.mfs")), 1u << 20);  // overwritten, not grown
  while (expected.size() < (1u << 20)) append_and_wait(5000);   // crosses the preallocated end
  EXPECT_EQ(lines_in("changelog.0.mfs"), expected);
  EXPECT_EQ(fs::file_size(path("changelog.0.mfs")), 2u << 20);
  EXPECT_TRUE(writer->shutdown());
  EXPECT_EQ(read("changelog.0.mfs"), expected);
}

TEST_F(ChangelogWriterTest, FileWithoutAnyCompleteLineIsEmptied) {
  {
    std::ofstream out(path("changelog.0.mfs"), std::ios::binary);
    out << "1: 17";
  }
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  EXPECT_EQ(read("changelog.0.mfs"), "");
}

TEST_F(ChangelogWriterTest, RotationShiftsFilesAfterTheLinesAppendedBeforeIt) {
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  writer->append(line(1), 1);
  writer->append(line(2), 2);
  writer->rotate(2);
  writer->append(line(3), 3);
  writer->rotate(2);
  writer->append(line(4), 4);
  bool durable = false;
  writer->on_durable(4, [&] { durable = true; });
  run_until([&] { return durable; });
  EXPECT_EQ(lines_in("changelog.0.mfs"), line(4));
  EXPECT_EQ(read("changelog.1.mfs"), line(3));  // rotated files hold whole lines only
  EXPECT_EQ(read("changelog.2.mfs"), line(1) + line(2));

  writer->rotate(2);  // the oldest (changelog.2) falls off
  writer->append(line(5), 5);
  EXPECT_TRUE(writer->shutdown());
  EXPECT_EQ(read("changelog.0.mfs"), line(5));
  EXPECT_EQ(read("changelog.1.mfs"), line(4));
  EXPECT_EQ(read("changelog.2.mfs"), line(3));
  EXPECT_FALSE(fs::exists(path("changelog.3.mfs")));
}

TEST_F(ChangelogWriterTest, RotationWithoutBackLogsDeletesTheChangelog) {
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  writer->append(line(1), 1);
  writer->rotate(0);
  EXPECT_TRUE(writer->shutdown());
  EXPECT_FALSE(fs::exists(path("changelog.0.mfs")));
  EXPECT_FALSE(fs::exists(path("changelog.1.mfs")));
}

TEST_F(ChangelogWriterTest, WriteFailureIsVisibleAndNothingIsAcknowledged) {
  fs::create_symlink("/dev/full", path("changelog.0.mfs"));
  auto writer = open_writer();
  ASSERT_TRUE(writer);
  bool ran = false;
  writer->append(line(1), 1);
  writer->on_durable(1, [&] { ran = true; });
  run_until([&] { return !writer->failure().is_ok(); });
  EXPECT_EQ(writer->failure().code(), StatusCode::kIO);
  writer->append(line(2), 2);
  writer->on_durable(2, [&] { ran = true; });
  Status final_status = writer->shutdown();
  EXPECT_EQ(final_status.code(), StatusCode::kIO);
  EXPECT_NE(final_status.to_string().find("changelog.0.mfs"), std::string::npos);
  run_until([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_FALSE(ran);
  EXPECT_EQ(writer->durable_id(), 0u);
}

TEST_F(ChangelogWriterTest, OpenFailsWhenTheFolderIsMissing) {
  auto writer = ChangelogWriter::open(io_, dir_ + "/missing");
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.code(), StatusCode::kIO);
}

}  // namespace
}  // namespace mfs::master
