// The meta mount's messages (spec 10 §12): listings of the trash and of the sustained
// files, a detached file's attributes, its stored path, and undelete / purge. Requests are
// frames with msgid 0 (MasterConnection fills it in); decoders take the reply body after
// the msgid and treat it as hostile (master_messages.h).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mfsmount/master_messages.h"

namespace mfs::mount {

// A trash or sustained file as GETTRASH / GETSUSTAINED list it: its stored path with `/`
// replaced by `|` (possibly shortened by the master to "(...)" and the end of the path).
struct DetachedEntry {
  std::string name;
  uint32_t inode = 0;
};

// Which detached files GETDETACHEDATTR may answer for.
inline constexpr uint8_t kDetachedAny = 0, kDetachedTrash = 1, kDetachedSustained = 2;

// `bucket` (0..4095) lists one trash bucket (inode % 4096), nullopt the whole trash.
Frame trash_list_request(std::optional<uint32_t> bucket);
Frame sustained_list_request();
Frame detached_attr_request(uint32_t inode, uint8_t dtype);
Frame trash_path_request(uint32_t inode);
Frame set_trash_path_request(uint32_t inode, std::string_view path);
Frame undelete_request(uint32_t inode);
Frame purge_request(uint32_t inode);

Result<std::vector<DetachedEntry>> decode_detached_list(Body body);  // GETTRASH, GETSUSTAINED
Result<std::string> decode_trash_path(Body body);                     // without the terminating NUL

}  // namespace mfs::mount
