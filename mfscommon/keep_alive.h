// The NOP keep-alive of MooseFS links (spec 00 §4): a peer that reads nothing for its
// timeout disconnects, so a side with nothing to say sends ANTOAN_NOP once nothing was
// written for a third of the timeout.
#pragma once
#include <memory>

#include "mfscommon/asio_awaitable.h"
#include "mfscommon/packet_connection.h"

namespace mfs {

// Runs until the connection closes. The timeout is the connection's read timeout (both
// sides of these links use the same one), read again each round since a registration may
// change it.
boost::asio::awaitable<void> keep_alive(std::shared_ptr<PacketConnection> connection);

}  // namespace mfs
