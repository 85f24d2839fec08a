// mfstopology.cfg (spec 40 §C.5): which rack path each IP address is on, and the distance
// between two addresses derived from it. The master sends clients the chunkservers of a
// chunk closest first.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/status.h"

namespace mfs::master {

class Topology {
 public:
  // Lines `ADDRESS BLANKS RACKPATH` (path elements separated by '|'); '#' starts a
  // comment, blank lines are ignored. A bad line is skipped with a warning.
  static Topology parse(std::string_view text, std::vector<std::string>* warnings);
  // The file at `path`; a missing or unreadable file is an error (the caller keeps an
  // empty topology and warns).
  static Result<Topology> load(const std::string& path, std::vector<std::string>* warnings);

  // 0 for the same address; else 1 + the number of path elements left on the longer side
  // once the common leading elements are removed (same rack: 1).
  uint32_t distance(uint32_t a, uint32_t b) const;

 private:
  struct Entry {
    uint32_t from = 0;
    uint32_t to = 0;
    std::vector<std::string> path;
  };
  // The path of the last line covering `ip` (later lines override); empty if none.
  const std::vector<std::string>& path_of(uint32_t ip) const;

  std::vector<Entry> entries_;
};

}  // namespace mfs::master
