#include "mfsmount/accepted_connection.h"

#include <gtest/gtest.h>

namespace mfs::mount {
namespace {

// Values and texts observed from the 3.0.117 mfsmount (export min/maxtrashtime).
TEST(FormatDuration, AsThe3_0_117Client) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(1), "1s");
  EXPECT_EQ(format_duration(90), "1m30s");
  EXPECT_EQ(format_duration(120), "2m");
  EXPECT_EQ(format_duration(3600), "60m");
  EXPECT_EQ(format_duration(3601), "1h1s");
  EXPECT_EQ(format_duration(7200), "2h");
  EXPECT_EQ(format_duration(86400), "24h");
  EXPECT_EQ(format_duration(86401), "1d1s");
  EXPECT_EQ(format_duration(90000), "1d60m");
  EXPECT_EQ(format_duration(172800), "2d");
  EXPECT_EQ(format_duration(0xFFFFFFFF), "7101w3d6h28m15s");
}

IdNames fake_names() {
  return {[](uint32_t uid) { return uid == 0 ? std::string("root") : std::to_string(uid); },
          [](uint32_t gid) { return gid == 0 ? std::string("root") : "g" + std::to_string(gid); }};
}

TEST(AcceptedConnection, PlainExport) {
  SessionReply session;
  EXPECT_EQ(accepted_connection_message(session, false, fake_names()),
            "mfsmaster accepted connection with parameters: read-write,restricted_ip ; root mapped to root:root");
}

TEST(AcceptedConnection, EveryFlagMappingAndLimit) {
  SessionReply session;
  session.sesflags = 0x1F;
  session.mapall_uid = 2000;
  session.mapall_gid = 3000;
  session.min_goal = 2;
  session.max_goal = 3;
  session.min_trash_time = 3600;
  session.max_trash_time = 172800;
  EXPECT_EQ(accepted_connection_message(session, false, fake_names()),
            "mfsmaster accepted connection with parameters: read-only,not_restricted_ip,ignore_gid,admin,map_all"
            " ; root mapped to root:root ; users mapped to 2000:g3000 ; setgoal limited to (2:3)"
            " ; settrashtime limited to (60m:2d)");
}

TEST(AcceptedConnection, MetaSessionHasNoUidMapping) {
  SessionReply session;
  session.sesflags = 0x01;
  session.min_goal = 2;
  session.max_trash_time = 86400;
  EXPECT_EQ(accepted_connection_message(session, true, fake_names()),
            "mfsmaster accepted connection with parameters: read-only,restricted_ip ; setgoal limited to (2:9)"
            " ; settrashtime limited to (0s:24h)");
}

TEST(AcceptedConnection, LocalNamesFallBackToNumbers) {
  IdNames names = local_id_names();
  EXPECT_EQ(names.user(0), "root");
  EXPECT_EQ(names.user(4000000000u), "4000000000");
  EXPECT_EQ(names.group(4000000000u), "4000000000");
}

}  // namespace
}  // namespace mfs::mount
