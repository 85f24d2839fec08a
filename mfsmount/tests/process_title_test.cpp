#include "mfsmount/process_title.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mfs::mount {
namespace {

// Arguments laid out as the kernel lays them out: contiguous, each NUL-terminated.
struct Arguments {
  explicit Arguments(const std::vector<std::string>& args) {
    for (const std::string& arg : args) area.append(arg).push_back('\0');
    size_t offset = 0;
    for (const std::string& arg : args) {
      argv.push_back(area.data() + offset);
      offset += arg.size() + 1;
    }
  }
  std::string area;
  std::vector<char*> argv;
};

TEST(ProcessTitle, WrittenOverTheArgumentsAndZeroPadded) {
  Arguments args({"/usr/bin/mfsmount", "/mnt/mfs", "-o", "mfsmaster=m"});
  set_process_title(static_cast<int>(args.argv.size()), args.argv.data(), mounted_process_title("/mnt/mfs"));
  std::string expected = "mfsmount (mounted on: /mnt/mfs)";
  EXPECT_EQ(args.area.substr(0, expected.size()), expected);
  EXPECT_EQ(args.area.find_first_not_of('\0', expected.size()), std::string::npos);
}

TEST(ProcessTitle, CutToTheRoomOfTheArguments) {
  Arguments args({"mfsmount", "/m"});
  set_process_title(static_cast<int>(args.argv.size()), args.argv.data(), mounted_process_title("/m"));
  EXPECT_EQ(args.area, std::string("mfsmount (m", 11) + '\0');
}

}  // namespace
}  // namespace mfs::mount
