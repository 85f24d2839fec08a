// libFuzzer target for parse_changelog_line: input is one candidate changelog line.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "mfsmaster/fuzz/changelog_line_round_trip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto violation = mfs::master::changelog_line_round_trip_violation(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (violation) {
    std::fprintf(stderr, "%s\n", violation->c_str());
    std::abort();
  }
  return 0;
}
