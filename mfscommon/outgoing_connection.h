// Connections a daemon opens: the chunkserver's and the metalogger's to the master, and
// the chunkserver's to the data port of another chunkserver (the next server of a write
// chain, spec 20 §3.3, and the source of a replication, §4).
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "mfscommon/packet_connection.h"
#include "mfscommon/status.h"

namespace mfs {

// The local address of BIND_HOST as a MooseFS u32: 0 (any) for "*" or nothing.
Result<uint32_t> bind_address(const std::string& bind_host);

// Tries each connect timeout in turn (one attempt per entry); CANTCONNECT when all fail.
// A non-zero `bind_ip` is the local address of the connection.
boost::asio::awaitable<Result<std::shared_ptr<PacketConnection>>> connect_with_retries(
    uint32_t ip, uint16_t port, std::span<const std::chrono::milliseconds> attempts, ConnectionLimits limits,
    uint32_t bind_ip = 0);

// The next packet that is not a NOP; nullopt when the connection ended (see close_reason()).
boost::asio::awaitable<std::optional<Packet>> read_skipping_nops(PacketConnection& connection);

}  // namespace mfs
