// mfshdd.cfg (spec 30 §5.1, spec 40 §C.7) and the size syntax of its limits and of
// HDD_LEAVE_SPACE_DEFAULT.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/status.h"

namespace mfs::cs {

// One disk line: `[*<>~]PATH [SIZE|-SIZE]`.
struct DiskConfig {
  std::string path;                // with a trailing '/', the disk's identity
  bool marked_for_removal = false; // '*': its chunks are to be replicated elsewhere
  std::optional<uint64_t> leave_free;  // -SIZE: overrides HDD_LEAVE_SPACE_DEFAULT
  std::optional<uint64_t> size_limit;  // SIZE: use at most this much of the disk
  bool move_out = false;              // '<': local rebalancing moves its chunks to other disks
  bool move_in = false;               // '>': local rebalancing moves other disks' chunks here
  bool tolerate_size_change = false;  // '~': a change of the file system's size is not damage
  bool operator==(const DiskConfig&) const = default;
};

// `[0-9]*(.[0-9]*)?([kMGTPE]|[KMGTPE]i)?B?`: decimal suffixes are powers of 1000, the
// `i` ones powers of 1024. nullopt when the text does not match.
std::optional<uint64_t> parse_size(std::string_view text);

// The disk lines of mfshdd.cfg text; a line whose size does not parse goes to `warnings`
// and is used without a limit.
std::vector<DiskConfig> parse_hdd_config(std::string_view text, std::vector<std::string>* warnings);

}  // namespace mfs::cs
