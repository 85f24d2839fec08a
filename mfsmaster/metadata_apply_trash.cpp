// apply() handlers for the trash (spec 30 §4.3): a trash file's stored path (SETPATH),
// undelete (UNDEL), expiry (EMPTYTRASH) and that of sustained files (EMPTYSUSTAINED).
// PURGE is with the namespace handlers.
#include "mfsmaster/metadata.h"
#include "mfsmaster/node_inheritance.h"
#include "mfsmaster/sustained_expiry.h"
#include "mfsmaster/trash_expiry.h"
#include "mfsmaster/trash_path.h"

namespace mfs::master {
namespace {

Status mismatch(const std::string& what) { return Status(StatusCode::kMismatch, what); }

// Directories UNDEL creates on the way (observed with 3.0.117): mode 0755, owned by root,
// settings inherited from the parent as by mkdir.
constexpr uint16_t kRestoredDirectoryMode = 0755;

}  // namespace

// 3.0.117 writes SETPATH for a trash file's path (spec 30 names it a symlink change; the
// real master never writes it for symlinks).
Status Metadata::apply_setpath(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  std::string_view path = args.text();
  if (!args.ok()) return args.status();
  Node* node = fs_.find(inode);
  if (!node || node->type != NodeType::kTrash) return mismatch("SETPATH: not a trash file");
  fs_.set_trash_path(*node, std::string(path));
  return Status::ok();
}

// The file goes back to its stored path; missing directories are created first, with
// the lowest free inode numbers in path order, as the live request planned.
Status Metadata::apply_undel(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  Node* file = fs_.find(inode);
  if (!file || file->type != NodeType::kTrash) return mismatch("UNDEL: not a trash file");
  // A copy: the components must outlive the trash entry, which undelete() destroys.
  std::string path = fs_.trash().at(inode)->name;
  auto components = undelete_components(path);
  if (!components) return mismatch("UNDEL: the stored path cannot be created");
  // Everything is checked before anything changes.
  Node* directory = fs_.root();
  size_t existing = 0;
  for (; existing + 1 < components->size(); ++existing) {
    Edge* edge = fs_.lookup(*directory, (*components)[existing]);
    if (!edge) break;
    if (!edge->child->is_directory()) return mismatch("UNDEL: a file is in the way");
    directory = edge->child;
  }
  bool complete = existing + 1 == components->size();
  if (complete && fs_.lookup(*directory, components->back())) return mismatch("UNDEL: entry exists");
  for (size_t i = existing; i + 1 < components->size(); ++i) {
    Node* created = fs_.create(*directory, (*components)[i], NodeType::kDirectory, fs_.next_inode(), entry.timestamp);
    created->mode = kRestoredDirectoryMode;
    inherit_from_parent(*created, *directory);
    directory->mtime = directory->ctime = entry.timestamp;
    directory = created;
  }
  fs_.undelete(*file, *directory, components->back());
  file->ctime = entry.timestamp;
  directory->mtime = directory->ctime = entry.timestamp;
  return Status::ok();
}

Status Metadata::apply_emptytrash(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t bucket = args.number<uint32_t>();
  uint32_t freed = args.result<uint32_t>();
  uint32_t sustained = args.result<uint32_t>();
  uint32_t checksum = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  if (bucket >= kTrashBuckets) return mismatch("EMPTYTRASH: no such bucket");
  TrashExpiry expiry = expired_trash(fs_, bucket, entry.timestamp);
  if (expiry.freed != freed || expiry.sustained != sustained || expiry.inode_checksum != checksum) {
    return mismatch("EMPTYTRASH: expired files differ");
  }
  for (uint32_t inode : expiry.inodes) fs_.purge(*fs_.find(inode), entry.timestamp);
  return Status::ok();
}

Status Metadata::apply_emptysustained(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t bucket = args.number<uint32_t>();
  uint32_t freed = args.result<uint32_t>();
  uint32_t checksum = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  if (bucket >= kSustainedBuckets) return mismatch("EMPTYSUSTAINED: no such bucket");
  SustainedExpiry expiry = released_sustained(fs_, bucket);
  if (expiry.inodes.size() != freed || expiry.inode_checksum != checksum) {
    return mismatch("EMPTYSUSTAINED: released files differ");
  }
  for (uint32_t inode : expiry.inodes) fs_.purge(*fs_.find(inode), entry.timestamp);
  return Status::ok();
}

}  // namespace mfs::master
