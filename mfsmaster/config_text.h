// Text pieces shared by the master's configuration files (mfsexports.cfg, spec 40 §C.4, and
// mfstopology.cfg, §C.5): blanks, decimal numbers and IPv4 address ranges.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace mfs::master {

bool is_blank(char c);
std::string_view trim_blanks(std::string_view text);
bool all_digits(std::string_view text);
// A decimal number of any length that does not exceed `max`.
std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max);
// Splits off the text up to the first `separator`; `text` keeps what follows it.
std::string_view take_until(std::string_view& text, char separator);
std::optional<uint32_t> parse_ipv4(std::string_view text);
// "*", A.B.C.D, A.B.C.D/BITS, A.B.C.D/M.M.M.M or A.B.C.D-E.F.G.H as [from, to].
std::optional<std::pair<uint32_t, uint32_t>> parse_address(std::string_view text);

}  // namespace mfs::master
