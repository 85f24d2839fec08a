// CLTOMA_FUSE_ARCHCTL (mfschkarchive / mfssetarchive / mfsclrarchive, spec 11 §5.15):
// checks in the spec's order; the change is planned by archive_flags.
#include "mfsmaster/fs_operations.h"

namespace mfs::master {

Result<ArchiveStatus> FsOperations::archive_status(const RequestContext& context, uint32_t inode) const {
  const Node* node = resolve(context, inode);
  if (!node) return StatusCode::kENOENT;
  if (!node->is_file_like() && !node->is_directory()) return StatusCode::kEPERM;
  return master::archive_status(*node, metadata_.chunks());
}

Result<FsOperations::ArchiveUpdate> FsOperations::change_archive(const RequestContext& context, uint32_t inode,
                                                                 bool set) const {
  if (context.disabled(disable::kSetEattr)) return StatusCode::kEPERM;
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* node = resolve(context, inode);
  if (!node) return StatusCode::kENOENT;
  if (!node->is_file_like() && !node->is_directory()) return StatusCode::kEPERM;
  uint32_t uid = context.credentials.uid;
  ArchivePlan plan = plan_archive_change(*node, metadata_.chunks(), uid, set);
  if (!node->is_directory() && plan.counters.not_permitted != 0) return StatusCode::kEPERM;
  ArchiveUpdate update;
  update.counters = plan.counters;
  update.entries.push_back(archive_change_entry(node->inode, uid, set, plan.counters, context.now));
  return update;
}

}  // namespace mfs::master
