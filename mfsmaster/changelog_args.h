// Reads the arguments and results of a changelog entry in order, like PacketReader:
// a missing or malformed field fails the reader for good, so an apply handler reads
// every field and checks ok() once.
#pragma once
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmaster/changelog_entry.h"

namespace mfs::master {

class ChangelogArgs {
 public:
  explicit ChangelogArgs(const ChangelogEntry& entry) : entry_(entry) {}

  template <typename T>
  T number() {
    return parse_number<T>(next(entry_.args, arg_index_));
  }
  std::string_view text() { return next(entry_.args, arg_index_); }
  template <typename T>
  T result() {
    return parse_number<T>(next(entry_.results, result_index_));
  }
  bool has_more_args() const { return arg_index_ < entry_.args.size(); }

  bool ok() const { return !failed_; }
  Status status() const {
    return failed_ ? Status(StatusCode::kMismatch, "malformed arguments in " + entry_.operation) : Status::ok();
  }

 private:
  std::string_view next(const std::vector<std::string>& fields, size_t& index) {
    if (index >= fields.size()) {
      failed_ = true;
      return {};
    }
    return fields[index++];
  }

  template <typename T>
  T parse_number(std::string_view text) {
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
        value > std::numeric_limits<T>::max()) {
      failed_ = true;
      return 0;
    }
    return static_cast<T>(value);
  }

  const ChangelogEntry& entry_;
  size_t arg_index_ = 0;
  size_t result_index_ = 0;
  bool failed_ = false;
};

}  // namespace mfs::master
