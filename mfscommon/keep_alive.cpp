#include "mfscommon/keep_alive.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mfscommon/any_messages.h"

namespace mfs {

namespace asio = boost::asio;

asio::awaitable<void> keep_alive(std::shared_ptr<PacketConnection> connection) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (connection->is_open()) {
    // Waits until the silence reaches a third of the timeout (not a third after the last
    // check, which could let it grow to two thirds), as the 3.0.117 daemons do.
    auto interval = connection->limits().read_timeout / 3;
    auto due = connection->last_write() + interval;
    if (std::chrono::steady_clock::now() >= due) {
      connection->send(anymsg::encode(anymsg::Ignorable{}));
      due = std::chrono::steady_clock::now() + interval;
    }
    timer.expires_at(due);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

}  // namespace mfs
