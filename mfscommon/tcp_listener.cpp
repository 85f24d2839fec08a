#include "mfscommon/tcp_listener.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mfscommon/log.h"

namespace mfs {

namespace asio = boost::asio;
using asio::ip::tcp;

Result<tcp::endpoint> listen_endpoint(const std::string& host, uint16_t port) {
  if (host == "*" || host.empty()) return tcp::endpoint(asio::ip::address_v4::any(), port);
  boost::system::error_code ec;
  auto address = asio::ip::make_address_v4(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  asio::io_context resolver_io;
  tcp::resolver resolver(resolver_io);
  auto results = resolver.resolve(tcp::v4(), host, std::to_string(port), ec);
  if (ec || results.empty()) return Status(StatusCode::kEINVAL, "can't resolve " + host + ": " + ec.message());
  return results.begin()->endpoint();
}

TcpListener::TcpListener(asio::io_context& io, std::string name, Handler handler)
    : io_(io), name_(std::move(name)), handler_(std::move(handler)), acceptor_(io) {}

Status TcpListener::listen(const std::string& host, uint16_t port) {
  auto endpoint = listen_endpoint(host, port);
  if (!endpoint) return endpoint.status();
  boost::system::error_code ec;
  acceptor_.open(endpoint->protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(StatusCode::kIO,
                  name_ + ": can't listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  asio::co_spawn(io_, accept_loop(), asio::detached);
  return Status::ok();
}

std::string TcpListener::address() const {
  boost::system::error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

void TcpListener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

asio::awaitable<void> TcpListener::accept_loop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      MFS_LOG_WARNING("%s: accept failed: %s", name_.c_str(), ec.message().c_str());
      continue;
    }
    asio::co_spawn(io_, handler_(std::move(socket)), asio::detached);
  }
}

}  // namespace mfs
