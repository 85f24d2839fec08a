#include "mfsmaster/topology.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "mfsmaster/config_text.h"

namespace mfs::master {

Topology Topology::parse(std::string_view text, std::vector<std::string>* warnings) {
  Topology topology;
  size_t line_number = 0;
  while (!text.empty()) {
    std::string_view line = trim_blanks(take_until(text, '\n'));
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    size_t blank = std::find_if(line.begin(), line.end(), is_blank) - line.begin();
    auto range = parse_address(line.substr(0, blank));
    std::string_view rack = blank < line.size() ? trim_blanks(line.substr(blank)) : std::string_view();
    if (!range || rack.empty() || std::any_of(rack.begin(), rack.end(), is_blank)) {
      if (warnings) {
        warnings->push_back("incorrect line " + std::to_string(line_number) + ": " + std::string(line));
      }
      continue;
    }
    Entry entry{range->first, range->second, {}};
    while (!rack.empty()) entry.path.emplace_back(take_until(rack, '|'));
    topology.entries_.push_back(std::move(entry));
  }
  return topology;
}

Result<Topology> Topology::load(const std::string& path, std::vector<std::string>* warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kENOENT, "can't open topology file " + path);
  std::stringstream content;
  content << in.rdbuf();
  return parse(content.str(), warnings);
}

const std::vector<std::string>& Topology::path_of(uint32_t ip) const {
  static const std::vector<std::string> kNone;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (ip >= it->from && ip <= it->to) return it->path;
  }
  return kNone;
}

uint32_t Topology::distance(uint32_t a, uint32_t b) const {
  if (a == b) return 0;
  const std::vector<std::string>& first = path_of(a);
  const std::vector<std::string>& second = path_of(b);
  auto [end_first, end_second] = std::mismatch(first.begin(), first.end(), second.begin(), second.end());
  size_t left = std::max(first.end() - end_first, second.end() - end_second);
  return 1 + static_cast<uint32_t>(left);
}

}  // namespace mfs::master
