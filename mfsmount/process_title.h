// The title `ps` shows for the mount, as 3.0.117 sets it: "mfsmount (mounted on: MNT)".
// Linux shows the bytes of the original argument strings, so the title is written over
// them (cut to their total length) and the rest is zeroed.
#pragma once
#include <string>

namespace mfs::mount {

std::string mounted_process_title(const std::string& mountpoint);

// argv[0] .. argv[argc-1] must be the process's own, contiguous argument strings.
void set_process_title(int argc, char** argv, const std::string& title);

}  // namespace mfs::mount
