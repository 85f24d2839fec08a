// Downloads of the master's metadata file and its two newest change logs (spec 40 §A.5,
// §A.6.3-6): DOWNLOAD_START, then 1,000,000-byte blocks each written, CRC-checked and
// fsynced into a temporary file, then DOWNLOAD_END. A metadata image that passes the
// checks becomes metadata_ml.mfs.back (older copies shift to .back.N); the change logs
// become changelog_ml_back.0.mfs and changelog_ml_back.1.mfs.
//
// The class only keeps the state and the files: the master session feeds it the
// master's answers and sends the frames it produces.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mfscommon/metalogger_messages.h"
#include "mfscommon/status.h"

namespace mfs::ml {

inline constexpr uint32_t kDownloadBlock = 1000000;
inline constexpr uint32_t kBlockRetries = 5;

// What a downloaded metadata image is worth keeping.
struct MetadataCheck {
  enum class Verdict {
    kValid,
    kNewFileSystem,  // just "MFSM NEW": nothing worth keeping, and nothing to say
    kUnreadable,     // shorter than its signature (or header)
    kBadFormat,      // not "MFSM x.y"
    kTruncated,      // no end marker
  };
  Verdict verdict = Verdict::kValid;
  // From the header of a format 2.0+ image.
  std::optional<uint64_t> metaversion;
  std::optional<uint64_t> metaid;
};
MetadataCheck check_metadata_file(const std::string& path);

class MetadataDownload {
 public:
  using Send = std::function<void(std::vector<uint8_t>)>;

  // `dir` is DATA_PATH ("." once the daemon runs there).
  MetadataDownload(std::string dir, uint32_t keep_previous);
  ~MetadataDownload();
  MetadataDownload(const MetadataDownload&) = delete;
  MetadataDownload& operator=(const MetadataDownload&) = delete;

  void set_keep_previous(uint32_t keep_previous) { keep_previous_ = keep_previous; }
  bool active() const { return filenum_ != 0; }
  // Asks for the metadata file; the change logs follow it.
  void start(const Send& send);
  // An error (the reason) when the master's answer does not fit the download: the
  // connection must close.
  Status on_info(const mlmsg::DownloadInfo& info, const Send& send);
  Status on_data(const mlmsg::DownloadData& data, const Send& send);
  // The connection ended: a partial file is deleted.
  void abort();

 private:
  void request(uint8_t filenum, const Send& send);
  void request_block(const Send& send);
  // Stores the block; false when it must be asked for again.
  bool store_block(const mlmsg::DownloadData& data);
  void finish(const Send& send);
  void close_file();
  std::string path(const char* name) const;

  std::string dir_;
  uint32_t keep_previous_;
  uint8_t filenum_ = 0;  // the file being downloaded, 0 = none
  int fd_ = -1;          // its temporary file, once the master said its size
  uint64_t size_ = 0;
  uint64_t offset_ = 0;  // of the next block
  uint32_t retries_ = 0;
  std::chrono::steady_clock::time_point started_;
  // The master dropped the connection while sending a change log: it is taken for a
  // master older than 1.6.18, which has none to send, and they are not asked for again.
  bool no_changelogs_ = false;
};

}  // namespace mfs::ml
