// Serves one chunkserver connection: timeout and keep-alive of spec 20 §2.1 around a
// ChunkserverProtocol.
#pragma once
#include <boost/asio/ip/tcp.hpp>

#include "mfscommon/tcp_listener.h"
#include "mfsmaster/chunkserver_protocol.h"

namespace mfs::master {

boost::asio::awaitable<void> serve_chunkserver(boost::asio::ip::tcp::socket socket, ChunkserverServices& services);

}  // namespace mfs::master
