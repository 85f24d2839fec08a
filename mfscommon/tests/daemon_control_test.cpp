#include "mfscommon/daemon_control.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mfscommon/version.h"

namespace mfs {
namespace {

Result<DaemonOptions> parse(std::vector<const char*> args, const DaemonIdentity& daemon = kMasterDaemon) {
  args.insert(args.begin(), "mfsdaemon");
  return parse_command_line(static_cast<int>(args.size()), args.data(), daemon);
}

TEST(DaemonCommandLine, Defaults) {
  auto options = parse({});
  ASSERT_TRUE(options.is_ok());
  EXPECT_EQ(options->mode, RunMode::kStart);
  EXPECT_FALSE(options->foreground);
  EXPECT_FALSE(options->show_version);
  EXPECT_FALSE(options->log_undefined_options);
  EXPECT_FALSE(options->keep_core_limit);
  EXPECT_EQ(options->lock_timeout, 1800u);
  EXPECT_FALSE(options->config_file.has_value());
  EXPECT_FALSE(options->auto_restore);
  EXPECT_FALSE(options->ignore_metadata_errors);
  EXPECT_EQ(options->restore_verbosity, 0);
  EXPECT_TRUE(options->notices.empty());
}

TEST(DaemonCommandLine, AllFlags) {
  auto options = parse({"-fun", "-t", "30", "-c", "/tmp/x.cfg", "-i", "-a", "-x", "-x", "stop"});
  ASSERT_TRUE(options.is_ok()) << options.status().to_string();
  EXPECT_TRUE(options->foreground);
  EXPECT_TRUE(options->log_undefined_options);
  EXPECT_TRUE(options->keep_core_limit);
  EXPECT_EQ(options->lock_timeout, 30u);
  EXPECT_EQ(options->config_file, "/tmp/x.cfg");
  EXPECT_TRUE(options->ignore_metadata_errors);
  EXPECT_TRUE(options->auto_restore);
  EXPECT_EQ(options->restore_verbosity, 2);
  EXPECT_EQ(options->mode, RunMode::kStop);
}

TEST(DaemonCommandLine, AttachedValuesGroupsAndOptionsAfterMode) {
  auto options = parse({"reload", "-ft5", "-c/etc/a.cfg", "-xx"});
  ASSERT_TRUE(options.is_ok()) << options.status().to_string();
  EXPECT_EQ(options->mode, RunMode::kReload);
  EXPECT_TRUE(options->foreground);
  EXPECT_EQ(options->lock_timeout, 5u);
  EXPECT_EQ(options->config_file, "/etc/a.cfg");
  EXPECT_EQ(options->restore_verbosity, 2);
}

TEST(DaemonCommandLine, ModesAreCaseInsensitive) {
  const std::pair<const char*, RunMode> cases[] = {
      {"start", RunMode::kStart},     {"STOP", RunMode::kStop},
      {"Restart", RunMode::kRestart}, {"try-restart", RunMode::kTryRestart},
      {"reload", RunMode::kReload},   {"INFO", RunMode::kInfo},
      {"test", RunMode::kTest},       {"status", RunMode::kTest},
      {"kill", RunMode::kKill},       {"restore", RunMode::kRestore},
  };
  for (const auto& [word, mode] : cases) {
    auto options = parse({word});
    ASSERT_TRUE(options.is_ok()) << word;
    EXPECT_EQ(options->mode, mode) << word;
  }
}

TEST(DaemonCommandLine, MasterOnlyFlagsAndRestore) {
  for (const char* arg : {"-a", "-i", "-x", "restore"}) {
    EXPECT_TRUE(parse({arg}, kMasterDaemon).is_ok()) << arg;
    EXPECT_EQ(parse({arg}, kChunkserverDaemon).code(), StatusCode::kEINVAL) << arg;
    EXPECT_FALSE(parse({arg}, kMetaloggerDaemon).is_ok()) << arg;
  }
}

TEST(DaemonCommandLine, DeprecatedForegroundFlag) {
  auto options = parse({"-d"});
  ASSERT_TRUE(options.is_ok());
  EXPECT_TRUE(options->foreground);
  ASSERT_EQ(options->notices.size(), 1u);
  EXPECT_EQ(options->notices[0], kDeprecatedForegroundNotice);
}

TEST(DaemonCommandLine, Version) {
  auto options = parse({"-v", "-q", "extra", "words"});
  ASSERT_TRUE(options.is_ok());
  EXPECT_TRUE(options->show_version);
  EXPECT_FALSE(parse({"-q", "-v"}).is_ok());
  EXPECT_TRUE(kVersionLine.starts_with(std::string("version: ") + kOwnVersionText + " ; build: ")) << kVersionLine;
}

TEST(DaemonCommandLine, Errors) {
  const std::vector<std::vector<const char*>> bad = {
      {"-q"},
      {"-t"},
      {"-t", "abc"},
      {"-t", "99999999999"},
      {"-t", "-5"},
      {"-c"},
      {"start", "stop"},
      {"bogus"},
      {"-fq"},
      {"--", "-f"},
      {"-"},
      {""},
  };
  for (const auto& args : bad) {
    auto options = parse(args);
    EXPECT_EQ(options.code(), StatusCode::kEINVAL) << (args.empty() ? "" : args[0]);
  }
  EXPECT_TRUE(parse({"--", "stop"}).is_ok());
}

TEST(DaemonCommandLine, UsageText) {
  std::string master = usage_text(kMasterDaemon);
  EXPECT_EQ(master.rfind("usage: mfsmaster [-vfun] [-t locktimeout] [-c cfgfile] [-i] [-a] [-x [-x]] [start|", 0), 0u);
  EXPECT_NE(master.find("restore"), std::string::npos);
  std::string chunkserver = usage_text(kChunkserverDaemon);
  EXPECT_EQ(chunkserver.rfind("usage: mfschunkserver [-vfun] [-t locktimeout] [-c cfgfile] [start|", 0), 0u);
  EXPECT_EQ(chunkserver.find("restore"), std::string::npos);
  EXPECT_EQ(chunkserver.find("-x"), std::string::npos);
}

TEST(DaemonCommandLine, StartsDaemon) {
  EXPECT_TRUE(starts_daemon(RunMode::kStart));
  EXPECT_TRUE(starts_daemon(RunMode::kRestart));
  EXPECT_TRUE(starts_daemon(RunMode::kTryRestart));
  for (RunMode mode :
       {RunMode::kStop, RunMode::kReload, RunMode::kInfo, RunMode::kTest, RunMode::kKill, RunMode::kRestore}) {
    EXPECT_FALSE(starts_daemon(mode));
  }
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "daemon_control_XXXXXX";
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

void write_file(const std::string& path, std::string_view text) { std::ofstream(path) << text; }

TEST(DaemonConfig, LocationAndFallback) {
  TempDir etc;
  DaemonOptions options;
  auto none = locate_config_file(options, kMasterDaemon, etc.path());
  EXPECT_EQ(none.path, etc.path() + "/mfs/mfsmaster.cfg");
  EXPECT_FALSE(none.warning.has_value());
  EXPECT_FALSE(none.explicit_path);

  write_file(etc.file("mfsmaster.cfg"), "");
  auto fallback = locate_config_file(options, kMasterDaemon, etc.path());
  EXPECT_EQ(fallback.path, etc.path() + "/mfsmaster.cfg");
  ASSERT_TRUE(fallback.warning.has_value());
  EXPECT_NE(fallback.warning->find("move"), std::string::npos);

  std::filesystem::create_directory(etc.file("mfs"));
  write_file(etc.file("mfs/mfsmaster.cfg"), "");
  auto preferred = locate_config_file(options, kMasterDaemon, etc.path());
  EXPECT_EQ(preferred.path, etc.path() + "/mfs/mfsmaster.cfg");
  EXPECT_FALSE(preferred.warning.has_value());

  options.config_file = "/somewhere/x.cfg";
  auto given = locate_config_file(options, kMasterDaemon, etc.path());
  EXPECT_EQ(given.path, "/somewhere/x.cfg");
  EXPECT_TRUE(given.explicit_path);

  EXPECT_EQ(locate_etc_file("mfsexports.cfg", etc.path()).path, etc.path() + "/mfs/mfsexports.cfg");
}

TEST(DaemonConfig, Loading) {
  TempDir etc;
  std::vector<std::string> messages;
  auto defaults = load_daemon_config({etc.file("missing.cfg"), false, std::nullopt}, &messages);
  ASSERT_TRUE(defaults.is_ok());
  EXPECT_FALSE(defaults->raw("DATA_PATH").has_value());
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "can't load config file: " + etc.file("missing.cfg") + " - using defaults");

  EXPECT_EQ(load_daemon_config({etc.file("missing.cfg"), true, std::nullopt}, nullptr).code(), StatusCode::kENOENT);

  write_file(etc.file("x.cfg"), "DATA_PATH = /data\n");
  messages.clear();
  auto loaded = load_daemon_config({etc.file("x.cfg"), false, "move it"}, &messages);
  ASSERT_TRUE(loaded.is_ok());
  EXPECT_EQ(loaded->get_string("DATA_PATH", ""), "/data");
  EXPECT_EQ(messages, std::vector<std::string>{"move it"});
}

DaemonOptions with_mode(RunMode mode, uint32_t lock_timeout = 10) {
  DaemonOptions options;
  options.mode = mode;
  options.lock_timeout = lock_timeout;
  return options;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int g_signal_pipe = -1;
void note_signal(int signal) {
  char mark = signal == SIGHUP ? 'H' : signal == SIGUSR1 ? 'U' : '?';
  [[maybe_unused]] ssize_t ignored = ::write(g_signal_pipe, &mark, 1);
}

// Another process holding the lock file, as a running daemon would.
class LockHolder {
 public:
  LockHolder(const std::string& lock_path, bool ignore_sigterm) {
    int ready[2];
    int signals[2];
    if (::pipe(ready) != 0 || ::pipe(signals) != 0) std::abort();
    pid_ = ::fork();
    if (pid_ == 0) {
      g_signal_pipe = signals[1];
      std::signal(SIGHUP, note_signal);
      std::signal(SIGUSR1, note_signal);
      if (ignore_sigterm) std::signal(SIGTERM, SIG_IGN);
      auto lock = LockFile::open(lock_path);
      if (!lock || !lock->try_lock().is_ok() || !lock->locked() || !lock->write_pid(::getpid())) ::_exit(2);
      char mark = 'R';
      if (::write(ready[1], &mark, 1) != 1) ::_exit(2);
      while (true) ::pause();
    }
    ::close(ready[1]);
    ::close(signals[1]);
    signals_ = signals[0];
    char mark = 0;
    ready_ = ::read(ready[0], &mark, 1) == 1 && mark == 'R';
    ::close(ready[0]);
  }
  ~LockHolder() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    ::close(signals_);
  }
  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  char next_signal() {
    char mark = 0;
    return ::read(signals_, &mark, 1) == 1 ? mark : 0;
  }
  // The wait status, once it has ended.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int signals_ = -1;
  bool ready_ = false;
};

class DaemonLock : public ::testing::Test {
 protected:
  ControlOutcome run(RunMode mode, uint32_t lock_timeout = 10) {
    out_.str("");
    return run_control_mode(with_mode(mode, lock_timeout), kMasterDaemon, lock_path_, out_);
  }
  // Exit status of `test` mode run by another process (fcntl locks never conflict
  // within one process).
  int test_from_other_process() {
    pid_t child = ::fork();
    if (child == 0) {
      std::ostringstream ignored;
      auto outcome = run_control_mode(with_mode(RunMode::kTest), kMasterDaemon, lock_path_, ignored);
      ::_exit(outcome.exit_code.value_or(99));
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  TempDir dir_;
  std::string lock_path_ = dir_.file(LockFile::file_name(kMasterDaemon));
  std::ostringstream out_;
};

TEST_F(DaemonLock, FileName) { EXPECT_EQ(LockFile::file_name(kMasterDaemon), ".mfsmaster.lock"); }

TEST_F(DaemonLock, StartWhenUnlocked) {
  auto outcome = run(RunMode::kStart);
  EXPECT_FALSE(outcome.exit_code.has_value());
  ASSERT_TRUE(outcome.lock.has_value());
  EXPECT_TRUE(outcome.lock->locked());
  EXPECT_EQ(out_.str(), "lockfile created and locked\n");
  EXPECT_EQ(test_from_other_process(), 0);
  // Last: closing another descriptor of the file drops this process's lock.
  EXPECT_EQ(read_file(lock_path_), std::to_string(::getpid()) + "\n");
  EXPECT_EQ(test_from_other_process(), 1);
}

TEST_F(DaemonLock, ModesWhenNotRunning) {
  const std::tuple<RunMode, std::string, int> cases[] = {
      {RunMode::kTryRestart, "can't find process to restart\n", 1},
      {RunMode::kStop, "can't find process to terminate\n", 0},
      {RunMode::kKill, "can't find process to terminate\n", 0},
      {RunMode::kReload, "can't find process to send reload signal\n", 1},
      {RunMode::kInfo, "can't find process to send info signal\n", 1},
      {RunMode::kTest, "mfsmaster is not running\n", 1},
  };
  for (const auto& [mode, message, code] : cases) {
    auto outcome = run(mode);
    EXPECT_EQ(outcome.exit_code, code) << message;
    EXPECT_EQ(out_.str(), message);
    EXPECT_FALSE(outcome.lock.has_value());
  }
  auto restart = run(RunMode::kRestart);
  EXPECT_FALSE(restart.exit_code.has_value());
  EXPECT_EQ(out_.str(), "lockfile created and locked\n");
}

TEST_F(DaemonLock, TestStartReloadInfoWhenLocked) {
  LockHolder holder(lock_path_, false);
  ASSERT_TRUE(holder.ready());
  auto test = run(RunMode::kTest);
  EXPECT_EQ(test.exit_code, 0);
  EXPECT_EQ(out_.str(), "mfsmaster pid: " + std::to_string(holder.pid()) + "\n");

  auto start = run(RunMode::kStart);
  EXPECT_EQ(start.exit_code, 1);
  EXPECT_EQ(out_.str(), "can't start: lockfile is already locked by another process\n");
  EXPECT_EQ(read_file(lock_path_), std::to_string(holder.pid()) + "\n");

  auto reload = run(RunMode::kReload);
  EXPECT_EQ(reload.exit_code, 0);
  EXPECT_EQ(out_.str(), "reload signal has been sent\n");
  EXPECT_EQ(holder.next_signal(), 'H');

  auto info = run(RunMode::kInfo);
  EXPECT_EQ(info.exit_code, 0);
  EXPECT_EQ(out_.str(), "info signal has been sent\n");
  EXPECT_EQ(holder.next_signal(), 'U');
}

TEST_F(DaemonLock, StopSendsSigtermAndWaits) {
  LockHolder holder(lock_path_, false);
  ASSERT_TRUE(holder.ready());
  pid_t pid = holder.pid();
  auto outcome = run(RunMode::kStop);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_FALSE(outcome.lock.has_value());
  EXPECT_EQ(
      out_.str().rfind("sending SIGTERM to lock owner (pid:" + std::to_string(pid) + ")\nwaiting for termination ", 0),
      0u)
      << out_.str();
  EXPECT_TRUE(out_.str().ends_with("terminated\n")) << out_.str();
  int status = holder.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

TEST_F(DaemonLock, RestartStopsTheOwnerThenContinues) {
  LockHolder holder(lock_path_, false);
  ASSERT_TRUE(holder.ready());
  auto outcome = run(RunMode::kTryRestart);
  EXPECT_FALSE(outcome.exit_code.has_value());
  ASSERT_TRUE(outcome.lock.has_value());
  EXPECT_TRUE(out_.str().ends_with("terminated\nlockfile created and locked\n")) << out_.str();
  EXPECT_EQ(test_from_other_process(), 0);
  EXPECT_EQ(read_file(lock_path_), std::to_string(::getpid()) + "\n");
}

TEST_F(DaemonLock, StopGivesUpAfterLockTimeout) {
  LockHolder holder(lock_path_, true);
  ASSERT_TRUE(holder.ready());
  auto outcome = run(RunMode::kStop, 1);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(out_.str().find("giving up"), std::string::npos) << out_.str();
  EXPECT_EQ(test_from_other_process(), 0) << "the holder is still running";
}

TEST_F(DaemonLock, KillSendsSigkill) {
  LockHolder holder(lock_path_, true);
  ASSERT_TRUE(holder.ready());
  auto outcome = run(RunMode::kKill);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(out_.str().rfind("sending SIGKILL to lock owner (pid:" + std::to_string(holder.pid()) + ")\n", 0), 0u);
  int status = holder.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST_F(DaemonLock, UnusableDirectory) {
  auto outcome = run_control_mode(with_mode(RunMode::kStart), kMasterDaemon, dir_.file("no/such/dir/.lock"), out_);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_NE(out_.str().find("can't open lockfile"), std::string::npos);
}

// Runs `child` in a Daemonizer child; returns the parent's exit status and what it relayed.
template <typename Child>
std::pair<std::optional<int>, std::string> daemonize(Child child) {
  int relay[2];
  if (::pipe(relay) != 0) return {std::nullopt, ""};
  Daemonizer daemonizer;
  std::optional<int> code = daemonizer.detach(relay[1]);
  if (!code) {
    child(daemonizer);
    ::_exit(0);
  }
  ::close(relay[1]);
  std::string relayed;
  char buffer[256];
  ssize_t got;
  while ((got = ::read(relay[0], buffer, sizeof buffer)) > 0) relayed.append(buffer, static_cast<size_t>(got));
  ::close(relay[0]);
  ::waitpid(-1, nullptr, 0);  // the child, which has ended or let go of the relay pipe
  return {code, relayed};
}

TEST(Daemonizer, ParentExitsZeroAfterSuccessfulInitialisation) {
  auto [code, relayed] = daemonize([](Daemonizer& daemonizer) {
    std::fprintf(stderr, "initializing modules ...\n");
    std::printf("stdout line\n");
    daemonizer.report(true);
    std::fprintf(stderr, "not relayed\n");
  });
  EXPECT_EQ(code, 0);
  EXPECT_NE(relayed.find("initializing modules ...\n"), std::string::npos) << relayed;
  EXPECT_NE(relayed.find("stdout line\n"), std::string::npos) << relayed;
  EXPECT_EQ(relayed.find("not relayed"), std::string::npos);
}

TEST(Daemonizer, ParentExitsOneOnFailedInitialisation) {
  auto [code, relayed] = daemonize([](Daemonizer& daemonizer) {
    std::fprintf(stderr, "error occurred during initialization - exiting\n");
    daemonizer.report(false);
  });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(relayed, "error occurred during initialization - exiting\n");
}

TEST(Daemonizer, ParentExitsOneWhenChildDiesWithoutReport) {
  auto [code, relayed] = daemonize([](Daemonizer&) { ::_exit(3); });
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(relayed.empty());
}

TEST(Daemonizer, ReportWithoutDetachDoesNothing) {
  Daemonizer daemonizer;
  daemonizer.report(true);
  SUCCEED();
}

}  // namespace
}  // namespace mfs
