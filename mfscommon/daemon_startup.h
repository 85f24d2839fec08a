// What a daemon's main() does between its command line and its modules (spec 40 §C.1,
// §C.10): -v and usage errors, the config file, detaching into the background, the
// working user, DATA_PATH as working directory, the run mode applied to a running
// instance, and logging.
#pragma once
#include <optional>
#include <string>

#include "mfscommon/config_file.h"
#include "mfscommon/daemon_control.h"

namespace mfs {

// Parses the command line into `options`, printing the version, the usage text or the
// notices. An exit code when main() must return now.
std::optional<int> read_command_line(int argc, const char* const* argv, const DaemonIdentity& daemon,
                                     DaemonOptions& options);

class DaemonStartup {
 public:
  DaemonStartup(const DaemonIdentity& daemon, DaemonOptions options) : daemon_(daemon), options_(std::move(options)) {}

  // An exit code when main() must return now (a run mode that ends here, a failure, or
  // the parent of a detached daemon); nullopt when the daemon goes on, holding its lock.
  std::optional<int> run();
  // Prints `message` with MooseFS' failure line, tells a waiting parent, returns 1.
  int fail(const std::string& message);
  // Prints MooseFS' success line and lets a waiting parent exit 0.
  void initialized();

  const DaemonOptions& options() const { return options_; }
  const ConfigLocation& location() const { return location_; }
  ConfigFile& config() { return config_; }
  const std::string& ident() const { return ident_; }

 private:
  const DaemonIdentity& daemon_;
  DaemonOptions options_;
  ConfigLocation location_;
  ConfigFile config_;
  Daemonizer daemonizer_;
  std::optional<LockFile> lock_;
  std::string ident_;
};

}  // namespace mfs
