// CRC-32 as MooseFS uses it (spec 20 §5): the zlib/ISO-HDLC CRC, continuable, with
// combine() to build whole-block CRCs from the CRCs of parts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace mfs {

// CRC of `data`, continuing from `crc` (0 to start).
uint32_t crc32(uint32_t crc, std::span<const uint8_t> data);
inline uint32_t crc32(std::span<const uint8_t> data) { return crc32(0, data); }

// CRC of A||B from crc(A), crc(B) and |B| (zlib's crc32_combine).
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);

// CRC of `count` zero bytes.
uint32_t crc32_zeros(uint64_t count);

// CRC of an empty (all-zero) 64 KiB block: 0xD7978EEB.
inline constexpr uint32_t kEmptyBlockCrc = 0xD7978EEB;

}  // namespace mfs
