#include "mfsmount/acl_xattrs.h"

#include <cerrno>

#include "mfscommon/protocol_ids.h"
#include "mfsmount/fuse_replies.h"
#include "mfsmount/posix_acl.h"

namespace mfs::mount {

bool reply_acl_get(fuse_req_t req, MasterConnection& master, fuse_ino_t ino, const char* name, size_t size) {
  std::optional<uint8_t> acltype = acl_type_of(name);
  if (!acltype) return false;
  auto reply = master.call(getfacl_request(static_cast<uint32_t>(ino), *acltype), msg::MATOCL_FUSE_GETFACL);
  Result<PosixAcl> acl = reply ? decode_getfacl_reply(*reply) : Result<PosixAcl>(reply.status());
  if (!acl) {
    reply_errno(req, to_errno(acl.code()));
    return true;
  }
  std::vector<uint8_t> value = acl_to_xattr(*acl);
  if (size == 0) {
    fuse_reply_xattr(req, value.size());
  } else if (value.size() > size) {
    reply_errno(req, ERANGE);
  } else {
    fuse_reply_buf(req, reinterpret_cast<const char*>(value.data()), value.size());
  }
  return true;
}

bool reply_acl_change(fuse_req_t req, MasterConnection& master, fuse_ino_t ino, const char* name,
                      std::optional<std::span<const uint8_t>> value) {
  std::optional<uint8_t> acltype = acl_type_of(name);
  if (!acltype) return false;
  Result<PosixAcl> acl = value ? acl_from_xattr(*value) : Result<PosixAcl>(PosixAcl{});
  if (!acl) {
    reply_errno(req, to_errno(acl.code()));
    return true;
  }
  auto reply = master.call(setfacl_request(static_cast<uint32_t>(ino), fuse_req_ctx(req)->uid, *acltype, *acl),
                           msg::MATOCL_FUSE_SETFACL);
  Status status = reply ? decode_simple_status(*reply) : reply.status();
  reply_errno(req, to_errno(status.code()));
  return true;
}

}  // namespace mfs::mount
