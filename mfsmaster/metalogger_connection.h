// Serves one metalogger connection: limits, timeout and keep-alive of spec 40 §A.1 and
// §A.7 around a MetaloggerProtocol.
#pragma once
#include <boost/asio/ip/tcp.hpp>

#include "mfscommon/asio_awaitable.h"
#include "mfsmaster/metalogger_protocol.h"

namespace mfs::master {

boost::asio::awaitable<void> serve_metalogger(boost::asio::ip::tcp::socket socket, MetaloggerServices& services);

}  // namespace mfs::master
