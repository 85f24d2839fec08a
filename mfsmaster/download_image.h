// The metadata image metaloggers download (spec 40 §A.5), made on demand as DESIGN §3 says,
// off the metadata thread: a thread of its own reads the LevelDB checkpoint (one snapshot:
// the state at its last written version, seconds behind at most) into a second copy of the
// metadata, stores it as data_path/download_image.mfs, opens it and unlinks it; the open
// file is what is served, and it goes with the last download of it. Serializing on the
// metadata thread stopped the master for about 0.85 s per million files; this costs as
// much memory as the state for as long as it takes. Downloads asked for while an image is
// made share it. Its version may be older than the changelogs the downloads took, never
// newer than their end or the metalogger's stream, so no change is missed.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmaster/checkpoint.h"
#include "mfsmaster/metadata_image_reader.h"
#include "mfsmaster/metalogger_download.h"

namespace mfs::master {

class DownloadImage {
 public:
  using Ready = std::function<void(Result<DownloadSource>)>;

  // `metadata_thread` runs the callbacks; `extras` must not change while the master runs.
  DownloadImage(const Checkpoint& checkpoint, const ImageExtras& extras, std::string data_path,
                boost::asio::any_io_executor metadata_thread);
  ~DownloadImage();  // waits for an image being made
  DownloadImage(const DownloadImage&) = delete;
  DownloadImage& operator=(const DownloadImage&) = delete;

  // `ready` gets the image once it is stored, or the reason there is none.
  void request(Ready ready);

 private:
  Result<DownloadSource> make() const;

  const Checkpoint& checkpoint_;
  const ImageExtras& extras_;
  const std::string path_;  // not "metadata*": `mfsmaster -a` must not take it for a backup
  boost::asio::any_io_executor metadata_thread_;
  // Shared with the handler the maker posts, which may run after this object is gone.
  std::shared_ptr<std::vector<Ready>> waiting_ = std::make_shared<std::vector<Ready>>();
  std::thread maker_;
};

}  // namespace mfs::master
