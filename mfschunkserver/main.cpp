// mfschunkserver: MooseFS 3.0.117's command line and start-up around ChunkserverDaemon.
// clang-format off
#include "mfscommon/asio_awaitable.h"
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>

#include "mfschunkserver/chunkserver_daemon.h"
#include "mfscommon/daemon_signals.h"
#include "mfscommon/daemon_startup.h"
#include "mfscommon/log.h"

int main(int argc, char** argv) {
  mfs::DaemonOptions options;
  if (auto exit_code = mfs::read_command_line(argc, argv, mfs::kChunkserverDaemon, options)) return *exit_code;
  mfs::DaemonStartup startup(mfs::kChunkserverDaemon, std::move(options));
  if (auto exit_code = startup.run()) return *exit_code;

  boost::asio::io_context io(1);
  int exit_code = 0;
  auto fatal = [&](const std::string& message) {
    MFS_LOG_ERROR("%s", message.c_str());
    exit_code = 1;
    io.stop();
  };
  mfs::cs::ChunkserverDaemon chunkserver(io, startup.location().path, std::move(startup.config()), fatal);
  if (mfs::Status status = chunkserver.start(); !status) return startup.fail(status.to_string());
  startup.initialized();

  mfs::DaemonSignals signals(
      io, [&] { chunkserver.reload(); },
      [&] {
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
              co_await chunkserver.stop();
              io.stop();
            },
            boost::asio::detached);
      });
  io.run();
  MFS_LOG_NOTICE("process exited successfully (status:%d)", exit_code);
  // Connections and disk jobs still suspended hold references to the modules; every
  // acknowledged write is already in the files, so the process ends here without
  // unwinding them.
  std::fflush(nullptr);
  std::_Exit(exit_code);
}
