// mfsmaster: MooseFS 3.0.117's command line and start-up around MasterDaemon.
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "mfscommon/daemon_signals.h"
#include "mfscommon/daemon_startup.h"
#include "mfscommon/log.h"
#include "mfsmaster/master_daemon.h"

int main(int argc, char** argv) {
  mfs::DaemonOptions options;
  if (auto exit_code = mfs::read_command_line(argc, argv, mfs::kMasterDaemon, options)) return *exit_code;
  if (options.mode == mfs::RunMode::kRestore) {
    std::cerr << "'restore' is not supported by this master: start it (with -a to pick the newest metadata* "
                 "image, a metalogger's too); every start replays the changelogs\n";
    return 1;
  }
  mfs::DaemonStartup startup(mfs::kMasterDaemon, std::move(options));
  if (auto exit_code = startup.run()) return *exit_code;

  boost::asio::io_context io(1);
  bool auto_restore = startup.options().auto_restore;
  mfs::master::MasterDaemon master(io, startup.location().path, std::move(startup.config()), auto_restore);
  if (mfs::Status status = master.start(); !status) return startup.fail(status.to_string());
  startup.initialized();

  int exit_code = 0;
  mfs::DaemonSignals signals(
      io, [&] { master.reload(); },
      [&] {
        MFS_LOG_NOTICE("storing metadata");
        master.stop([&](mfs::Status status) {
          if (!status) {
            MFS_LOG_ERROR("can't store metadata: %s", status.to_string().c_str());
            exit_code = 1;
          }
          io.stop();
        });
      });
  io.run();
  MFS_LOG_NOTICE("process exited successfully (status:%d)", exit_code);
  return exit_code;
}
