#include "mfsmaster/trash_path.h"

#include "mfsmaster/fs_node.h"

namespace mfs::master {
namespace {

constexpr size_t kMaxListedPath = 240;
constexpr size_t kListedTail = 235;

}  // namespace

std::string trash_listing_name(std::string_view path) {
  std::string name = path.size() > kMaxListedPath ? "(...)" + std::string(path.substr(path.size() - kListedTail))
                                                  : std::string(path);
  for (char& c : name) {
    if (c == '/') c = '|';
  }
  return name;
}

std::optional<std::string_view> accepted_trash_path(std::string_view sent) {
  while (!sent.empty() && sent.back() == '\0') sent.remove_suffix(1);
  if (sent.empty() || sent.size() > kMaxTrashPathLength || sent.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  return sent;
}

std::optional<std::vector<std::string_view>> undelete_components(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::vector<std::string_view> components;
  while (true) {
    size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    if (component.empty() || component == "." || component == ".." || component.size() > kMaxNameLength ||
        component.find('\0') != std::string_view::npos) {
      return std::nullopt;
    }
    components.push_back(component);
    if (slash == std::string_view::npos) return components;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace mfs::master
