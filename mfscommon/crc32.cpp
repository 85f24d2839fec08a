#include "mfscommon/crc32.h"

#include <isa-l/crc.h>

#include <array>

namespace mfs {

uint32_t crc32(uint32_t crc, std::span<const uint8_t> data) {
  return crc32_gzip_refl(crc, data.data(), data.size());
}

namespace {

// Combination works on CRC "shift" operators: a 32x32 matrix over GF(2) that advances
// a CRC register by a number of zero bits. Squaring it doubles the advance.
using Gf2Matrix = std::array<uint32_t, 32>;

uint32_t gf2_times(const Gf2Matrix& matrix, uint32_t vector) {
  uint32_t sum = 0;
  for (int i = 0; vector != 0; ++i, vector >>= 1) {
    if (vector & 1) sum ^= matrix[i];
  }
  return sum;
}

Gf2Matrix gf2_square(const Gf2Matrix& matrix) {
  Gf2Matrix square{};
  for (int i = 0; i < 32; ++i) square[i] = gf2_times(matrix, matrix[i]);
  return square;
}

// Operator for one zero byte, as an explicit array so it is built only once.
Gf2Matrix one_zero_byte_operator() {
  Gf2Matrix one_bit{};
  one_bit[0] = 0xEDB88320;  // reflected polynomial
  for (int i = 1; i < 32; ++i) one_bit[i] = uint32_t{1} << (i - 1);
  Gf2Matrix op = gf2_square(one_bit);  // 2 bits
  op = gf2_square(op);                 // 4 bits
  return gf2_square(op);               // 8 bits
}

}  // namespace

uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  static const Gf2Matrix kOneByte = one_zero_byte_operator();
  Gf2Matrix op = kOneByte;
  while (length_b != 0) {
    if (length_b & 1) crc_a = gf2_times(op, crc_a);
    length_b >>= 1;
    if (length_b != 0) op = gf2_square(op);
  }
  return crc_a ^ crc_b;
}

uint32_t crc32_zeros(uint64_t count) { return crc32_combine(0xFFFFFFFF, 0xFFFFFFFF, count); }

}  // namespace mfs
