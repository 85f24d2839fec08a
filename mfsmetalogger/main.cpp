// mfsmetalogger: MooseFS 3.0.117's command line and start-up around MetaloggerDaemon.
// clang-format off
#include "mfscommon/asio_awaitable.h"
// clang-format on
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>

#include "mfscommon/daemon_signals.h"
#include "mfscommon/daemon_startup.h"
#include "mfscommon/log.h"
#include "mfsmetalogger/metalogger_daemon.h"

int main(int argc, char** argv) {
  mfs::DaemonOptions options;
  if (auto exit_code = mfs::read_command_line(argc, argv, mfs::kMetaloggerDaemon, options)) return *exit_code;
  mfs::DaemonStartup startup(mfs::kMetaloggerDaemon, std::move(options));
  if (auto exit_code = startup.run()) return *exit_code;

  boost::asio::io_context io(1);
  mfs::ml::MetaloggerDaemon metalogger(io, startup.location().path, startup.config());
  metalogger.start();
  startup.initialized();

  mfs::DaemonSignals signals(
      io, [&] { metalogger.reload(); },
      [&] {
        metalogger.stop();
        io.stop();
      });
  io.run();
  MFS_LOG_NOTICE("process exited successfully (status:0)");
  // The session's coroutines still hold the connection; the change log is written out,
  // so the process ends here without unwinding them.
  std::fflush(nullptr);
  std::_Exit(0);
}
