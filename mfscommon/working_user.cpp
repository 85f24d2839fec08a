#include "mfscommon/working_user.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace mfs {

Status switch_to_working_user(const ConfigFile& config) {
  if (getuid() != 0) return Status::ok();
  std::string user = config.get_string("WORKING_USER", "mfs");
  std::string group_name = config.get_string("WORKING_GROUP", "mfs");
  passwd* pw = getpwnam(user.c_str());
  if (!pw) return Status(StatusCode::kEINVAL, "can't find user named " + user);
  gid_t gid = pw->pw_gid;
  if (!group_name.empty()) {
    group* gr = getgrnam(group_name.c_str());
    if (!gr) return Status(StatusCode::kEINVAL, "can't find group named " + group_name);
    gid = gr->gr_gid;
  }
  if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0) {
    return Status(StatusCode::kEPERM, "can't switch to user " + user);
  }
  return Status::ok();
}

}  // namespace mfs
