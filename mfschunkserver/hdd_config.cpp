#include "mfschunkserver/hdd_config.h"

#include <cmath>

namespace mfs::cs {
namespace {

constexpr std::string_view kBlanks = " \t\r\n";
constexpr std::string_view kPrefixes = "*<>~";
constexpr std::string_view kSuffixes = "kMGTPE";

std::string_view trim(std::string_view text) {
  size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  size_t last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

bool starts_size(char c) { return (c >= '0' && c <= '9') || c == '.'; }

}  // namespace

std::optional<uint64_t> parse_size(std::string_view text) {
  size_t pos = 0;
  double integral = 0;
  bool digits = false;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    integral = integral * 10 + (text[pos++] - '0');
    digits = true;
  }
  double fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    double scale = 0.1;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, scale /= 10) {
      fraction += (text[pos] - '0') * scale;
      digits = true;
    }
  }
  if (!digits) return std::nullopt;
  double multiplier = 1;
  if (pos < text.size()) {
    char letter = text[pos];
    size_t power = kSuffixes.find(letter == 'K' ? 'k' : letter);
    if (power != std::string_view::npos) {
      ++pos;
      bool binary = pos < text.size() && text[pos] == 'i';
      if (binary) ++pos;
      // 'k' is only decimal and 'K' only binary ("Ki").
      if ((letter == 'k' && binary) || (letter == 'K' && !binary)) return std::nullopt;
      multiplier = std::pow(binary ? 1024.0 : 1000.0, static_cast<double>(power + 1));
    }
  }
  if (pos < text.size() && text[pos] == 'B') ++pos;
  if (pos != text.size()) return std::nullopt;
  return static_cast<uint64_t>((integral + fraction) * multiplier);
}

std::vector<DiskConfig> parse_hdd_config(std::string_view text, std::vector<std::string>* warnings) {
  std::vector<DiskConfig> disks;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    DiskConfig disk;
    size_t prefix = line.find_first_not_of(kPrefixes);
    if (prefix == std::string_view::npos) continue;
    std::string_view markers = line.substr(0, prefix);
    disk.marked_for_removal = markers.find('*') != std::string_view::npos;
    disk.move_out = markers.find('<') != std::string_view::npos;
    disk.move_in = markers.find('>') != std::string_view::npos;
    disk.tolerate_size_change = markers.find('~') != std::string_view::npos;
    line = line.substr(prefix);
    // The last blank-separated word is a size when it looks like one.
    size_t blank = line.find_last_of(" \t");
    if (blank != std::string_view::npos) {
      std::string_view word = line.substr(blank + 1);
      bool leave = word.front() == '-';
      std::string_view number = leave ? word.substr(1) : word;
      if (leave || starts_size(word.front())) {
        line = trim(line.substr(0, blank));
        if (auto size = parse_size(number)) {
          (leave ? disk.leave_free : disk.size_limit) = *size;
        } else if (warnings) {
          warnings->push_back("hdd space manager: wrong size '" + std::string(word) + "' - ignored");
        }
      }
    }
    disk.path = std::string(line);
    if (disk.path.back() != '/') disk.path += '/';
    disks.push_back(std::move(disk));
  }
  return disks;
}

}  // namespace mfs::cs
