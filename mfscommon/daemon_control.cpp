#include "mfscommon/daemon_control.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <thread>
#include <utility>

namespace mfs {
namespace {

Status usage_error(std::string reason) { return Status(StatusCode::kEINVAL, std::move(reason)); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<RunMode> parse_mode(std::string_view word, const DaemonIdentity& daemon) {
  struct Name {
    std::string_view word;
    RunMode mode;
  };
  constexpr Name kModes[] = {
      {"start", RunMode::kStart},     {"stop", RunMode::kStop},
      {"restart", RunMode::kRestart}, {"try-restart", RunMode::kTryRestart},
      {"reload", RunMode::kReload},   {"info", RunMode::kInfo},
      {"test", RunMode::kTest},       {"status", RunMode::kTest},
      {"kill", RunMode::kKill},       {"restore", RunMode::kRestore},
  };
  for (const Name& name : kModes) {
    if (iequals(word, name.word) && (name.mode != RunMode::kRestore || daemon.master_flags)) return name.mode;
  }
  return std::nullopt;
}

std::optional<uint32_t> parse_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > UINT32_MAX) return std::nullopt;
  }
  return static_cast<uint32_t>(value);
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Result<DaemonOptions> parse_command_line(int argc, const char* const* argv, const DaemonIdentity& daemon) {
  DaemonOptions options;
  std::vector<std::string_view> words;
  bool options_ended = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i] != nullptr ? argv[i] : "";
    if (options_ended || arg.size() < 2 || arg[0] != '-') {
      words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    // Flags may be grouped (-fun); a flag's value may be attached (-t30) or follow.
    for (size_t j = 1; j < arg.size(); ++j) {
      char flag = arg[j];
      if (flag == 't' || flag == 'c') {
        std::string_view value = arg.substr(j + 1);
        if (value.empty()) {
          if (i + 1 >= argc || argv[i + 1] == nullptr)
            return usage_error(std::string("option -") + flag + " needs a value");
          value = argv[++i];
        }
        if (flag == 'c') {
          options.config_file = std::string(value);
        } else if (auto seconds = parse_seconds(value)) {
          options.lock_timeout = *seconds;
        } else {
          return usage_error("bad lock timeout '" + std::string(value) + "'");
        }
        break;
      }
      bool master_only = flag == 'a' || flag == 'i' || flag == 'x';
      if (master_only && !daemon.master_flags) return usage_error(std::string("unknown option -") + flag);
      switch (flag) {
        case 'v':  // acts at once: what follows is not looked at
          options.show_version = true;
          return options;
        case 'f':
          options.foreground = true;
          break;
        case 'd':
          options.foreground = true;
          options.notices.emplace_back(kDeprecatedForegroundNotice);
          break;
        case 'u':
          options.log_undefined_options = true;
          break;
        case 'n':
          options.keep_core_limit = true;
          break;
        case 'a':
          options.auto_restore = true;
          break;
        case 'i':
          options.ignore_metadata_errors = true;
          break;
        case 'x':
          ++options.restore_verbosity;
          break;
        default:
          return usage_error(std::string("unknown option -") + flag);
      }
    }
  }
  if (words.size() > 1) return usage_error("too many arguments");
  if (!words.empty()) {
    auto mode = parse_mode(words.front(), daemon);
    if (!mode) return usage_error("unknown run mode '" + std::string(words.front()) + "'");
    options.mode = *mode;
  }
  return options;
}

std::string usage_text(const DaemonIdentity& daemon) {
  std::string name(daemon.name);
  std::string text = "usage: " + name + " [-vfun] [-t locktimeout] [-c cfgfile]";
  if (daemon.master_flags) text += " [-i] [-a] [-x [-x]]";
  text += " [start|stop|restart|try-restart|reload|info|test|status|kill";
  text += daemon.master_flags ? "|restore]\n\n" : "]\n\n";
  text +=
      "-v : print version and exit\n"
      "-f : run in the foreground (log also to stderr)\n"
      "-u : log undefined config options\n"
      "-n : do not raise the core dump size limit\n"
      "-t locktimeout : seconds to wait for a running instance to stop (default 1800)\n"
      "-c cfgfile : use this config file\n";
  if (daemon.master_flags) {
    text +=
        "-i : ignore some metadata structure errors\n"
        "-a : restore metadata from change logs automatically if needed\n"
        "-x : more verbose restore output (-xx: even more)\n";
  }
  text +=
      "\nrun modes: start (default), stop, restart, try-restart (restart only if running), reload, info,\n"
      "test or status (is it running), kill";
  text += daemon.master_flags ? ", restore (restore metadata and exit)\n" : "\n";
  return text;
}

bool starts_daemon(RunMode mode) {
  return mode == RunMode::kStart || mode == RunMode::kRestart || mode == RunMode::kTryRestart;
}

ConfigLocation locate_etc_file(std::string_view file_name, std::string_view etc_dir) {
  std::string preferred = std::string(etc_dir) + "/mfs/" + std::string(file_name);
  std::string fallback = std::string(etc_dir) + "/" + std::string(file_name);
  std::error_code error;
  if (std::filesystem::exists(preferred, error) || !std::filesystem::exists(fallback, error))
    return {preferred, false, std::nullopt};
  return {fallback, false, "found " + fallback + " - please move it to " + preferred};
}

ConfigLocation locate_config_file(const DaemonOptions& options, const DaemonIdentity& daemon,
                                  std::string_view etc_dir) {
  if (options.config_file) return {*options.config_file, true, std::nullopt};
  return locate_etc_file(std::string(daemon.name) + ".cfg", etc_dir);
}

Result<ConfigFile> load_daemon_config(const ConfigLocation& location, std::vector<std::string>* messages) {
  if (messages && location.warning) messages->push_back(*location.warning);
  auto config = ConfigFile::load(location.path, messages);
  if (config) return config;
  if (location.explicit_path) return Status(StatusCode::kENOENT, "can't load config file: " + location.path);
  if (messages) messages->push_back("can't load config file: " + location.path + " - using defaults");
  return ConfigFile();
}

std::string LockFile::file_name(const DaemonIdentity& daemon) { return "." + std::string(daemon.name) + ".lock"; }

Result<LockFile> LockFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return Status(StatusCode::kIO, "can't open lockfile " + path + ": " + errno_text());
  return LockFile(fd);
}

LockFile::LockFile(LockFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), locked_(std::exchange(other.locked_, false)) {}

LockFile& LockFile::operator=(LockFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    locked_ = std::exchange(other.locked_, false);
  }
  return *this;
}

LockFile::~LockFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<LockFile::Attempt> LockFile::try_lock() {
  // The holder may let go between the failed F_SETLK and F_GETLK: then try again.
  for (int round = 0; round < 100; ++round) {
    struct flock request {};
    request.l_type = F_WRLCK;
    request.l_whence = SEEK_SET;
    if (::fcntl(fd_, F_SETLK, &request) == 0) {
      locked_ = true;
      return Attempt{true, 0};
    }
    if (errno != EAGAIN && errno != EACCES) return Status(StatusCode::kIO, "can't lock lockfile: " + errno_text());
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    if (::fcntl(fd_, F_GETLK, &probe) != 0) return Status(StatusCode::kIO, "can't check lockfile: " + errno_text());
    if (probe.l_type != F_UNLCK) return Attempt{false, probe.l_pid > 0 ? probe.l_pid : 0};
  }
  return Attempt{false, 0};
}

Status LockFile::write_pid(pid_t pid) {
  std::string text = std::to_string(pid) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return Status(StatusCode::kIO, "can't write pid to lockfile: " + errno_text());
  }
  return Status::ok();
}

namespace {

ControlOutcome exit_with(int code) { return ControlOutcome{code, std::nullopt}; }

ControlOutcome continue_start(LockFile lock, std::ostream& out) {
  if (Status written = lock.write_pid(::getpid()); !written) {
    out << written.to_string() << "\n";
    return exit_with(1);
  }
  out << "lockfile created and locked\n";
  return ControlOutcome{std::nullopt, std::move(lock)};
}

ControlOutcome when_not_running(RunMode mode, const DaemonIdentity& daemon, LockFile lock, std::ostream& out) {
  switch (mode) {
    case RunMode::kStart:
    case RunMode::kRestart:
    case RunMode::kRestore:
      return continue_start(std::move(lock), out);
    case RunMode::kTryRestart:
      out << "can't find process to restart\n";
      return exit_with(1);
    case RunMode::kStop:
    case RunMode::kKill:
      out << "can't find process to terminate\n";
      return exit_with(0);
    case RunMode::kReload:
      out << "can't find process to send reload signal\n";
      return exit_with(1);
    case RunMode::kInfo:
      out << "can't find process to send info signal\n";
      return exit_with(1);
    case RunMode::kTest:
      out << daemon.name << " is not running\n";
      return exit_with(1);
  }
  return exit_with(1);
}

// Polls the lock until the owner has gone (we then hold it) or `timeout` seconds pass.
bool wait_for_release(LockFile& lock, uint32_t timeout, std::ostream& out) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto next_dot = start + std::chrono::seconds(1);
  out << "waiting for termination " << std::flush;
  while (true) {
    auto attempt = lock.try_lock();
    if (!attempt) {
      out << "\n" << attempt.status().to_string() << "\n";
      return false;
    }
    if (attempt->acquired) {
      out << "terminated\n";
      return true;
    }
    auto now = Clock::now();
    if (now - start >= std::chrono::seconds(timeout)) {
      out << "\nabout " << timeout << " seconds passed and lockfile is still locked - giving up\n";
      return false;
    }
    if (now >= next_dot) {
      out << '.' << std::flush;
      next_dot += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

ControlOutcome when_running(const DaemonOptions& options, const DaemonIdentity& daemon, LockFile lock, pid_t owner,
                            std::ostream& out) {
  RunMode mode = options.mode;
  if (mode == RunMode::kStart || mode == RunMode::kRestore) {
    out << "can't start: lockfile is already locked by another process\n";
    return exit_with(1);
  }
  if (owner <= 0) {  // never signal pid 0 or -1: that would hit a whole process group
    out << "lockfile is locked by a process whose pid can't be seen\n";
    return exit_with(1);
  }
  if (mode == RunMode::kTest) {
    out << daemon.name << " pid: " << owner << "\n";
    return exit_with(0);
  }
  if (mode == RunMode::kReload || mode == RunMode::kInfo) {
    bool reload = mode == RunMode::kReload;
    if (::kill(owner, reload ? SIGHUP : SIGUSR1) != 0) {
      out << "can't send signal to lock owner (pid:" << owner << "): " << errno_text() << "\n";
      return exit_with(1);
    }
    out << (reload ? "reload" : "info") << " signal has been sent\n";
    return exit_with(0);
  }
  bool terminate = mode != RunMode::kKill;
  out << "sending " << (terminate ? "SIGTERM" : "SIGKILL") << " to lock owner (pid:" << owner << ")\n";
  // ESRCH: it ended meanwhile, so waiting finds the lock free.
  if (::kill(owner, terminate ? SIGTERM : SIGKILL) != 0 && errno != ESRCH) {
    out << "can't send signal to lock owner (pid:" << owner << "): " << errno_text() << "\n";
    return exit_with(1);
  }
  if (!wait_for_release(lock, options.lock_timeout, out)) return exit_with(1);
  if (mode == RunMode::kRestart || mode == RunMode::kTryRestart) return continue_start(std::move(lock), out);
  return exit_with(0);
}

}  // namespace

ControlOutcome run_control_mode(const DaemonOptions& options, const DaemonIdentity& daemon,
                                const std::string& lock_path, std::ostream& out) {
  auto lock = LockFile::open(lock_path);
  if (!lock) {
    out << lock.status().to_string() << "\n";
    return exit_with(1);
  }
  auto attempt = lock->try_lock();
  if (!attempt) {
    out << attempt.status().to_string() << "\n";
    return exit_with(1);
  }
  if (attempt->acquired) return when_not_running(options.mode, daemon, std::move(*lock), out);
  return when_running(options, daemon, std::move(*lock), attempt->owner, out);
}

namespace {

void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t written = ::write(fd, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // nowhere to relay to: the child's output is dropped
    data += written;
    size -= static_cast<size_t>(written);
  }
}

// Copies what can be read now; false at end of file.
bool relay_available(int from, int to) {
  char buffer[4096];
  ssize_t got = ::read(from, buffer, sizeof buffer);
  if (got < 0) return errno == EINTR || errno == EAGAIN;
  if (got == 0) return false;
  write_all(to, buffer, static_cast<size_t>(got));
  return true;
}

// Output already in the pipe when the child reported. Does not wait for end of file:
// processes the child forked may still hold the pipe open.
void relay_pending(int from, int to) {
  pollfd ready{from, POLLIN, 0};
  while (::poll(&ready, 1, 0) > 0 && (ready.revents & POLLIN) && relay_available(from, to)) {
  }
}

int wait_for_child_report(int status_fd, int output_fd, int relay_fd) {
  bool output_open = true;
  while (true) {
    pollfd fds[2] = {{status_fd, POLLIN, 0}, {output_fd, POLLIN, 0}};
    if (::poll(fds, output_open ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (output_open && fds[1].revents != 0) output_open = relay_available(output_fd, relay_fd);
    if (fds[0].revents != 0) {
      uint8_t result = 1;
      ssize_t got = ::read(status_fd, &result, 1);
      if (got < 0 && errno == EINTR) continue;
      if (output_open) relay_pending(output_fd, relay_fd);
      return got == 1 && result == 0 ? 0 : 1;
    }
  }
}

void redirect_to_dev_null(std::initializer_list<int> fds) {
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) return;
  for (int fd : fds) ::dup2(null_fd, fd);
  if (null_fd > 2) ::close(null_fd);
}

}  // namespace

Daemonizer::~Daemonizer() {
  if (status_fd_ >= 0) ::close(status_fd_);
}

std::optional<int> Daemonizer::detach(int relay_fd) {
  int status_pipe[2];
  int output_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return 1;
  if (::pipe2(output_pipe, O_CLOEXEC) != 0) {
    ::close(status_pipe[0]);
    ::close(status_pipe[1]);
    return 1;
  }
  std::fflush(nullptr);  // or buffered output would be written by both processes
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(status_pipe[0]);
    ::close(output_pipe[0]);
    ::setsid();
    redirect_to_dev_null({0});
    ::dup2(output_pipe[1], 1);
    ::dup2(output_pipe[1], 2);
    ::close(output_pipe[1]);
    status_fd_ = status_pipe[1];
    return std::nullopt;
  }
  ::close(status_pipe[1]);
  ::close(output_pipe[1]);
  int code = 1;
  if (pid > 0) {
    code = wait_for_child_report(status_pipe[0], output_pipe[0], relay_fd);
  } else {
    std::string message = "fork error: " + errno_text() + "\n";
    write_all(relay_fd, message.data(), message.size());
  }
  ::close(status_pipe[0]);
  ::close(output_pipe[0]);
  return code;
}

void Daemonizer::report(bool initialized) {
  if (status_fd_ < 0) return;
  std::fflush(nullptr);
  // Close our ends of the output pipe before the parent learns the result, so that it
  // finds all our output already in the pipe.
  redirect_to_dev_null({1, 2});
  uint8_t result = initialized ? 0 : 1;
  while (::write(status_fd_, &result, 1) < 0 && errno == EINTR) {
  }
  ::close(status_fd_);
  status_fd_ = -1;
}

}  // namespace mfs
