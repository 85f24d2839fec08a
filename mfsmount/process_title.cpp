#include "mfsmount/process_title.h"

#include <algorithm>
#include <cstring>

namespace mfs::mount {

std::string mounted_process_title(const std::string& mountpoint) {
  return "mfsmount (mounted on: " + mountpoint + ")";
}

void set_process_title(int argc, char** argv, const std::string& title) {
  if (argc < 1) return;
  char* start = argv[0];
  char* end = start + std::strlen(start) + 1;
  for (int i = 1; i < argc && argv[i] == end; ++i) end += std::strlen(argv[i]) + 1;
  size_t room = static_cast<size_t>(end - start);
  size_t length = std::min(title.size(), room - 1);
  std::memcpy(start, title.data(), length);
  std::memset(start + length, 0, room - length);
}

}  // namespace mfs::mount
