#include "mfsmaster/changelog_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace mfs::master {
namespace {

namespace fs = std::filesystem;

class ChangelogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "changelog_reader_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string line(uint64_t id) {
    ChangelogEntry entry = ChangelogEntry::make("ACCESS", 1795569000 + static_cast<uint32_t>(id)).arg(id);
    entry.id = id;
    return format_changelog_line(entry);
  }

  static std::string lines(uint64_t first, uint64_t last) {
    std::string text;
    for (uint64_t id = first; id <= last; ++id) text += line(id);
    return text;
  }

  void write(const std::string& name, const std::string& content) const {
    std::ofstream out(fs::path(dir_) / name, std::ios::binary);
    out << content;
  }

  // Replays from `version`; the ids applied are collected in applied_.
  Status replay(uint64_t version) {
    applied_.clear();
    return replay_changelogs(dir_, version, [this](const ChangelogEntry& entry) {
      EXPECT_EQ(entry.operation, "ACCESS");
      EXPECT_EQ(entry.timestamp, 1795569000 + entry.id);
      applied_.push_back(entry.id);
      return Status::ok();
    });
  }

  static std::vector<uint64_t> range(uint64_t first, uint64_t last) {
    std::vector<uint64_t> ids;
    for (uint64_t id = first; id <= last; ++id) ids.push_back(id);
    return ids;
  }

  std::string dir_;
  std::vector<uint64_t> applied_;
};

TEST_F(ChangelogReaderTest, NoFilesNothingToDo) {
  EXPECT_TRUE(replay(1));
  EXPECT_TRUE(applied_.empty());
}

TEST_F(ChangelogReaderTest, StartsExactlyAtTheImageVersion) {
  write("changelog.0.mfs", lines(1, 10));
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 10));
  ASSERT_TRUE(replay(7));
  EXPECT_EQ(applied_, range(7, 10));
  ASSERT_TRUE(replay(11));  // the image is newer than every file
  EXPECT_TRUE(applied_.empty());
}

TEST_F(ChangelogReaderTest, MergesOverlappingFilesOfAllThreeKinds) {
  write("changelog.1.mfs", lines(1, 20));
  write("changelog.0.mfs", lines(21, 30));
  write("changelog_ml.0.mfs", lines(15, 35));  // overlaps both
  write("changelog_ml_back.0.mfs", lines(33, 40));
  ASSERT_TRUE(replay(5));
  EXPECT_EQ(applied_, range(5, 40));
}

TEST_F(ChangelogReaderTest, SkipsDuplicateLinesWithinAFile) {
  write("changelog.0.mfs", lines(1, 3) + line(3) + lines(4, 5));
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 5));
}

TEST_F(ChangelogReaderTest, HoleStopsWithAddMoreFiles) {
  write("changelog.1.mfs", lines(1, 5));
  write("changelog.0.mfs", lines(8, 10));
  Status status = replay(1);
  EXPECT_FALSE(status);
  EXPECT_NE(status.to_string().find("change 6 is missing"), std::string::npos) << status.to_string();
  EXPECT_NE(status.to_string().find("add more files"), std::string::npos);
  EXPECT_EQ(applied_, range(1, 5));

  write("changelog_ml.3.mfs", lines(6, 7));  // the missing piece
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 10));
}

TEST_F(ChangelogReaderTest, FirstLineAfterTheImageVersionIsAHole) {
  write("changelog.0.mfs", lines(5, 9));
  EXPECT_FALSE(replay(3));
  EXPECT_TRUE(applied_.empty());
}

TEST_F(ChangelogReaderTest, OtherFilesWithATornLastLineAreIgnoredEntirely) {
  write("changelog.1.mfs", lines(1, 5));
  std::string torn = line(9).substr(0, 10);
  write("changelog_ml.0.mfs", lines(6, 8) + torn);
  ASSERT_TRUE(replay(1));  // 6..8 only exist in the ignored file: the replay ends at 5
  EXPECT_EQ(applied_, range(1, 5));

  write("changelog.2.mfs", lines(1, 3) + torn);  // ignored too: no harm, changelog.1 has them
  write("changelog_ml.0.mfs", lines(6, 8));
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 8));
}

TEST_F(ChangelogReaderTest, OwnChangelogWithATornLastLineKeepsItsCompleteLines) {
  write("changelog.0.mfs", lines(1, 6) + line(7).substr(0, 12));
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 6));
  ASSERT_TRUE(replay(7));
  EXPECT_TRUE(applied_.empty());

  write("changelog.0.mfs", "1: 17950");  // no complete line at all
  ASSERT_TRUE(replay(1));
  EXPECT_TRUE(applied_.empty());
}

TEST_F(ChangelogReaderTest, TornTailLongerThanTheLastLineWindow) {
  // A crash may leave a long unwritten (zero-filled) tail behind the last complete line.
  write("changelog.0.mfs", lines(1, 4) + std::string(300000, '\0'));
  ASSERT_TRUE(replay(2));
  EXPECT_EQ(applied_, range(2, 4));
}

TEST_F(ChangelogReaderTest, JumpOfTenThousandOrMoreEndsTheFile) {
  write("changelog.0.mfs", lines(1, 3) + line(10003) + line(10004));
  ASSERT_TRUE(replay(1));  // the garbage is never reached: the file ends at 3
  EXPECT_EQ(applied_, range(1, 3));

  write("changelog.0.mfs", lines(1, 3) + line(10002));  // a step of 9999 is allowed
  write("changelog.1.mfs", lines(4, 10002));
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 10002));
}

TEST_F(ChangelogReaderTest, DecreasingIdEndsTheFile) {
  write("changelog.0.mfs", lines(1, 5) + lines(3, 8));
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 5));
}

TEST_F(ChangelogReaderTest, UnparsableLineIsSkippedAndCanBeCoveredByAnotherFile) {
  std::string broken = "4: 1795569004|ACCESS(4%G)\n";
  write("changelog.0.mfs", lines(1, 3) + broken + lines(5, 6));
  Status status = replay(1);
  EXPECT_FALSE(status);
  EXPECT_NE(status.to_string().find("doesn't parse"), std::string::npos) << status.to_string();
  EXPECT_EQ(applied_, range(1, 3));

  write("changelog_ml.0.mfs", lines(2, 5));
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 6));
}

TEST_F(ChangelogReaderTest, LinesWithoutAnIdAreSkipped) {
  write("changelog.0.mfs", lines(1, 2) + "\n" + "garbage\n" + lines(3, 4));
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 4));
}

TEST_F(ChangelogReaderTest, OverlongLineIsSkipped) {
  std::string huge = "3: 1795569003|ACCESS(" + std::string(kMaxChangelogLineLength + 10, '3') + ")\n";
  write("changelog.1.mfs", lines(1, 2) + huge + lines(4, 5));
  EXPECT_FALSE(replay(1));
  EXPECT_EQ(applied_, range(1, 2));
  write("changelog.0.mfs", line(3));
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 5));
}

TEST_F(ChangelogReaderTest, FilesThatDontQualifyAreNotUsed) {
  write("changelog.0.mfs", lines(1, 5));
  write("changelog_ml.tmp", lines(6, 7));
  write("changelog.x.mfs", lines(6, 7));
  write("changelog..mfs", lines(6, 7));
  write("changelog.0.mfs.bak", lines(6, 7));
  write("changelog.5.mfs", std::string(60, '1') + ": 1|ACCESS(6)\n");  // no ':' in the first 50 bytes
  write("changelog.6.mfs", "");
  write("changelog.7.mfs", "0: 1|ACCESS(0)\n");  // first id 0
  ASSERT_TRUE(replay(1));
  EXPECT_EQ(applied_, range(1, 5));
}

TEST_F(ChangelogReaderTest, ApplyErrorStopsTheReplay) {
  write("changelog.0.mfs", lines(1, 10));
  std::vector<uint64_t> seen;
  Status status = replay_changelogs(dir_, 1, [&](const ChangelogEntry& entry) {
    seen.push_back(entry.id);
    return entry.id == 4 ? Status(StatusCode::kMismatch, "inode mismatch") : Status::ok();
  });
  EXPECT_EQ(status.code(), StatusCode::kMismatch);
  EXPECT_NE(status.to_string().find("inode mismatch"), std::string::npos);
  EXPECT_EQ(seen, range(1, 4));
}

TEST_F(ChangelogReaderTest, MissingFolderIsAnError) {
  EXPECT_EQ(replay_changelogs(dir_ + "/missing", 1, [](const ChangelogEntry&) { return Status::ok(); }).code(),
            StatusCode::kIO);
}

TEST_F(ChangelogReaderTest, ReadsFilesLargerThanTheReadChunk) {
  write("changelog.3.mfs", lines(1, 30000));
  ASSERT_TRUE(replay(12345));
  EXPECT_EQ(applied_, range(12345, 30000));
}

}  // namespace
}  // namespace mfs::master
