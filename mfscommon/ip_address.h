// IPv4 addresses as MooseFS carries them: a u32 with a.b.c.d = a<<24|b<<16|c<<8|d.
#pragma once
#include <cstdint>
#include <string>

namespace mfs {

std::string ip_to_string(uint32_t ip);

}  // namespace mfs
