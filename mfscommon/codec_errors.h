// The statuses the packet decoders return for what they cannot accept.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mfscommon/status.h"

namespace mfs {

// "<name>: payload of <length> bytes, expected <expected>" (EINVAL).
Status bad_length(std::string_view name, size_t length, std::string_view expected);
// "unknown message type <type> <direction>" (EINVAL).
Status unknown_type(uint32_t type, std::string_view direction);

}  // namespace mfs
