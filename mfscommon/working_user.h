// WORKING_USER / WORKING_GROUP (spec 40 §C.2): a daemon started as root runs as this user,
// so that the files it writes stay usable by a MooseFS daemon taking its folders back.
#pragma once
#include "mfscommon/config_file.h"
#include "mfscommon/status.h"

namespace mfs {

// Switches user and group when running as root; does nothing otherwise.
Status switch_to_working_user(const ConfigFile& config);

}  // namespace mfs
