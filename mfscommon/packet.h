// Bounds-checked encoding and decoding of MooseFS packets (spec 00 §2):
// `type:u32 | length:u32 | payload`, all integers big-endian.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mfs {

inline constexpr size_t kPacketHeaderSize = 8;

struct Packet {
  uint32_t type = 0;
  std::vector<uint8_t> payload;
};

// Reads typed fields from a payload. A read past the end returns zeros and makes the
// reader fail for good, so a decoder reads every field and checks ok() once at the end.
class PacketReader {
 public:
  explicit PacketReader(std::span<const uint8_t> data) : data_(data) {}

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  std::span<const uint8_t> bytes(size_t count);
  // `leng:u8 | bytes` (a MooseFS NAME).
  std::string_view name8();
  // `leng:u32 | bytes`.
  std::string_view string32();

  size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool ok() const { return !failed_; }
  // Every byte consumed and no overrun.
  bool finished() const { return !failed_ && pos_ == data_.size(); }

 private:
  const uint8_t* take(size_t count);

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// Builds one framed packet. The length field is filled in by take().
class PacketWriter {
 public:
  explicit PacketWriter(uint32_t type, size_t expected_payload = 0);

  PacketWriter& u8(uint8_t v);
  PacketWriter& u16(uint16_t v);
  PacketWriter& u32(uint32_t v);
  PacketWriter& u64(uint64_t v);
  PacketWriter& bytes(std::span<const uint8_t> data);
  PacketWriter& bytes(std::string_view data);
  // `leng:u8 | bytes`; the caller guarantees data.size() <= 255.
  PacketWriter& name8(std::string_view data);
  // `leng:u32 | bytes`.
  PacketWriter& string32(std::string_view data);

  size_t payload_size() const { return buffer_.size() - kPacketHeaderSize; }
  // Overwrites a u32 already written at payload offset `offset`.
  void patch_u32(size_t offset, uint32_t v);
  // The complete frame: header with the final length, then the payload.
  std::vector<uint8_t> take();

 private:
  std::vector<uint8_t> buffer_;
};

void put_u32_be(uint8_t* out, uint32_t v);
uint32_t get_u32_be(const uint8_t* in);

}  // namespace mfs
