// apply() handlers for namespace changes (spec 30 §4.3 "Namespace").
#include <algorithm>

#include "mfsmaster/metadata.h"
#include "mfsmaster/node_inheritance.h"

namespace mfs::master {
namespace {

constexpr uint16_t kSetGid = 02000;

Status mismatch(const std::string& what) { return Status(StatusCode::kMismatch, what); }

// Older changelogs write node types as letters.
std::optional<NodeType> parse_node_type(std::string_view text) {
  static constexpr std::string_view kLetters = "fdlqbcs";
  if (text.size() == 1 && !(text[0] >= '0' && text[0] <= '9')) {
    size_t index = kLetters.find(text[0]);
    if (index == std::string_view::npos) return std::nullopt;
    return static_cast<NodeType>(index + 1);
  }
  if (text.size() == 1 && text[0] >= '1' && text[0] <= '7') return static_cast<NodeType>(text[0] - '0');
  return std::nullopt;
}

void touch_directory(Node& directory, uint32_t now) { directory.mtime = directory.ctime = now; }

// In a directory with a default ACL the umask is not applied: the ACL decides the mode.
void apply_default_acl(Node& node, const PosixAcl& parent_default, uint16_t requested_mode) {
  InheritedPermissions inherited = inherit_default_acl(parent_default, requested_mode & 07777, node.is_directory());
  node.mode = inherited.mode;
  node.edit_acl(AclType::kAccess) = std::move(inherited.access);
  node.edit_acl(AclType::kDefault) = std::move(inherited.default_acl);
}

}  // namespace

Status Metadata::apply_create(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t parent_inode = args.number<uint32_t>();
  std::string_view name = args.text();
  std::string_view type_text = args.text();
  auto type = parse_node_type(type_text);
  uint16_t mode = args.number<uint16_t>();
  // Letter types come from logs older than the cumask field.
  uint16_t cumask = (type_text.size() == 1 && type_text[0] > '9') ? 0 : args.number<uint16_t>();
  uint32_t uid = args.number<uint32_t>();
  uint32_t gid = args.number<uint32_t>();
  uint32_t rdev = args.number<uint32_t>();
  uint32_t inode = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  if (!type || *type == NodeType::kSymlink) return mismatch("CREATE: bad node type");
  Node* parent = fs_.find(parent_inode);
  if (!parent || !parent->is_directory()) return mismatch("CREATE: no such directory");
  if (fs_.lookup(*parent, name)) return mismatch("CREATE: entry exists");
  if (inode != fs_.next_inode()) return mismatch("CREATE: inode differs");

  Node* node = fs_.create(*parent, name, *type, inode, entry.timestamp);
  node->mode = mode & ~cumask & 07777;
  if (parent->extras().default_acl) apply_default_acl(*node, *parent->extras().default_acl, mode);
  node->uid = uid;
  node->gid = gid;
  if (parent->mode & kSetGid) {
    node->gid = parent->gid;
    if (node->is_directory()) node->mode |= kSetGid;
  }
  if (*type == NodeType::kBlockDevice || *type == NodeType::kCharDevice) node->edit_extras().rdev = rdev;
  inherit_from_parent(*node, *parent);
  touch_directory(*parent, entry.timestamp);
  return Status::ok();
}

Status Metadata::apply_symlink(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t parent_inode = args.number<uint32_t>();
  std::string_view name = args.text();
  std::string_view target = args.text();
  uint32_t uid = args.number<uint32_t>();
  uint32_t gid = args.number<uint32_t>();
  uint32_t inode = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  Node* parent = fs_.find(parent_inode);
  if (!parent || !parent->is_directory()) return mismatch("SYMLINK: no such directory");
  if (fs_.lookup(*parent, name)) return mismatch("SYMLINK: entry exists");
  if (inode != fs_.next_inode()) return mismatch("SYMLINK: inode differs");

  Node* node = fs_.create(*parent, name, NodeType::kSymlink, inode, entry.timestamp);
  node->mode = 0777;
  if (parent->extras().default_acl) apply_default_acl(*node, *parent->extras().default_acl, 0777);  // as 3.0.117 does
  node->uid = uid;
  node->gid = (parent->mode & kSetGid) ? parent->gid : gid;
  node->edit_extras().symlink_target = std::string(target);
  inherit_from_parent(*node, *parent);
  touch_directory(*parent, entry.timestamp);
  return Status::ok();
}

Status Metadata::apply_link(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t parent_inode = args.number<uint32_t>();
  std::string_view name = args.text();
  if (!args.ok()) return args.status();
  Node* node = fs_.find(inode);
  Node* parent = fs_.find(parent_inode);
  if (!node || node->is_directory() || !parent || !parent->is_directory()) return mismatch("LINK: bad nodes");
  if (fs_.lookup(*parent, name)) return mismatch("LINK: entry exists");
  fs_.link(*parent, name, *node);
  node->ctime = entry.timestamp;
  touch_directory(*parent, entry.timestamp);
  return Status::ok();
}

Status Metadata::apply_unlink(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t parent_inode = args.number<uint32_t>();
  std::string_view name = args.text();
  uint32_t inode = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  Node* parent = fs_.find(parent_inode);
  Edge* edge = parent ? fs_.lookup(*parent, name) : nullptr;
  if (!edge || edge->child->inode != inode) return mismatch("UNLINK: no such entry");
  Node* node = edge->child;
  if (node->is_directory() && !node->directory->children.empty()) return mismatch("UNLINK: directory not empty");
  fs_.remove_entry(*edge, entry.timestamp);
  if (Node* survivor = fs_.find(inode)) survivor->ctime = entry.timestamp;
  touch_directory(*parent, entry.timestamp);
  return Status::ok();
}

Status Metadata::apply_move(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t source_parent_inode = args.number<uint32_t>();
  std::string_view source_name = args.text();
  uint32_t target_parent_inode = args.number<uint32_t>();
  std::string_view target_name = args.text();
  uint32_t inode = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  Node* source_parent = fs_.find(source_parent_inode);
  Node* target_parent = fs_.find(target_parent_inode);
  if (!source_parent || !target_parent || !target_parent->is_directory()) return mismatch("MOVE: bad parents");
  Edge* source = fs_.lookup(*source_parent, source_name);
  if (!source || source->child->inode != inode) return mismatch("MOVE: no such entry");
  Node* node = source->child;
  if (node->is_directory() && fs_.is_ancestor(*node, *target_parent)) return mismatch("MOVE: into itself");
  if (Edge* existing = fs_.lookup(*target_parent, target_name)) {
    if (existing == source) return Status::ok();  // rename onto itself changes nothing
    Node* replaced = existing->child;
    if (replaced->is_directory() && !replaced->directory->children.empty()) return mismatch("MOVE: not empty");
    uint32_t replaced_inode = replaced->inode;
    fs_.remove_entry(*existing, entry.timestamp);
    if (Node* survivor = fs_.find(replaced_inode)) survivor->ctime = entry.timestamp;
  }
  fs_.unlink_edge(*source);
  fs_.link(*target_parent, target_name, *node);
  node->ctime = entry.timestamp;
  touch_directory(*source_parent, entry.timestamp);
  touch_directory(*target_parent, entry.timestamp);
  return Status::ok();
}

Status Metadata::apply_attr(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint16_t mode = args.number<uint16_t>();
  uint32_t uid = args.number<uint32_t>();
  uint32_t gid = args.number<uint32_t>();
  uint32_t atime = args.number<uint32_t>();
  uint32_t mtime = args.number<uint32_t>();
  // winattr and aclmode are absent in older logs.
  uint8_t winattr = args.has_more_args() ? args.number<uint8_t>() : 0;
  uint16_t acl_mode = args.has_more_args() ? args.number<uint16_t>() : 0;
  if (!args.ok()) return args.status();
  Node* node = fs_.find(inode);
  if (!node) return mismatch("ATTR: no such node");
  node->mode = mode & 07777;
  if (node->acl(AclType::kAccess) && acl_mode != 0) node->edit_extras().access_acl->set_mode_bits(acl_mode & 0777);
  node->uid = uid;
  node->gid = gid;
  node->atime = atime;
  node->mtime = mtime;
  node->winattr = winattr;
  node->ctime = entry.timestamp;
  return Status::ok();
}

Status Metadata::apply_amtime(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t atime = args.number<uint32_t>();
  uint32_t mtime = args.number<uint32_t>();
  uint32_t ctime = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  Node* node = fs_.find(inode);
  if (!node) return mismatch("AMTIME: no such node");
  node->atime = atime;
  node->mtime = mtime;
  node->ctime = ctime;
  return Status::ok();
}

Status Metadata::apply_access(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  Node* node = fs_.find(inode);
  if (!node) return mismatch("ACCESS: no such node");
  node->atime = entry.timestamp;
  return Status::ok();
}

Status Metadata::apply_length(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint64_t length = args.number<uint64_t>();
  uint8_t can_modify_mtime = args.has_more_args() ? args.number<uint8_t>() : 1;
  if (!args.ok()) return args.status();
  Node* node = fs_.find(inode);
  if (!node || !node->is_file_like()) return mismatch("LENGTH: no such file");
  if (length != node->length) node->eattr &= ~eattr::kSnapshot;  // its data changed (spec 11 §7.1)
  fs_.set_length(*node, length);
  if (can_modify_mtime) node->mtime = node->ctime = entry.timestamp;
  return Status::ok();
}

Status Metadata::apply_setxattr(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  std::string_view name = args.text();
  std::string_view value = args.text();
  uint8_t mode = args.number<uint8_t>();
  if (!args.ok()) return args.status();
  Node* node = fs_.find(inode);
  if (!node) return mismatch("SETXATTR: no such node");
  auto& xattrs = node->edit_extras().xattrs;
  auto it = std::find_if(xattrs.begin(), xattrs.end(), [&](const auto& x) { return x.first == name; });
  bool exists = it != xattrs.end();
  switch (mode) {
    case 0:  // create or replace
    case 1:  // create only
    case 2:  // replace only
      if ((mode == 1 && exists) || (mode == 2 && !exists)) return mismatch("SETXATTR: mode precondition");
      if (exists) {
        it->second = std::string(value);
      } else {
        xattrs.insert(xattrs.begin(), {std::string(name), std::string(value)});
      }
      break;
    case 3:  // remove
      if (!exists) return mismatch("SETXATTR: no such attribute");
      xattrs.erase(it);
      break;
    default:
      return mismatch("SETXATTR: bad mode");
  }
  node->ctime = entry.timestamp;
  return Status::ok();
}

Status Metadata::apply_setacl(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint16_t mode = args.number<uint16_t>();
  uint8_t changes_ctime = args.number<uint8_t>();
  std::optional<AclType> type = acl_type_of(args.number<uint8_t>());
  PosixAcl acl;
  acl.user = args.number<uint16_t>();
  acl.group = args.number<uint16_t>();
  acl.other = args.number<uint16_t>();
  acl.mask = args.number<uint16_t>();
  uint16_t named_users = args.number<uint16_t>();
  uint16_t named_groups = args.number<uint16_t>();
  std::string_view blob = args.text();
  if (!args.ok()) return args.status();
  if (!type) return mismatch("SETACL: bad ACL type");
  if (!decode_acl_entries(blob, named_users, named_groups, acl)) return mismatch("SETACL: bad entry list");
  Node* node = fs_.find(inode);
  if (!node) return mismatch("SETACL: no such node");
  node->mode = mode & 07777;
  if (changes_ctime) node->ctime = entry.timestamp;
  // A minimal access ACL lives in the mode alone; a default ACL goes only when all is absent.
  bool removed = type == AclType::kAccess ? acl.is_minimal() : acl.is_empty();
  node->edit_acl(*type) = removed ? nullptr : std::make_unique<PosixAcl>(std::move(acl));
  return Status::ok();
}

Status Metadata::apply_purge(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  Node* node = fs_.find(inode);
  if (!node || (node->type != NodeType::kTrash && node->type != NodeType::kSustained)) {
    return mismatch("PURGE: not a trash or sustained file");
  }
  fs_.purge(*node, entry.timestamp);
  return Status::ok();
}

Status Metadata::apply_freeinodes(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t reuse_delay = args.number<uint32_t>();
  uint32_t expected_freed = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  // Only the count is verified: MooseFS's further result fields are its own checksums.
  if (fs_.count_recyclable_inodes(entry.timestamp, reuse_delay) != expected_freed) {
    return mismatch("FREEINODES: freed count differs");
  }
  fs_.recycle_freed_inodes(entry.timestamp, reuse_delay);
  return Status::ok();
}

}  // namespace mfs::master
