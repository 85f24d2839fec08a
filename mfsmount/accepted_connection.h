// The line 3.0.117's mfsmount prints once the master accepts it: the export's flags, uid
// mapping and goal/trash-time limits, e.g. "mfsmaster accepted connection with parameters:
// read-write,restricted_ip ; root mapped to root:root". Operators read it at mount time.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "mfsmount/master_messages.h"

namespace mfs::mount {

// Local names of ids ("root", or the number when there is none).
struct IdNames {
  std::function<std::string(uint32_t)> user;
  std::function<std::string(uint32_t)> group;
};
IdNames local_id_names();

std::string accepted_connection_message(const SessionReply& session, bool meta, const IdNames& names);

// A trash time as 3.0.117 writes it: weeks, days, hours, minutes, seconds ("1d1s",
// "7101w3d6h28m15s", "0s"), except that a unit counted once with nothing after it is written
// in the next smaller unit ("24h", "60m", "1d60m").
std::string format_duration(uint32_t seconds);

}  // namespace mfs::mount
