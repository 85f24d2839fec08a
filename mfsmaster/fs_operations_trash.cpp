// Validation of the meta mount's requests (spec 11 §8.2): listing the trash and the
// sustained files, reading and changing a trash file's stored path, undelete and purge.
#include "mfsmaster/fs_operations.h"
#include "mfsmaster/subtree_statistics.h"
#include "mfsmaster/trash_path.h"

namespace mfs::master {
namespace {

bool meta_session(const RequestContext& context) { return context.session->root_inode == kMetaRootInode; }

}  // namespace

Result<const Edge*> FsOperations::changeable_trash_entry(const RequestContext& context, uint32_t inode) const {
  if (!meta_session(context)) return StatusCode::kEPERM;
  if (context.read_only()) return StatusCode::kEROFS;
  return trash_entry(context, inode);
}

Result<std::vector<const Edge*>> FsOperations::trash_entries(const RequestContext& context,
                                                             std::optional<uint32_t> bucket) const {
  if (!meta_session(context)) return StatusCode::kEPERM;
  if (bucket && *bucket < kTrashBuckets) return metadata_.fs().trash_bucket(*bucket);
  std::vector<const Edge*> entries;
  for (const auto& [inode, edge] : metadata_.fs().trash()) entries.push_back(edge.get());
  return entries;
}

Result<std::vector<const Edge*>> FsOperations::sustained_entries(const RequestContext& context) const {
  if (!meta_session(context)) return StatusCode::kEPERM;
  std::vector<const Edge*> entries;
  for (const auto& [inode, edge] : metadata_.fs().sustained()) entries.push_back(edge.get());
  return entries;
}

Result<const Node*> FsOperations::detached_node(const RequestContext& context, uint32_t inode, uint8_t dtype) const {
  if (!meta_session(context)) return StatusCode::kEPERM;
  if (dtype > 2) return StatusCode::kEINVAL;
  const Node* node = metadata_.fs().find(inode);
  bool wanted = node && ((node->type == NodeType::kTrash && dtype != 2) ||
                         (node->type == NodeType::kSustained && dtype != 1));
  if (!wanted) return StatusCode::kENOENT;
  return node;
}

Result<const Edge*> FsOperations::trash_entry(const RequestContext& context, uint32_t inode) const {
  if (!meta_session(context)) return StatusCode::kEPERM;
  auto it = metadata_.fs().trash().find(inode);
  if (it == metadata_.fs().trash().end()) return StatusCode::kENOENT;
  return it->second.get();
}

Result<Entries> FsOperations::set_trash_path(const RequestContext& context, uint32_t inode,
                                             std::string_view sent) const {
  std::optional<std::string_view> path = accepted_trash_path(sent);
  if (!path) return StatusCode::kEINVAL;
  auto entry = changeable_trash_entry(context, inode);
  if (!entry) return entry.status();
  Entries entries;
  entries.push_back(ChangelogEntry::make("SETPATH", context.now).arg(inode).arg(*path));
  return entries;
}

Result<Entries> FsOperations::undelete(const RequestContext& context, uint32_t inode) const {
  auto entry = changeable_trash_entry(context, inode);
  if (!entry) return entry.status();
  auto components = undelete_components((*entry)->name);
  if (!components) return StatusCode::kCantCreatePath;
  const FsTree& fs = metadata_.fs();
  // Walk the existing directories; the rest of the path is created (as apply() does).
  const Node* directory = fs.root();
  uint32_t created = 0;
  for (size_t i = 0; i + 1 < components->size(); ++i) {
    if (created != 0) {
      ++created;
      continue;
    }
    if (directory->eattr & eattr::kImmutable) return StatusCode::kEPERM;
    const Edge* existing = fs.lookup(*directory, (*components)[i]);
    if (!existing) {
      ++created;
    } else if (!existing->child->is_directory()) {
      return StatusCode::kCantCreatePath;
    } else {
      directory = existing->child;
    }
  }
  if (created == 0) {
    if (directory->eattr & eattr::kImmutable) return StatusCode::kEPERM;
    if (fs.lookup(*directory, components->back())) return StatusCode::kEEXIST;
  }
  SubtreeUsage growth = metadata_.fs().usage_of(*(*entry)->child);
  growth.inodes += created;
  if (Status quota = metadata_.quotas().check(fs, *directory, growth); !quota) return quota;
  Entries entries;
  entries.push_back(ChangelogEntry::make("UNDEL", context.now).arg(inode));
  return entries;
}

Result<Entries> FsOperations::purge(const RequestContext& context, uint32_t inode) const {
  auto entry = changeable_trash_entry(context, inode);
  if (!entry) return entry.status();
  Entries entries;
  entries.push_back(ChangelogEntry::make("PURGE", context.now).arg(inode));
  return entries;
}

}  // namespace mfs::master
