// Bounds-checked encoding and decoding of MooseFS packets (spec 00 §2):
// `type:u32 | length:u32 | payload`, all integers big-endian.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace mfs {

inline constexpr size_t kPacketHeaderSize = 8;

inline void put_u32_be(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

inline uint32_t get_u32_be(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) | uint32_t{in[3]};
}

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

// Builds one framed packet. The length field is filled in by take(). The fields are
// written in place, inline: a reply of thousands of records (READDIR) is built in a loop
// of these calls.
class PacketWriter {
 public:
  explicit PacketWriter(uint32_t type, size_t expected_payload = 0);

  PacketWriter& u8(uint8_t v) {
    *room(1) = v;
    return *this;
  }
  PacketWriter& u16(uint16_t v) {
    uint8_t* at = room(2);
    at[0] = static_cast<uint8_t>(v >> 8);
    at[1] = static_cast<uint8_t>(v);
    return *this;
  }
  PacketWriter& u32(uint32_t v) {
    put_u32_be(room(4), v);
    return *this;
  }
  PacketWriter& u64(uint64_t v) {
    uint8_t* at = room(8);
    put_u32_be(at, static_cast<uint32_t>(v >> 32));
    put_u32_be(at + 4, static_cast<uint32_t>(v));
    return *this;
  }
  PacketWriter& bytes(std::span<const uint8_t> data) {
    if (!data.empty()) std::memcpy(room(data.size()), data.data(), data.size());
    return *this;
  }
  PacketWriter& bytes(std::string_view data) {
    return bytes(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  // `leng:u8 | bytes`; the caller guarantees data.size() <= 255.
  PacketWriter& name8(std::string_view data) { return u8(static_cast<uint8_t>(data.size())).bytes(data); }
  // `leng:u32 | bytes`.
  PacketWriter& string32(std::string_view data) { return u32(static_cast<uint32_t>(data.size())).bytes(data); }

  size_t payload_size() const { return used_ - kPacketHeaderSize; }
  // Overwrites a u32 already written at payload offset `offset`.
  void patch_u32(size_t offset, uint32_t v) { put_u32_be(buffer_.data() + kPacketHeaderSize + offset, v); }
  // The complete frame: header with the final length, then the payload.
  std::vector<uint8_t> take();

 private:
  // `count` more bytes at the end; the buffer grows (at least doubling) when they do not fit.
  uint8_t* room(size_t count) {
    if (buffer_.size() - used_ < count) grow(count);
    uint8_t* at = buffer_.data() + used_;
    used_ += count;
    return at;
  }
  void grow(size_t count);

  std::vector<uint8_t> buffer_;  // its size is the room; used_ bytes are written
  size_t used_ = 0;
};

}  // namespace mfs
