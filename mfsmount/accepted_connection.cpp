#include "mfsmount/accepted_connection.h"

#include <grp.h>
#include <pwd.h>

#include <array>
#include <type_traits>
#include <vector>

#include "mfscommon/session_flags.h"

namespace mfs::mount {

namespace {

template <typename Entry, typename Lookup>
std::string name_or_number(uint32_t id, Lookup lookup) {
  Entry entry{};
  Entry* found = nullptr;
  std::vector<char> buffer(16384);
  if (lookup(id, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    if constexpr (std::is_same_v<Entry, passwd>) return found->pw_name;
    else return found->gr_name;
  }
  return std::to_string(id);
}

}  // namespace

IdNames local_id_names() {
  return {[](uint32_t uid) { return name_or_number<passwd>(uid, getpwuid_r); },
          [](uint32_t gid) { return name_or_number<group>(gid, getgrgid_r); }};
}

std::string format_duration(uint32_t seconds) {
  struct Unit {
    uint32_t length;
    char letter;
  };
  static constexpr std::array<Unit, 5> kUnits = {{{604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}};
  std::string text;
  uint32_t rest = seconds;
  for (const Unit& unit : kUnits) {
    uint32_t count = rest / unit.length;
    if (count == 0 || (count == 1 && rest == unit.length && unit.length > 1)) continue;  // the next unit takes it
    text += std::to_string(count) + unit.letter;
    rest %= unit.length;
  }
  return text.empty() ? "0s" : text;
}

std::string accepted_connection_message(const SessionReply& session, bool meta, const IdNames& names) {
  std::string text = "mfsmaster accepted connection with parameters: ";
  text += (session.sesflags & sesflag::kReadOnly) ? "read-only" : "read-write";
  text += (session.sesflags & sesflag::kDynamicIp) ? ",not_restricted_ip" : ",restricted_ip";
  if (session.sesflags & sesflag::kIgnoreGid) text += ",ignore_gid";
  if (session.sesflags & sesflag::kAdmin) text += ",admin";
  if (session.sesflags & sesflag::kMapAll) text += ",map_all";
  if (!meta) {
    text += " ; root mapped to " + names.user(session.root_uid) + ":" + names.group(session.root_gid);
    if (session.sesflags & sesflag::kMapAll) {
      text += " ; users mapped to " + names.user(session.mapall_uid) + ":" + names.group(session.mapall_gid);
    }
  }
  if (session.min_goal != 1 || session.max_goal != 9) {
    text += " ; setgoal limited to (" + std::to_string(session.min_goal) + ":" + std::to_string(session.max_goal) + ")";
  }
  if (session.min_trash_time != 0 || session.max_trash_time != 0xFFFFFFFF) {
    text += " ; settrashtime limited to (" + format_duration(session.min_trash_time) + ":" +
            format_duration(session.max_trash_time) + ")";
  }
  return text;
}

}  // namespace mfs::mount
