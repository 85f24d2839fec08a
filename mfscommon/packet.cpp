#include "mfscommon/packet.h"

#include <algorithm>
#include <cstring>

namespace mfs {

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
  buffer_.resize(kPacketHeaderSize + expected_payload);
  u32(type);
  u32(0);
}

void PacketWriter::grow(size_t count) { buffer_.resize(std::max(buffer_.size() * 2, used_ + count)); }

std::vector<uint8_t> PacketWriter::take() {
  buffer_.resize(used_);
  put_u32_be(buffer_.data() + 4, static_cast<uint32_t>(payload_size()));
  return std::move(buffer_);
}

}  // namespace mfs
