// The attribute record sent to clients (spec 10 §5): 36 bytes for clients >= 3.0.93,
// 35 (no winattr) for older ones.
#pragma once
#include <cstddef>
#include <cstdint>

#include "mfscommon/packet.h"
#include "mfscommon/version.h"
#include "mfsmaster/credentials.h"
#include "mfsmaster/fs_node.h"

namespace mfs::master {

namespace attrflag {
inline constexpr uint8_t kNoAttrCache = 0x01;
inline constexpr uint8_t kNoEntryCache = 0x02;
inline constexpr uint8_t kAllowDataCache = 0x04;
inline constexpr uint8_t kNoXattr = 0x08;
inline constexpr uint8_t kDirectMode = 0x10;
inline constexpr uint8_t kUndeletable = 0x20;
}  // namespace attrflag

inline constexpr uint32_t kVersionWithWinattr = pack_version(3, 0, 93);

struct AttrPresentation {
  const Credentials& caller;
  bool parent_no_entry_cache = false;  // the directory the node was reached through has NOECACHE
  bool with_winattr = true;            // 36-byte record
  bool allow_data_cache = true;        // cleared when the master withholds KEEPCACHE
};

inline size_t attr_record_size(bool with_winattr) { return with_winattr ? 36 : 35; }

void put_attr(PacketWriter& out, const Node& node, const AttrPresentation& presentation);

// The u64 shown as a directory's size: its subtree's total length, encoded (spec 10 §5).
uint64_t encode_directory_size(uint64_t total_length);

}  // namespace mfs::master
