// The download state machine against a scripted master, and the checks of the image.
#include "mfsmetalogger/metadata_download.h"

#include <gtest/gtest.h>

#include "mfscommon/crc32.h"
#include "mfscommon/packet.h"
#include "mfsmetalogger/tests/test_dir.h"

namespace mfs::ml {
namespace {

using testing::TestDir;
using Files = std::set<std::string>;
using Verdict = MetadataCheck::Verdict;

std::string u64_be(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
  return out;
}

std::string image_2_0(uint64_t version, uint64_t id, size_t body) {
  return "MFSM 2.0" + u64_be(version) + u64_be(id) + std::string(body, 'b') + "[MFS EOF MARKER]";
}

// The master's side: what the metalogger sent, decoded.
class ScriptedMaster {
 public:
  MetadataDownload::Send sender() {
    return [this](std::vector<uint8_t> frame) {
      Packet packet{get_u32_be(frame.data()), std::vector<uint8_t>(frame.begin() + kPacketHeaderSize, frame.end())};
      auto message = mlmsg::decode_from_metalogger(packet);
      ASSERT_TRUE(message) << message.status().to_string();
      sent.push_back(std::move(*message));
    };
  }
  template <typename T>
  T take() {
    EXPECT_FALSE(sent.empty());
    if (sent.empty()) return T{};
    auto message = sent.front();
    sent.erase(sent.begin());
    EXPECT_TRUE(std::holds_alternative<T>(message)) << "alternative " << message.index();
    return std::holds_alternative<T>(message) ? std::get<T>(message) : T{};
  }
  std::vector<mlmsg::MetaloggerToMaster> sent;
};

mlmsg::DownloadData block(const std::string& file, uint64_t offset, uint32_t length) {
  std::vector<uint8_t> data(file.begin() + static_cast<ptrdiff_t>(offset),
                            file.begin() + static_cast<ptrdiff_t>(offset + length));
  uint32_t crc = crc32(data);
  return {offset, crc, std::move(data)};
}

// Serves `file` for the download that was just started: DOWNLOAD_INFO, then every block
// asked for, until DOWNLOAD_END.
void serve(MetadataDownload& download, ScriptedMaster& master, const std::string& file) {
  ASSERT_TRUE(download.on_info(mlmsg::DownloadInfo{file.size()}, master.sender()));
  while (!master.sent.empty() && std::holds_alternative<mlmsg::DownloadRequest>(master.sent.front())) {
    auto request = master.take<mlmsg::DownloadRequest>();
    ASSERT_TRUE(download.on_data(block(file, request.offset, request.length), master.sender()));
  }
  master.take<mlmsg::DownloadEnd>();
}

// A whole download: the image, then two empty change logs.
void serve_all(MetadataDownload& download, ScriptedMaster& master, const std::string& image) {
  download.start(master.sender());
  EXPECT_EQ(master.take<mlmsg::DownloadStart>().filenum, 1);
  serve(download, master, image);
  EXPECT_EQ(master.take<mlmsg::DownloadStart>().filenum, 11);
  serve(download, master, "");
  EXPECT_EQ(master.take<mlmsg::DownloadStart>().filenum, 12);
  serve(download, master, "");
  EXPECT_TRUE(master.sent.empty());
  EXPECT_FALSE(download.active());
}

TEST(MetadataCheck, Verdicts) {
  TestDir dir("metadata_check");
  dir.write("good", image_2_0(14, 0x6B1617ADDEEC730A, 100));
  MetadataCheck good = check_metadata_file(dir.file("good"));
  EXPECT_EQ(good.verdict, Verdict::kValid);
  EXPECT_EQ(good.metaversion, 14u);
  EXPECT_EQ(good.metaid, 0x6B1617ADDEEC730Au);

  std::string truncated = image_2_0(14, 1, 100);
  dir.write("truncated", truncated.substr(0, truncated.size() - 1));
  MetadataCheck cut = check_metadata_file(dir.file("truncated"));
  EXPECT_EQ(cut.verdict, Verdict::kTruncated);
  EXPECT_EQ(cut.metaversion, 14u);  // the header was read before the end

  dir.write("new", "MFSM NEW");
  EXPECT_EQ(check_metadata_file(dir.file("new")).verdict, Verdict::kNewFileSystem);
  dir.write("bad", "XFSM 2.0" + std::string(40, '\0'));
  EXPECT_EQ(check_metadata_file(dir.file("bad")).verdict, Verdict::kBadFormat);
  dir.write("bad_digit", "MFSM 0.5" + std::string(40, '\0'));
  EXPECT_EQ(check_metadata_file(dir.file("bad_digit")).verdict, Verdict::kBadFormat);
  dir.write("short", "MFSM");
  EXPECT_EQ(check_metadata_file(dir.file("short")).verdict, Verdict::kUnreadable);
  dir.write("short_header", "MFSM 2.0" + std::string(10, '\0'));
  EXPECT_EQ(check_metadata_file(dir.file("short_header")).verdict, Verdict::kUnreadable);
  EXPECT_EQ(check_metadata_file(dir.file("missing")).verdict, Verdict::kUnreadable);
  // Before 1.7 images end with 16 zero bytes; from 1.7 on with the marker.
  dir.write("old", "MFSM 1.5" + std::string(30, '\0'));
  EXPECT_EQ(check_metadata_file(dir.file("old")).verdict, Verdict::kValid);
  EXPECT_FALSE(check_metadata_file(dir.file("old")).metaversion);
  dir.write("v17", "MFSM 1.7" + std::string(10, 'y') + "[MFS EOF MARKER]");
  EXPECT_EQ(check_metadata_file(dir.file("v17")).verdict, Verdict::kValid);
  dir.write("v17_zeros", "MFSM 1.7" + std::string(30, '\0'));
  EXPECT_EQ(check_metadata_file(dir.file("v17_zeros")).verdict, Verdict::kTruncated);
}

TEST(MetadataDownload, MetadataThenBothChangelogsInBlocksOfAMillionBytes) {
  TestDir dir("metadata_download_full");
  MetadataDownload download(dir.str(), 2);
  ScriptedMaster master;
  std::string image = image_2_0(5, 7, 2500000 - 40);
  download.start(master.sender());
  EXPECT_TRUE(download.active());
  EXPECT_EQ(master.take<mlmsg::DownloadStart>().filenum, 1);
  ASSERT_TRUE(download.on_info(mlmsg::DownloadInfo{image.size()}, master.sender()));
  for (uint64_t offset : {0u, 1000000u, 2000000u}) {
    auto request = master.take<mlmsg::DownloadRequest>();
    EXPECT_EQ(request.offset, offset);
    EXPECT_EQ(request.length, offset == 2000000 ? 500000u : 1000000u);
    ASSERT_TRUE(download.on_data(block(image, request.offset, request.length), master.sender()));
  }
  master.take<mlmsg::DownloadEnd>();
  EXPECT_EQ(master.take<mlmsg::DownloadStart>().filenum, 11);
  serve(download, master, "1: 1|SETMETAID(5)\n");
  EXPECT_EQ(master.take<mlmsg::DownloadStart>().filenum, 12);
  serve(download, master, "");  // an empty file: no block is asked for
  EXPECT_TRUE(master.sent.empty());
  EXPECT_FALSE(download.active());
  EXPECT_EQ(dir.files(), (Files{"metadata_ml.mfs.back", "changelog_ml_back.0.mfs", "changelog_ml_back.1.mfs"}));
  EXPECT_EQ(dir.read("metadata_ml.mfs.back"), image);
  EXPECT_EQ(dir.read("changelog_ml_back.0.mfs"), "1: 1|SETMETAID(5)\n");
  EXPECT_EQ(dir.read("changelog_ml_back.1.mfs"), "");
}

TEST(MetadataDownload, KeepsPreviousImages) {
  TestDir dir("metadata_download_keep");
  MetadataDownload download(dir.str(), 2);
  ScriptedMaster master;
  for (uint64_t version = 1; version <= 4; ++version) serve_all(download, master, image_2_0(version, 1, 10));
  EXPECT_EQ(dir.files(), (Files{"metadata_ml.mfs.back", "metadata_ml.mfs.back.1", "metadata_ml.mfs.back.2",
                                "changelog_ml_back.0.mfs", "changelog_ml_back.1.mfs"}));
  EXPECT_EQ(check_metadata_file(dir.file("metadata_ml.mfs.back")).metaversion, 4u);
  EXPECT_EQ(check_metadata_file(dir.file("metadata_ml.mfs.back.1")).metaversion, 3u);
  EXPECT_EQ(check_metadata_file(dir.file("metadata_ml.mfs.back.2")).metaversion, 2u);
}

TEST(MetadataDownload, InvalidImagesStayInTheTemporaryFile) {
  TestDir dir("metadata_download_invalid");
  dir.write("metadata_ml.mfs.back", image_2_0(1, 1, 10));
  MetadataDownload download(dir.str(), 3);
  ScriptedMaster master;
  std::string truncated = image_2_0(2, 1, 10);
  for (const std::string& image : {std::string("MFSM NEW"), truncated.substr(0, truncated.size() - 3)}) {
    serve_all(download, master, image);  // the change logs follow anyway
    EXPECT_EQ(dir.files(), (Files{"metadata_ml.mfs.back", "metadata_ml.tmp", "changelog_ml_back.0.mfs",
                                  "changelog_ml_back.1.mfs"}));
    EXPECT_EQ(dir.read("metadata_ml.tmp"), image);
    EXPECT_EQ(check_metadata_file(dir.file("metadata_ml.mfs.back")).metaversion, 1u);
  }
}

TEST(MetadataDownload, CrcErrorsAskAgainFiveTimesThenGiveUp) {
  TestDir dir("metadata_download_crc");
  MetadataDownload download(dir.str(), 3);
  ScriptedMaster master;
  std::string image = image_2_0(1, 1, 10);
  download.start(master.sender());
  master.take<mlmsg::DownloadStart>();
  ASSERT_TRUE(download.on_info(mlmsg::DownloadInfo{image.size()}, master.sender()));
  for (int attempt = 0; attempt < 6; ++attempt) {
    auto request = master.take<mlmsg::DownloadRequest>();
    EXPECT_EQ(request.offset, 0u);
    mlmsg::DownloadData data = block(image, 0, request.length);
    data.crc ^= 1;
    ASSERT_TRUE(download.on_data(data, master.sender()));
  }
  master.take<mlmsg::DownloadEnd>();
  EXPECT_TRUE(master.sent.empty());  // no change log after a failed metadata download
  EXPECT_FALSE(download.active());
  EXPECT_EQ(dir.files(), Files{"metadata_ml.tmp"});
}

TEST(MetadataDownload, CrcErrorThenGoodBlock) {
  TestDir dir("metadata_download_crc_retry");
  MetadataDownload download(dir.str(), 3);
  ScriptedMaster master;
  std::string image = image_2_0(9, 1, 10);
  download.start(master.sender());
  master.take<mlmsg::DownloadStart>();
  ASSERT_TRUE(download.on_info(mlmsg::DownloadInfo{image.size()}, master.sender()));
  mlmsg::DownloadData bad = block(image, 0, static_cast<uint32_t>(image.size()));
  bad.data[3] ^= 0x40;
  master.take<mlmsg::DownloadRequest>();
  ASSERT_TRUE(download.on_data(bad, master.sender()));
  auto again = master.take<mlmsg::DownloadRequest>();
  ASSERT_TRUE(download.on_data(block(image, again.offset, again.length), master.sender()));
  master.take<mlmsg::DownloadEnd>();
  EXPECT_EQ(dir.read("metadata_ml.mfs.back"), image);
}

TEST(MetadataDownload, AnswersThatDoNotFitCloseTheConnection) {
  TestDir dir("metadata_download_mismatch");
  ScriptedMaster master;
  std::string image = image_2_0(1, 1, 10);
  {
    MetadataDownload download(dir.str(), 3);
    EXPECT_FALSE(download.on_info(mlmsg::DownloadInfo{10}, master.sender()));  // nothing asked
    EXPECT_FALSE(download.on_data(block(image, 0, 5), master.sender()));
    download.start(master.sender());
    EXPECT_FALSE(download.on_data(block(image, 0, 5), master.sender()));  // before the size
    ASSERT_TRUE(download.on_info(mlmsg::DownloadInfo{image.size()}, master.sender()));
    EXPECT_FALSE(download.on_info(mlmsg::DownloadInfo{image.size()}, master.sender()));  // twice
    EXPECT_FALSE(download.on_data(block(image, 1, 5), master.sender()));                 // wrong offset
    std::string longer = image + "xx";
    EXPECT_FALSE(download.on_data(block(longer, 0, static_cast<uint32_t>(longer.size())), master.sender()));
    EXPECT_TRUE(download.on_data(block(image, 0, 8), master.sender()));  // shorter is fine
    EXPECT_FALSE(download.on_data(block(image, 0, 8), master.sender()));  // then 8 is next
  }
  MetadataDownload download(dir.str(), 3);
  download.start(master.sender());
  master.sent.clear();
  EXPECT_TRUE(download.on_info(mlmsg::DownloadInfo{}, master.sender()));  // the master's error answer
  EXPECT_FALSE(download.active());
  EXPECT_TRUE(master.sent.empty());
}

TEST(MetadataDownload, ConnectionLostDuringAChangelogStopsChangelogDownloads) {
  TestDir dir("metadata_download_abort");
  MetadataDownload download(dir.str(), 3);
  ScriptedMaster master;
  std::string image = image_2_0(1, 1, 10);
  download.start(master.sender());
  master.take<mlmsg::DownloadStart>();
  serve(download, master, image);
  EXPECT_EQ(master.take<mlmsg::DownloadStart>().filenum, 11);
  ASSERT_TRUE(download.on_info(mlmsg::DownloadInfo{100}, master.sender()));
  EXPECT_TRUE(dir.files().contains("changelog_ml.tmp"));
  download.abort();
  EXPECT_FALSE(download.active());
  EXPECT_EQ(dir.files(), Files{"metadata_ml.mfs.back"});
  master.sent.clear();
  download.start(master.sender());
  master.take<mlmsg::DownloadStart>();
  serve(download, master, image);
  EXPECT_TRUE(master.sent.empty());
  EXPECT_FALSE(download.active());
}

TEST(MetadataDownload, ConnectionLostDuringTheMetadataDeletesIt) {
  TestDir dir("metadata_download_abort_meta");
  MetadataDownload download(dir.str(), 3);
  ScriptedMaster master;
  download.start(master.sender());
  ASSERT_TRUE(download.on_info(mlmsg::DownloadInfo{100}, master.sender()));
  download.abort();
  EXPECT_TRUE(dir.files().empty());
  master.sent.clear();
  download.start(master.sender());
  master.take<mlmsg::DownloadStart>();
  serve(download, master, image_2_0(1, 1, 10));
  EXPECT_EQ(master.take<mlmsg::DownloadStart>().filenum, 11);  // still asks for change logs
}

}  // namespace
}  // namespace mfs::ml
