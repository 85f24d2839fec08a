#include "mfscommon/config_file.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mfs {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Splits one line into NAME and VALUE; nullopt when it is not a definition.
std::optional<std::pair<std::string, std::string>> parse_definition(std::string_view line) {
  size_t pos = 0;
  while (pos < line.size() && is_blank(line[pos])) ++pos;
  size_t name_start = pos;
  while (pos < line.size() && line[pos] > ' ' && line[pos] < 0x7F && line[pos] != '=') ++pos;
  if (pos == name_start) return std::nullopt;
  std::string name(line.substr(name_start, pos - name_start));
  while (pos < line.size() && is_blank(line[pos])) ++pos;
  if (pos >= line.size() || line[pos] != '=') return std::nullopt;
  ++pos;
  while (pos < line.size() && is_blank(line[pos])) ++pos;
  size_t value_end = pos;
  for (size_t i = pos; i < line.size() && static_cast<unsigned char>(line[i]) >= 0x20; ++i) value_end = i + 1;
  std::string value(line.substr(pos, value_end - pos));
  while (!value.empty() && is_blank(value.back())) value.pop_back();
  return std::make_pair(std::move(name), std::move(value));
}

}  // namespace

ConfigFile ConfigFile::parse(std::string_view text, std::vector<std::string>* warnings) {
  ConfigFile config;
  size_t line_number = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (auto definition = parse_definition(line)) {
      config.values_[definition->first] = definition->second;
    } else if (warnings && std::any_of(line.begin(), line.end(), [](char c) { return !is_blank(c); })) {
      warnings->push_back("bad definition in config file (line " + std::to_string(line_number) + ")");
    }
  }
  return config;
}

Result<ConfigFile> ConfigFile::load(const std::string& path, std::vector<std::string>* warnings) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kENOENT, "can't load config file: " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), warnings);
}

std::optional<std::string> ConfigFile::raw(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string ConfigFile::get_string(std::string_view name, std::string_view fallback) const {
  auto value = raw(name);
  return value ? *value : std::string(fallback);
}

uint64_t ConfigFile::get_uint(std::string_view name, uint64_t fallback) const {
  auto value = raw(name);
  return value ? std::strtoull(value->c_str(), nullptr, 0) : fallback;
}

int64_t ConfigFile::get_int(std::string_view name, int64_t fallback) const {
  auto value = raw(name);
  return value ? std::strtoll(value->c_str(), nullptr, 0) : fallback;
}

double ConfigFile::get_double(std::string_view name, double fallback) const {
  auto value = raw(name);
  return value ? std::strtod(value->c_str(), nullptr) : fallback;
}

uint64_t ConfigFile::get_uint_clamped(std::string_view name, uint64_t fallback, uint64_t min, uint64_t max) const {
  return std::clamp(get_uint(name, fallback), min, max);
}

}  // namespace mfs
