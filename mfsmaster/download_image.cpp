#include "mfsmaster/download_image.h"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <utility>

#include "mfsmaster/metadata_image_writer.h"

namespace mfs::master {

DownloadImage::DownloadImage(const Checkpoint& checkpoint, const ImageExtras& extras, std::string data_path,
                             boost::asio::any_io_executor metadata_thread)
    : checkpoint_(checkpoint),
      extras_(extras),
      path_(std::move(data_path) + "/download_image.mfs"),
      metadata_thread_(std::move(metadata_thread)) {}

DownloadImage::~DownloadImage() {
  if (maker_.joinable()) maker_.join();
}

void DownloadImage::request(Ready ready) {
  waiting_->push_back(std::move(ready));
  if (waiting_->size() > 1) return;  // joins the image being made
  if (maker_.joinable()) maker_.join();  // the last one's thread, done
  maker_ = std::thread([this, waiting = waiting_] {
    Result<DownloadSource> image = make();
    boost::asio::post(metadata_thread_, [waiting, image = std::move(image)] {
      for (Ready& ready : std::exchange(*waiting, {})) ready(image);
    });
  });
}

Result<DownloadSource> DownloadImage::make() const {
  Metadata copy;
  if (Status read = checkpoint_.read_state(copy); !read) return read;
  if (Status stored = write_metadata_image(path_, copy, &extras_); !stored) return stored;
  std::optional<DownloadSource> image = DownloadSource::whole_file(path_);
  ::unlink(path_.c_str());
  if (!image) return Status(StatusCode::kIO, "cannot open " + path_);
  return std::move(*image);
}

}  // namespace mfs::master
