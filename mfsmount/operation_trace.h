// mfsdebug: each kernel request is logged with its numbers and names before it is handled,
// in the shape of 3.0.117's mfsdebug lines ("lookup (1,a)", "read (2,4096,0)"); the bytes
// of a write or of an xattr value are not logged. Each error answer is logged too, in
// 3.0.117's words ("status: No such file or directory").
#pragma once
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

namespace mfs::mount {

// The same operations, each logging its request first. Keeps a copy of `ops`: one table
// per process.
fuse_lowlevel_ops traced_operations(const fuse_lowlevel_ops& ops);

// Logs the error answer `error` (an errno) once traced_operations was called; nothing for 0
// (a success without data) or without mfsdebug.
void trace_error_answer(int error);

}  // namespace mfs::mount
