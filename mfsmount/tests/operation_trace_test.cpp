#include "mfsmount/operation_trace.h"

#include <gtest/gtest.h>

#include <string>

namespace mfs::mount {
namespace {

std::string g_called;  // what the handlers below saw

fuse_lowlevel_ops recording_operations() {
  fuse_lowlevel_ops ops{};
  ops.lookup = [](fuse_req_t, fuse_ino_t parent, const char* name) {
    g_called = "lookup " + std::to_string(parent) + " " + name;
  };
  ops.write = [](fuse_req_t, fuse_ino_t ino, const char* buf, size_t size, off_t off, fuse_file_info*) {
    g_called = "write " + std::to_string(ino) + " " + std::string(buf, size) + " " + std::to_string(off);
  };
  ops.setxattr = [](fuse_req_t, fuse_ino_t ino, const char* name, const char* value, size_t size, int) {
    g_called = "setxattr " + std::to_string(ino) + " " + name + " " + std::string(value, size);
  };
  return ops;
}

// The line a traced call logs (stderr carries the log in tests).
template <typename Call>
std::string logged_by(Call call) {
  testing::internal::CaptureStderr();
  call();
  return testing::internal::GetCapturedStderr();
}

TEST(OperationTrace, LogsNumbersAndNamesThenCallsTheHandler) {
  fuse_lowlevel_ops traced = traced_operations(recording_operations());
  EXPECT_EQ(logged_by([&] { traced.lookup(nullptr, 1, "a"); }), "lookup (1,a)\n");
  EXPECT_EQ(g_called, "lookup 1 a");
}

// A write's bytes and an xattr's value end with no NUL and can hold anything: read as
// names they would be read past their end and copied into the log.
TEST(OperationTrace, LeavesOutTheBytesOfWritesAndXattrValues) {
  fuse_lowlevel_ops traced = traced_operations(recording_operations());
  const char data[3] = {'x', 'y', 'z'};
  EXPECT_EQ(logged_by([&] { traced.write(nullptr, 6, data, sizeof data, 4096, nullptr); }), "write (6,3,4096)\n");
  EXPECT_EQ(g_called, "write 6 xyz 4096");
  EXPECT_EQ(logged_by([&] { traced.setxattr(nullptr, 7, "user.k", data, sizeof data, 0); }),
            "setxattr (7,user.k,3,0)\n");
  EXPECT_EQ(g_called, "setxattr 7 user.k xyz");
}

}  // namespace
}  // namespace mfs::mount
