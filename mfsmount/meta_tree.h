// The shape of the meta mount's tree (mfsmount -m), as the 3.0.117 mount shows it:
//   /            0555, nlink 4       trash, sustained (and .masterinfo, not listed)
//   /trash       0700, nlink 4099    undel, 000 … FFF (one folder per bucket = inode % 4096)
//   /trash/XXX   0700, nlink 3       undel, and the bucket's files as "%08X|path with | for /"
//   /trash/undel 0200, nlink 4098    always empty: a file renamed into it is undeleted
// With mfsflattrash /trash holds undel and all trash files, and no bucket folders.
//   /sustained   0500, nlink 2       deleted files still open somewhere
// Folders have fixed inode numbers at the top of the inode space; files keep their own.
// Pure functions, no I/O: meta_filesystem.cpp does the FUSE and master side.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mfs::mount::meta {

inline constexpr uint32_t kBuckets = 4096;
inline constexpr uint32_t kRootInode = 1;
inline constexpr uint32_t kFirstBucketInode = 0x7FFF0000;
inline constexpr uint32_t kTrashInode = 0x7FFFFFF8;
inline constexpr uint32_t kUndelInode = 0x7FFFFFF9;
inline constexpr uint32_t kSustainedInode = 0x7FFFFFFA;

enum class NodeKind { kRoot, kTrash, kBucket, kUndel, kSustained, kFile };

NodeKind kind_of(uint32_t inode);
// Files' inodes are below the folders' (and .masterinfo's); a master naming another is not believed.
inline bool is_file_inode(uint32_t inode) { return inode != 0 && inode < kFirstBucketInode; }
inline uint32_t bucket_inode(uint32_t bucket) { return kFirstBucketInode + bucket; }
inline uint32_t bucket_of(uint32_t bucket_dir_inode) { return bucket_dir_inode - kFirstBucketInode; }

struct FolderLook {
  uint16_t mode = 0;
  uint32_t nlink = 0;
};
// Mode bits and link count of a folder (any kind except kFile).
FolderLook folder_look(NodeKind kind);

// "000" … "FFF".
std::string bucket_name(uint32_t bucket);
// The bucket a name in /trash stands for. As 3.0.117, the name is read as a hexadecimal
// number up to the first character that is not one (so "00a", "0000000A|x" and even "xyz" =
// 0 are buckets); 4096 and more is no bucket.
std::optional<uint32_t> bucket_from_name(std::string_view name);

// A file's name in a bucket or in /sustained: "%08X|" + the name the master lists.
std::string file_name(uint32_t inode, std::string_view listed_name);
// The inode a file name stands for: 8 hex digits and '|'; the rest of the name is not
// looked at (a file is found under its old name after its path changed).
std::optional<uint32_t> inode_from_name(std::string_view name);

// What a write into a trash file asks for: the bytes written, one trailing newline
// dropped (`echo path > file`). nullopt when there is nothing to send: nothing or only a
// newline written, or the bytes do not form a path (a NUL inside).
std::optional<std::string> path_to_store(std::string_view written);

}  // namespace mfs::mount::meta
