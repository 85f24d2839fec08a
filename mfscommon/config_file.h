// MooseFS daemon configuration files (spec 40 C.1): `NAME = VALUE` lines, `#` comment
// lines, later definitions win, numbers parsed like C strtol with base 0.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/status.h"

namespace mfs {

class ConfigFile {
 public:
  ConfigFile() = default;
  // Parses text; lines that are not definitions but hold something are reported in
  // `warnings` ("bad definition in config file").
  static ConfigFile parse(std::string_view text, std::vector<std::string>* warnings = nullptr);
  static Result<ConfigFile> load(const std::string& path, std::vector<std::string>* warnings = nullptr);

  // The raw text of an option as stored (what ANTOAN_GET_CONFIG returns).
  std::optional<std::string> raw(std::string_view name) const;
  std::string get_string(std::string_view name, std::string_view fallback) const;
  // Base-0 strtoll/strtoull semantics: "0x" hex, leading "0" octal, trailing garbage ignored.
  uint64_t get_uint(std::string_view name, uint64_t fallback) const;
  int64_t get_int(std::string_view name, int64_t fallback) const;
  double get_double(std::string_view name, double fallback) const;
  // Numeric option clamped to [min, max].
  uint64_t get_uint_clamped(std::string_view name, uint64_t fallback, uint64_t min, uint64_t max) const;

  void set(std::string name, std::string value) { values_[std::move(name)] = std::move(value); }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace mfs
