// A TCP listener on a MooseFS "HOST:PORT" option pair that hands every accepted socket
// to a coroutine of the daemon's choosing.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <utility>

#include "mfscommon/asio_awaitable.h"
#include "mfscommon/status.h"

namespace mfs {

class TcpListener {
 public:
  using Handler = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

  TcpListener(boost::asio::io_context& io, std::string name, Handler handler);
  // Binds and starts accepting; the Status says why it could not.
  Status listen(const std::string& host, uint16_t port);
  void stop();
  // "a.b.c.d:port" actually bound.
  std::string address() const;

 private:
  boost::asio::awaitable<void> accept_loop();

  boost::asio::io_context& io_;
  std::string name_;
  Handler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

// "*" (or empty) = every IPv4 address; otherwise an address or a resolvable host name.
Result<boost::asio::ip::tcp::endpoint> listen_endpoint(const std::string& host, uint16_t port);

}  // namespace mfs
