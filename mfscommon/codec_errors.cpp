#include "mfscommon/codec_errors.h"

#include <string>

namespace mfs {

Status bad_length(std::string_view name, size_t length, std::string_view expected) {
  return Status(StatusCode::kEINVAL, std::string(name) + ": payload of " + std::to_string(length) +
                                         " bytes, expected " + std::string(expected));
}

Status unknown_type(uint32_t type, std::string_view direction) {
  return Status(StatusCode::kEINVAL, "unknown message type " + std::to_string(type) + " " + std::string(direction));
}

}  // namespace mfs
