#include "mfsmount/meta_filesystem.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"
#include "mfsmount/fuse_replies.h"
#include "mfsmount/meta_messages.h"
#include "mfsmount/meta_tree.h"

namespace mfs::mount {

namespace {

using meta::NodeKind;

constexpr size_t kMaxName = 255;
// Writes into a trash file must end within its first 1024 bytes (EINVAL beyond, as 3.0.117).
constexpr size_t kMaxPathWrite = 1024;
// statfs of 3.0.117's meta mount: no blocks, and this inode count whatever the trash holds.
constexpr fsfilcnt_t kMetaStatfsInodes = 1003000234;

MetaFilesystem& meta_of(fuse_req_t req) { return *static_cast<MetaFilesystem*>(fuse_req_userdata(req)); }

struct stat folder_stat(uint32_t inode, NodeKind kind) {
  struct stat st {};
  meta::FolderLook look = meta::folder_look(kind);
  st.st_ino = inode;
  st.st_mode = S_IFDIR | look.mode;
  st.st_nlink = look.nlink;
  st.st_blksize = kBlockSize;
  // The folders exist only in the mount; 3.0.117 shows them as made just now.
  st.st_atime = st.st_mtime = st.st_ctime = std::time(nullptr);
  return st;
}

struct stat master_info_stat() {
  struct stat st {};
  st.st_ino = kMasterInfoInode;
  st.st_mode = S_IFREG | 0444;
  st.st_nlink = 1;
  st.st_size = static_cast<off_t>(kMasterInfoSize);
  st.st_blocks = 1;
  st.st_blksize = kBlockSize;
  return st;
}

// Trash and sustained nodes are files; anything else from the master is not believed.
Result<struct stat> file_stat(uint32_t inode, const Attr& attr) {
  if (attr.type != NodeType::kFile) return Status(StatusCode::kIO, "detached node that is not a file");
  return stat_of(inode, attr);
}

// An open trash file: what reading it gives, and what was written into it.
struct OpenTrashFile {
  uint32_t inode = 0;
  std::string content;  // the stored path and a newline
  std::mutex mutex;
  std::string written;
  bool dirty = false;     // written since the path was last stored
  bool unusable = false;  // a write left a gap: no path to store
};

void add_folder(DirListing& listing, std::string name, uint32_t inode) {
  listing.entries.push_back({std::move(name), inode, NodeType::kDirectory});
}

}  // namespace

struct MetaOperations {
  static Result<std::vector<uint8_t>> ask(fuse_req_t req, Frame frame, uint32_t reply_type) {
    return meta_of(req).master_.call(std::move(frame), reply_type);
  }

  static Result<struct stat> detached_stat(fuse_req_t req, uint32_t inode) {
    auto reply = ask(req, detached_attr_request(inode, kDetachedAny), msg::MATOCL_FUSE_GETDETACHEDATTR);
    if (!reply) return reply.status();
    Result<Attr> attr = decode_attr_reply(*reply);
    if (!attr) return attr.status();
    return file_stat(inode, *attr);
  }

  static void reply_entry(fuse_req_t req, const struct stat& st) {
    const MountOptions& options = meta_of(req).options_;
    fuse_entry_param param{};
    param.ino = st.st_ino;
    param.generation = 1;
    param.attr = st;
    param.attr_timeout = options.attr_cache_timeout;
    // A file's name changes with its path: its entries are not kept.
    param.entry_timeout = S_ISDIR(st.st_mode) ? options.direntry_cache_timeout : 0.0;
    fuse_reply_entry(req, &param);
  }

  static void reply_file_entry(fuse_req_t req, std::string_view name) {
    std::optional<uint32_t> inode = meta::inode_from_name(name);
    if (!inode) return (void)reply_errno(req, ENOENT);
    Result<struct stat> st = detached_stat(req, *inode);
    if (reply_if_error(req, st)) return;
    reply_entry(req, *st);
  }

  // Trash files live in the buckets, or with mfsflattrash directly in /trash.
  static bool holds_trash_files(fuse_req_t req, NodeKind folder) {
    return folder == NodeKind::kBucket || (folder == NodeKind::kTrash && meta_of(req).options_.flat_trash);
  }

  static void lookup(fuse_req_t req, fuse_ino_t parent, const char* name_text) {
    std::string_view name(name_text);
    if (name.size() > kMaxName) return (void)reply_errno(req, ENAMETOOLONG);
    switch (meta::kind_of(static_cast<uint32_t>(parent))) {
      case NodeKind::kRoot:
        if (name == "trash") return reply_entry(req, folder_stat(meta::kTrashInode, NodeKind::kTrash));
        if (name == "sustained") return reply_entry(req, folder_stat(meta::kSustainedInode, NodeKind::kSustained));
        if (name == kMasterInfoName) return reply_entry(req, master_info_stat());
        break;
      case NodeKind::kTrash:
      case NodeKind::kBucket: {
        if (name == "undel") return reply_entry(req, folder_stat(meta::kUndelInode, NodeKind::kUndel));
        NodeKind folder = meta::kind_of(static_cast<uint32_t>(parent));
        if (holds_trash_files(req, folder)) return reply_file_entry(req, name);
        if (std::optional<uint32_t> bucket = meta::bucket_from_name(name)) {
          return reply_entry(req, folder_stat(meta::bucket_inode(*bucket), NodeKind::kBucket));
        }
        break;
      }
      case NodeKind::kSustained:
        return reply_file_entry(req, name);
      case NodeKind::kUndel:
      case NodeKind::kFile:
        break;
    }
    reply_errno(req, ENOENT);
  }

  static void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    double timeout = meta_of(req).options_.attr_cache_timeout;
    if (ino == kMasterInfoInode) {
      struct stat st = master_info_stat();
      return (void)fuse_reply_attr(req, &st, timeout);
    }
    NodeKind kind = meta::kind_of(static_cast<uint32_t>(ino));
    if (kind != NodeKind::kFile) {
      struct stat st = folder_stat(static_cast<uint32_t>(ino), kind);
      return (void)fuse_reply_attr(req, &st, timeout);
    }
    Result<struct stat> st = detached_stat(req, static_cast<uint32_t>(ino));
    if (reply_if_error(req, st)) return;
    fuse_reply_attr(req, &*st, timeout);
  }

  // chmod, chown, utimes and truncate are accepted and change nothing, as in 3.0.117.
  static void setattr(fuse_req_t req, fuse_ino_t ino, struct stat*, int, fuse_file_info* fi) { getattr(req, ino, fi); }

  static void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto listing = std::make_unique<DirListing>();
    auto self = static_cast<uint32_t>(ino);
    NodeKind kind = meta::kind_of(self);
    if (kind == NodeKind::kFile) return (void)reply_errno(req, ENOTDIR);
    bool in_trash = kind == NodeKind::kBucket || kind == NodeKind::kUndel;
    uint32_t parent = in_trash ? meta::kTrashInode : meta::kRootInode;
    add_folder(*listing, ".", self);
    add_folder(*listing, "..", parent);
    std::optional<Frame> files_request;
    uint32_t reply_type = msg::MATOCL_FUSE_GETTRASH;
    switch (kind) {
      case NodeKind::kRoot:
        add_folder(*listing, "trash", meta::kTrashInode);
        add_folder(*listing, "sustained", meta::kSustainedInode);
        break;
      case NodeKind::kTrash:
        add_folder(*listing, "undel", meta::kUndelInode);
        if (meta_of(req).options_.flat_trash) {
          files_request = trash_list_request(std::nullopt);
          break;
        }
        for (uint32_t bucket = 0; bucket < meta::kBuckets; ++bucket) {
          add_folder(*listing, meta::bucket_name(bucket), meta::bucket_inode(bucket));
        }
        break;
      case NodeKind::kBucket:
        add_folder(*listing, "undel", meta::kUndelInode);
        files_request = trash_list_request(meta::bucket_of(self));
        break;
      case NodeKind::kSustained:
        files_request = sustained_list_request();
        reply_type = msg::MATOCL_FUSE_GETSUSTAINED;
        break;
      case NodeKind::kUndel:
      case NodeKind::kFile:
        break;
    }
    if (files_request) {
      auto reply = ask(req, std::move(*files_request), reply_type);
      if (reply_if_error(req, reply)) return;
      Result<std::vector<DetachedEntry>> files = decode_detached_list(*reply);
      if (reply_if_error(req, files)) return;
      for (const DetachedEntry& file : *files) {
        if (!meta::is_file_inode(file.inode)) {
          MFS_LOG_WARNING("meta listing: the master names inode %u, which is not a file's; left out", file.inode);
          continue;
        }
        listing->entries.push_back({meta::file_name(file.inode, file.name), file.inode, NodeType::kFile});
      }
    }
    reply_dir_opened(req, fi, std::move(listing));
  }

  static void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    fi->direct_io = 1;  // reads give the path, not the file's length of data
    if (ino == kMasterInfoInode) {
      if ((fi->flags & O_ACCMODE) != O_RDONLY) return (void)reply_errno(req, EACCES);
      fi->fh = 0;
      return (void)fuse_reply_open(req, fi);
    }
    if (meta::kind_of(static_cast<uint32_t>(ino)) != NodeKind::kFile) return (void)reply_errno(req, EISDIR);
    // Only trash files have a path to show: a sustained one answers ENOENT here.
    auto reply = ask(req, trash_path_request(static_cast<uint32_t>(ino)), msg::MATOCL_FUSE_GETTRASHPATH);
    if (reply_if_error(req, reply)) return;
    Result<std::string> path = decode_trash_path(*reply);
    if (reply_if_error(req, path)) return;
    auto file = std::make_unique<OpenTrashFile>();
    file->inode = static_cast<uint32_t>(ino);
    file->content = *path + "\n";
    fi->fh = reinterpret_cast<uint64_t>(file.get());
    if (fuse_reply_open(req, fi) == 0) file.release();
  }

  static void read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
    if (ino == kMasterInfoInode) {
      std::vector<uint8_t> record = meta_of(req).proxy_.master_info();
      return reply_slice(req, std::string_view(reinterpret_cast<const char*>(record.data()), record.size()),
                         offset, size);
    }
    reply_slice(req, reinterpret_cast<OpenTrashFile*>(fi->fh)->content, offset, size);
  }

  // The bytes written are kept until close. A write that leaves a gap after what was
  // written cannot make a path: 3.0.117 accepts it and changes nothing.
  static void write(fuse_req_t req, fuse_ino_t ino, const char* buffer, size_t size, off_t offset,
                    fuse_file_info* fi) {
    if (ino == kMasterInfoInode) return (void)reply_errno(req, EACCES);
    auto start = static_cast<size_t>(offset);
    if (offset < 0 || size > kMaxPathWrite || start > kMaxPathWrite - size) return (void)reply_errno(req, EINVAL);
    auto* file = reinterpret_cast<OpenTrashFile*>(fi->fh);
    {
      std::lock_guard lock(file->mutex);
      file->dirty = true;
      if (start > file->written.size()) {
        file->unusable = true;
      } else {
        file->written.resize(std::max(file->written.size(), start + size));
        std::memcpy(file->written.data() + start, buffer, size);
      }
    }
    fuse_reply_write(req, size);
  }

  // At each close the path written so far is stored; like 3.0.117 the mount reports no
  // error of that to the program (a bad path simply changes nothing).
  static void store_path(fuse_req_t req, OpenTrashFile& file) {
    std::optional<std::string> path;
    {
      std::lock_guard lock(file.mutex);
      if (!file.dirty) return;
      file.dirty = false;
      if (!file.unusable) path = meta::path_to_store(file.written);
    }
    if (!path) return;
    auto reply = ask(req, set_trash_path_request(file.inode, *path), msg::MATOCL_FUSE_SETTRASHPATH);
    Status status = reply ? decode_simple_status(*reply) : reply.status();
    if (!status) MFS_LOG_NOTICE("trash file %u: new path refused: %s", file.inode, status.to_string().c_str());
  }

  static void flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if (ino != kMasterInfoInode) store_path(req, *reinterpret_cast<OpenTrashFile*>(fi->fh));
    reply_errno(req, 0);
  }

  static void release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if (ino != kMasterInfoInode) {
      std::unique_ptr<OpenTrashFile> file(reinterpret_cast<OpenTrashFile*>(fi->fh));
      store_path(req, *file);
    }
    reply_errno(req, 0);
  }

  static void status_reply(fuse_req_t req, const Result<std::vector<uint8_t>>& reply) {
    if (reply_if_error(req, reply)) return;
    reply_status(req, decode_simple_status(*reply));
  }

  // rm of a trash file purges it; sustained files cannot be removed.
  static void unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
    NodeKind kind = meta::kind_of(static_cast<uint32_t>(parent));
    if (kind == NodeKind::kSustained) return (void)reply_errno(req, EACCES);
    std::optional<uint32_t> inode = meta::inode_from_name(name);
    if (!holds_trash_files(req, kind) || !inode) return (void)reply_errno(req, ENOENT);
    status_reply(req, ask(req, purge_request(*inode), msg::MATOCL_FUSE_PURGE));
  }

  // Moving a trash file anywhere (trash/undel is the documented place) undeletes it to its
  // stored path; the new name is not used.
  static void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t, const char*, unsigned int) {
    std::optional<uint32_t> inode = meta::inode_from_name(name);
    if (!holds_trash_files(req, meta::kind_of(static_cast<uint32_t>(parent))) || !inode) {
      return (void)reply_errno(req, ENOENT);
    }
    status_reply(req, ask(req, undelete_request(*inode), msg::MATOCL_FUSE_UNDEL));
  }

  static void link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { reply_errno(req, ENOENT); }

  static void statfs(fuse_req_t req, fuse_ino_t) {
    struct statvfs st {};
    st.f_bsize = kBlockSize;
    st.f_frsize = kBlockSize;
    st.f_files = kMetaStatfsInodes;
    st.f_ffree = kMetaStatfsInodes;
    st.f_favail = kMetaStatfsInodes;
    st.f_namemax = kMaxName;
    fuse_reply_statfs(req, &st);
  }
};

fuse_lowlevel_ops MetaFilesystem::operations() {
  // No mknod, mkdir, symlink, rmdir, create or xattr operations: the kernel answers ENOSYS
  // (EOPNOTSUPP for xattrs), as with 3.0.117's meta mount.
  fuse_lowlevel_ops ops{};
  ops.lookup = MetaOperations::lookup;
  ops.getattr = MetaOperations::getattr;
  ops.setattr = MetaOperations::setattr;
  ops.opendir = MetaOperations::opendir;
  ops.readdir = read_dir_listing;
  ops.releasedir = release_dir_listing;
  ops.open = MetaOperations::open;
  ops.read = MetaOperations::read;
  ops.write = MetaOperations::write;
  ops.flush = MetaOperations::flush;
  ops.release = MetaOperations::release;
  ops.unlink = MetaOperations::unlink;
  ops.rename = MetaOperations::rename;
  ops.link = MetaOperations::link;
  ops.statfs = MetaOperations::statfs;
  return ops;
}

}  // namespace mfs::mount
