// GETFACL / SETFACL validation (spec 10 §10.3).
#include "mfsmaster/fs_operations.h"

namespace mfs::master {
namespace {

// The most entries a Linux xattr value (64 KiB) can carry; it also keeps the SETACL
// changelog line below kMaxChangelogLineLength.
constexpr size_t kMaxAclEntries = 8191;

}  // namespace

Result<const PosixAcl*> FsOperations::getfacl(const RequestContext& context, uint32_t inode, uint8_t acl_type) const {
  const Node* node = resolve(context, inode, true);
  if (!node) return StatusCode::kENOENT;
  std::optional<AclType> type = acl_type_of(acl_type);
  const PosixAcl* acl = type ? node->acl(*type) : nullptr;
  if (!acl) return StatusCode::kENOATTR;
  return acl;
}

Result<Entries> FsOperations::setfacl(const RequestContext& context, uint32_t inode, uint8_t acl_type,
                                      const PosixAcl& requested) const {
  if (context.disabled(disable::kSetFacl)) return StatusCode::kEPERM;
  if (context.read_only()) return StatusCode::kEROFS;
  const Node* node = resolve(context, inode);
  if (!node) return StatusCode::kENOENT;
  uint32_t uid = context.credentials.uid;
  if (!(node->eattr & eattr::kNoOwner) && uid != 0 && uid != node->uid) return StatusCode::kEPERM;
  if (node->eattr & eattr::kImmutable) return StatusCode::kEPERM;
  std::optional<AclType> type = acl_type_of(acl_type);
  if (!type) return StatusCode::kEINVAL;
  if (requested.named_users.size() + requested.named_groups.size() > kMaxAclEntries) return StatusCode::kEINVAL;

  PosixAcl acl = requested;
  uint16_t mode = node->mode;
  if (!acl.is_empty()) {
    // Absent base entries come from the mode; an access ACL's base entries become the mode.
    if (acl.user == kNoAclEntry) acl.user = (node->mode >> 6) & 7;
    if (acl.group == kNoAclEntry) acl.group = (node->mode >> 3) & 7;
    if (acl.other == kNoAclEntry) acl.other = node->mode & 7;
    if (type == AclType::kAccess) {
      mode = static_cast<uint16_t>((node->mode & 07000) | acl.node_mode_bits());
    }
  }
  // 3.0.117 sets ctime only when the mode changes, and logs whether ctime then equals the
  // change's time (observed: an ACL change to a node last changed in an earlier second,
  // with the mode unchanged, leaves ctime alone and logs 0).
  bool ctime_is_now = mode != node->mode || node->ctime == context.now;
  Entries entries;
  entries.push_back(ChangelogEntry::make("SETACL", context.now)
                        .arg(node->inode)
                        .arg(mode)
                        .arg(ctime_is_now ? 1 : 0)
                        .arg(acl_type)
                        .arg(acl.user)
                        .arg(acl.group)
                        .arg(acl.other)
                        .arg(acl.mask)
                        .arg(acl.named_users.size())
                        .arg(acl.named_groups.size())
                        .arg(encode_acl_entries(acl)));
  return entries;
}

}  // namespace mfs::master
