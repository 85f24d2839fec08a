// Validation of the tool requests that share chunks between files: SNAPSHOT (make and
// remove, spec 11 §5.13 and §7), APPEND_SLICE (§5.12) and REPAIR's preconditions
// (§5.11). Checks in the order of the spec; the result is the changelog entries.
#include <algorithm>

#include "mfscommon/log.h"
#include "mfsmaster/fs_operations.h"
#include "mfsmaster/snapshot_entry.h"
#include "mfsmaster/subtree_statistics.h"

namespace mfs::master {
namespace {

constexpr uint8_t kAppendFromEnd = 0x01;
constexpr uint8_t kAppendToEnd = 0x02;

}  // namespace

Result<Entries> FsOperations::snapshot(const RequestContext& context, uint32_t source_inode, uint32_t parent_inode,
                                       std::string_view name, uint8_t smode, uint16_t umask) const {
  bool removes = smode & snapshot_mode::kDelete;
  if (removes ? context.disabled(disable::kUnlink | disable::kRmdir) : context.disabled(disable::kSnapshot)) {
    return StatusCode::kEPERM;
  }
  if (context.read_only()) return StatusCode::kEROFS;
  const Credentials& caller = context.credentials;
  SnapshotRequest request;
  request.smode = smode;
  request.sesflags = context.session->sesflags | kSnapshotEntrySesflags;
  request.uid = caller.uid;
  request.gids = caller.gids;
  request.cumask = (umask | context.session->umask) & 0777;
  request.name = std::string(name);
  if (removes) {
    if (source_inode != 0) return StatusCode::kEINVAL;
    const Node* parent = resolve(context, parent_inode);
    if (!parent) return StatusCode::kENOENT;
    if (!parent->is_directory()) return StatusCode::kEPERM;
    if (!has_access(*parent, caller, kAccessWrite | kAccessExecute)) return StatusCode::kEACCES;
    if (!valid_name(name)) return StatusCode::kEINVAL;
    const Edge* edge = metadata_.fs().lookup(*parent, name);
    if (!edge) return StatusCode::kENOENT;
    if (sticky_forbids(context, *parent, *edge->child)) return StatusCode::kEPERM;
    request.parent = parent->inode;
  } else {
    if (source_inode == 0) return StatusCode::kEINVAL;
    const Node* source = resolve(context, source_inode);
    const Node* parent = resolve(context, parent_inode);
    if (!source || !parent) return StatusCode::kENOENT;
    if (parent->eattr & eattr::kImmutable) return StatusCode::kEPERM;
    if (!has_access(*source, caller, kAccessRead)) return StatusCode::kEACCES;
    if (!parent->is_directory()) return StatusCode::kEPERM;
    if (source->is_directory() && metadata_.fs().is_ancestor(*source, *parent)) return StatusCode::kEINVAL;
    if (!has_access(*parent, caller, kAccessWrite | kAccessExecute)) return StatusCode::kEACCES;
    if (!valid_name(name)) return StatusCode::kEINVAL;
    request.source = source->inode;
    request.parent = parent->inode;
  }
  auto counts = plan_snapshot(metadata_.fs(), request);
  if (!counts) {
    if (counts.code() == StatusCode::kENOTSUP) MFS_LOG_WARNING("SNAPSHOT refused: %s", counts.status().to_string().c_str());
    return counts.status();
  }
  if (!removes) {
    if (Status quota = snapshot_quota_check(request); !quota) return quota;
  }
  metadata_.remember_snapshot_plan(request, *counts);
  return Entries{snapshot_entry(request, *counts, context.now)};
}

Status FsOperations::snapshot_quota_check(const SnapshotRequest& request) const {
  // What the source's subtree adds, less what the destination already holds there.
  const FsTree& fs = metadata_.fs();
  const Node& parent = *fs.find(request.parent);
  SubtreeUsage growth = FsTree::subtree_usage(*fs.find(request.source));
  if (const Edge* existing = fs.lookup(parent, request.name)) {
    SubtreeUsage present = FsTree::subtree_usage(*existing->child);
    growth.inodes -= std::min(growth.inodes, present.inodes);
    growth.length -= std::min(growth.length, present.length);
    growth.size -= std::min(growth.size, present.size);
    growth.realsize -= std::min(growth.realsize, present.realsize);
  }
  return metadata_.quotas().check(fs, parent, growth);
}

Result<Entries> FsOperations::append_slice(const RequestContext& context, uint32_t inode, uint32_t source_inode,
                                           uint8_t flags, uint32_t from, uint32_t to) const {
  if (context.disabled(disable::kAppendChunks)) return StatusCode::kEPERM;
  if (inode == source_inode) return StatusCode::kEINVAL;
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* file = resolve(context, inode);
  const Node* source = resolve(context, source_inode);
  if (!file || !source) return StatusCode::kENOENT;
  if (!source->is_file_like()) return StatusCode::kEPERM;
  if (!has_access(*source, context.credentials, kAccessRead)) return StatusCode::kEACCES;
  if (!file->is_file_like()) return StatusCode::kEPERM;
  if (file->eattr & eattr::kImmutable) return StatusCode::kEPERM;
  if (!has_access(*file, context.credentials, kAccessWrite)) return StatusCode::kEACCES;
  if (source->length == 0) return Entries{};
  // [from, to) in chunk indexes of the source; negative ones count from its end.
  uint64_t chunk_count = (source->length - 1) / kChunkSize + 1;
  uint64_t first = (flags & kAppendFromEnd) ? chunk_count - std::min<uint64_t>(from, chunk_count) : from;
  uint64_t end = (flags & kAppendToEnd) ? chunk_count - std::min<uint64_t>(to, chunk_count) : to;
  end = std::min(end, chunk_count);
  if (first >= end) return Entries{};
  uint64_t base = (file->length + kChunkSize - 1) / kChunkSize;
  if (base + (end - first) - 1 > kMaxChunkIndex) return StatusCode::kIndexTooBig;
  // The destination as it will be, for the quota test of its growth.
  Node appended;
  appended.sclass = file->sclass;
  appended.chunks = file->chunks;
  appended.chunks.append_slice(source->chunks, static_cast<uint32_t>(first), static_cast<uint32_t>(end),
                               static_cast<uint32_t>(base));
  appended.length = base * kChunkSize + (end == chunk_count ? source->length - first * kChunkSize
                                                            : (end - first) * kChunkSize);
  SubtreeUsage growth = metadata_.fs().usage_of(appended).add(metadata_.fs().usage_of(*file), -1);
  growth.inodes = 0;
  if (Status quota = metadata_.quotas().check_file(metadata_.fs(), *file, growth); !quota) return quota;
  return Entries{ChangelogEntry::make("APPEND", context.now)
                     .arg(file->inode)
                     .arg(source->inode)
                     .arg(static_cast<uint32_t>(first))
                     .arg(static_cast<uint32_t>(end - 1))};
}

Result<const Node*> FsOperations::repair(const RequestContext& context, uint32_t inode) const {
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* file = resolve(context, inode);
  if (!file) return StatusCode::kENOENT;
  if (!file->is_file_like()) return StatusCode::kEPERM;
  if (file->eattr & eattr::kImmutable) return StatusCode::kEPERM;
  if (!has_access(*file, context.credentials, kAccessWrite)) return StatusCode::kEACCES;
  return file;
}

}  // namespace mfs::master
