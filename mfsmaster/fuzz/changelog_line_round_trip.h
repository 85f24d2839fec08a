// The property the changelog line fuzzers check, shared by the libFuzzer target and the
// deterministic GoogleTest run: parsing never crashes, and whatever parses formats to a
// line that parses back to the same entry.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "mfsmaster/changelog_entry.h"

namespace mfs::master {

// nullopt when the property holds for `input`, else what went wrong.
inline std::optional<std::string> changelog_line_round_trip_violation(std::string_view input) {
  auto parsed = parse_changelog_line(input);
  if (!parsed) {
    if (parsed.status().is_ok()) return "parse failed without an error status";
    return std::nullopt;
  }
  std::string formatted = format_changelog_line(*parsed);
  auto reparsed = parse_changelog_line(formatted);
  if (!reparsed) return "formatted line doesn't parse: " + reparsed.status().to_string() + " | " + formatted;
  if (!(*reparsed == *parsed)) return "formatted line parses to another entry: " + formatted;
  if (format_changelog_line(*reparsed) != formatted) return "formatting is not stable: " + formatted;
  return std::nullopt;
}

}  // namespace mfs::master
