// Serves one client connection (mount, tool or mfscli): the master's read timeout and
// keep-alive NOPs around a ClientProtocol.
#pragma once
#include <boost/asio/ip/tcp.hpp>

#include "mfscommon/tcp_listener.h"
#include "mfsmaster/client_protocol.h"

namespace mfs::master {

boost::asio::awaitable<void> serve_client(boost::asio::ip::tcp::socket socket, ClientServices& services);

}  // namespace mfs::master
