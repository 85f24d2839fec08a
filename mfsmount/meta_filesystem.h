// The FUSE operations of the meta mount (mfsmount -m / -o mfsmeta): the trash and the
// sustained files of a meta session (spec 10 §3.4, §12), shaped as meta_tree.h describes.
// What 3.0.117's meta mount does, observed from the outside:
//   read a trash file        its stored path and a newline (GETTRASHPATH)
//   write a trash file       at close, the bytes written become its path (SETTRASHPATH)
//   rename a trash file      undelete (UNDEL), whatever the target
//   unlink a trash file      purge (PURGE)
//   chmod, chown, utimes, truncate: accepted, change nothing; creating anything: ENOSYS.
#pragma once
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "mfsmount/master_connection.h"
#include "mfsmount/master_proxy.h"
#include "mfsmount/mount_options.h"

namespace mfs::mount {

class MetaFilesystem {
 public:
  MetaFilesystem(const MountOptions& options, MasterConnection& master, const MasterProxy& proxy)
      : options_(options), master_(master), proxy_(proxy) {}

  // The operations table; the session's userdata must be this MetaFilesystem.
  static fuse_lowlevel_ops operations();

 private:
  friend struct MetaOperations;

  const MountOptions& options_;
  MasterConnection& master_;
  const MasterProxy& proxy_;
};

}  // namespace mfs::mount
