// MooseFS 3.0 chunk files (spec 30 §5.2-5.4): `chunk_<ID>_<VERSION>.mfs`, a header with
// signature, id and version, a table of 1024 block CRCs, then whole 64 KiB blocks. Files
// written here are read by the real chunkserver and the other way round.
//
// All calls block (file I/O); a ChunkFile is used by one thread at a time.
#pragma once
#include <sys/types.h>

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/status.h"

namespace mfs::cs {

inline constexpr uint32_t kBlockSize = csdata::kBlockSize;
inline constexpr uint32_t kChunkSize = csdata::kChunkSize;
inline constexpr uint16_t kBlocksPerChunk = 1024;
inline constexpr uint32_t kHeaderSize = 4096;        // what 3.0.117 writes
inline constexpr uint32_t kLegacyHeaderSize = 1024;  // very old chunkservers, read as is
inline constexpr uint32_t kCrcTableSize = 4 * kBlocksPerChunk;

struct ChunkName {
  uint64_t chunkid = 0;
  uint32_t version = 0;
  bool operator==(const ChunkName&) const = default;
};

// "chunk_<ID: 16 upper-case hex digits>_<VERSION: 8 upper-case hex digits>.mfs".
std::string chunk_file_name(uint64_t chunkid, uint32_t version);
// Anything else (lower-case digits included, as the real scanner does) is nullopt.
std::optional<ChunkName> parse_chunk_file_name(std::string_view name);

// BNUMTOOBIG, WRONGSIZE or WRONGOFFSET for a write that leaves one block of a chunk.
Status check_write_bounds(uint16_t block, uint32_t offset, size_t size);

using CrcTable = std::array<uint32_t, kBlocksPerChunk>;
using Block = std::array<uint8_t, kBlockSize>;

class ChunkFile {
 public:
  // A new file (O_EXCL) with no blocks and every CRC set to the empty-block CRC.
  static Result<ChunkFile> create(const std::string& path, uint64_t chunkid, uint32_t version);
  // Opens an existing file read-write after checking its size and header against
  // `chunkid` and `version`; a mismatch is an IO error (the copy is damaged).
  static Result<ChunkFile> open(const std::string& path, uint64_t chunkid, uint32_t version);

  ChunkFile(ChunkFile&& other) noexcept;
  ChunkFile& operator=(ChunkFile&& other) noexcept;
  ChunkFile(const ChunkFile&) = delete;
  ChunkFile& operator=(const ChunkFile&) = delete;
  ~ChunkFile();

  uint64_t chunkid() const { return chunkid_; }
  uint32_t version() const { return version_; }
  uint16_t blocks() const { return blocks_; }

  // Block `block` into `out`, checked against its stored CRC (CRC error if they differ);
  // a block at or beyond blocks() reads as zeros. Returns the block's CRC.
  Result<uint32_t> read_block(uint16_t block, Block& out);
  // The same without waiting for a disk, for the network thread: nullopt when the block was
  // not read before through this file or is not all in the page cache any more.
  std::optional<Result<uint32_t>> read_block_if_cached(uint16_t block, Block& out);
  // Tells the kernel that blocks [first, first + count) will be read soon, so that it
  // fetches them in one go instead of block by block.
  void will_read(uint16_t first, uint16_t count) const;
  // Stores `data` at `offset` inside block `block`; `crc` is the CRC of `data`, which the
  // caller has checked (for a whole block it becomes the stored CRC). Writing past the end first adds empty blocks; a partial write into a stored block
  // verifies the old content's CRC. The block's new CRC is written before returning, so
  // an acknowledged write is consistent on disk even if the process dies right after.
  Status write(uint16_t block, uint32_t offset, std::span<const uint8_t> data, uint32_t crc);
  // Sets the data length (<= kChunkSize): drops or adds blocks and zeroes the tail of a
  // partial last block.
  Status truncate(uint32_t length);
  // Rewrites the version in the header (the caller renames the file).
  Status set_version(uint32_t version);
  // The stored CRCs; blocks not present read as the empty-block CRC.
  const CrcTable& crc_table() const { return crcs_; }
  // Copies every block and CRC into `target`, an empty chunk; all-zero blocks stay holes.
  Status copy_to(ChunkFile& target);
  Status sync();

 private:
  ChunkFile(int fd, uint64_t chunkid, uint32_t version, uint32_t header_size, uint16_t blocks)
      : fd_(fd), chunkid_(chunkid), version_(version), header_size_(header_size), blocks_(blocks) {}

  off_t block_offset(uint16_t block) const;
  off_t crc_offset(uint16_t block) const;
  Status io_error(const std::string& what, int error) const;
  // `out`, just read from block `block`, against its stored CRC: the CRC, or a CRC error.
  Result<uint32_t> checked(uint16_t block, const Block& out) const;
  Status read_exact(void* out, size_t size, off_t offset, const char* what) const;
  Status write_exact(const void* data, size_t size, off_t offset, const char* what) const;
  Status write_crcs(uint16_t first, std::span<const uint32_t> crcs) const;
  // Grows the file to `blocks` blocks; the new ones are holes with the empty-block CRC.
  Status extend(uint16_t blocks);
  // write() of a block at or past the end: nothing to read back (the rest is zeros), and
  // the CRCs of the blocks added go to disk in one write.
  Status append(uint16_t block, uint32_t offset, std::span<const uint8_t> data, uint32_t crc);

  int fd_ = -1;
  uint64_t chunkid_ = 0;
  uint32_t version_ = 0;
  uint32_t header_size_ = kHeaderSize;
  uint16_t blocks_ = 0;
  CrcTable crcs_{};  // kept equal to the table on disk
  std::bitset<kBlocksPerChunk> read_before_;  // blocks read_block() read from the file
};

}  // namespace mfs::cs
