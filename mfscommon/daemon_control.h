// What the MooseFS daemons (mfsmaster, mfschunkserver, mfsmetalogger) share before
// their modules start (spec 40 §C.10, §C.1): the command line, the config file
// location, the `.<daemon>.lock` file with the run modes acting on a running instance,
// and detaching into the background while the caller waits for the initialisation.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "mfscommon/config_file.h"
#include "mfscommon/status.h"

namespace mfs {

struct DaemonIdentity {
  std::string_view name;      // "mfsmaster": names the config file, the lock file and messages
  bool master_flags = false;  // accepts -a, -i, -x and the restore mode
};
inline constexpr DaemonIdentity kMasterDaemon{"mfsmaster", true};
inline constexpr DaemonIdentity kChunkserverDaemon{"mfschunkserver", false};
inline constexpr DaemonIdentity kMetaloggerDaemon{"mfsmetalogger", false};

// `-v` output. MooseFS prints a build number; tools only look at the version part.
inline constexpr std::string_view kVersionLine = "version: 3.0.117-1 ; build: mooseng";
inline constexpr std::string_view kDeprecatedForegroundNotice = "option '-d' is deprecated - use '-f' instead";
inline constexpr uint32_t kDefaultLockTimeout = 1800;

enum class RunMode { kStart, kStop, kRestart, kTryRestart, kReload, kInfo, kTest, kKill, kRestore };

struct DaemonOptions {
  RunMode mode = RunMode::kStart;
  bool show_version = false;                    // -v: print kVersionLine, exit 0
  bool foreground = false;                      // -f (or the deprecated -d)
  bool log_undefined_options = false;           // -u
  bool keep_core_limit = false;                 // -n: do not raise the core dump limit
  uint32_t lock_timeout = kDefaultLockTimeout;  // -t: seconds to wait for a stopping instance
  std::optional<std::string> config_file;       // -c
  bool auto_restore = false;                    // -a (master)
  bool ignore_metadata_errors = false;          // -i (master)
  int restore_verbosity = 0;                    // number of -x (master)
  std::vector<std::string> notices;             // to print on stderr before going on
};

// `argv` as main() receives it. Error (EINVAL, with the reason) for an unknown flag, a
// missing flag value, an unknown mode or extra arguments: print usage_text(), exit 1.
// Parsing stops at -v (like getopt processing it first).
Result<DaemonOptions> parse_command_line(int argc, const char* const* argv, const DaemonIdentity& daemon);
std::string usage_text(const DaemonIdentity& daemon);

// Run modes that go on to start a daemon (and so detach first unless in the foreground).
bool starts_daemon(RunMode mode);

// A file looked up in `<etc>/mfs/` with the fallback to `<etc>/` (spec 40 §C.1, §C.3).
struct ConfigLocation {
  std::string path;
  bool explicit_path = false;          // given with -c: failing to read it is fatal
  std::optional<std::string> warning;  // the fallback was used: advise moving the file
};
ConfigLocation locate_etc_file(std::string_view file_name, std::string_view etc_dir = "/etc");
// The daemon's `<name>.cfg`, or the -c file.
ConfigLocation locate_config_file(const DaemonOptions& options, const DaemonIdentity& daemon,
                                  std::string_view etc_dir = "/etc");
// Reads the config file. An unreadable -c file is an error; an unreadable default file
// gives empty defaults and the message "can't load config file: FILE - using defaults".
// Messages for stderr/syslog (including the location warning) go to `messages`.
Result<ConfigFile> load_daemon_config(const ConfigLocation& location, std::vector<std::string>* messages);

// `.<daemon>.lock` in DATA_PATH, held with an exclusive fcntl write lock by the
// running instance. fcntl locks belong to the process and are dropped when the process
// closes *any* descriptor of the file, so open it once only.
class LockFile {
 public:
  static std::string file_name(const DaemonIdentity& daemon);
  // Opens (creating with mode 0666 & ~umask) without locking.
  static Result<LockFile> open(const std::string& path);

  LockFile(LockFile&& other) noexcept;
  LockFile& operator=(LockFile&& other) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  ~LockFile();

  struct Attempt {
    bool acquired = false;
    pid_t owner = 0;  // holder's pid when not acquired; 0 if it can't be seen (other PID namespace)
  };
  // Takes the lock without waiting.
  Result<Attempt> try_lock();
  // Replaces the content with "<pid>\n".
  Status write_pid(pid_t pid);
  bool locked() const { return locked_; }

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  int fd_ = -1;
  bool locked_ = false;
};

struct ControlOutcome {
  // Set when the process must exit now with this status; unset when the daemon goes on
  // starting, holding `lock` (its pid already written).
  std::optional<int> exit_code;
  std::optional<LockFile> lock;
};

// Applies options.mode to the instance that holds `lock_path` (signals it, waits for it
// to end, or takes the lock), with the messages and exit codes of spec 40 §C.10
// written to `out` (stderr for a daemon).
ControlOutcome run_control_mode(const DaemonOptions& options, const DaemonIdentity& daemon,
                                const std::string& lock_path, std::ostream& out);

// Background start: the parent stays until the child has initialised, relaying the
// child's stdout/stderr, and exits 0 or 1 with the outcome.
class Daemonizer {
 public:
  Daemonizer() = default;
  Daemonizer(const Daemonizer&) = delete;
  Daemonizer& operator=(const Daemonizer&) = delete;
  ~Daemonizer();

  // Forks. Returns the parent's exit status in the parent, once the child has reported
  // (1 if it died first); nothing in the child, which runs in a new session with stdin
  // on /dev/null and stdout/stderr piped to the parent. The parent copies the child's
  // output to `relay_fd`.
  std::optional<int> detach(int relay_fd = 2);
  // In the child: ends the wait of the parent with `initialized` and points stdout and
  // stderr at /dev/null. Does nothing without detach() (foreground).
  void report(bool initialized);

 private:
  int status_fd_ = -1;  // child's end of the status pipe
};

}  // namespace mfs
