#include "mfsmaster/fs_operations.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include "mfsmaster/subtree_statistics.h"

namespace mfs::master {
namespace {

constexpr uint16_t kSetUid = 04000;
constexpr uint16_t kSetGid = 02000;
constexpr uint16_t kSticky = 01000;
constexpr uint8_t kNodeUnremovable = eattr::kUndeletable | eattr::kImmutable | eattr::kAppendOnly;

namespace openflag {
constexpr uint8_t kRead = 0x01, kWrite = 0x02, kAfterCreate = 0x04, kTruncate = 0x08;
}  // namespace openflag

}  // namespace

bool FsOperations::valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name == "." || name == "..") return false;
  return name.find('\0') == std::string_view::npos && name.find('/') == std::string_view::npos;
}

const Node* FsOperations::resolve(const RequestContext& context, uint32_t wire_inode, bool opened) const {
  uint32_t root = context.session->root_inode;
  const FsTree& fs = metadata_.fs();
  if (root == kMetaRootInode) {  // the meta file system holds only trash and sustained files
    const Node* node = fs.find(wire_inode);
    return node && (node->type == NodeType::kTrash || node->type == NodeType::kSustained) ? node : nullptr;
  }
  if (wire_inode == kRootInode) return fs.find(root);
  const Node* node = fs.find(wire_inode);
  if (node == nullptr || root == kRootInode || opened) return node;
  const Node* session_root = fs.find(root);
  return session_root && fs.is_ancestor(*session_root, *node) ? node : nullptr;
}

uint32_t FsOperations::wire_inode(const RequestContext& context, const Node& node) const {
  return node.inode == context.session->root_inode ? kRootInode : node.inode;
}

Result<LookupResult> FsOperations::lookup(const RequestContext& context, uint32_t parent_inode,
                                          std::string_view name) const {
  const Node* parent = resolve(context, parent_inode);
  if (!parent) return StatusCode::kENOENT_NoCache;
  if (!parent->is_directory()) return StatusCode::kENOTDIR;
  if (!has_access(*parent, context.credentials, kAccessExecute)) return StatusCode::kEACCES;
  bool no_entry_cache = parent->eattr & eattr::kNoEntryCache;
  if (name == ".") return LookupResult{parent, wire_inode(context, *parent), no_entry_cache};
  if (name == "..") {
    const Node* grandparent = parent;
    if (parent->inode != context.session->root_inode && !parent->parents.empty()) {
      grandparent = metadata_.fs().find(parent->parents.front()->parent);
      if (!grandparent) grandparent = parent;
    }
    return LookupResult{grandparent, wire_inode(context, *grandparent), no_entry_cache};
  }
  if (!valid_name(name)) return StatusCode::kEINVAL;
  const Edge* edge = metadata_.fs().lookup(*parent, name);
  if (!edge) return no_entry_cache ? StatusCode::kENOENT_NoCache : StatusCode::kENOENT;
  return LookupResult{edge->child, wire_inode(context, *edge->child), no_entry_cache};
}

Status FsOperations::access(const RequestContext& context, uint32_t inode, uint8_t mask) const {
  if (context.read_only() && (mask & kAccessWrite)) return StatusCode::kEROFS;
  const Node* node = resolve(context, inode, true);
  if (!node) return StatusCode::kENOENT;
  if ((node->eattr & eattr::kImmutable) && (mask & kAccessWrite)) return StatusCode::kEPERM;
  if (!has_access(*node, context.credentials, mask)) return StatusCode::kEACCES;
  return Status::ok();
}

Result<const Node*> FsOperations::readlink(const RequestContext& context, uint32_t inode) const {
  const Node* node = resolve(context, inode);
  if (!node) return StatusCode::kENOENT;
  if (node->type != NodeType::kSymlink) return StatusCode::kEINVAL;
  return node;
}

Result<const Node*> FsOperations::readdir(const RequestContext& context, uint32_t inode, bool with_attributes) const {
  if (context.disabled(disable::kReaddir)) return StatusCode::kEPERM;
  const Node* node = resolve(context, inode);
  if (!node) return StatusCode::kENOENT;
  if (!node->is_directory()) return StatusCode::kENOTDIR;
  uint8_t needed = with_attributes ? (kAccessRead | kAccessExecute) : kAccessRead;
  if (!has_access(*node, context.credentials, needed)) return StatusCode::kEACCES;
  return node;
}

Result<const Node*> FsOperations::writable_directory(const RequestContext& context, uint32_t parent_inode) const {
  const Node* parent = resolve(context, parent_inode);
  if (!parent) return StatusCode::kENOENT;
  if (!parent->is_directory()) return StatusCode::kENOTDIR;
  if (parent->eattr & eattr::kImmutable) return StatusCode::kEPERM;
  if (!has_access(*parent, context.credentials, kAccessWrite | kAccessExecute)) return StatusCode::kEACCES;
  return parent;
}

bool FsOperations::sticky_forbids(const RequestContext& context, const Node& directory, const Node& node) const {
  uint32_t uid = context.credentials.uid;
  if (!(directory.mode & kSticky) || uid == 0) return false;
  bool owns_directory = uid == directory.uid || (directory.eattr & eattr::kNoOwner);
  bool owns_node = uid == node.uid || (node.eattr & eattr::kNoOwner);
  return !owns_directory && !owns_node;
}

ChangelogEntry FsOperations::acquire_entry(const RequestContext& context, const Node& node) const {
  return ChangelogEntry::make("ACQUIRE", context.now).arg(context.session_id).arg(node.inode);
}

Result<Entries> FsOperations::mknod(const RequestContext& context, uint32_t parent_inode, std::string_view name,
                                    uint8_t type, uint16_t mode, uint16_t umask, uint32_t rdev) const {
  uint32_t disabled_by = type == 1                  ? disable::kCreate
                         : type == 4                ? disable::kMkfifo
                         : (type == 5 || type == 6) ? disable::kMkdev
                         : type == 7                ? disable::kMksock
                         : type == 2                ? disable::kMkdir
                                                    : 0;
  if (context.disabled(disabled_by)) return StatusCode::kEPERM;
  if (context.read_only()) return StatusCode::kEROFS;
  if (type < 1 || type > 7 || type == 3) return StatusCode::kEINVAL;
  auto parent = writable_directory(context, parent_inode);
  if (!parent) return parent.status();
  if (!valid_name(name)) return StatusCode::kEINVAL;
  if (metadata_.fs().lookup(**parent, name)) return StatusCode::kEEXIST;
  SubtreeUsage one_inode;
  one_inode.inodes = 1;
  if (Status quota = metadata_.quotas().check(metadata_.fs(), **parent, one_inode); !quota) return quota;
  uint16_t combined_umask = (umask | context.session->umask) & 0777;
  uint32_t inode = metadata_.fs().next_inode();
  Entries entries;
  entries.push_back(ChangelogEntry::make("CREATE", context.now)
                        .arg((*parent)->inode)
                        .arg(name)
                        .arg(type)
                        .arg(mode & 07777)
                        .arg(combined_umask)
                        .arg(context.credentials.uid)
                        .arg(context.credentials.primary_gid())
                        .arg((type == 5 || type == 6) ? rdev : 0)
                        .result(inode));
  return entries;
}

Result<Entries> FsOperations::mkdir(const RequestContext& context, uint32_t parent, std::string_view name,
                                    uint16_t mode, uint16_t umask) const {
  return mknod(context, parent, name, 2, mode, umask, 0);
}

Result<Entries> FsOperations::symlink(const RequestContext& context, uint32_t parent_inode, std::string_view name,
                                      std::string_view target) const {
  if (context.disabled(disable::kSymlink)) return StatusCode::kEPERM;
  if (context.read_only()) return StatusCode::kEROFS;
  while (!target.empty() && target.back() == '\0') target.remove_suffix(1);
  if (target.empty() || target.size() > kMaxSymlinkLength || target.find('\0') != std::string_view::npos) {
    return StatusCode::kEINVAL;
  }
  auto parent = writable_directory(context, parent_inode);
  if (!parent) return parent.status();
  if (!valid_name(name)) return StatusCode::kEINVAL;
  if (metadata_.fs().lookup(**parent, name)) return StatusCode::kEEXIST;
  SubtreeUsage growth;
  growth.inodes = 1;
  growth.length = target.size();
  if (Status quota = metadata_.quotas().check(metadata_.fs(), **parent, growth); !quota) return quota;
  Entries entries;
  entries.push_back(ChangelogEntry::make("SYMLINK", context.now)
                        .arg((*parent)->inode)
                        .arg(name)
                        .arg(target)
                        .arg(context.credentials.uid)
                        .arg(context.credentials.primary_gid())
                        .result(metadata_.fs().next_inode()));
  return entries;
}

Result<Entries> FsOperations::link(const RequestContext& context, uint32_t inode, uint32_t parent_inode,
                                   std::string_view name) const {
  if (context.disabled(disable::kLink)) return StatusCode::kEPERM;
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* node = resolve(context, inode);
  const Node* parent_node = resolve(context, parent_inode);
  if (!node || !parent_node) return StatusCode::kENOENT;
  if (node->eattr & eattr::kImmutable) return StatusCode::kEPERM;
  if (node->type == NodeType::kTrash || node->type == NodeType::kSustained) return StatusCode::kENOENT;
  if (node->is_directory()) return StatusCode::kEPERM;
  if (node->nlink() >= 32767) return StatusCode::kNoSpace;
  auto parent = writable_directory(context, parent_inode);
  if (!parent) return parent.status();
  if (!valid_name(name)) return StatusCode::kEINVAL;
  if (metadata_.fs().lookup(**parent, name)) return StatusCode::kEEXIST;
  if (Status quota = metadata_.quotas().check(metadata_.fs(), **parent, FsTree::subtree_usage(*node)); !quota) {
    return quota;
  }
  Entries entries;
  entries.push_back(ChangelogEntry::make("LINK", context.now).arg(node->inode).arg((*parent)->inode).arg(name));
  return entries;
}

Result<Entries> FsOperations::unlink(const RequestContext& context, uint32_t parent_inode, std::string_view name,
                                     bool directory) const {
  if (context.disabled(directory ? disable::kRmdir : disable::kUnlink)) return StatusCode::kEPERM;
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* parent = resolve(context, parent_inode);
  if (!parent) return StatusCode::kENOENT;
  if (!parent->is_directory()) return StatusCode::kENOTDIR;
  if (parent->eattr & (eattr::kImmutable | eattr::kAppendOnly)) return StatusCode::kEPERM;
  if (!has_access(*parent, context.credentials, kAccessWrite | kAccessExecute)) return StatusCode::kEACCES;
  if (!valid_name(name)) return StatusCode::kEINVAL;
  const Edge* edge = metadata_.fs().lookup(*parent, name);
  if (!edge) return StatusCode::kENOENT;
  const Node& node = *edge->child;
  if (sticky_forbids(context, *parent, node)) return StatusCode::kEPERM;
  if (node.eattr & kNodeUnremovable) return StatusCode::kEPERM;
  if (!directory && node.is_directory()) return StatusCode::kEPERM;
  if (directory && !node.is_directory()) return StatusCode::kENOTDIR;
  if (directory && !node.directory->children.empty()) return StatusCode::kENOTEMPTY;
  Entries entries;
  entries.push_back(ChangelogEntry::make("UNLINK", context.now).arg(parent->inode).arg(name).result(node.inode));
  return entries;
}

Result<Entries> FsOperations::rename(const RequestContext& context, uint32_t source_parent_inode,
                                     std::string_view source_name, uint32_t target_parent_inode,
                                     std::string_view target_name) const {
  bool renames = source_name != target_name;
  bool moves = source_parent_inode != target_parent_inode;
  if (context.disabled(disable::kRename) && context.disabled(disable::kMove)) return StatusCode::kEPERM;
  if ((context.disabled(disable::kRename) && renames) || (context.disabled(disable::kMove) && moves)) {
    return StatusCode::kEPERM;
  }
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* source_parent = resolve(context, source_parent_inode);
  const Node* target_parent = resolve(context, target_parent_inode);
  if (!source_parent || !target_parent) return StatusCode::kENOENT;
  if (!source_parent->is_directory()) return StatusCode::kENOTDIR;
  if (source_parent->eattr & (eattr::kImmutable | eattr::kAppendOnly)) return StatusCode::kEPERM;
  if (!has_access(*source_parent, context.credentials, kAccessWrite | kAccessExecute)) return StatusCode::kEACCES;
  if (!valid_name(source_name)) return StatusCode::kEINVAL;
  const Edge* source = metadata_.fs().lookup(*source_parent, source_name);
  if (!source) return StatusCode::kENOENT;
  const Node& node = *source->child;
  if (sticky_forbids(context, *source_parent, node)) return StatusCode::kEPERM;
  if (!target_parent->is_directory()) return StatusCode::kENOTDIR;
  if (target_parent->eattr & eattr::kImmutable) return StatusCode::kEPERM;
  if (!has_access(*target_parent, context.credentials, kAccessWrite | kAccessExecute)) return StatusCode::kEACCES;
  if (node.eattr & eattr::kImmutable) return StatusCode::kEPERM;
  if (node.is_directory() && metadata_.fs().is_ancestor(node, *target_parent)) return StatusCode::kEINVAL;
  if (node.is_directory() && moves && !has_access(node, context.credentials, kAccessWrite)) {
    return StatusCode::kEACCES;
  }
  if (!valid_name(target_name)) return StatusCode::kEINVAL;
  const Edge* existing = metadata_.fs().lookup(*target_parent, target_name);
  if (existing) {
    const Node& replaced = *existing->child;
    if (context.disabled(disable::kUnlink) && !replaced.is_directory()) return StatusCode::kEPERM;
    if (context.disabled(disable::kRmdir) && replaced.is_directory()) return StatusCode::kEPERM;
  }
  // Only quotas the node is not under yet are tested.
  if (Status quota = metadata_.quotas().check(metadata_.fs(), *target_parent, FsTree::subtree_usage(node),
                                              source_parent);
      !quota) {
    return quota;
  }
  if (existing) {
    const Node& replaced = *existing->child;
    if (replaced.is_directory() && !replaced.directory->children.empty()) return StatusCode::kENOTEMPTY;
    if (sticky_forbids(context, *target_parent, replaced)) return StatusCode::kEPERM;
    if (replaced.eattr & kNodeUnremovable) return StatusCode::kEPERM;
  }
  Entries entries;
  entries.push_back(ChangelogEntry::make("MOVE", context.now)
                        .arg(source_parent->inode)
                        .arg(source_name)
                        .arg(target_parent->inode)
                        .arg(target_name)
                        .result(node.inode));
  return entries;
}

Result<Entries> FsOperations::setattr(const RequestContext& context, uint32_t inode, bool opened,
                                      const SetAttrRequest& request) const {
  const Credentials& caller = context.credentials;
  uint8_t mask = request.setmask;
  if ((context.disabled(disable::kChown) && (mask & (setmask::kUid | setmask::kGid))) ||
      (context.disabled(disable::kChmod) && (mask & setmask::kMode))) {
    return StatusCode::kEPERM;
  }
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* node = resolve(context, inode, opened);
  if (!node) return StatusCode::kENOENT;
  if (node->eattr & eattr::kImmutable) return StatusCode::kEPERM;

  // The kernel clearing suid/sgid on a write by a non-owner needs no permission.
  bool clearing_sugid_on_write = caller.uid != 0 && mask == setmask::kMode &&
                                 request.mode == (node->effective_mode() & 01777) && (node->mode & (kSetUid | kSetGid));
  if (caller.uid != 0 && !clearing_sugid_on_write) {
    if (caller.map_all && (mask & (setmask::kUid | setmask::kGid))) return StatusCode::kEPERM;
    if (!(node->eattr & eattr::kNoOwner) && caller.uid != node->uid) {
      if (mask & (setmask::kMode | setmask::kUid | setmask::kGid | setmask::kAtime | setmask::kMtime)) {
        return StatusCode::kEPERM;
      }
      if ((mask & (setmask::kAtimeNow | setmask::kMtimeNow)) && !has_access(*node, caller, kAccessWrite)) {
        return StatusCode::kEACCES;
      }
    }
    if ((mask & setmask::kUid) && request.uid != caller.uid) return StatusCode::kEPERM;
    if ((mask & setmask::kGid) && !caller.ignore_gid && !caller.in_group(request.gid)) return StatusCode::kEPERM;
  }

  uint16_t mode = node->mode;
  uint32_t uid = node->uid;
  uint32_t gid = node->gid;
  bool changes_owner = mask & (setmask::kUid | setmask::kGid);
  uint16_t new_mode = (mask & setmask::kMode) ? request.mode & 07777 : mode;
  if (changes_owner && (mask & setmask::kMode)) new_mode |= mode & (kSetUid | kSetGid);
  if (changes_owner && (mode & (kSetUid | kSetGid))) {
    uint16_t clear = 0;
    bool gid_changes = (mask & setmask::kGid) && request.gid != gid;
    switch (request.sugid_clear_mode) {
      case 1:
        clear = kSetUid | kSetGid;
        break;  // ALWAYS
      case 2:
        clear = caller.uid != 0 ? kSetUid | kSetGid : 0;
        break;  // OSX
      case 3:
        clear = (caller.uid != 0 && gid_changes) ? kSetUid | kSetGid : 0;
        break;  // BSD
      case 4:   // EXT
      case 5:   // XFS
        if (!node->is_directory()) {
          clear = (mode & 010) ? kSetUid | kSetGid : kSetUid;
        } else if (request.sugid_clear_mode == 5 && caller.uid != 0) {
          clear = kSetUid | kSetGid;
        }
        break;
      default:
        break;  // NEVER
    }
    new_mode &= ~clear;
  }
  if (mask & setmask::kUid) uid = request.uid;
  if (mask & setmask::kGid) gid = request.gid;
  if ((mask & setmask::kMode) && caller.uid != 0 && (new_mode & kSetGid) && !caller.in_group(gid)) {
    new_mode &= ~kSetGid;
  }
  uint16_t acl_mode = 0;
  if (const PosixAcl* acl = node->extras().access_acl.get()) {
    // chmod sets the ACL's owner, group class and other; the owning group entry keeps its bits.
    bool chmod = mask & setmask::kMode;
    acl_mode = kAttrAclModeFlag | (chmod ? new_mode & 0777 : acl->mode_bits());
    if (chmod && acl->has_mask()) new_mode = (new_mode & ~070) | (node->mode & 070);
  }
  uint32_t atime = (mask & setmask::kAtimeNow) ? context.now : (mask & setmask::kAtime) ? request.atime : node->atime;
  uint32_t mtime = (mask & setmask::kMtimeNow) ? context.now : (mask & setmask::kMtime) ? request.mtime : node->mtime;
  uint8_t winattr = (mask & setmask::kWinattr) ? request.winattr : node->winattr;
  Entries entries;
  entries.push_back(ChangelogEntry::make("ATTR", context.now)
                        .arg(node->inode)
                        .arg(new_mode)
                        .arg(uid)
                        .arg(gid)
                        .arg(atime)
                        .arg(mtime)
                        .arg(winattr)
                        .arg(acl_mode));
  return entries;
}

Result<Entries> FsOperations::open(const RequestContext& context, uint32_t inode, uint8_t flags) const {
  bool truncate = flags & openflag::kTruncate;
  bool write = flags & openflag::kWrite;
  if (truncate && context.disabled(disable::kTruncate)) return StatusCode::kEPERM;
  if (context.read_only() && write) return StatusCode::kEROFS;
  const Node* node = resolve(context, inode);
  if (!node) return StatusCode::kENOENT;
  if (node->type != NodeType::kFile) return StatusCode::kEPERM;
  if ((node->eattr & eattr::kImmutable) && (write || truncate)) return StatusCode::kEPERM;
  if ((node->eattr & eattr::kAppendOnly) && truncate) return StatusCode::kEPERM;
  if (!(flags & openflag::kAfterCreate)) {
    uint8_t mask = ((flags & openflag::kRead) ? kAccessRead : 0) | (write ? kAccessWrite : 0);
    if (!has_access(*node, context.credentials, mask)) return StatusCode::kEACCES;
    if (truncate && !has_access(*node, context.credentials, kAccessWrite)) return StatusCode::kEACCES;
  }
  Entries entries;
  const Session* session = metadata_.sessions().find(context.session_id);
  if (!session || !session->open_inodes.count(node->inode)) entries.push_back(acquire_entry(context, *node));
  if (truncate) {
    entries.push_back(ChangelogEntry::make("LENGTH", context.now).arg(node->inode).arg(0).arg(1));
  }
  return entries;
}

namespace {

constexpr size_t kMaxXattrSize = 65536;

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

Result<const Node*> FsOperations::getxattr(const RequestContext& context, uint32_t inode, std::string_view name,
                                           bool opened) const {
  const Node* node = resolve(context, inode, opened);
  if (!node) return StatusCode::kENOENT;
  if (!name.empty() && context.credentials.uid != 0 && starts_with(name, "trusted.")) return StatusCode::kEPERM;
  if (!opened && !has_access(*node, context.credentials, kAccessRead)) return StatusCode::kEACCES;
  if (name.empty()) {
    size_t total = 0;
    for (const auto& [attribute, value] : node->extras().xattrs) total += attribute.size() + 1;
    if (total > kMaxXattrSize) return StatusCode::kERANGE;
    return node;
  }
  if (name.find('\0') != std::string_view::npos) return StatusCode::kEINVAL;
  for (const auto& [attribute, value] : node->extras().xattrs) {
    if (attribute == name) return node;
  }
  return StatusCode::kENOATTR;
}

Result<Entries> FsOperations::setxattr(const RequestContext& context, uint32_t inode, std::string_view name,
                                       std::string_view value, uint8_t mode, bool opened) const {
  constexpr uint8_t kCreateOnly = 1, kReplaceOnly = 2, kRemove = 3;
  uint32_t uid = context.credentials.uid;
  if (context.disabled(disable::kSetXattr)) return StatusCode::kEPERM;
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* node = resolve(context, inode, opened);
  if (!node) return StatusCode::kENOENT;
  if (uid != 0 && (starts_with(name, "trusted.") || starts_with(name, "security."))) return StatusCode::kEPERM;
  if (!(node->eattr & eattr::kNoOwner) && uid != 0 && uid != node->uid && starts_with(name, "system.")) {
    return StatusCode::kEPERM;
  }
  if (node->eattr & eattr::kImmutable) return StatusCode::kEPERM;
  if (!opened && !has_access(*node, context.credentials, kAccessWrite)) return StatusCode::kEACCES;
  if (name.empty() || name.find('\0') != std::string_view::npos || mode > kRemove) return StatusCode::kEINVAL;
  if (name.size() + 1 > kMaxXattrSize) return StatusCode::kERANGE;
  auto existing = std::find_if(node->extras().xattrs.begin(), node->extras().xattrs.end(),
                               [&](const auto& attribute) { return attribute.first == name; });
  bool exists = existing != node->extras().xattrs.end();
  if ((mode == kReplaceOnly || mode == kRemove) && !exists) return StatusCode::kENOATTR;
  if (mode == kCreateOnly && exists) return StatusCode::kEEXIST;
  if (mode != kRemove) {
    if (value.size() > kMaxXattrSize) return StatusCode::kERANGE;
    size_t names = 0;
    for (const auto& [attribute, stored] : node->extras().xattrs) names += attribute.size() + 1;
    if (!exists && names + name.size() + 1 > kMaxXattrSize) return StatusCode::kERANGE;
  }
  Entries entries;
  entries.push_back(ChangelogEntry::make("SETXATTR", context.now)
                        .arg(node->inode)
                        .arg(name)
                        .arg(mode == kRemove ? std::string_view() : value)
                        .arg(mode));
  return entries;
}

Result<const Node*> FsOperations::read_chunk(const RequestContext& context, uint32_t inode, uint32_t index) const {
  if (context.disabled(disable::kRead)) return StatusCode::kEPERM;
  const Node* node = metadata_.fs().find(inode == kRootInode ? context.session->root_inode : inode);
  if (!node) return StatusCode::kENOENT;
  if (!node->is_file_like()) return StatusCode::kEPERM;
  if (index > kMaxChunkIndex) return StatusCode::kIndexTooBig;
  return node;
}

Result<const Node*> FsOperations::write_chunk(const RequestContext& context, uint32_t inode, uint32_t index) const {
  if (context.disabled(disable::kWrite)) return StatusCode::kEPERM;
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* node = metadata_.fs().find(inode == kRootInode ? context.session->root_inode : inode);
  if (!node) return StatusCode::kENOENT;
  if (!node->is_file_like()) return StatusCode::kEPERM;
  if (node->eattr & eattr::kImmutable) return StatusCode::kEPERM;
  if (index > kMaxChunkIndex) return StatusCode::kIndexTooBig;
  // A new chunk is tested as if written in full; rewriting an existing one adds nothing.
  if (node->chunks[index] == 0) {
    SubtreeUsage growth = metadata_.fs().full_chunk_usage_of(*node);
    if (Status quota = metadata_.quotas().check_file(metadata_.fs(), *node, growth); !quota) return quota;
  }
  return node;
}

Result<FsOperations::TruncatePlan> FsOperations::truncate(
    const RequestContext& context, uint32_t inode, uint8_t flags, uint64_t length,
    const AppendReservations& reservations) const {
  constexpr uint8_t kOpened = 0x01, kUpdate = 0x02, kTimeFix = 0x04, kReserve = 0x08;
  bool grows_only = flags & (kUpdate | kReserve);
  if (grows_only ? context.disabled(disable::kWrite)
                 : (context.disabled(disable::kTruncate) && context.disabled(disable::kSetLength))) {
    return StatusCode::kEPERM;
  }
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* node = resolve(context, inode, flags & kOpened);
  if (!node) return StatusCode::kENOENT;
  if (node->eattr & eattr::kImmutable) return StatusCode::kEPERM;
  if ((node->eattr & eattr::kAppendOnly) && !grows_only) return StatusCode::kEPERM;
  if (!(flags & kOpened) && !has_access(*node, context.credentials, kAccessWrite)) return StatusCode::kEACCES;
  // A file unlinked while open (trash or sustained) is still a file: ftruncate of a held
  // descriptor works on 3.0.117 too.
  if (!node->is_file_like()) return StatusCode::kEPERM;

  TruncatePlan plan;
  plan.file = node;
  plan.previous_length = node->length;
  plan.new_length = length;
  if (flags & kReserve) {
    plan.previous_length = reservations.next_start(node->inode, node->length, context.now);
    if (length > UINT64_MAX - plan.previous_length) return StatusCode::kIndexTooBig;
    plan.new_length = plan.previous_length + length;
  } else if (flags & kUpdate) {
    plan.new_length = std::max(length, node->length);
  } else {
    if (context.disabled(disable::kTruncate) && length < node->length) return StatusCode::kEPERM;
    if (context.disabled(disable::kSetLength) && length > node->length) return StatusCode::kEPERM;
  }
  if (plan.new_length != 0 && (plan.new_length - 1) / kChunkSize > kMaxChunkIndex) return StatusCode::kIndexTooBig;
  if (plan.new_length > node->length) {
    // The mount reserves length (UPDATE/RESERVE) before writing: tested like a chunk
    // write, as if a full chunk were added (observed on 3.0.117).
    SubtreeUsage growth = grows_only ? metadata_.fs().full_chunk_usage_of(*node) : SubtreeUsage();
    growth.length = plan.new_length - node->length;
    if (Status quota = metadata_.quotas().check_file(metadata_.fs(), *node, growth); !quota) return quota;
  }
  bool changes = plan.new_length != node->length;
  if (!grows_only && plan.new_length < node->length && plan.new_length % kChunkSize != 0) {
    plan.chunk_index = static_cast<uint32_t>(plan.new_length / kChunkSize);
    plan.cuts_chunk = node->chunks[plan.chunk_index] != 0;
  }
  bool touches_times = !grows_only && !((flags & kTimeFix) && !changes);
  if ((changes && !(flags & kReserve)) || touches_times) {
    plan.entries.push_back(
        ChangelogEntry::make("LENGTH", context.now).arg(node->inode).arg(plan.new_length).arg(touches_times ? 1 : 0));
  }
  return plan;
}

}  // namespace mfs::master
