// The mfsmount command line and mfsmount.cfg (spec 40 C.9): `mfsmount [HOST[:PORT]:[PATH]]
// MOUNTPOINT [-f] [-d] [-s] [-H host] [-P port] [-S subfolder] [-B ip] [-c cfgfile] [-o opt,...]`.
// Options from the config file come first, the command line overrides them. An unknown
// or malformed option is an error naming it (mfsmount then exits with status 1).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmount/label_preference.h"

namespace mfs::mount {

enum class CacheMode { kAuto, kYes, kNo, kDirect };

struct MountOptions {
  std::string mountpoint;
  bool foreground = false;
  bool debug = false;
  bool single_threaded = false;
  bool help = false;
  bool version = false;

  std::string master_host = "mfsmaster";
  uint16_t master_port = 9421;
  std::string bind_host;  // empty: the OS chooses
  std::string proxy_host = "127.0.0.1";
  std::string subfolder = "/";
  std::string cfgfile;  // empty: /etc/mfs/mfsmount.cfg if it exists
  std::optional<std::string> password;
  bool password_prompt = false;  // -p: the password is asked on the terminal (main.cpp)
  std::optional<std::array<uint8_t, 16>> md5pass;

  uint32_t mkdir_copy_sgid = 1;
  uint8_t sugid_clear_mode = 4;  // EXT
  CacheMode cache_mode = CacheMode::kAuto;
  double attr_cache_timeout = 1.0;
  double entry_cache_timeout = 0.0;
  double direntry_cache_timeout = 1.0;
  double negentry_cache_timeout = 0.0;
  double groups_cache_timeout = 300.0;
  double symlink_cache_timeout = 300.0;
  double xattr_cache_timeout = 30.0;  // mfsxattrcacheto: getxattr answers (xattr_cache.h)
  uint32_t write_cache_mib = 256;
  // mfsfsyncmintime: a close of a handle opened less than this long ago does not wait for its
  // data (it publishes the length and lets the write finish behind it); 0: every close waits.
  double fsync_min_time = 0.0;
  std::string disk_cache_folder;      // mfsdiskcachepath (NG): empty, no disk cache
  uint32_t disk_cache_mib = 1024;     // mfsdiskcachesize (NG)
  uint32_t read_ahead_mib = 256;                 // mfsreadaheadsize: all read-ahead data together
  uint32_t read_ahead_bytes = 1u << 20;          // mfsreadaheadleng: one fetch ahead
  std::optional<uint64_t> read_ahead_trigger;    // mfsreadaheadtrigger; default 10 x read_ahead_bytes
  uint32_t io_retries = 30;
  uint32_t io_timeout = 0;   // mfstimeout: seconds an I/O may retry before failing, 0: no limit
  uint32_t log_retry = 5;    // mfslogretry: failed tries are logged from this retry on
  LabelPreference preferred_labels;  // mfspreflabels
  bool error_on_lost_chunk = false;
  bool error_on_no_space = false;
  bool no_std_opts = false;
  bool delayed_init = false;
  bool meta = false;  // mfsmeta / -m: the trash and sustained files (meta_filesystem.h)
  bool flat_trash = false;  // mfsflattrash: the meta mount's trash files directly in /trash
  bool trace_requests = false;  // mfsdebug: every kernel request logged (operation_trace.h)
  // mfsdonotrememberpassword: the password is wiped once the first session is registered;
  // a session lost later cannot be registered again on an export that wants one.
  bool forget_password = false;
  bool no_xattrs = false;       // mfsnoxattrs: extended attributes are not supported
  bool no_posix_locks = false;  // mfsnoposixlocks: fcntl locks stay local to this machine's kernel
  bool no_bsd_locks = false;    // mfsnobsdlocks: flock locks likewise

  // The process (process_settings.h).
  int nice = -19;                  // mfsnice
  uint64_t open_files_limit = 100000;  // mfsrlimitnofile
  uint32_t malloc_arenas = 4;      // mfslimitarenas (0: glibc's default)
  bool memlock = false;            // mfsmemlock
  bool allow_oom_killer = false;   // mfsallowoomkiller

  // libfuse's thread pool (max_threads=, max_idle_threads=, clone_fd); 0 = libfuse's default.
  uint32_t max_threads = 0;
  uint32_t max_idle_threads = 0;
  bool clone_fd = false;
  // Options handed to libfuse as they are (allow_other, ro, nosuid, ...).
  std::vector<std::string> fuse_options;
};

// Reads a config file's text, or nullopt when it does not exist.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// `args` excludes the program name.
Result<MountOptions> parse_mount_command_line(const std::vector<std::string>& args, const FileReader& read_file);

// The usage text of -h.
std::string mount_usage();

}  // namespace mfs::mount
