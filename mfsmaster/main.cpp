// mfsmaster: MooseFS 3.0.117's command line and start-up around MasterDaemon.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <iostream>

#include "mfscommon/daemon_control.h"
#include "mfscommon/log.h"
#include "mfsmaster/master_daemon.h"

namespace {

// Started as root, the daemon runs as WORKING_USER/WORKING_GROUP, so the files it
// writes stay usable by a MooseFS daemon taking the data folder back.
mfs::Status switch_user(const mfs::ConfigFile& config) {
  if (getuid() != 0) return mfs::Status::ok();
  std::string user = config.get_string("WORKING_USER", "mfs");
  std::string group_name = config.get_string("WORKING_GROUP", "mfs");
  passwd* pw = getpwnam(user.c_str());
  if (!pw) return mfs::Status(mfs::StatusCode::kEINVAL, "can't find user named " + user);
  gid_t gid = pw->pw_gid;
  if (!group_name.empty()) {
    group* gr = getgrnam(group_name.c_str());
    if (!gr) return mfs::Status(mfs::StatusCode::kEINVAL, "can't find group named " + group_name);
    gid = gr->gr_gid;
  }
  if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0) {
    return mfs::Status(mfs::StatusCode::kEPERM, "can't switch to user " + user);
  }
  return mfs::Status::ok();
}

}  // namespace

int main(int argc, char** argv) {
  auto options = mfs::parse_command_line(argc, argv, mfs::kMasterDaemon);
  if (!options) {
    std::cerr << options.status().to_string() << "\n" << mfs::usage_text(mfs::kMasterDaemon);
    return 1;
  }
  if (options->show_version) {
    std::cout << mfs::kVersionLine << "\n";
    return 0;
  }
  for (const std::string& notice : options->notices) std::cerr << notice << "\n";
  if (options->mode == mfs::RunMode::kRestore || options->auto_restore) {
    std::cerr << "metadata restore (-a / restore) is not supported by this master: it replays the changelog "
                 "at every start\n";
    if (options->mode == mfs::RunMode::kRestore) return 1;
  }

  std::vector<std::string> messages;
  mfs::ConfigLocation location = mfs::locate_config_file(*options, mfs::kMasterDaemon);
  auto config = mfs::load_daemon_config(location, &messages);
  for (const std::string& message : messages) std::cerr << message << "\n";
  if (!config) return 1;

  mfs::Daemonizer daemonizer;
  if (mfs::starts_daemon(options->mode) && !options->foreground) {
    if (auto parent_exit = daemonizer.detach()) return *parent_exit;
  }
  auto fail = [&daemonizer](const std::string& message) {
    std::cerr << message << "\nerror occurred during initialization - exiting\n";
    daemonizer.report(false);
    return 1;
  };

  umask(static_cast<mode_t>(config->get_uint("FILE_UMASK", 027) & 077));
  if (mfs::Status status = switch_user(*config); !status) return fail(status.to_string());
  std::string data_path = config->get_string("DATA_PATH", "/var/lib/mfs");
  if (chdir(data_path.c_str()) != 0) return fail("can't set working directory to " + data_path);
  std::cerr << "working directory: " << data_path << "\n";

  mfs::ControlOutcome control = mfs::run_control_mode(
      *options, mfs::kMasterDaemon, data_path + "/" + mfs::LockFile::file_name(mfs::kMasterDaemon), std::cerr);
  if (control.exit_code) {
    daemonizer.report(*control.exit_code == 0);
    return *control.exit_code;
  }

  std::string ident = config->get_string("SYSLOG_IDENT", "mfsmaster");
  mfs::log::init(ident, options->foreground);
  std::cerr << "initializing " << ident << " modules ...\n";
  boost::asio::io_context io(1);
  mfs::master::MasterDaemon master(io, location.path, std::move(*config));
  if (mfs::Status status = master.start(); !status) return fail(status.to_string());
  std::cerr << ident << " daemon initialized properly\n";
  daemonizer.report(true);

  int exit_code = 0;
  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  signals.add(SIGUSR1);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      MFS_LOG_NOTICE("reloading configuration");
      master.reload();
    } else if (signal == SIGUSR1) {
      MFS_LOG_NOTICE("info signal received");
    } else {
      MFS_LOG_NOTICE("terminate signal received - storing metadata");
      if (mfs::Status status = master.stop(); !status) {
        MFS_LOG_ERROR("can't store metadata: %s", status.to_string().c_str());
        exit_code = 1;
      }
      io.stop();
      return;
    }
    signals.async_wait(on_signal);
  };
  signal(SIGPIPE, SIG_IGN);
  signals.async_wait(on_signal);
  io.run();
  MFS_LOG_NOTICE("process exited successfully (status:%d)", exit_code);
  return exit_code;
}
