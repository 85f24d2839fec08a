#include "mfscommon/packet.h"

#include <cstring>

namespace mfs {

void put_u32_be(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

uint32_t get_u32_be(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) | uint32_t{in[3]};
}

const uint8_t* PacketReader::take(size_t count) {
  if (failed_ || data_.size() - pos_ < count) {
    failed_ = true;
    return nullptr;
  }
  const uint8_t* p = data_.data() + pos_;
  pos_ += count;
  return p;
}

uint8_t PacketReader::u8() {
  const uint8_t* p = take(1);
  return p ? p[0] : 0;
}

uint16_t PacketReader::u16() {
  const uint8_t* p = take(2);
  return p ? static_cast<uint16_t>((p[0] << 8) | p[1]) : 0;
}

uint32_t PacketReader::u32() {
  const uint8_t* p = take(4);
  return p ? get_u32_be(p) : 0;
}

uint64_t PacketReader::u64() {
  const uint8_t* p = take(8);
  return p ? (uint64_t{get_u32_be(p)} << 32) | get_u32_be(p + 4) : 0;
}

std::span<const uint8_t> PacketReader::bytes(size_t count) {
  const uint8_t* p = take(count);
  return p ? std::span<const uint8_t>(p, count) : std::span<const uint8_t>();
}

std::string_view PacketReader::name8() {
  auto data = bytes(u8());
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

std::string_view PacketReader::string32() {
  auto data = bytes(u32());
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

PacketWriter::PacketWriter(uint32_t type, size_t expected_payload) {
  buffer_.reserve(kPacketHeaderSize + expected_payload);
  u32(type);
  u32(0);
}

PacketWriter& PacketWriter::u8(uint8_t v) {
  buffer_.push_back(v);
  return *this;
}

PacketWriter& PacketWriter::u16(uint16_t v) {
  buffer_.push_back(static_cast<uint8_t>(v >> 8));
  buffer_.push_back(static_cast<uint8_t>(v));
  return *this;
}

PacketWriter& PacketWriter::u32(uint32_t v) {
  size_t at = buffer_.size();
  buffer_.resize(at + 4);
  put_u32_be(buffer_.data() + at, v);
  return *this;
}

PacketWriter& PacketWriter::u64(uint64_t v) {
  u32(static_cast<uint32_t>(v >> 32));
  return u32(static_cast<uint32_t>(v));
}

PacketWriter& PacketWriter::bytes(std::span<const uint8_t> data) {
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  return *this;
}

PacketWriter& PacketWriter::bytes(std::string_view data) {
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  return *this;
}

PacketWriter& PacketWriter::name8(std::string_view data) {
  u8(static_cast<uint8_t>(data.size()));
  return bytes(data);
}

PacketWriter& PacketWriter::string32(std::string_view data) {
  u32(static_cast<uint32_t>(data.size()));
  return bytes(data);
}

void PacketWriter::patch_u32(size_t offset, uint32_t v) {
  put_u32_be(buffer_.data() + kPacketHeaderSize + offset, v);
}

std::vector<uint8_t> PacketWriter::take() {
  put_u32_be(buffer_.data() + 4, static_cast<uint32_t>(payload_size()));
  return std::move(buffer_);
}

}  // namespace mfs
