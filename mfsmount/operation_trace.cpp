#include "mfsmount/operation_trace.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include "mfscommon/log.h"

namespace mfs::mount {

namespace {

fuse_lowlevel_ops g_handlers;  // what the traced operations call
bool g_tracing = false;        // set before the session starts its threads

// A request argument as the log shows it: numbers and names; structures are left out.
template <typename T>
void describe(std::string& out, T value) {
  if constexpr (std::is_same_v<T, const char*>) {
    out += out.empty() ? "" : ",";
    out += value != nullptr ? value : "(null)";
  } else if constexpr (std::is_arithmetic_v<T>) {
    out += out.empty() ? "" : ",";
    out += std::to_string(value);
  }
}

constexpr size_t kNoData = SIZE_MAX;

// An operation's name as a template argument.
template <size_t N>
struct Name {
  constexpr Name(const char (&text)[N]) { std::copy_n(text, N, chars); }
  char chars[N];
};

// `data` is the position (after the request) of an argument that points at the caller's
// bytes, not at a name: write's buffer, setxattr's value. Such bytes have no terminating
// NUL and may be anything, so they are left out, as structures are.
template <auto Member, Name name, size_t data>
struct Traced;

template <typename... Args, void (*fuse_lowlevel_ops::*Member)(fuse_req_t, Args...), Name name, size_t data>
struct Traced<Member, name, data> {
  static void call(fuse_req_t req, Args... args) {
    std::string described;
    describe_all(described, std::index_sequence_for<Args...>{}, args...);
    MFS_LOG_DEBUG("%s (%s)", name.chars, described.c_str());
    (g_handlers.*Member)(req, args...);
  }

  template <size_t... Position>
  static void describe_all(std::string& out, std::index_sequence<Position...>, Args... args) {
    ((Position != data ? describe(out, args) : void()), ...);
  }
};

template <auto Member, Name name, size_t data = kNoData>
void trace(fuse_lowlevel_ops& ops) {
  if (ops.*Member != nullptr) ops.*Member = &Traced<Member, name, data>::call;
}

}  // namespace

fuse_lowlevel_ops traced_operations(const fuse_lowlevel_ops& ops) {
  g_handlers = ops;
  g_tracing = true;
  fuse_lowlevel_ops traced = ops;
  trace<&fuse_lowlevel_ops::lookup, "lookup">(traced);
  trace<&fuse_lowlevel_ops::getattr, "getattr">(traced);
  trace<&fuse_lowlevel_ops::setattr, "setattr">(traced);
  trace<&fuse_lowlevel_ops::readlink, "readlink">(traced);
  trace<&fuse_lowlevel_ops::mknod, "mknod">(traced);
  trace<&fuse_lowlevel_ops::mkdir, "mkdir">(traced);
  trace<&fuse_lowlevel_ops::unlink, "unlink">(traced);
  trace<&fuse_lowlevel_ops::rmdir, "rmdir">(traced);
  trace<&fuse_lowlevel_ops::symlink, "symlink">(traced);
  trace<&fuse_lowlevel_ops::rename, "rename">(traced);
  trace<&fuse_lowlevel_ops::link, "link">(traced);
  trace<&fuse_lowlevel_ops::open, "open">(traced);
  trace<&fuse_lowlevel_ops::create, "create">(traced);
  trace<&fuse_lowlevel_ops::read, "read">(traced);
  trace<&fuse_lowlevel_ops::write, "write", 1>(traced);
  trace<&fuse_lowlevel_ops::flush, "flush">(traced);
  trace<&fuse_lowlevel_ops::fsync, "fsync">(traced);
  trace<&fuse_lowlevel_ops::release, "release">(traced);
  trace<&fuse_lowlevel_ops::opendir, "opendir">(traced);
  trace<&fuse_lowlevel_ops::readdir, "readdir">(traced);
  trace<&fuse_lowlevel_ops::releasedir, "releasedir">(traced);
  trace<&fuse_lowlevel_ops::statfs, "statfs">(traced);
  trace<&fuse_lowlevel_ops::access, "access">(traced);
  trace<&fuse_lowlevel_ops::getxattr, "getxattr">(traced);
  trace<&fuse_lowlevel_ops::listxattr, "listxattr">(traced);
  trace<&fuse_lowlevel_ops::setxattr, "setxattr", 2>(traced);
  trace<&fuse_lowlevel_ops::removexattr, "removexattr">(traced);
  trace<&fuse_lowlevel_ops::getlk, "getlk">(traced);
  trace<&fuse_lowlevel_ops::setlk, "setlk">(traced);
  trace<&fuse_lowlevel_ops::flock, "flock">(traced);
  return traced;
}

void trace_error_answer(int error) {
  if (g_tracing && error != 0) MFS_LOG_DEBUG("status: %s", std::generic_category().message(error).c_str());
}

}  // namespace mfs::mount
