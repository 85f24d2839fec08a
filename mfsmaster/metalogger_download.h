// A file served to a metalogger (spec 40 §A.5): the metadata image made when its download
// started (download_image.h), or one of the changelogs as they were then.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mfs::master {

class DownloadSource {
 public:
  static DownloadSource from_bytes(std::vector<uint8_t> bytes);
  // The whole file at `path`, opened now; nullopt if it cannot be opened.
  static std::optional<DownloadSource> whole_file(const std::string& path);
  // changelog.N.mfs, opened now and cut after its last whole line: a running master's
  // changelog.0.mfs ends in zeros that its next lines overwrite. nullopt if there is none.
  static std::optional<DownloadSource> changelog(const std::string& path);

  uint64_t size() const { return size_; }
  // The `length` bytes at `offset`; nullopt unless all of them are within the size and
  // could be read.
  std::optional<std::vector<uint8_t>> read(uint64_t offset, uint32_t length) const;

 private:
  struct OpenFile;
  std::vector<uint8_t> bytes_;
  std::shared_ptr<OpenFile> file_;
  uint64_t size_ = 0;
};

}  // namespace mfs::master
