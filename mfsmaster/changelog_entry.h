// One line of a MooseFS changelog (spec 30 §4.2):
//   <id>: <ts>|OPNAME(arg,arg,...)[:result,result,...]\n
// Arguments and results are held unescaped (any bytes); the codec escapes them on the way
// out and unescapes them on the way in.
#pragma once
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mfscommon/status.h"

namespace mfs::master {

// Longest line content (without its '\n') that a reader accepts; MooseFS writers never
// produce more (spec 30 §4.2), and the state code's limits (names ≤ 255 bytes, xattr values
// ≤ 64 KiB, escaped at most 3×) keep our lines below it.
inline constexpr size_t kMaxChangelogLineLength = 200000;

// Integers written as decimal arguments; char and bool are excluded because MooseFS writes
// single-letter arguments (FLOCK's R/W/U) as text.
template <typename T>
concept ChangelogNumber = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char>;

struct ChangelogEntry {
  uint64_t id = 0;
  uint32_t timestamp = 0;
  std::string operation;
  std::vector<std::string> args;
  std::vector<std::string> results;

  // Builder: ChangelogEntry::make("CREATE", now).arg(parent).arg(name)....result(inode).
  static ChangelogEntry make(std::string operation, uint32_t timestamp = 0);

  template <ChangelogNumber T>
  ChangelogEntry& arg(T value) & {
    args.push_back(std::to_string(value));
    return *this;
  }
  template <ChangelogNumber T>
  ChangelogEntry&& arg(T value) && {
    return std::move(arg(value));
  }
  ChangelogEntry& arg(std::string_view value) & {
    args.emplace_back(value);
    return *this;
  }
  ChangelogEntry&& arg(std::string_view value) && { return std::move(arg(value)); }

  template <ChangelogNumber T>
  ChangelogEntry& result(T value) & {
    results.push_back(std::to_string(value));
    return *this;
  }
  template <ChangelogNumber T>
  ChangelogEntry&& result(T value) && {
    return std::move(result(value));
  }

  bool operator==(const ChangelogEntry&) const = default;
};

// The line with its trailing '\n'. SNAPSHOT's gid list argument (index 6), when it has the
// form "[g1,g2,...]", is written verbatim as MooseFS 3.0.117 does; every other argument and
// result is escaped. An empty argument list is written "()", so a lone empty-string
// argument cannot be told from no argument (no MooseFS operation has one).
std::string format_changelog_line(const ChangelogEntry& entry);

// Parses one line, with or without its trailing '\n'. Never reads outside `line`; any
// deviation from the grammar (bad number, bad %XX escape, stray parenthesis, over-long
// line, ...) is an error with a message saying what is wrong.
Result<ChangelogEntry> parse_changelog_line(std::string_view line);

}  // namespace mfs::master
