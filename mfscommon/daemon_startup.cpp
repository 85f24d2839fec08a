#include "mfscommon/daemon_startup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "mfscommon/log.h"
#include "mfscommon/working_user.h"

namespace mfs {

std::optional<int> read_command_line(int argc, const char* const* argv, const DaemonIdentity& daemon,
                                     DaemonOptions& options) {
  auto parsed = parse_command_line(argc, argv, daemon);
  if (!parsed) {
    std::cerr << parsed.status().to_string() << "\n" << usage_text(daemon);
    return 1;
  }
  if (parsed->show_version) {
    std::cout << kVersionLine << "\n";
    return 0;
  }
  for (const std::string& notice : parsed->notices) std::cerr << notice << "\n";
  options = std::move(*parsed);
  return std::nullopt;
}

std::optional<int> DaemonStartup::run() {
  std::vector<std::string> messages;
  location_ = locate_config_file(options_, daemon_);
  auto config = load_daemon_config(location_, &messages);
  for (const std::string& message : messages) std::cerr << message << "\n";
  if (!config) return 1;
  config_ = std::move(*config);

  if (starts_daemon(options_.mode) && !options_.foreground) {
    if (auto parent_exit = daemonizer_.detach()) return *parent_exit;
  }
  umask(static_cast<mode_t>(config_.get_uint("FILE_UMASK", 027) & 077));
  if (Status status = switch_to_working_user(config_); !status) return fail(status.to_string());
  std::string data_path = config_.get_string("DATA_PATH", "/var/lib/mfs");
  if (chdir(data_path.c_str()) != 0) return fail("can't set working directory to " + data_path);
  std::cerr << "working directory: " << data_path << "\n";

  ControlOutcome control =
      run_control_mode(options_, daemon_, data_path + "/" + LockFile::file_name(daemon_), std::cerr);
  if (control.exit_code) {
    daemonizer_.report(*control.exit_code == 0);
    return *control.exit_code;
  }
  lock_ = std::move(control.lock);
  ident_ = config_.get_string("SYSLOG_IDENT", std::string(daemon_.name));
  log::init(ident_, options_.foreground);
  std::cerr << "initializing " << ident_ << " modules ...\n";
  return std::nullopt;
}

int DaemonStartup::fail(const std::string& message) {
  std::cerr << message << "\nerror occurred during initialization - exiting\n";
  daemonizer_.report(false);
  return 1;
}

void DaemonStartup::initialized() {
  std::cerr << ident_ << " daemon initialized properly\n";
  daemonizer_.report(true);
}

}  // namespace mfs
