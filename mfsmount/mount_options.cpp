#include "mfsmount/mount_options.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

namespace mfs::mount {

namespace {

Status bad(const std::string& message) { return Status(StatusCode::kEINVAL, message); }

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, ',')) {
    part = trim(part);
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

Result<uint64_t> parse_unsigned(const std::string& option, const std::string& value, uint64_t max) {
  uint64_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc() || end != value.data() + value.size() || number > max) {
    return bad("bad value '" + value + "' of option " + option + " (a number up to " + std::to_string(max) +
               " expected)");
  }
  return number;
}

Result<double> parse_seconds(const std::string& option, const std::string& value) {
  errno = 0;
  char* end = nullptr;
  double number = std::strtod(value.c_str(), &end);
  if (value.empty() || errno != 0 || *end != '\0' || !std::isfinite(number) || number < 0) {
    return bad("bad value '" + value + "' of option " + option + " (seconds expected)");
  }
  return number;
}

// Options that belong to mount(8) in an fstab line, not to the file system.
const std::set<std::string> kMountCommandOptions = {"defaults", "_netdev", "noauto", "auto", "nofail", "user",
                                                    "users", "nouser", "owner", "group", "comment"};
// Standard options libfuse 3.14 accepts, without and with a value (checked with fuse_session_new).
const std::set<std::string> kFuseFlags = {"allow_other", "allow_root", "auto_unmount", "default_permissions",
                                          "blkdev", "ro", "rw", "nosuid", "suid", "nodev", "dev", "exec",
                                          "noexec", "async", "sync", "atime", "noatime", "dirsync", "debug"};
const std::set<std::string> kFuseValueOptions = {"fsname", "subtype", "max_read", "blksize"};
// Options without a value that switch something on.
const std::map<std::string, bool MountOptions::*> kSwitches = {
    {"clone_fd", &MountOptions::clone_fd},
    {"mfsmeta", &MountOptions::meta},
    {"mfsflattrash", &MountOptions::flat_trash},
    {"mfsdebug", &MountOptions::trace_requests},
    {"mfsdonotrememberpassword", &MountOptions::forget_password},
    {"mfsdelayedinit", &MountOptions::delayed_init},
    {"mfserroronlostchunk", &MountOptions::error_on_lost_chunk},
    {"mfserroronnospace", &MountOptions::error_on_no_space},
    {"mfsnoxattrs", &MountOptions::no_xattrs},
    {"mfsnoposixlocks", &MountOptions::no_posix_locks},
    {"mfsnobsdlocks", &MountOptions::no_bsd_locks},
    {"mfsmemlock", &MountOptions::memlock},
    {"mfsallowoomkiller", &MountOptions::allow_oom_killer}};

Result<std::array<uint8_t, 16>> parse_md5(const std::string& value) {
  std::array<uint8_t, 16> digest{};
  if (value.size() != 32) return bad("bad value of option mfsmd5pass (32 hex digits expected)");
  for (size_t i = 0; i < 16; ++i) {
    auto [end, error] = std::from_chars(value.data() + 2 * i, value.data() + 2 * i + 2, digest[i], 16);
    if (error != std::errc() || end != value.data() + 2 * i + 2) {
      return bad("bad value of option mfsmd5pass (32 hex digits expected)");
    }
  }
  return digest;
}

class Parser {
 public:
  Parser(MountOptions& options, const FileReader& read_file) : options_(options), read_file_(read_file) {}

  Status apply(const std::string& option) {
    size_t equals = option.find('=');
    std::string name = option.substr(0, equals);
    bool has_value = equals != std::string::npos;
    std::string value = has_value ? option.substr(equals + 1) : std::string();
    if (kMountCommandOptions.count(name) != 0 || name == "nonempty") return Status::ok();  // fuse3 always allows it
    if (kFuseFlags.count(name) != 0 && !has_value) {
      options_.fuse_options.push_back(option);
      return Status::ok();
    }
    if (kFuseValueOptions.count(name) != 0 && has_value) {
      options_.fuse_options.push_back(option);
      return Status::ok();
    }
    if (auto found = kSwitches.find(name); found != kSwitches.end() && !has_value) {
      options_.*(found->second) = true;
      return Status::ok();
    }
    if (name == "mfscachefiles" && !has_value) {
      options_.cache_mode = CacheMode::kYes;
      return Status::ok();
    }
    if (!has_value) return bad("unknown option '" + option + "'");
    return apply_value(name, value);
  }

 private:
  Status apply_value(const std::string& name, const std::string& value) {
    if (name == "mfsmaster") return set_text(options_.master_host, name, value);
    if (name == "mfsbind") return set_text(options_.bind_host, name, value);
    if (name == "mfssubfolder") return set_text(options_.subfolder, name, value);
    if (name == "mfscfgfile") return set_text(options_.cfgfile, name, value);
    if (name == "mfsproxy") return set_text(options_.proxy_host, name, value);
    if (name == "mfspassword") {
      options_.password = value;
      return Status::ok();
    }
    if (name == "mfspassfile") {
      std::optional<std::string> text = read_file_(value);
      if (!text) return bad("can't read password file '" + value + "'");
      options_.password = trim(text->substr(0, text->find('\n')));
      return Status::ok();
    }
    if (name == "mfsmd5pass") {
      Result<std::array<uint8_t, 16>> digest = parse_md5(value);
      if (!digest) return digest.status();
      options_.md5pass = *digest;
      return Status::ok();
    }
    if (name == "mfsport") return set_number(options_.master_port, name, value, 65535);
    if (name == "mfsmkdircopysgid") return set_number(options_.mkdir_copy_sgid, name, value, 1);
    if (name == "mfswritecachesize") return set_number(options_.write_cache_mib, name, value, 1u << 20);
    if (name == "mfsdiskcachepath") return set_text(options_.disk_cache_folder, name, value);
    if (name == "mfsdiskcachesize") {
      if (Status s = set_number(options_.disk_cache_mib, name, value, 1u << 30); !s) return s;
      return options_.disk_cache_mib > 0 ? Status::ok() : bad("option mfsdiskcachesize must be at least 1 (MiB)");
    }
    if (name == "mfsreadaheadsize") return set_number(options_.read_ahead_mib, name, value, 1u << 20);
    if (name == "mfsreadaheadleng") return set_number(options_.read_ahead_bytes, name, value, 64u << 20);
    if (name == "mfsreadaheadtrigger") {
      uint64_t trigger = 0;
      if (Status s = set_number(trigger, name, value, uint64_t{1} << 50); !s) return s;
      options_.read_ahead_trigger = trigger;
      return Status::ok();
    }
    if (name == "mfsioretries") return set_number(options_.io_retries, name, value, 1000000);
    if (name == "mfstimeout") return set_number(options_.io_timeout, name, value, 1000000);
    if (name == "mfslogretry") return set_number(options_.log_retry, name, value, 1000000);
    if (name == "mfspreflabels") {
      Result<LabelPreference> parsed = LabelPreference::parse(value);
      if (!parsed) return bad("bad value '" + value + "' of option mfspreflabels: " + parsed.status().to_string());
      options_.preferred_labels = std::move(*parsed);
      return Status::ok();
    }
    if (name == "mfsxattrcacheto") return set_seconds(options_.xattr_cache_timeout, name, value);
    if (name == "mfsattrcacheto") return set_seconds(options_.attr_cache_timeout, name, value);
    if (name == "mfsfsyncmintime") return set_seconds(options_.fsync_min_time, name, value);
    if (name == "mfsentrycacheto") return set_seconds(options_.entry_cache_timeout, name, value);
    if (name == "mfsdirentrycacheto") return set_seconds(options_.direntry_cache_timeout, name, value);
    if (name == "mfsnegentrycacheto") return set_seconds(options_.negentry_cache_timeout, name, value);
    if (name == "mfsgroupscacheto") return set_seconds(options_.groups_cache_timeout, name, value);
    if (name == "mfssymlinkcacheto") return set_seconds(options_.symlink_cache_timeout, name, value);
    if (name == "mfscachemode") return set_cache_mode(value);
    if (name == "max_threads") return set_number(options_.max_threads, name, value, 100000);
    if (name == "max_idle_threads") return set_number(options_.max_idle_threads, name, value, 100000);
    if (name == "mfssugidclearmode") return set_sugid_clear_mode(value);
    if (name == "mfsrlimitnofile") return set_number(options_.open_files_limit, name, value, uint64_t{1} << 32);
    if (name == "mfslimitarenas") return set_number(options_.malloc_arenas, name, value, 1024);
    if (name == "mfsnice") return set_nice(value);
    return bad("unknown option '" + name + "=" + value + "'");
  }

  static Status set_text(std::string& into, const std::string& name, const std::string& value) {
    if (value.empty()) return bad("option " + name + " needs a value");
    into = value;
    return Status::ok();
  }

  template <typename T>
  static Status set_number(T& into, const std::string& name, const std::string& value, uint64_t max) {
    Result<uint64_t> number = parse_unsigned(name, value, max);
    if (!number) return number.status();
    into = static_cast<T>(*number);
    return Status::ok();
  }

  static Status set_seconds(double& into, const std::string& name, const std::string& value) {
    Result<double> seconds = parse_seconds(name, value);
    if (!seconds) return seconds.status();
    into = *seconds;
    return Status::ok();
  }

  Status set_nice(const std::string& value) {
    bool negative = !value.empty() && value[0] == '-';
    Result<uint64_t> magnitude = parse_unsigned("mfsnice", negative ? value.substr(1) : value, negative ? 20 : 19);
    if (!magnitude) return bad("bad value '" + value + "' of option mfsnice (-20 to 19 expected)");
    options_.nice = negative ? -static_cast<int>(*magnitude) : static_cast<int>(*magnitude);
    return Status::ok();
  }

  Status set_cache_mode(const std::string& value) {
    static const std::map<std::string, CacheMode> kModes = {
        {"AUTO", CacheMode::kAuto}, {"YES", CacheMode::kYes},    {"ALWAYS", CacheMode::kYes},
        {"NO", CacheMode::kNo},     {"NONE", CacheMode::kNo},    {"NEVER", CacheMode::kNo},
        {"DIRECT", CacheMode::kDirect}};
    auto found = kModes.find(upper(value));
    if (found == kModes.end()) return bad("bad value '" + value + "' of option mfscachemode");
    options_.cache_mode = found->second;
    return Status::ok();
  }

  Status set_sugid_clear_mode(const std::string& value) {
    static const std::map<std::string, uint8_t> kModes = {{"NEVER", 0}, {"ALWAYS", 1}, {"OSX", 2},
                                                          {"BSD", 3},   {"EXT", 4},    {"XFS", 5}};
    auto found = kModes.find(upper(value));
    if (found == kModes.end()) return bad("bad value '" + value + "' of option mfssugidclearmode");
    options_.sugid_clear_mode = found->second;
    return Status::ok();
  }

  MountOptions& options_;
  const FileReader& read_file_;
};

// `HOST[:PORT]:[PATH]`, the optional first positional argument.
Status apply_master_spec(MountOptions& options, const std::string& spec) {
  size_t last = spec.rfind(':');
  if (last == std::string::npos) return bad("bad master address '" + spec + "' (HOST[:PORT]:[PATH] expected)");
  std::string host = spec.substr(0, last);
  std::string path = spec.substr(last + 1);
  size_t port_sep = host.find(':');
  if (port_sep != std::string::npos) {
    Result<uint64_t> port = parse_unsigned("port", host.substr(port_sep + 1), 65535);
    if (!port) return port.status();
    options.master_port = static_cast<uint16_t>(*port);
    host = host.substr(0, port_sep);
  }
  if (!host.empty()) options.master_host = host;
  if (!path.empty()) options.subfolder = path;
  return Status::ok();
}

// Short options that take a value, and the -o option each one stands for.
const std::map<std::string, std::string> kShortValueOptions = {
    {"-H", "mfsmaster"}, {"-P", "mfsport"}, {"-S", "mfssubfolder"}, {"-B", "mfsbind"},
    {"-L", "mfsproxy"},  {"-c", "mfscfgfile"}};

struct SplitArguments {
  std::vector<std::string> options;  // in "-o" form, command line order
  std::vector<std::string> positional;
};

Result<SplitArguments> split_arguments(const std::vector<std::string>& args, MountOptions& options) {
  SplitArguments split;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto next_value = [&](const std::string& flag) -> Result<std::string> {
      if (i + 1 >= args.size()) return bad("option " + flag + " needs a value");
      return args[++i];
    };
    if (arg == "-o") {
      Result<std::string> value = next_value(arg);
      if (!value) return value.status();
      for (std::string& part : split_commas(*value)) split.options.push_back(std::move(part));
    } else if (arg.rfind("-o", 0) == 0 && arg.size() > 2) {
      for (std::string& part : split_commas(arg.substr(2))) split.options.push_back(std::move(part));
    } else if (kShortValueOptions.count(arg.substr(0, 2)) != 0 && arg.size() >= 2 && arg[0] == '-' &&
               arg.rfind("--", 0) != 0) {
      std::string flag = arg.substr(0, 2);
      std::string value;
      if (arg.size() > 2) {
        value = arg.substr(2);
      } else {
        Result<std::string> next = next_value(flag);
        if (!next) return next.status();
        value = *next;
      }
      split.options.push_back(kShortValueOptions.at(flag) + "=" + value);
    } else if (arg == "-f") {
      options.foreground = true;
    } else if (arg == "-d") {
      options.debug = true;
      options.foreground = true;
    } else if (arg == "-s") {
      options.single_threaded = true;
    } else if (arg == "-n" || arg == "--nostdopts") {
      options.no_std_opts = true;
    } else if (arg == "-h" || arg == "--help") {
      options.help = true;
    } else if (arg == "-V" || arg == "--version") {
      options.version = true;
    } else if (arg == "-m" || arg == "--meta") {
      split.options.push_back("mfsmeta");
    } else if (arg == "-p" || arg == "--password") {
      options.password_prompt = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return bad("unknown option '" + arg + "'");
    } else {
      split.positional.push_back(arg);
    }
  }
  return split;
}

}  // namespace

Result<MountOptions> parse_mount_command_line(const std::vector<std::string>& args, const FileReader& read_file) {
  MountOptions options;
  Result<SplitArguments> split = split_arguments(args, options);
  if (!split) return split.status();
  if (options.help || options.version) return options;

  // The config file first (named on the command line, or the default), then the command line.
  std::string cfgfile;
  for (const std::string& option : split->options) {
    if (option.rfind("mfscfgfile=", 0) == 0) cfgfile = option.substr(11);
  }
  std::optional<std::string> cfg_text;
  if (cfgfile.empty()) {
    cfg_text = read_file("/etc/mfs/mfsmount.cfg");
    if (!cfg_text) cfg_text = read_file("/etc/mfsmount.cfg");
  } else {
    cfg_text = read_file(cfgfile);
    if (!cfg_text) return bad("can't read config file '" + cfgfile + "'");
  }
  Parser parser(options, read_file);
  if (cfg_text) {
    std::istringstream lines(*cfg_text);
    std::string line;
    while (std::getline(lines, line)) {
      line = trim(line);
      if (line.empty() || line[0] == '#') continue;
      if (line[0] == '/') {
        options.mountpoint = line;
        continue;
      }
      for (const std::string& option : split_commas(line)) {
        if (Status s = parser.apply(option); !s) return Status(s.code(), s.to_string() + " (in the config file)");
      }
    }
  }
  for (const std::string& option : split->options) {
    if (Status s = parser.apply(option); !s) return s;
  }

  if (split->positional.size() > 2) return bad("too many arguments: '" + split->positional[2] + "'");
  if (split->positional.size() == 2) {
    if (Status s = apply_master_spec(options, split->positional[0]); !s) return s;
  }
  if (!split->positional.empty()) options.mountpoint = split->positional.back();
  if (options.mountpoint.empty()) return bad("no mount point given");
  if (options.password && options.md5pass) options.md5pass.reset();  // mfsmd5pass only without a password
  return options;
}

std::string mount_usage() {
  return "usage: mfsmount [HOST[:PORT]:[PATH]] MOUNTPOINT [-f] [-d] [-s] [-n] [-m] [-p] [-H HOST] [-P PORT]\n"
         "                [-S PATH] [-B IP] [-c CFGFILE] [-o OPTION[,OPTION...]]\n"
         "  -m: the meta file system (trash, sustained files) instead of PATH; -p: ask for the password\n"
         "MooseFS options: mfsmaster=HOST mfsport=PORT mfsbind=IP mfssubfolder=PATH mfscfgfile=FILE mfsmeta\n"
         "  mfspassword=PASS mfspassfile=FILE mfsmd5pass=MD5 mfscachemode=AUTO|YES|NO|DIRECT mfscachefiles\n"
         "  mfsattrcacheto=SEC mfsentrycacheto=SEC mfsdirentrycacheto=SEC mfsnegentrycacheto=SEC mfsgroupscacheto=SEC\n"
         "  mfsxattrcacheto=SEC mfswritecachesize=MiB mfsfsyncmintime=SEC mfsioretries=N mfstimeout=SEC\n"
         "  mfslogretry=N\n"
         "  mfsmkdircopysgid=0|1 mfssugidclearmode=NEVER|ALWAYS|OSX|BSD|EXT|XFS mfspreflabels=LABELEXPR\n"
         "  mfsnice=N mfsrlimitnofile=N mfslimitarenas=N mfsmemlock mfsallowoomkiller\n"
         "  mfsreadaheadsize=MiB mfsreadaheadleng=BYTES mfsreadaheadtrigger=BYTES\n"
         "  mfserroronlostchunk mfserroronnospace mfsdelayedinit mfsflattrash mfsdebug mfsdonotrememberpassword\n"
         "MooseNG options: mfsdiskcachepath=FOLDER (a local disk cache of read data) mfsdiskcachesize=MiB (1024)\n"
         "FUSE options: allow_other allow_root auto_unmount default_permissions ro rw nosuid nodev noexec\n"
         "  fsname=NAME subtype=NAME max_read=N max_threads=N max_idle_threads=N clone_fd\n";
}

}  // namespace mfs::mount
