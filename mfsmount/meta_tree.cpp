#include "mfsmount/meta_tree.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace mfs::mount::meta {

NodeKind kind_of(uint32_t inode) {
  switch (inode) {
    case kRootInode: return NodeKind::kRoot;
    case kTrashInode: return NodeKind::kTrash;
    case kUndelInode: return NodeKind::kUndel;
    case kSustainedInode: return NodeKind::kSustained;
    default: break;
  }
  if (inode >= kFirstBucketInode && inode < kFirstBucketInode + kBuckets) return NodeKind::kBucket;
  return NodeKind::kFile;
}

FolderLook folder_look(NodeKind kind) {
  switch (kind) {
    case NodeKind::kRoot: return {0555, 4};
    case NodeKind::kTrash: return {0700, kBuckets + 3};
    case NodeKind::kBucket: return {0700, 3};
    case NodeKind::kUndel: return {0200, kBuckets + 2};
    case NodeKind::kSustained: return {0500, 2};
    case NodeKind::kFile: break;
  }
  return {};
}

std::string bucket_name(uint32_t bucket) {
  char text[8];
  std::snprintf(text, sizeof(text), "%03X", bucket % kBuckets);
  return text;
}

std::optional<uint32_t> bucket_from_name(std::string_view name) {
  // strtoul's reading (leading blanks, sign and "0x" included) is what 3.0.117 shows.
  std::string text(name);
  errno = 0;
  unsigned long value = std::strtoul(text.c_str(), nullptr, 16);
  if (errno != 0 || value >= kBuckets) return std::nullopt;
  return static_cast<uint32_t>(value);
}

std::string file_name(uint32_t inode, std::string_view listed_name) {
  char prefix[16];
  std::snprintf(prefix, sizeof(prefix), "%08X|", inode);
  return prefix + std::string(listed_name);
}

std::optional<uint32_t> inode_from_name(std::string_view name) {
  constexpr size_t kDigits = 8;
  if (name.size() <= kDigits || name[kDigits] != '|') return std::nullopt;
  uint32_t inode = 0;
  auto [end, error] = std::from_chars(name.data(), name.data() + kDigits, inode, 16);
  if (error != std::errc() || end != name.data() + kDigits || !is_file_inode(inode)) return std::nullopt;
  return inode;
}

std::optional<std::string> path_to_store(std::string_view written) {
  if (!written.empty() && written.back() == '\n') written.remove_suffix(1);
  if (written.empty() || written.find('\0') != std::string_view::npos) return std::nullopt;
  return std::string(written);
}

}  // namespace mfs::mount::meta
