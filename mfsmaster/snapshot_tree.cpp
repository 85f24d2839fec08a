#include "mfsmaster/snapshot_tree.h"

#include <memory>
#include <string_view>
#include <unordered_map>

#include "mfsmaster/credentials.h"
#include "mfsmaster/node_inheritance.h"

namespace mfs::master {
namespace {

constexpr uint8_t kProtected = eattr::kUndeletable | eattr::kImmutable | eattr::kAppendOnly;
// The walks recurse per directory level; deeper trees (possible: depth is unbounded) are
// refused with ENOTSUP rather than risking the master's stack.
constexpr uint32_t kMaxDepth = 1000;  // about 4 KiB of stack per level under ASan
const Status kTooDeep(StatusCode::kENOTSUP, "snapshot of a tree deeper than 1000 levels");
// A snapshot owned by someone else than its source's owner loses setuid/setgid.
constexpr uint16_t kWithoutSetIds = 01777;
constexpr uint16_t kSetGroupId = 02000;

Credentials caller_of(const SnapshotRequest& request) {
  Credentials caller;
  caller.uid = request.uid;
  caller.gids = request.gids;
  caller.ignore_gid = request.sesflags & sesflag::kIgnoreGid;
  return caller;
}

bool is_detached(const Node& node) { return node.type == NodeType::kTrash || node.type == NodeType::kSustained; }

// The children of a directory, newest first (the order of the 3.0.117 master's entry
// lists, which its snapshots follow when they allocate inodes), as a list that stays
// valid while the directory changes.
std::vector<const Edge*> children_of(const Node& directory) {
  const std::vector<const Edge*>& oldest_first = FsTree::in_creation_order(directory);
  return {oldest_first.rbegin(), oldest_first.rend()};
}

// What every snapshot copies, even a cp-like one (which leaves xattrs and ACLs behind).
void copy_target_and_rdev(Node& to, const Node& from) {
  const NodeExtras& source = from.extras();
  if (source.symlink_target.empty() && source.rdev == 0 && to.extras().symlink_target.empty() && to.extras().rdev == 0) {
    return;  // nothing to copy: creates no extras
  }
  to.edit_extras().symlink_target = source.symlink_target;
  to.edit_extras().rdev = source.rdev;
}

bool same_data(const Node& source, const Node& target) {
  return source.length == target.length && source.chunks == target.chunks;
}

// Spec 11 §7.1 pre-test of an existing destination, recursively where both are directories.
Status check_destination(const FsTree& fs, const Node& source, const Node& target, uint8_t smode,
                         uint32_t depth = 0) {
  if (depth > kMaxDepth) return kTooDeep;
  if (&source == &target) return StatusCode::kEINVAL;
  if (target.eattr & kProtected) return StatusCode::kEPERM;
  if (source.type != target.type) return StatusCode::kEPERM;
  if (!source.is_directory()) {
    return (smode & snapshot_mode::kCanOverwrite) ? Status::ok() : Status(StatusCode::kEEXIST);
  }
  for (const Edge* edge : children_of(source)) {
    if (const Edge* existing = fs.lookup(target, edge->name)) {
      Status status = check_destination(fs, *edge->child, *existing->child, smode, depth + 1);
      if (!status) return status;
    }
  }
  return Status::ok();
}

// Spec 11 §7.2 test of a subtree removed without FORCE_REMOVAL.
Status check_removal(const Node& node, const Credentials& caller, uint32_t depth = 0) {
  if (depth > kMaxDepth) return kTooDeep;
  if (!(node.eattr & eattr::kSnapshot) || (node.eattr & kProtected)) return StatusCode::kEPERM;
  if (!node.is_directory()) return Status::ok();
  if (!has_access(node, caller, kAccessWrite | kAccessExecute)) return StatusCode::kEACCES;
  for (const Edge* edge : children_of(node)) {
    Status status = check_removal(*edge->child, caller, depth + 1);
    if (!status) return status;
  }
  return Status::ok();
}

// One walk for planning (fs_ null: counts only) and making a snapshot, so both always
// agree on what is done.
class SnapshotWalk {
 public:
  SnapshotWalk(const FsTree& view, FsTree* fs, const SnapshotRequest& request, uint32_t now, const ChunkSharer* share)
      : view_(view), fs_(fs), request_(request), caller_(caller_of(request)), now_(now), share_(share) {}

  // A directory copied into: found once, so that copying each entry needs no search.
  struct Destination {
    uint32_t inode = 0;    // 0: a directory the plan would create
    Node* node = nullptr;  // when making the snapshot
    bool fresh = false;    // made by this walk: nothing exists in it
  };

  Destination destination(uint32_t inode) const { return {inode, fs_ ? fs_->find(inode) : nullptr, inode == 0}; }

  // Copies `source` to entry `name` of directory `parent`.
  void copy(const Node& source, const Destination& parent, std::string_view name) {
    const Edge* existing = parent.fresh ? nullptr : view_.lookup(*view_.find(parent.inode), name);
    if (!existing) return create(source, parent, name);
    const Node& target = *existing->child;
    if (target.is_directory()) {
      ++counts.existing;
      copy_children(source, destination(target.inode));
      if (fs_) update_existing(*fs_->find(target.inode), source);
      return;
    }
    if (!source.is_file_like()) {  // symlinks, devices, fifos and sockets are updated in place
      ++counts.existing;
      if (fs_) update_existing(*fs_->find(target.inode), source);
      return;
    }
    if (same_data(source, target)) {
      ++counts.same;
      return;
    }
    // A file with other data is replaced by a new node, counted as existing; the check
    // value covers both inodes.
    ++counts.existing;
    counts.inode_check ^= target.inode;
    if (fs_) fs_->remove_entry(*fs_->lookup(*parent.node, name), now_);
    create(source, parent, name, false);
  }

  // Removes entry `name` of `parent_inode` and what it contains, as far as allowed.
  // True when the entry is gone.
  bool remove(uint32_t parent_inode, std::string_view name) {
    const Edge* edge = view_.lookup(*view_.find(parent_inode), name);
    const Node& node = *edge->child;
    bool removable = (node.eattr & eattr::kSnapshot) && !(node.eattr & kProtected);
    if (node.is_directory()) {
      bool emptied = node.directory->children.empty();
      if (has_access(node, caller_, kAccessWrite | kAccessExecute) && enter()) {
        emptied = true;
        for (const Edge* child : children_of(node)) emptied = remove(node.inode, child->name) && emptied;
        --depth_;
      }
      removable = removable && emptied;
    }
    if (!removable) return false;
    ++counts.removed;
    counts.inode_check ^= node.inode;
    if (fs_) {
      Node& removed = *fs_->find(node.inode);
      if (removed.parents.size() == 1) removed.trash_hours = 0;  // snapshots bypass the trash
      fs_->remove_entry(*fs_->lookup(*fs_->find(parent_inode), name), now_);
    }
    return true;
  }

  SnapshotCounts counts;
  // Inodes the walk takes: new nodes and replaced files.
  uint32_t allocated = 0;
  // The tree was deeper than kMaxDepth: the walk left the deeper levels out.
  bool too_deep = false;

 private:
  void copy_children(const Node& source, const Destination& target) {
    // Directories the caller cannot list are copied empty; unreadable files are skipped.
    if (!has_access(source, caller_, kAccessRead | kAccessExecute) || !enter()) return;
    for (const Edge* edge : children_of(source)) {
      const Node& child = *edge->child;
      if (child.is_file_like() && !has_access(child, caller_, kAccessRead)) continue;
      copy(child, target, edge->name);
    }
    --depth_;
  }

  // One directory level down; false (and too_deep) past kMaxDepth.
  bool enter() {
    if (depth_ == kMaxDepth) {
      too_deep = true;
      return false;
    }
    ++depth_;
    return true;
  }

  // `counted`: a new node, not the replacement of an existing file.
  void create(const Node& source, const Destination& parent, std::string_view name, bool counted = true) {
    bool linkable = (request_.smode & snapshot_mode::kPreserveHardlinks) && !source.is_directory() &&
                    source.parents.size() > 1;
    if (linkable) {
      if (auto it = copies_.find(source.inode); it != copies_.end()) {
        ++counts.hardlinks;
        if (fs_) fs_->link(*parent.node, name, *fs_->find(it->second));
        return;
      }
    }
    if (counted) ++counts.created;
    ++allocated;
    Node* node = nullptr;
    if (fs_) {
      node = fs_->create(*parent.node, name, source.type, fs_->next_inode(), now_);
      counts.inode_check ^= node->inode;
      fill_new(*node, source, *parent.node);
      // As any new node, a copy in a set-group-id directory takes the directory's group (the
      // mode stays the source's). 3.0.117 does so at every level of the copy, but keeps the
      // source's group for a file it replaces (-o).
      if (counted && (parent.node->mode & kSetGroupId)) node->gid = parent.node->gid;
      if (source.is_directory()) fs_->reserve_entries(*node, source.directory->children.size());
    }
    if (linkable) copies_[source.inode] = node ? node->inode : 0;
    if (source.is_directory()) copy_children(source, {node ? node->inode : 0, node, true});
    if (node) node->eattr |= eattr::kSnapshot;
  }

  void take_owner(Node& node, const Node& source) const {
    if (request_.uid == 0 || request_.uid == source.uid) {
      node.uid = source.uid;
      node.gid = source.gid;
      node.mode = source.mode;
    } else {
      node.uid = request_.uid;
      node.gid = caller_.primary_gid();
      node.mode = source.mode & kWithoutSetIds;
    }
  }

  void fill_new(Node& node, const Node& source, const Node& parent) {
    if (request_.smode & snapshot_mode::kCpLike) {
      // Like a newly created object: the caller's, the parent's defaults, times now.
      node.uid = request_.uid;
      node.gid = caller_.primary_gid();
      node.mode = source.mode & ~request_.cumask & 07777;
      inherit_from_parent(node, parent);
    } else {
      take_owner(node, source);
      node.sclass = source.sclass;
      node.trash_hours = source.trash_hours;
      node.eattr = source.eattr;
      node.winattr = source.winattr;
      node.copy_extras_from(source);
      node.atime = source.atime;
      node.mtime = source.mtime;
      node.ctime = source.ctime;
    }
    copy_target_and_rdev(node, source);
    if (source.is_file_like()) {
      node.chunks = source.chunks;
      for (const ChunkList::Slot& slot : node.chunks) (*share_)(slot.id, node);
      fs_->set_length(node, source.length);
    }
  }

  void update_existing(Node& target, const Node& source) {
    copy_target_and_rdev(target, source);
    if (request_.smode & snapshot_mode::kCpLike) {
      target.uid = request_.uid;
      target.gid = caller_.primary_gid();
      target.mode = source.mode & ~request_.cumask & 07777;
      target.ctime = now_;
    } else {
      take_owner(target, source);
      target.atime = source.atime;
      target.mtime = source.mtime;
      target.ctime = source.ctime;
    }
    target.eattr |= eattr::kSnapshot;
  }

  const FsTree& view_;
  FsTree* fs_;
  const SnapshotRequest& request_;
  Credentials caller_;
  uint32_t now_;
  const ChunkSharer* share_;
  // -p: source inode -> the inode of its first copy in this snapshot.
  std::unordered_map<uint32_t, uint32_t> copies_;
  uint32_t depth_ = 0;
};

}  // namespace

Result<SnapshotCounts> plan_snapshot(const FsTree& fs, const SnapshotRequest& request) {
  const Node* parent = fs.find(request.parent);
  if (!parent || !parent->is_directory()) return StatusCode::kENOENT;
  const Edge* existing = fs.lookup(*parent, request.name);
  SnapshotWalk walk(fs, nullptr, request, 0, nullptr);
  if (request.removes()) {
    if (!existing) return StatusCode::kENOENT;
    if (!(request.smode & snapshot_mode::kForceRemoval)) {
      if (parent->eattr & (eattr::kAppendOnly | eattr::kImmutable)) return StatusCode::kEPERM;
      Status status = check_removal(*existing->child, caller_of(request));
      if (!status) return status;
    }
    walk.remove(parent->inode, request.name);
    if (walk.too_deep) return kTooDeep;
    return walk.counts;
  }
  const Node* source = fs.find(request.source);
  if (!source) return StatusCode::kENOENT;
  if (is_detached(*source)) return StatusCode::kEPERM;
  if (existing) {
    Status status = check_destination(fs, *source, *existing->child, request.smode);
    if (!status) return status;
  }
  walk.copy(*source, walk.destination(parent->inode), request.name);
  if (walk.too_deep) return kTooDeep;
  walk.counts.inode_check ^= fs.upcoming_inodes_xor(walk.allocated);
  return walk.counts;
}

SnapshotCounts make_snapshot(FsTree& fs, const SnapshotRequest& request, const SnapshotCounts& planned, uint32_t now,
                             const ChunkSharer& share) {
  SnapshotWalk walk(fs, &fs, request, now, &share);
  if (request.removes()) {
    walk.remove(request.parent, request.name);
  } else {
    fs.reserve_nodes(planned.created);
    walk.copy(*std::as_const(fs).find(request.source), walk.destination(request.parent), request.name);
  }
  Node& parent = *fs.find(request.parent);
  parent.mtime = parent.ctime = now;
  return walk.counts;
}

}  // namespace mfs::master
