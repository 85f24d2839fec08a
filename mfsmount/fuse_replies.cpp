#include "mfsmount/fuse_replies.h"

#include <algorithm>

#include "mfsmount/operation_trace.h"

namespace mfs::mount {

mode_t type_bits(NodeType type) {
  switch (type) {
    case NodeType::kFile: return S_IFREG;
    case NodeType::kDirectory: return S_IFDIR;
    case NodeType::kSymlink: return S_IFLNK;
    case NodeType::kFifo: return S_IFIFO;
    case NodeType::kBlockDev: return S_IFBLK;
    case NodeType::kCharDev: return S_IFCHR;
    case NodeType::kSocket: return S_IFSOCK;
  }
  return 0;
}

struct stat stat_of(uint32_t inode, const Attr& attr) {
  struct stat st {};
  st.st_ino = inode;
  st.st_mode = type_bits(attr.type) | attr.mode;
  st.st_nlink = attr.nlink;
  st.st_uid = attr.uid;
  st.st_gid = attr.gid;
  st.st_atime = attr.atime;
  st.st_mtime = attr.mtime;
  st.st_ctime = attr.ctime;
  st.st_blksize = kBlockSize;
  if (attr.type == NodeType::kBlockDev || attr.type == NodeType::kCharDev) {
    st.st_rdev = attr.rdev;
  } else {
    // For directories this is the master's encoded subtree size, shown as is by 3.0.117 too.
    st.st_size = static_cast<off_t>(attr.length);
  }
  if (attr.type == NodeType::kFile) st.st_blocks = (st.st_size + 511) / 512;
  return st;
}

void reply_errno(fuse_req_t req, int error) {
  trace_error_answer(error);
  fuse_reply_err(req, error);
}

void reply_status(fuse_req_t req, const Status& status) { reply_errno(req, to_errno(status.code())); }

void reply_dir_opened(fuse_req_t req, fuse_file_info* fi, std::unique_ptr<DirListing> listing) {
  fi->fh = reinterpret_cast<uint64_t>(listing.get());
  if (fuse_reply_open(req, fi) == 0) listing.release();  // else the kernel will not release it
}

void release_dir_listing(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<DirListing*>(fi->fh);
  reply_errno(req, 0);
}

void read_dir_listing(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
  const DirListing& listing = *reinterpret_cast<const DirListing*>(fi->fh);
  std::vector<char> buffer(size);
  size_t used = 0;
  for (size_t i = static_cast<size_t>(std::max<off_t>(offset, 0)); i < listing.entries.size(); ++i) {
    const DirEntry& entry = listing.entries[i];
    struct stat st {};
    st.st_ino = entry.inode;
    st.st_mode = type_bits(entry.type);
    size_t needed = fuse_add_direntry(req, buffer.data() + used, size - used, entry.name.c_str(), &st,
                                      static_cast<off_t>(i + 1));
    if (needed > size - used) break;
    used += needed;
  }
  fuse_reply_buf(req, buffer.data(), used);
}

void reply_slice(fuse_req_t req, std::string_view bytes, off_t offset, size_t size) {
  size_t start = std::min(static_cast<size_t>(std::max<off_t>(offset, 0)), bytes.size());
  size_t length = std::min(size, bytes.size() - start);
  fuse_reply_buf(req, bytes.data() + start, length);
}

}  // namespace mfs::mount
