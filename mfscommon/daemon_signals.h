// The signals a running daemon answers (spec 40 §C.10): SIGHUP reloads the configuration,
// SIGUSR1 is logged, SIGTERM and SIGINT terminate; SIGPIPE is ignored.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>

namespace mfs {

class DaemonSignals {
 public:
  // `terminate` runs once, on the first SIGTERM or SIGINT; it stops `io` itself, at once
  // or when its shutdown is done.
  DaemonSignals(boost::asio::io_context& io, std::function<void()> reload, std::function<void()> terminate);

 private:
  void wait();

  boost::asio::signal_set signals_;
  std::function<void()> reload_;
  std::function<void()> terminate_;
};

}  // namespace mfs
