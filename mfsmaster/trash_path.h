// The path a trash file keeps of where it was (spec 11 §8): how it is listed by the meta
// mount, what SETTRASHPATH accepts, and how UNDEL splits it into the directories to walk
// (or create) and the final name.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mfs::master {

inline constexpr size_t kMaxTrashPathLength = 1024;

// GETTRASH / GETSUSTAINED entry name: '/' shown as '|', a path over 240 bytes as "(...)"
// and its last 235 bytes.
std::string trash_listing_name(std::string_view path);

// SETTRASHPATH: trailing NULs dropped; empty, over 1024 bytes or holding a NUL is invalid.
std::optional<std::string_view> accepted_trash_path(std::string_view sent);

// UNDEL: the components of a stored path (a leading '/' ignored), or nothing when one is
// empty, "." or "..", over 255 bytes or holds a NUL (the master answers CANTCREATEPATH).
std::optional<std::vector<std::string_view>> undelete_components(std::string_view path);

}  // namespace mfs::master
