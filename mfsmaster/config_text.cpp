#include "mfsmaster/config_text.h"

#include <algorithm>

namespace mfs::master {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max) {
  if (!all_digits(text)) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

std::string_view take_until(std::string_view& text, char separator) {
  size_t end = text.find(separator);
  std::string_view head = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  return head;
}

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  uint32_t address = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0 && text.empty()) return std::nullopt;
    auto octet = parse_decimal(take_until(text, '.'), 255);
    if (!octet) return std::nullopt;
    address = (address << 8) | static_cast<uint32_t>(*octet);
  }
  if (!text.empty()) return std::nullopt;
  return address;
}

std::optional<std::pair<uint32_t, uint32_t>> parse_address(std::string_view text) {
  if (text == "*") return std::make_pair(uint32_t{0}, uint32_t{0xFFFFFFFF});
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    auto address = parse_ipv4(text.substr(0, slash));
    std::string_view mask_text = text.substr(slash + 1);
    std::optional<uint32_t> mask;
    if (mask_text.find('.') != std::string_view::npos) {
      mask = parse_ipv4(mask_text);
    } else if (auto bits = parse_decimal(mask_text, 32)) {
      mask = *bits == 0 ? 0 : uint32_t{0xFFFFFFFF} << (32 - *bits);
    }
    if (!address || !mask) return std::nullopt;
    // A non-contiguous netmask still yields the range network..broadcast.
    return std::make_pair(*address & *mask, *address | ~*mask);
  }
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    auto from = parse_ipv4(text.substr(0, dash));
    auto to = parse_ipv4(text.substr(dash + 1));
    if (!from || !to || *from > *to) return std::nullopt;
    return std::make_pair(*from, *to);
  }
  auto address = parse_ipv4(text);
  if (!address) return std::nullopt;
  return std::make_pair(*address, *address);
}

}  // namespace mfs::master
