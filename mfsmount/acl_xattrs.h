// getxattr / setxattr / removexattr of the two POSIX ACL names, answered through the
// master's GETFACL / SETFACL (posix_acl.h) instead of its extended attributes. The master
// checks ownership and evaluates the ACLs in every permission check (ACCESS, OPEN, ...).
#pragma once
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <optional>
#include <span>

#include "mfsmount/master_connection.h"

namespace mfs::mount {

// Each answers the request and returns true when `name` is an ACL name; false (and
// nothing answered) for any other name.
bool reply_acl_get(fuse_req_t req, MasterConnection& master, fuse_ino_t ino, const char* name, size_t size);
// `value` nullopt: removexattr.
bool reply_acl_change(fuse_req_t req, MasterConnection& master, fuse_ino_t ino, const char* name,
                      std::optional<std::span<const uint8_t>> value);

}  // namespace mfs::mount
