// The answer to a master's authentication challenge (spec 20 §2.3):
// MD5(random[0..15] | AUTH_CODE | random[16..31]).
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace mfs {

std::array<uint8_t, 16> auth_digest(const std::array<uint8_t, 32>& random, std::string_view code);

}  // namespace mfs
