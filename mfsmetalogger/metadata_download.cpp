#include "mfsmetalogger/metadata_download.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "mfscommon/crc32.h"
#include "mfscommon/log.h"
#include "mfscommon/packet.h"

namespace mfs::ml {

namespace {

constexpr const char* kMetadataTemp = "metadata_ml.tmp";
constexpr const char* kChangelogTemp = "changelog_ml.tmp";
constexpr const char* kMetadataBack = "metadata_ml.mfs.back";
constexpr size_t kSignatureSize = 8;
constexpr size_t kHeaderSize = 24;  // signature, metaversion:u64, metaid:u64 (format 2.0+)
constexpr size_t kMarkerSize = 16;
constexpr std::string_view kEndMarker = "[MFS EOF MARKER]";

bool read_at(int fd, uint8_t* into, size_t size, off_t offset) {
  return pread(fd, into, size, offset) == static_cast<ssize_t>(size);
}

const char* temp_name(uint8_t filenum) {
  return filenum == mlmsg::kDownloadMetadata ? kMetadataTemp : kChangelogTemp;
}

const char* description(uint8_t filenum) {
  switch (filenum) {
    case mlmsg::kDownloadMetadata: return "metadata";
    case mlmsg::kDownloadChangelog0: return "changelog_0";
    default: return "changelog_1";
  }
}

}  // namespace

MetadataCheck check_metadata_file(const std::string& path) {
  using Verdict = MetadataCheck::Verdict;
  MetadataCheck check;
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    check.verdict = Verdict::kUnreadable;
    return check;
  }
  std::array<uint8_t, kHeaderSize> header{};
  off_t size = lseek(fd, 0, SEEK_END);
  auto verdict = [&]() -> Verdict {
    if (!read_at(fd, header.data(), kSignatureSize, 0)) return Verdict::kUnreadable;
    std::string_view signature(reinterpret_cast<const char*>(header.data()), kSignatureSize);
    if (signature == "MFSM NEW") return Verdict::kNewFileSystem;
    if (signature.substr(0, 5) != "MFSM " || signature[5] < '1' || signature[5] > '9' || signature[6] != '.' ||
        signature[7] < '0' || signature[7] > '9') {
      return Verdict::kBadFormat;
    }
    unsigned format = static_cast<unsigned>(signature[5] - '0') << 4 | static_cast<unsigned>(signature[7] - '0');
    if (format >= 0x20) {
      if (!read_at(fd, header.data() + kSignatureSize, kHeaderSize - kSignatureSize, kSignatureSize)) {
        return Verdict::kUnreadable;
      }
      PacketReader in(std::span<const uint8_t>(header).subspan(kSignatureSize));
      check.metaversion = in.u64();
      check.metaid = in.u64();
    }
    // Formats before 1.7 end with zeros instead of the marker.
    std::array<uint8_t, kMarkerSize> expected{};
    if (format >= 0x17) std::memcpy(expected.data(), kEndMarker.data(), kMarkerSize);
    std::array<uint8_t, kMarkerSize> marker{};
    if (size < static_cast<off_t>(kHeaderSize) || !read_at(fd, marker.data(), kMarkerSize, size - kMarkerSize) ||
        marker != expected) {
      return Verdict::kTruncated;
    }
    return Verdict::kValid;
  }();
  ::close(fd);
  check.verdict = verdict;
  return check;
}

MetadataDownload::MetadataDownload(std::string dir, uint32_t keep_previous)
    : dir_(std::move(dir)), keep_previous_(keep_previous) {}

MetadataDownload::~MetadataDownload() { close_file(); }

std::string MetadataDownload::path(const char* name) const { return dir_ + "/" + name; }

void MetadataDownload::start(const Send& send) { request(mlmsg::kDownloadMetadata, send); }

void MetadataDownload::request(uint8_t filenum, const Send& send) {
  filenum_ = filenum;
  send(mlmsg::encode(mlmsg::DownloadStart{filenum}));
}

Status MetadataDownload::on_info(const mlmsg::DownloadInfo& info, const Send& send) {
  if (filenum_ == 0 || fd_ >= 0) return Status(StatusCode::kEINVAL, "unexpected MATOAN_DOWNLOAD_INFO");
  if (!info.size) {
    MFS_LOG_NOTICE("download start error");
    filenum_ = 0;
    return Status::ok();
  }
  std::string temp = path(temp_name(filenum_));
  fd_ = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd_ < 0) {
    MFS_LOG_ERROR("error opening %s: %s", temp.c_str(), std::strerror(errno));
    send(mlmsg::encode(mlmsg::DownloadEnd{}));
    filenum_ = 0;
    return Status::ok();
  }
  size_ = *info.size;
  offset_ = 0;
  retries_ = 0;
  started_ = std::chrono::steady_clock::now();
  if (size_ == 0) {
    finish(send);
  } else {
    request_block(send);
  }
  return Status::ok();
}

void MetadataDownload::request_block(const Send& send) {
  auto length = static_cast<uint32_t>(std::min<uint64_t>(kDownloadBlock, size_ - offset_));
  send(mlmsg::encode(mlmsg::DownloadRequest{offset_, length}));
}

Status MetadataDownload::on_data(const mlmsg::DownloadData& data, const Send& send) {
  if (fd_ < 0) return Status(StatusCode::kEINVAL, "unexpected MATOAN_DOWNLOAD_DATA");
  if (data.offset != offset_ || data.data.size() > size_ - offset_) {
    return Status(StatusCode::kEINVAL, "MATOAN_DOWNLOAD_DATA: block at " + std::to_string(data.offset) + " of " +
                                           std::to_string(data.data.size()) + " bytes, expected offset " +
                                           std::to_string(offset_) + " of a file of " + std::to_string(size_));
  }
  if (!store_block(data)) {
    if (++retries_ > kBlockRetries) {
      MFS_LOG_ERROR("%s download failed after %u retries of the block at %" PRIu64, description(filenum_),
                    kBlockRetries, offset_);
      send(mlmsg::encode(mlmsg::DownloadEnd{}));
      close_file();
      filenum_ = 0;
    } else {
      request_block(send);
    }
    return Status::ok();
  }
  retries_ = 0;
  offset_ += data.data.size();
  if (offset_ == size_) {
    finish(send);
  } else {
    request_block(send);
  }
  return Status::ok();
}

bool MetadataDownload::store_block(const mlmsg::DownloadData& data) {
  if (crc32(data.data) != data.crc) {
    MFS_LOG_WARNING("metafile data crc error");
    return false;
  }
  auto written = pwrite(fd_, data.data.data(), data.data.size(), static_cast<off_t>(data.offset));
  if (written != static_cast<ssize_t>(data.data.size())) {
    MFS_LOG_WARNING("error writing metafile: %s", written < 0 ? std::strerror(errno) : "short write");
    return false;
  }
  if (fsync(fd_) != 0) {
    MFS_LOG_WARNING("error syncing metafile: %s", std::strerror(errno));
    return false;
  }
  return true;
}

void MetadataDownload::finish(const Send& send) {
  send(mlmsg::encode(mlmsg::DownloadEnd{}));
  close_file();
  uint8_t filenum = filenum_;
  filenum_ = 0;
  auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_);
  double seconds = static_cast<double>(elapsed.count()) / 1e6;
  MFS_LOG_NOTICE("%s downloaded %" PRIu64 "B/%" PRId64 ".%06" PRId64 "s (%.3f MB/s)", description(filenum), size_,
                 static_cast<int64_t>(elapsed.count() / 1000000), static_cast<int64_t>(elapsed.count() % 1000000),
                 seconds > 0 ? static_cast<double>(size_) / seconds / 1e6 : 0.0);

  if (filenum == mlmsg::kDownloadMetadata) {
    std::string temp = path(kMetadataTemp);
    MetadataCheck check = check_metadata_file(temp);
    if (check.metaversion) {
      MFS_LOG_NOTICE("meta data version: %" PRIu64 ", meta data id: 0x%016" PRIX64, *check.metaversion, *check.metaid);
    }
    using Verdict = MetadataCheck::Verdict;
    switch (check.verdict) {
      case Verdict::kValid: {
        std::string back = path(kMetadataBack);
        for (uint32_t i = keep_previous_; i > 1; --i) {
          std::rename((back + "." + std::to_string(i - 1)).c_str(), (back + "." + std::to_string(i)).c_str());
        }
        if (keep_previous_ > 0) std::rename(back.c_str(), (back + ".1").c_str());
        if (std::rename(temp.c_str(), back.c_str()) != 0) {
          MFS_LOG_ERROR("can't rename %s to %s: %s", temp.c_str(), back.c_str(), std::strerror(errno));
        }
        break;
      }
      // An empty master has nothing to back up yet; the file stays as it came.
      case Verdict::kNewFileSystem: break;
      case Verdict::kUnreadable: MFS_LOG_WARNING("can't read downloaded metadata"); break;
      case Verdict::kBadFormat: MFS_LOG_WARNING("bad metadata file format"); break;
      case Verdict::kTruncated: MFS_LOG_WARNING("truncated metadata file !!!"); break;
    }
    if (!no_changelogs_) request(mlmsg::kDownloadChangelog0, send);
    return;
  }
  const char* target = filenum == mlmsg::kDownloadChangelog0 ? "changelog_ml_back.0.mfs" : "changelog_ml_back.1.mfs";
  if (std::rename(path(kChangelogTemp).c_str(), path(target).c_str()) != 0) {
    MFS_LOG_ERROR("can't rename %s to %s: %s", kChangelogTemp, target, std::strerror(errno));
  }
  if (filenum == mlmsg::kDownloadChangelog0) request(mlmsg::kDownloadChangelog1, send);
}

void MetadataDownload::abort() {
  if (filenum_ == 0) return;
  if (filenum_ != mlmsg::kDownloadMetadata && !no_changelogs_) {
    no_changelogs_ = true;
    MFS_LOG_NOTICE("connection lost while downloading a change log - taking the master for one older than 1.6.18, "
                   "change logs will not be downloaded again");
  }
  close_file();
  filenum_ = 0;
  std::remove(path(kMetadataTemp).c_str());
  std::remove(path(kChangelogTemp).c_str());
}

void MetadataDownload::close_file() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
}

}  // namespace mfs::ml
