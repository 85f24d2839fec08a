#include "mfsmount/mount_options.h"

#include <gtest/gtest.h>

#include <map>

namespace mfs::mount {
namespace {

struct Files {
  std::map<std::string, std::string> contents;
  FileReader reader() const {
    return [this](const std::string& path) -> std::optional<std::string> {
      auto found = contents.find(path);
      if (found == contents.end()) return std::nullopt;
      return found->second;
    };
  }
};

Result<MountOptions> parse(const std::vector<std::string>& args, const Files& files = {}) {
  return parse_mount_command_line(args, files.reader());
}

TEST(MountOptions, HarnessCommandLine) {
  Files files{{{"/tmp/m.cfg", "# mfsmount options come from the command line\n"}}};
  auto options = parse({"/mnt/x", "-f", "-o", "mfsmaster=198.18.0.1,mfsport=9421,mfsbind=198.18.0.51,mfscfgfile=/tmp/m.cfg"},
                       files);
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->mountpoint, "/mnt/x");
  EXPECT_TRUE(options->foreground);
  EXPECT_EQ(options->master_host, "198.18.0.1");
  EXPECT_EQ(options->master_port, 9421);
  EXPECT_EQ(options->bind_host, "198.18.0.51");
  EXPECT_EQ(options->subfolder, "/");
}

TEST(MountOptions, Defaults) {
  auto options = parse({"/mnt"});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->master_host, "mfsmaster");
  EXPECT_EQ(options->master_port, 9421);
  EXPECT_EQ(options->attr_cache_timeout, 1.0);
  EXPECT_EQ(options->entry_cache_timeout, 0.0);
  EXPECT_EQ(options->direntry_cache_timeout, 1.0);
  EXPECT_EQ(options->negentry_cache_timeout, 0.0);
  EXPECT_EQ(options->symlink_cache_timeout, 300.0);
  EXPECT_EQ(parse({"/mnt", "-o", "mfssymlinkcacheto=0.5"})->symlink_cache_timeout, 0.5);
  EXPECT_EQ(options->io_retries, 30u);
  EXPECT_EQ(options->write_cache_mib, 256u);
  EXPECT_EQ(options->cache_mode, CacheMode::kAuto);
  EXPECT_FALSE(options->foreground);
}

TEST(MountOptions, ShortOptionsAndAttachedValues) {
  auto options = parse({"-H", "master.example", "-P9500", "-S", "/sub", "-B", "10.0.0.1", "/mnt", "-o", "ro,nosuid"});
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->master_host, "master.example");
  EXPECT_EQ(options->master_port, 9500);
  EXPECT_EQ(options->subfolder, "/sub");
  EXPECT_EQ(options->bind_host, "10.0.0.1");
  EXPECT_EQ(options->fuse_options, (std::vector<std::string>{"ro", "nosuid"}));
}

TEST(MountOptions, MasterSpecPositional) {
  auto options = parse({"host:9999:/dir", "/mnt"});
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->master_host, "host");
  EXPECT_EQ(options->master_port, 9999);
  EXPECT_EQ(options->subfolder, "/dir");
  EXPECT_EQ(options->mountpoint, "/mnt");
}

// mount(8) runs `mount.moosefs SPEC DIR -o OPTIONS` for an fstab line of type moosefs
// (mount.moosefs is a link to mfsmount, as in the 3.0.117 package).
TEST(MountOptions, FstabLineThroughMountHelper) {
  auto options = parse({"mfsmaster.example:/projects", "/mnt/mfs", "-o", "rw,_netdev,mfscachemode=YES"});
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->master_host, "mfsmaster.example");
  EXPECT_EQ(options->master_port, 9421);
  EXPECT_EQ(options->subfolder, "/projects");
  EXPECT_EQ(options->mountpoint, "/mnt/mfs");
  EXPECT_EQ(options->cache_mode, CacheMode::kYes);
  EXPECT_EQ(options->fuse_options, (std::vector<std::string>{"rw"}));
  EXPECT_FALSE(options->foreground);
}

TEST(MountOptions, UnknownOptionsAreErrorsNamingThem) {
  auto unknown = parse({"/mnt", "-o", "mfsmaster=x,mfsbogus=1"});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.status().to_string().find("mfsbogus"), std::string::npos);
  auto flag = parse({"/mnt", "-o", "frobnicate"});
  ASSERT_FALSE(flag);
  EXPECT_NE(flag.status().to_string().find("frobnicate"), std::string::npos);
  EXPECT_FALSE(parse({"/mnt", "-Z"}));
  EXPECT_FALSE(parse({"/mnt", "-o"}));
}

TEST(MountOptions, BadValuesAreErrors) {
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsport=70000"}));
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsport=12x"}));
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsattrcacheto=-1"}));
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsattrcacheto=abc"}));
  EXPECT_FALSE(parse({"/mnt", "-o", "mfscachemode=SOMETIMES"}));
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsmd5pass=123"}));
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsmaster="}));
  EXPECT_FALSE(parse({"/mnt", "-o", "allow_other=1"}));
}

TEST(MountOptions, ThreadPoolOptions) {
  auto options = parse({"/mnt", "-o", "max_threads=20,max_idle_threads=5,clone_fd"});
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->max_threads, 20u);
  EXPECT_EQ(options->max_idle_threads, 5u);
  EXPECT_TRUE(options->clone_fd);
  EXPECT_TRUE(options->fuse_options.empty());
}

TEST(MountOptions, DelayedInit) {
  auto options = parse({"/mnt", "-o", "mfsdelayedinit"});
  ASSERT_TRUE(options);
  EXPECT_TRUE(options->delayed_init);
}

TEST(MountOptions, NoMountPoint) { EXPECT_FALSE(parse({"-f"})); }

TEST(MountOptions, PasswordPrompt) {
  auto prompt = parse({"/mnt", "-p"});
  ASSERT_TRUE(prompt) << prompt.status().to_string();
  EXPECT_TRUE(prompt->password_prompt);
  EXPECT_FALSE(prompt->password);  // main asks for it
  EXPECT_FALSE(parse({"/mnt"})->password_prompt);
}

TEST(MountOptions, MetaMount) {
  auto flag = parse({"/mnt", "-m"});
  ASSERT_TRUE(flag) << flag.status().to_string();
  EXPECT_TRUE(flag->meta);
  auto option = parse({"/mnt", "-o", "mfsmeta"});
  ASSERT_TRUE(option);
  EXPECT_TRUE(option->meta);
  EXPECT_FALSE(parse({"/mnt"})->meta);
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsmeta=1"}));
  EXPECT_FALSE(option->flat_trash);
  auto flat = parse({"/mnt", "-o", "mfsmeta,mfsflattrash"});
  ASSERT_TRUE(flat);
  EXPECT_TRUE(flat->flat_trash);
}

TEST(MountOptions, ConfigFileThenCommandLine) {
  Files files{{{"/etc/mfs/mfsmount.cfg", "# defaults\n/mnt/default\nmfsmaster=cfg-master, mfsport=1000\n\n"
                                          "mfscachemode=DIRECT\n"}}};
  auto options = parse({"-o", "mfsport=2000"}, files);
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->mountpoint, "/mnt/default");
  EXPECT_EQ(options->master_host, "cfg-master");
  EXPECT_EQ(options->master_port, 2000);
  EXPECT_EQ(options->cache_mode, CacheMode::kDirect);
}

TEST(MountOptions, MissingNamedConfigFileIsAnError) {
  EXPECT_FALSE(parse({"/mnt", "-o", "mfscfgfile=/nonexistent"}));
}

TEST(MountOptions, BadOptionInConfigFile) {
  Files files{{{"/c", "mfsnope\n"}}};
  auto options = parse({"/mnt", "-c", "/c"}, files);
  ASSERT_FALSE(options);
  EXPECT_NE(options.status().to_string().find("config file"), std::string::npos);
}

TEST(MountOptions, Passwords) {
  Files files{{{"/pw", "secret\nignored\n"}}};
  auto from_file = parse({"/mnt", "-o", "mfspassfile=/pw"}, files);
  ASSERT_TRUE(from_file);
  EXPECT_EQ(from_file->password, "secret");
  auto md5 = parse({"/mnt", "-o", "mfsmd5pass=5ebe2294ecd0e0f08eab7690d2a6ee69"});
  ASSERT_TRUE(md5);
  ASSERT_TRUE(md5->md5pass);
  EXPECT_EQ((*md5->md5pass)[0], 0x5e);
  EXPECT_EQ((*md5->md5pass)[15], 0x69);
  auto both = parse({"/mnt", "-o", "mfspassword=x,mfsmd5pass=5ebe2294ecd0e0f08eab7690d2a6ee69"});
  ASSERT_TRUE(both);
  EXPECT_FALSE(both->md5pass);  // the password wins
}

TEST(MountOptions, FstabOnlyOptionsAreDropped) {
  auto options = parse({"/mnt", "-o", "defaults,_netdev,nonempty,noauto"});
  ASSERT_TRUE(options);
  EXPECT_TRUE(options->fuse_options.empty());
}

TEST(MountOptions, DebugAndPasswordSwitches) {
  auto options = parse({"/mnt", "-o", "mfsdonotrememberpassword,mfsdebug"});
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_TRUE(options->forget_password);
  EXPECT_TRUE(options->trace_requests);
  EXPECT_FALSE(parse({"/mnt"})->trace_requests);
  EXPECT_FALSE(parse({"/mnt"})->forget_password);
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsdebug=1"}));
}

TEST(MountOptions, TuningOptions) {
  auto defaults = parse({"/mnt"});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->xattr_cache_timeout, 30.0);
  EXPECT_EQ(defaults->fsync_min_time, 0.0);
  EXPECT_EQ(parse({"/mnt", "-o", "mfsfsyncmintime=2.5"})->fsync_min_time, 2.5);
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsfsyncmintime=soon"}));
  EXPECT_EQ(defaults->io_timeout, 0u);
  EXPECT_EQ(defaults->log_retry, 5u);
  EXPECT_FALSE(defaults->memlock || defaults->allow_oom_killer);
  EXPECT_TRUE(defaults->preferred_labels.empty());
  auto options = parse({"/mnt", "-o", "mfsxattrcacheto=0.5,mfstimeout=60,mfslogretry=0,mfsmemlock,mfsallowoomkiller,"
                                      "mfspreflabels=A+B;C"});
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->xattr_cache_timeout, 0.5);
  EXPECT_EQ(options->io_timeout, 60u);
  EXPECT_EQ(options->log_retry, 0u);
  EXPECT_TRUE(options->memlock && options->allow_oom_killer);
  EXPECT_EQ(options->preferred_labels.priority(1u << 2), 1u);  // C
  for (const char* bad : {"mfsxattrcacheto=-1", "mfstimeout=x", "mfslogretry=", "mfsmemlock=1", "mfspreflabels=A+",
                          "mfspreflabels="}) {
    EXPECT_FALSE(parse({"/mnt", "-o", bad})) << bad;
  }
}

TEST(MountOptions, ProcessSettingsAndSwitches) {
  auto defaults = parse({"/mnt"});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->nice, -19);
  EXPECT_EQ(defaults->open_files_limit, 100000u);
  EXPECT_EQ(defaults->malloc_arenas, 4u);
  EXPECT_FALSE(defaults->no_xattrs || defaults->no_posix_locks || defaults->no_bsd_locks);
  auto options = parse({"/mnt", "-o", "mfsnice=-5,mfsrlimitnofile=5000,mfslimitarenas=2,mfsnoxattrs,mfsnoposixlocks,"
                                      "mfsnobsdlocks"});
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->nice, -5);
  EXPECT_EQ(options->open_files_limit, 5000u);
  EXPECT_EQ(options->malloc_arenas, 2u);
  EXPECT_TRUE(options->no_xattrs && options->no_posix_locks && options->no_bsd_locks);
  EXPECT_EQ(parse({"/mnt", "-o", "mfsnice=19"})->nice, 19);
  for (const char* bad : {"mfsnice=-21", "mfsnice=20", "mfsnice=x", "mfsnice=", "mfsnoxattrs=1", "mfsrlimitnofile=-1"}) {
    EXPECT_FALSE(parse({"/mnt", "-o", bad})) << bad;
  }
}

TEST(MountOptions, ReadAhead) {
  auto defaults = parse({"/mnt"});
  EXPECT_EQ(defaults->read_ahead_mib, 256u);
  EXPECT_EQ(defaults->read_ahead_bytes, 1u << 20);
  EXPECT_FALSE(defaults->read_ahead_trigger);
  auto options = parse({"/mnt", "-o", "mfsreadaheadsize=0,mfsreadaheadleng=4194304,mfsreadaheadtrigger=100"});
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->read_ahead_mib, 0u);
  EXPECT_EQ(options->read_ahead_bytes, 4u << 20);
  EXPECT_EQ(options->read_ahead_trigger, 100u);
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsreadaheadleng=x"}));
}

TEST(MountOptions, DiskCache) {
  auto defaults = parse({"/mnt"});
  EXPECT_TRUE(defaults->disk_cache_folder.empty());
  EXPECT_EQ(defaults->disk_cache_mib, 1024u);
  auto options = parse({"/mnt", "-o", "mfsdiskcachepath=/var/cache/mfs,mfsdiskcachesize=200"});
  ASSERT_TRUE(options) << options.status().to_string();
  EXPECT_EQ(options->disk_cache_folder, "/var/cache/mfs");
  EXPECT_EQ(options->disk_cache_mib, 200u);
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsdiskcachepath="}));
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsdiskcachesize=0"}));
  EXPECT_FALSE(parse({"/mnt", "-o", "mfsdiskcachesize=1G"}));
}

}  // namespace
}  // namespace mfs::mount
