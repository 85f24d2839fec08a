// A wake-up call between coroutines of the network thread: one waits, others notify.
#pragma once
// clang-format off
#include "mfscommon/asio_awaitable.h"
// clang-format on
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mfs::cs {

class AsyncEvent {
 public:
  explicit AsyncEvent(const boost::asio::any_io_executor& executor)
      : timer_(executor, boost::asio::steady_timer::time_point::max()) {}

  // Returns at once if notify() was called since the last wait, else on the next one.
  boost::asio::awaitable<void> wait() {
    if (!notified_) {
      timer_.expires_at(boost::asio::steady_timer::time_point::max());
      boost::system::error_code ignored;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
    notified_ = false;
  }
  void notify() {
    notified_ = true;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  bool notified_ = false;
};

}  // namespace mfs::cs
