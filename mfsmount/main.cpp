// mfsmount: the MooseNG FUSE3 client. Wires the option parser, the master connection,
// file data and the FUSE operations (ADR 0004); the work is in those modules.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "mfscommon/daemon_control.h"
#include "mfscommon/log.h"
#include "mfsmount/disk_cache.h"
#include "mfsmount/filesystem.h"
#include "mfsmount/meta_filesystem.h"
#include "mfsmount/operation_trace.h"
#include "mfsmount/process_settings.h"
#include "mfsmount/process_title.h"

namespace {

using namespace mfs;
using namespace mfs::mount;

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::array<uint8_t, 16> md5_of(const std::string& text) {
  std::array<uint8_t, 16> digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_md5(), nullptr);
  return digest;
}

std::string join(const std::vector<std::string>& parts) {
  std::string joined;
  for (const std::string& part : parts) joined += (joined.empty() ? "" : ",") + part;
  return joined;
}

// In the background the parent waits for the child's verdict (mounted or not) so that
// its exit status tells the caller, as mfsmount's does. Returns the pipe to report on.
int go_to_background() {
  int verdict[2];
  if (pipe(verdict) != 0) return -1;
  pid_t child = fork();
  if (child < 0) return -1;
  if (child > 0) {
    close(verdict[1]);
    char status = 1;
    if (::read(verdict[0], &status, 1) != 1) status = 1;
    _exit(status);
  }
  close(verdict[0]);
  setsid();
  return verdict[1];
}

void report_to_parent(int pipe_fd, char status) {
  if (pipe_fd < 0) return;
  if (::write(pipe_fd, &status, 1) != 1) MFS_LOG_WARNING("can't report the mount status to the parent");
  close(pipe_fd);
  if (status == 0) {
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      close(null);
    }
  }
}

int run(MountOptions& options, int argc, char** argv) {
  int parent_pipe = options.foreground ? -1 : go_to_background();
  auto fail = [&](const std::string& message) {
    MFS_LOG_ERROR("%s", message.c_str());
    report_to_parent(parent_pipe, 1);
    return 1;
  };
  // Also in the background: until the mount reports to its parent, stderr is the caller's,
  // where 3.0.117 shows its start-up lines too (then it is /dev/null, see report_to_parent).
  log::init("mfsmount", true);
  uint64_t open_files_limit = apply_process_settings(options);  // before any thread starts

  MasterSettings settings;
  settings.host = options.master_host;
  settings.port = options.master_port;
  if (!options.bind_host.empty()) {
    Result<uint32_t> bind_ip = resolve_ipv4(options.bind_host);
    if (!bind_ip) return fail(bind_ip.status().to_string());
    settings.bind_ip = *bind_ip;
  }
  settings.subfolder = options.subfolder;
  settings.info = options.mountpoint;
  settings.meta = options.meta;
  if (options.password) settings.password_md5 = md5_of(*options.password);
  if (options.md5pass) settings.password_md5 = options.md5pass;
  settings.forget_password = options.forget_password;
  if (options.forget_password) {  // the connection keeps the only copy, until it registers
    if (options.password) OPENSSL_cleanse(options.password->data(), options.password->size());
    if (options.md5pass) OPENSSL_cleanse(options.md5pass->data(), options.md5pass->size());
    options.password.reset();
    options.md5pass.reset();
  }
  settings.io_retries = IoRetrySettings{options.io_retries, options.io_timeout, options.log_retry};

  MasterConnection master(settings);
  ChunkserverPool pool(settings.bind_ip);
  FileDataSettings data_settings;
  data_settings.io_retries = settings.io_retries;
  data_settings.preferred_labels = options.preferred_labels;
  data_settings.write_buffer_bytes = static_cast<size_t>(std::max<uint32_t>(options.write_cache_mib, 1)) << 20;
  data_settings.error_on_lost_chunk = options.error_on_lost_chunk;
  data_settings.error_on_no_space = options.error_on_no_space;
  data_settings.read_ahead.budget = static_cast<size_t>(options.read_ahead_mib) << 20;
  data_settings.read_ahead.window = options.read_ahead_bytes;
  data_settings.read_ahead.trigger = options.read_ahead_trigger.value_or(uint64_t{10} * options.read_ahead_bytes);
  std::unique_ptr<DiskCache> disk_cache;
  if (!options.disk_cache_folder.empty() && !options.meta) {
    Result<std::unique_ptr<DiskCache>> opened =
        DiskCache::open(options.disk_cache_folder, uint64_t{options.disk_cache_mib} << 20);
    if (!opened) return fail("disk cache: " + opened.status().to_string());
    disk_cache = std::move(*opened);
    data_settings.disk_cache = disk_cache.get();
    MFS_LOG_NOTICE("disk cache in %s, up to %u MiB", options.disk_cache_folder.c_str(), options.disk_cache_mib);
  }
  Filesystem* filesystem_ptr = nullptr;
  FileData data(master, pool, data_settings, [&](uint32_t inode) { filesystem_ptr->on_written(inode); });
  MasterProxy proxy(master);
  Filesystem filesystem(options, master, data, proxy);
  filesystem_ptr = &filesystem;
  MetaFilesystem meta_filesystem(options, master, proxy);

  // A meta mount keeps no data caches and no open files: notifications and ticks are not its business.
  Status started = options.meta
                       ? master.start([](const Packet&) {}, [] {}, options.delayed_init)
                       : master.start([&](const Packet& packet) { filesystem.on_notification(packet); },
                                      [&] { filesystem.on_tick(); }, options.delayed_init);
  // The message alone: for a refusal or no connection it is 3.0.117's line.
  if (!started) return fail(started.message().empty() ? started.to_string() : started.message());
  log_open_files_limit(options, open_files_limit);  // after the acceptance line, as 3.0.117
  Result<uint32_t> proxy_ip = resolve_ipv4(options.proxy_host);
  if (!proxy_ip) return fail("mfsproxy: " + proxy_ip.status().to_string());
  if (Status s = proxy.start(*proxy_ip); !s) return fail(s.to_string());

  std::vector<std::string> fuse_options = options.fuse_options;
  if (!options.no_std_opts) {
    fuse_options.push_back("allow_other");
    bool has_fsname = false;
    for (const std::string& option : fuse_options) has_fsname |= option.rfind("fsname=", 0) == 0;
    if (!has_fsname) {
      fuse_options.push_back(std::string(options.meta ? "fsname=mfsmeta#" : "fsname=mfs#") + options.master_host + ":" +
                             std::to_string(options.master_port));
    }
  }
  std::vector<std::string> fuse_argv = {"mfsmount"};
  if (!fuse_options.empty()) {
    fuse_argv.push_back("-o");
    fuse_argv.push_back(join(fuse_options));
  }
  if (options.debug) fuse_argv.push_back("-d");
  std::vector<char*> fuse_arg_pointers;
  for (std::string& arg : fuse_argv) fuse_arg_pointers.push_back(arg.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(fuse_arg_pointers.size()), fuse_arg_pointers.data());
  fuse_lowlevel_ops ops = options.meta ? MetaFilesystem::operations() : Filesystem::operations();
  if (options.trace_requests) ops = traced_operations(ops);
  void* userdata = options.meta ? static_cast<void*>(&meta_filesystem) : static_cast<void*>(&filesystem);
  fuse_session* session = fuse_session_new(&args, &ops, sizeof(ops), userdata);
  if (session == nullptr) return fail("bad FUSE options: " + join(fuse_options));
  filesystem.set_session(session);
  if (fuse_set_signal_handlers(session) != 0 || fuse_session_mount(session, options.mountpoint.c_str()) != 0) {
    fuse_session_destroy(session);
    master.stop();
    proxy.stop();
    return fail("can't mount on " + options.mountpoint);
  }
  report_to_parent(parent_pipe, 0);
  set_process_title(argc, argv, mounted_process_title(options.mountpoint));

  int loop_status = 0;
  if (options.single_threaded) {
    loop_status = fuse_session_loop(session);
  } else {
    fuse_loop_config* loop = fuse_loop_cfg_create();
    if (options.max_threads != 0) fuse_loop_cfg_set_max_threads(loop, options.max_threads);
    if (options.max_idle_threads != 0) fuse_loop_cfg_set_idle_threads(loop, options.max_idle_threads);
    fuse_loop_cfg_set_clone_fd(loop, options.clone_fd ? 1 : 0);
    loop_status = fuse_session_loop_mt(session, loop);
    fuse_loop_cfg_destroy(loop);
  }
  fuse_session_unmount(session);
  fuse_remove_signal_handlers(session);
  data.finish_background_io();
  filesystem.set_session(nullptr);
  master.stop();  // first: a tool request waiting for the master then fails at once
  proxy.stop();
  fuse_session_destroy(session);
  fuse_opt_free_args(&args);
  MFS_LOG_NOTICE("unmounted %s", options.mountpoint.c_str());
  return loop_status == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Result<MountOptions> options = parse_mount_command_line(args, read_text_file);
  if (!options) {
    std::fprintf(stderr, "mfsmount: %s\n%s", options.status().to_string().c_str(), mount_usage().c_str());
    return 1;
  }
  if (options->help) {
    std::fputs(mount_usage().c_str(), stdout);
    return 0;
  }
  if (options->version) {
    // As 3.0.117: its own version on stderr, libfuse's (fusermount3, kernel interface) on stdout.
    std::fprintf(stderr, "MFS %s\n", std::string(kVersionLine).c_str());
    fuse_lowlevel_version();
    return 0;
  }
  if (options->password_prompt) {
    // As 3.0.117: getpass() asks on the terminal, or reads stdin when there is none; the
    // typed password replaces any given in the options.
    const char* typed = getpass("MFS Password:");
    if (typed == nullptr) {
      std::fprintf(stderr, "mfsmount: can't read the password\n");
      return 1;
    }
    options->password = typed;
    options->md5pass.reset();
  }
  return run(*options, argc, argv);
}
