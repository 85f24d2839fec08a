// The master's in-memory file-system objects: nodes (i-nodes) and edges (directory
// entries). Types, extra attributes and limits follow spec 00 §8-9 and spec 30 §3.6-3.7.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "mfsmaster/chunk_list.h"
#include "mfsmaster/parent_edges.h"
#include "mfsmaster/posix_acl.h"

namespace mfs::master {

enum class NodeType : uint8_t {
  kFile = 1,
  kDirectory = 2,
  kSymlink = 3,
  kFifo = 4,
  kBlockDevice = 5,
  kCharDevice = 6,
  kSocket = 7,
  kTrash = 8,      // unlinked file kept for its trash time
  kSustained = 9,  // unlinked file still open by some session
};

// Extra attributes (eattr) bits.
namespace eattr {
inline constexpr uint8_t kNoOwner = 0x01;
inline constexpr uint8_t kNoAttrCache = 0x02;
inline constexpr uint8_t kNoEntryCache = 0x04;
inline constexpr uint8_t kNoDataCache = 0x08;
inline constexpr uint8_t kSnapshot = 0x10;
inline constexpr uint8_t kUndeletable = 0x20;
inline constexpr uint8_t kAppendOnly = 0x40;
inline constexpr uint8_t kImmutable = 0x80;
}  // namespace eattr

inline constexpr uint32_t kRootInode = 1;
inline constexpr uint32_t kMetaRootInode = 0;  // root of a meta session (trash, sustained)
inline constexpr uint32_t kTrashBuckets = 4096;  // trash files are listed and expired per inode % 4096
inline constexpr uint32_t kSustainedBuckets = 256;  // sustained files are freed per inode % 256
inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxSymlinkLength = 4096;
inline constexpr uint64_t kChunkSize = uint64_t{1} << 26;
inline constexpr uint32_t kMaxChunkIndex = 0x7FFFFFFF;
inline constexpr uint64_t kFirstEdgeId = 0x7FFFFFFFFFFFFFFE;  // edge ids count downwards

struct Node;

// What a node adds to the quota statistics of every directory above it, or (in
// DirectoryData) the sum over everything below a directory. FsTree keeps the sums up to
// date as the tree changes, so reading a directory's usage costs no tree walk.
struct SubtreeUsage {
  uint32_t inodes = 0;
  uint64_t length = 0;
  uint64_t size = 0;
  uint64_t realsize = 0;

  SubtreeUsage& add(const SubtreeUsage& other, int sign) {
    inodes += static_cast<uint32_t>(sign) * other.inodes;
    length += static_cast<uint64_t>(sign) * other.length;
    size += static_cast<uint64_t>(sign) * other.size;
    realsize += static_cast<uint64_t>(sign) * other.realsize;
    return *this;
  }
  bool operator==(const SubtreeUsage&) const = default;
};

// A directory entry. Trash and sustained entries have parent 0 and the original path as name.
struct Edge {
  uint32_t parent = 0;
  // Where child sits in the parent's DirectoryData::child_nodes. Mutable: the edge is a set
  // element (const), and the position changes when another entry is removed.
  mutable uint32_t slot = 0;
  Node* child = nullptr;
  uint64_t edge_id = 0;
  std::string name;
};

// Entries of a directory are found by name (a string_view is enough to look one up).
struct EdgeNameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const noexcept { return std::hash<std::string_view>()(name); }
  size_t operator()(const Edge& edge) const noexcept { return (*this)(std::string_view(edge.name)); }
};
struct EdgeNameEqual {
  using is_transparent = void;
  static std::string_view name(std::string_view name) { return name; }
  static std::string_view name(const Edge& edge) { return edge.name; }
  bool operator()(const auto& a, const auto& b) const noexcept { return name(a) == name(b); }
};

struct DirectoryData {
  // The entries themselves, one allocation each: set elements never move, so the edges'
  // addresses (held by the children's ParentEdges) stay valid; an edge is not changed
  // once inserted, only removed.
  std::unordered_set<Edge, EdgeNameHash, EdgeNameEqual> children;
  // The children in creation order (edge ids decreasing), as READDIR lists them; built on
  // the first listing, kept by appends of new entries, dropped on any other change, so
  // that listing a big directory in several requests does not sort it each time.
  // Empty or complete: see FsTree::in_creation_order.
  mutable std::vector<const Edge*> creation_order;
  // The children's nodes, one per entry in no particular order (Edge::slot), for walks over
  // whole subtrees: reading a contiguous array lets the CPU fetch ahead, where following the
  // set's elements pays a cache miss for each entry.
  std::vector<Node*> child_nodes;
  uint32_t subdirectories = 0;
  uint64_t total_length = 0;  // sum of file lengths in the subtree, for the directory's size
  SubtreeUsage usage;         // everything below the directory, itself excluded (quotas)
};

// What only some nodes have, kept out of line: most nodes are files without any of it.
struct NodeExtras {
  // symlinks
  std::string symlink_target;
  // block/char devices
  uint32_t rdev = 0;
  // xattrs: name -> value, in creation order for listing (newest first)
  std::vector<std::pair<std::string, std::string>> xattrs;
  // POSIX ACLs; the access ACL's owner, owning group and other permissions are also the
  // mode's 0777 bits.
  std::unique_ptr<PosixAcl> access_acl;
  std::unique_ptr<PosixAcl> default_acl;
};

struct Node {
  uint32_t inode = 0;
  NodeType type = NodeType::kFile;
  uint8_t eattr = 0;
  uint8_t sclass = 1;  // storage class id (goal)
  uint8_t winattr = 0;
  uint16_t mode = 0;  // permission bits 07777
  uint16_t trash_hours = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t atime = 0;
  uint32_t mtime = 0;
  uint32_t ctime = 0;
  uint32_t open_count = 0;  // sessions holding the node open (FsTree::acquire)
  ParentEdges parents;  // hard links: every edge pointing at this node
  // What this node added to its ancestors' usage when last accounted (FsTree).
  SubtreeUsage accounted;

  // files (and trash/sustained files)
  uint64_t length = 0;
  ChunkList chunks;  // chunk ids by 64 MiB index, holes left out (chunk_list.h)
  // directories
  std::unique_ptr<DirectoryData> directory;
  // Reading gives empty extras when the node has none; editing creates them.
  const NodeExtras& extras() const {
    static const NodeExtras kNone;
    return extras_ ? *extras_ : kNone;
  }
  NodeExtras& edit_extras() {
    if (!extras_) extras_ = std::make_unique<NodeExtras>();
    return *extras_;
  }
  // Copies another node's extras (none if it has none).
  void copy_extras_from(const Node& other);

  std::unique_ptr<PosixAcl>& edit_acl(AclType type) {
    return type == AclType::kAccess ? edit_extras().access_acl : edit_extras().default_acl;
  }
  const PosixAcl* acl(AclType type) const {
    return (type == AclType::kAccess ? extras().access_acl : extras().default_acl).get();
  }
  bool is_directory() const { return type == NodeType::kDirectory; }
  bool is_file_like() const {
    return type == NodeType::kFile || type == NodeType::kTrash || type == NodeType::kSustained;
  }
  // The 07777 bits as clients see them: with an access ACL the group bits are its mask.
  uint16_t effective_mode() const {
    const PosixAcl* access = acl(AclType::kAccess);
    return access ? static_cast<uint16_t>((mode & 07000) | access->mode_bits()) : mode;
  }
  // Link count as reported in attributes: directories count "." and sub-directories' "..".
  uint32_t nlink() const {
    if (is_directory()) return 2 + directory->subdirectories;
    if (type == NodeType::kTrash || type == NodeType::kSustained) return 0;  // no directory links them
    return static_cast<uint32_t>(parents.size());
  }

 private:
  std::unique_ptr<NodeExtras> extras_;
};

inline void Node::copy_extras_from(const Node& other) {
  if (!other.extras_) {
    extras_.reset();
    return;
  }
  const NodeExtras& from = *other.extras_;
  NodeExtras& to = edit_extras();
  to.symlink_target = from.symlink_target;
  to.rdev = from.rdev;
  to.xattrs = from.xattrs;
  to.access_acl = from.access_acl ? std::make_unique<PosixAcl>(*from.access_acl) : nullptr;
  to.default_acl = from.default_acl ? std::make_unique<PosixAcl>(*from.default_acl) : nullptr;
}

// Type as shown to clients: trash and sustained files are plain files.
inline uint8_t presented_type(NodeType type) {
  return (type == NodeType::kTrash || type == NodeType::kSustained) ? 1 : static_cast<uint8_t>(type);
}

}  // namespace mfs::master
