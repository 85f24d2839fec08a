// DownloadImage: the metaloggers' image is read from the checkpoint on a thread of its own
// and handed over on the metadata thread; downloads asked for together share one image,
// whose file is gone once open; no checkpoint, no image, with the reason.
#include "mfsmaster/download_image.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "mfsmaster/tests/protocol_master.h"

namespace mfs::master {
namespace {

class DownloadImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(master.start());
    auto opened = Checkpoint::open(master.data_path + "/metadata.ng");
    ASSERT_TRUE(opened) << opened.status().to_string();
    checkpoint = std::move(*opened);
  }

  // Runs the metadata thread's handlers until `count` images came back.
  void run_until(size_t count) {
    auto work = boost::asio::make_work_guard(io);
    for (int i = 0; i < 2000 && got.size() < count; ++i) {
      io.restart();
      io.run_for(std::chrono::milliseconds(5));
    }
  }

  DownloadImage::Ready keep() {
    return [this](Result<DownloadSource> image) { got.push_back(std::move(image)); };
  }

  testing::ProtocolMaster master;
  std::unique_ptr<Checkpoint> checkpoint;
  ImageExtras extras;
  boost::asio::io_context io;
  std::vector<Result<DownloadSource>> got;
};

TEST_F(DownloadImageTest, DownloadsAskedForTogetherShareOneImageOfTheCheckpoint) {
  checkpoint->flush(master.metadata, true);
  ASSERT_TRUE(checkpoint->wait_idle());
  const uint64_t version = master.metadata.version();
  ASSERT_TRUE(master.mutations->commit({ChangelogEntry::make("NEXTCHUNKID", master.now).arg(uint64_t{1000})}));
  ASSERT_TRUE(master.run_until_durable());  // a change the checkpoint does not have yet
  {
    DownloadImage images(*checkpoint, extras, master.data_path, io.get_executor());
    images.request(keep());
    images.request(keep());
    EXPECT_TRUE(got.empty()) << "handed over on the metadata thread only";
    run_until(2);
  }
  ASSERT_EQ(got.size(), 2u);
  ASSERT_TRUE(got[0]) << got[0].status().to_string();
  ASSERT_TRUE(got[1]);
  EXPECT_EQ(got[0]->size(), got[1]->size());
  EXPECT_FALSE(std::filesystem::exists(master.data_path + "/download_image.mfs")) << "unlinked once open";
  auto bytes = got[0]->read(0, static_cast<uint32_t>(got[0]->size()));
  ASSERT_TRUE(bytes);
  Metadata loaded;
  ASSERT_TRUE(load_metadata_image_bytes(*bytes, loaded, nullptr, master.now, nullptr));
  EXPECT_EQ(loaded.version(), version) << "the checkpoint's version";
  EXPECT_EQ(loaded.meta_id(), master.metadata.meta_id());
}

TEST_F(DownloadImageTest, NoCheckpointNoImage) {
  DownloadImage images(*checkpoint, extras, master.data_path, io.get_executor());
  images.request(keep());
  run_until(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0]);
  EXPECT_NE(got[0].status().to_string().find("no checkpoint"), std::string::npos) << got[0].status().to_string();
  images.request(keep());  // a second request makes a new image
  run_until(2);
  EXPECT_EQ(got.size(), 2u);
}

}  // namespace
}  // namespace mfs::master
