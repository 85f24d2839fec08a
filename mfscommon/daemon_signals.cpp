#include "mfscommon/daemon_signals.h"

#include <csignal>

#include "mfscommon/log.h"

namespace mfs {

DaemonSignals::DaemonSignals(boost::asio::io_context& io, std::function<void()> reload,
                             std::function<void()> terminate)
    : signals_(io, SIGTERM, SIGINT, SIGHUP), reload_(std::move(reload)), terminate_(std::move(terminate)) {
  signals_.add(SIGUSR1);
  std::signal(SIGPIPE, SIG_IGN);
  wait();
}

void DaemonSignals::wait() {
  signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      MFS_LOG_NOTICE("reloading configuration");
      reload_();
    } else if (signal == SIGUSR1) {
      MFS_LOG_NOTICE("info signal received");
    } else {
      MFS_LOG_NOTICE("terminate signal received");
      terminate_();
      return;
    }
    wait();
  });
}

}  // namespace mfs
