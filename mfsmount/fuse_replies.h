// Helpers shared by the two FUSE operation tables (filesystem.cpp for the file system,
// meta_filesystem.cpp for the meta mount): error replies, directory listings, byte ranges.
#pragma once
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include <memory>
#include <string_view>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmount/master_messages.h"

namespace mfs::mount {

// The block size both mounts report in stat and statfs, as 3.0.117's.
constexpr uint32_t kBlockSize = 65536;

// S_IFREG, S_IFDIR, ... of a node type.
mode_t type_bits(NodeType type);

// The stat of a node as the master describes it (st_blocks from the length, for files).
struct stat stat_of(uint32_t inode, const Attr& attr);

// Answers with an errno, 0 for a success without data; under mfsdebug an error is logged.
void reply_errno(fuse_req_t req, int error);
// A MooseFS status as the errno of the reply.
void reply_status(fuse_req_t req, const Status& status);

// Answers the error of a failed result; false (nothing answered) when it holds a value.
template <typename T>
bool reply_if_error(fuse_req_t req, const Result<T>& result) {
  if (result) return false;
  reply_status(req, result.status());
  return true;
}

// The listing an open directory handle (fi->fh) holds.
struct DirListing {
  std::vector<DirEntry> entries;
};

// OPENDIR's answer: the handle keeps `listing` until RELEASEDIR.
void reply_dir_opened(fuse_req_t req, fuse_file_info* fi, std::unique_ptr<DirListing> listing);
// The READDIR and RELEASEDIR operations of a handle OPENDIR made with reply_dir_opened:
// READDIR gives the entries from `offset` (an entry's offset is its index + 1) that fit in `size`.
void read_dir_listing(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi);
void release_dir_listing(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);

// READ of bytes the mount makes itself: `size` bytes at `offset`, fewer at the end.
void reply_slice(fuse_req_t req, std::string_view bytes, off_t offset, size_t size);

}  // namespace mfs::mount
