#include "mfschunkserver/chunk_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "mfscommon/crc32.h"
#include "mfscommon/packet.h"

namespace mfs::cs {
namespace {

constexpr std::string_view kSignature = "MFSC 1.0";
constexpr std::string_view kSignatureV11 = "MFSC 1.1";  // also accepted (spec 30 §5.3)
constexpr size_t kNameLength = 35;
constexpr std::string_view kNamePrefix = "chunk_";
constexpr std::string_view kNameSuffix = ".mfs";
constexpr size_t kHeaderFieldsSize = 20;  // signature, id, version

std::optional<uint64_t> parse_upper_hex(std::string_view digits) {
  uint64_t value = 0;
  for (char c : digits) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return value;
}

void put_u64_be(uint8_t* out, uint64_t v) {
  put_u32_be(out, static_cast<uint32_t>(v >> 32));
  put_u32_be(out + 4, static_cast<uint32_t>(v));
}

bool all_zero(std::span<const uint8_t> data) {
  return std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; });
}

std::string describe(uint64_t chunkid, uint32_t version) { return chunk_file_name(chunkid, version); }

}  // namespace

std::string chunk_file_name(uint64_t chunkid, uint32_t version) {
  char name[kNameLength + 1];
  std::snprintf(name, sizeof name, "chunk_%016llX_%08X.mfs", static_cast<unsigned long long>(chunkid), version);
  return name;
}

std::optional<ChunkName> parse_chunk_file_name(std::string_view name) {
  if (name.size() != kNameLength || !name.starts_with(kNamePrefix) || !name.ends_with(kNameSuffix) ||
      name[22] != '_') {
    return std::nullopt;
  }
  auto chunkid = parse_upper_hex(name.substr(6, 16));
  auto version = parse_upper_hex(name.substr(23, 8));
  if (!chunkid || !version) return std::nullopt;
  return ChunkName{*chunkid, static_cast<uint32_t>(*version)};
}

Status check_write_bounds(uint16_t block, uint32_t offset, size_t size) {
  if (block >= kBlocksPerChunk) return StatusCode::kBNumTooBig;
  if (size > kBlockSize) return StatusCode::kWrongSize;
  if (offset >= kBlockSize || offset + size > kBlockSize) return StatusCode::kWrongOffset;
  return Status::ok();
}

Result<ChunkFile> ChunkFile::create(const std::string& path, uint64_t chunkid, uint32_t version) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    int error = errno;
    StatusCode code = error == EEXIST ? StatusCode::kChunkExist : StatusCode::kIO;
    return Status(code, describe(chunkid, version) + ": can't create " + path + ": " + std::strerror(error));
  }
  ChunkFile file(fd, chunkid, version, kHeaderSize, 0);
  file.crcs_.fill(kEmptyBlockCrc);
  std::vector<uint8_t> start(kHeaderSize + kCrcTableSize, 0);
  std::copy(kSignature.begin(), kSignature.end(), start.begin());
  put_u64_be(start.data() + 8, chunkid);
  put_u32_be(start.data() + 16, version);
  for (uint16_t block = 0; block < kBlocksPerChunk; ++block) {
    put_u32_be(start.data() + kHeaderSize + 4 * block, kEmptyBlockCrc);
  }
  if (Status written = file.write_exact(start.data(), start.size(), 0, "header"); !written) {
    ::unlink(path.c_str());
    return written;
  }
  return file;
}

Result<ChunkFile> ChunkFile::open(const std::string& path, uint64_t chunkid, uint32_t version) {
  std::string name = describe(chunkid, version);
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    StatusCode code = error == ENOENT ? StatusCode::kNoChunk : StatusCode::kIO;
    return Status(code, name + ": can't open " + path + ": " + std::strerror(error));
  }
  ChunkFile file(fd, chunkid, version, kHeaderSize, 0);
  struct stat st;
  if (fstat(fd, &st) != 0) return file.io_error("fstat", errno);
  // The header size follows from the file size, which holds whole blocks only.
  auto size = static_cast<uint64_t>(st.st_size);
  uint64_t header_size = size < kCrcTableSize ? 0 : (size - kCrcTableSize) % kBlockSize;
  if ((header_size != kHeaderSize && header_size != kLegacyHeaderSize) ||
      size > header_size + kCrcTableSize + kChunkSize) {
    return Status(StatusCode::kIO, name + ": wrong file size (" + std::to_string(size) + ")");
  }
  file.header_size_ = static_cast<uint32_t>(header_size);
  file.blocks_ = static_cast<uint16_t>((size - header_size - kCrcTableSize) / kBlockSize);

  uint8_t header[kHeaderFieldsSize];
  if (Status read = file.read_exact(header, sizeof header, 0, "header"); !read) return read;
  std::string_view signature(reinterpret_cast<const char*>(header), kSignature.size());
  PacketReader fields(std::span<const uint8_t>(header + 8, 12));
  uint64_t header_chunkid = fields.u64();
  uint32_t header_version = fields.u32();
  if (signature != kSignature && signature != kSignatureV11) {
    return Status(StatusCode::kIO, name + ": wrong header signature");
  }
  if (header_chunkid != chunkid || header_version != version) {
    return Status(StatusCode::kIO, name + ": wrong id/version in header (" + describe(header_chunkid, header_version) +
                                       ")");
  }
  uint8_t table[kCrcTableSize];
  if (Status read = file.read_exact(table, sizeof table, file.header_size_, "crc table"); !read) return read;
  for (uint16_t block = 0; block < kBlocksPerChunk; ++block) {
    // Chunks created but never written by 3.0.117 hold zeros for absent blocks.
    file.crcs_[block] = block < file.blocks_ ? get_u32_be(table + 4 * block) : kEmptyBlockCrc;
  }
  return file;
}

ChunkFile::ChunkFile(ChunkFile&& other) noexcept { *this = std::move(other); }

ChunkFile& ChunkFile::operator=(ChunkFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    chunkid_ = other.chunkid_;
    version_ = other.version_;
    header_size_ = other.header_size_;
    blocks_ = other.blocks_;
    crcs_ = other.crcs_;
    read_before_ = other.read_before_;
  }
  return *this;
}

ChunkFile::~ChunkFile() {
  if (fd_ >= 0) ::close(fd_);
}

off_t ChunkFile::block_offset(uint16_t block) const {
  return static_cast<off_t>(header_size_) + kCrcTableSize + static_cast<off_t>(block) * kBlockSize;
}

off_t ChunkFile::crc_offset(uint16_t block) const { return static_cast<off_t>(header_size_) + 4 * block; }

Status ChunkFile::io_error(const std::string& what, int error) const {
  return Status(StatusCode::kIO, describe(chunkid_, version_) + ": " + what + ": " + std::strerror(error));
}

Status ChunkFile::read_exact(void* out, size_t size, off_t offset, const char* what) const {
  ssize_t done = ::pread(fd_, out, size, offset);
  if (done < 0) return io_error(std::string("read ") + what, errno);
  if (static_cast<size_t>(done) != size) return Status(StatusCode::kIO, describe(chunkid_, version_) + ": short read of " + what);
  return Status::ok();
}

Status ChunkFile::write_exact(const void* data, size_t size, off_t offset, const char* what) const {
  ssize_t done = ::pwrite(fd_, data, size, offset);
  if (done < 0) return io_error(std::string("write ") + what, errno);
  if (static_cast<size_t>(done) != size) return Status(StatusCode::kIO, describe(chunkid_, version_) + ": short write of " + what);
  return Status::ok();
}

Status ChunkFile::write_crcs(uint16_t first, std::span<const uint32_t> crcs) const {
  std::array<uint8_t, kCrcTableSize> bytes;
  for (size_t i = 0; i < crcs.size(); ++i) put_u32_be(bytes.data() + 4 * i, crcs[i]);
  return write_exact(bytes.data(), 4 * crcs.size(), crc_offset(first), "crc table");
}

Status ChunkFile::extend(uint16_t blocks) {
  if (::ftruncate(fd_, block_offset(blocks)) != 0) return io_error("extend", errno);
  std::fill(crcs_.begin() + blocks_, crcs_.begin() + blocks, kEmptyBlockCrc);
  if (Status written = write_crcs(blocks_, std::span(crcs_).subspan(blocks_, blocks - blocks_)); !written) {
    return written;
  }
  blocks_ = blocks;
  return Status::ok();
}

Result<uint32_t> ChunkFile::read_block(uint16_t block, Block& out) {
  if (block >= blocks_) {
    out.fill(0);
    return kEmptyBlockCrc;
  }
  if (Status read = read_exact(out.data(), out.size(), block_offset(block), "block"); !read) return read;
  read_before_.set(block);
  return checked(block, out);
}

std::optional<Result<uint32_t>> ChunkFile::read_block_if_cached(uint16_t block, Block& out) {
  if (block >= blocks_) return read_block(block, out);
  // A block never read through this descriptor is most likely not cached, and a miss
  // would start its disk read here, on the caller's thread.
  if (!read_before_.test(block)) return std::nullopt;
  iovec buffer{out.data(), out.size()};
  // Any failure (EAGAIN: not all in the page cache; EOPNOTSUPP: an old kernel or file
  // system) leaves the read to read_block(), which reports real errors.
  if (::preadv2(fd_, &buffer, 1, block_offset(block), RWF_NOWAIT) != static_cast<ssize_t>(out.size())) {
    return std::nullopt;
  }
  return checked(block, out);
}

Result<uint32_t> ChunkFile::checked(uint16_t block, const Block& out) const {
  uint32_t crc = crc32(out);
  if (crc != crcs_[block]) {
    char text[96];
    std::snprintf(text, sizeof text, ": crc error (block: %u ; header crc: %08X ; block crc: %08X)", block,
                  crcs_[block], crc);
    return Status(StatusCode::kCRC, describe(chunkid_, version_) + text);
  }
  return crc;
}

void ChunkFile::will_read(uint16_t first, uint16_t count) const {
  if (first >= blocks_) return;
  count = std::min<uint16_t>(count, static_cast<uint16_t>(blocks_ - first));
  ::posix_fadvise(fd_, block_offset(first), static_cast<off_t>(count) * kBlockSize, POSIX_FADV_WILLNEED);
}

Status ChunkFile::write(uint16_t block, uint32_t offset, std::span<const uint8_t> data, uint32_t crc) {
  if (Status bounds = check_write_bounds(block, offset, data.size()); !bounds) return bounds;
  if (block >= blocks_) return append(block, offset, data, crc);
  uint32_t block_crc = crc;
  if (data.size() != kBlockSize) {
    Block merged;
    auto old = read_block(block, merged);
    if (!old) return old.status();
    std::copy(data.begin(), data.end(), merged.begin() + offset);
    block_crc = crc32(merged);
  }
  if (Status written = write_exact(data.data(), data.size(), block_offset(block) + offset, "block"); !written) {
    return written;
  }
  crcs_[block] = block_crc;
  return write_crcs(block, std::span(&crcs_[block], 1));
}

Status ChunkFile::append(uint16_t block, uint32_t offset, std::span<const uint8_t> data, uint32_t crc) {
  uint32_t block_crc = crc;
  if (data.size() != kBlockSize) {
    Block merged{};
    std::copy(data.begin(), data.end(), merged.begin() + offset);
    block_crc = crc32(merged);
  }
  // The size first, so that a process killed in between leaves whole blocks (holes whose
  // CRCs still read as empty); a write up to the block's end sets it by itself.
  if (offset + data.size() < kBlockSize && ::ftruncate(fd_, block_offset(static_cast<uint16_t>(block + 1))) != 0) {
    return io_error("extend", errno);
  }
  if (Status written = write_exact(data.data(), data.size(), block_offset(block) + offset, "block"); !written) {
    return written;
  }
  uint16_t first = blocks_;
  std::fill(crcs_.begin() + first, crcs_.begin() + block, kEmptyBlockCrc);
  crcs_[block] = block_crc;
  blocks_ = static_cast<uint16_t>(block + 1);
  return write_crcs(first, std::span(crcs_).subspan(first, blocks_ - first));
}

Status ChunkFile::truncate(uint32_t length) {
  if (length > kChunkSize) return StatusCode::kEINVAL;
  auto blocks = static_cast<uint16_t>((length + kBlockSize - 1) / kBlockSize);
  uint16_t old_blocks = blocks_;
  if (blocks > blocks_) return extend(blocks);
  if (blocks < blocks_) {
    if (::ftruncate(fd_, block_offset(blocks)) != 0) return io_error("truncate", errno);
    std::fill(crcs_.begin() + blocks, crcs_.begin() + blocks_, kEmptyBlockCrc);
    if (Status written = write_crcs(blocks, std::span(crcs_).subspan(blocks, blocks_ - blocks)); !written) {
      return written;
    }
    blocks_ = blocks;
  }
  uint32_t tail = length % kBlockSize;
  if (tail == 0 || blocks > old_blocks) return Status::ok();
  // The kept part of the last block stays; what follows `length` becomes zeros.
  uint16_t last = static_cast<uint16_t>(blocks - 1);
  Block content;
  auto old = read_block(last, content);
  if (!old) return old.status();
  std::fill(content.begin() + tail, content.end(), 0);
  if (Status written = write_exact(content.data() + tail, kBlockSize - tail, block_offset(last) + tail, "block");
      !written) {
    return written;
  }
  crcs_[last] = crc32(content);
  return write_crcs(last, std::span(&crcs_[last], 1));
}

Status ChunkFile::set_version(uint32_t version) {
  uint8_t field[4];
  put_u32_be(field, version);
  if (Status written = write_exact(field, sizeof field, 16, "header"); !written) return written;
  version_ = version;
  return Status::ok();
}

Status ChunkFile::copy_to(ChunkFile& target) {
  if (Status extended = target.extend(blocks_); !extended) return extended;
  Block content;
  for (uint16_t block = 0; block < blocks_; ++block) {
    auto crc = read_block(block, content);
    if (!crc) return crc.status();
    if (all_zero(content)) continue;
    if (Status written = target.write_exact(content.data(), content.size(), target.block_offset(block), "block");
        !written) {
      return written;
    }
  }
  target.crcs_ = crcs_;
  return target.write_crcs(0, target.crcs_);
}

Status ChunkFile::sync() {
  if (::fsync(fd_) != 0) return io_error("fsync", errno);
  return Status::ok();
}

}  // namespace mfs::cs
