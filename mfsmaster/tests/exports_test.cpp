#include "mfsmaster/exports.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "mfscommon/version.h"

namespace mfs::master {
namespace {

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a << 24 | b << 16 | c << 8 | d; }
constexpr uint32_t kClient = pack_version(3, 0, 117);

Exports parse(std::string_view text, std::vector<std::string>* warnings = nullptr) {
  return Exports::parse(text, warnings);
}

// The single entry of a one-line file (fails the test if the line was rejected).
ExportEntry only_entry(std::string_view line) {
  std::vector<std::string> warnings;
  Exports exports = parse(line, &warnings);
  EXPECT_EQ(exports.entries().size(), 1u) << line << (warnings.empty() ? "" : " / " + warnings.front());
  return exports.entries().empty() ? ExportEntry{} : exports.entries().front();
}

bool rejected(std::string_view line) {
  std::vector<std::string> warnings;
  bool none = parse(line, &warnings).empty();
  return none && !warnings.empty();
}

Result<const ExportEntry*> match_path(const Exports& exports, uint32_t from, std::string_view path) {
  return exports.match(from, kClient, path, false, nullptr, nullptr);
}

TEST(Exports, AddressForms) {
  auto all = only_entry("* / rw");
  EXPECT_EQ(all.fromip, 0u);
  EXPECT_EQ(all.toip, 0xFFFFFFFFu);
  auto single = only_entry("10.1.2.3 /");
  EXPECT_EQ(single.fromip, ip(10, 1, 2, 3));
  EXPECT_EQ(single.toip, ip(10, 1, 2, 3));
  auto bits = only_entry("198.18.0.77/24 /");
  EXPECT_EQ(bits.fromip, ip(198, 18, 0, 0));
  EXPECT_EQ(bits.toip, ip(198, 18, 0, 255));
  auto zero_bits = only_entry("1.2.3.4/0 /");
  EXPECT_EQ(zero_bits.fromip, 0u);
  EXPECT_EQ(zero_bits.toip, 0xFFFFFFFFu);
  auto host_bits = only_entry("1.2.3.4/32 /");
  EXPECT_EQ(host_bits.fromip, ip(1, 2, 3, 4));
  EXPECT_EQ(host_bits.toip, ip(1, 2, 3, 4));
  auto netmask = only_entry("172.16.5.9/255.255.0.0 /");
  EXPECT_EQ(netmask.fromip, ip(172, 16, 0, 0));
  EXPECT_EQ(netmask.toip, ip(172, 16, 255, 255));
  auto range = only_entry("10.0.0.5-10.0.1.7 /");
  EXPECT_EQ(range.fromip, ip(10, 0, 0, 5));
  EXPECT_EQ(range.toip, ip(10, 0, 1, 7));
}

TEST(Exports, BadAddressesRejectTheLine) {
  for (std::string_view line : {"256.1.1.1 /", "1.2.3 /", "1.2.3.4.5 /", "1..2.3 /", "1.2.3.4/33 /", "1.2.3.4/ /",
                                "a.b.c.d /", "10.0.0.9-10.0.0.1 /", "1.2.3.4/255.255.0 /", "-1.2.3.4 /", "1.2.3.-4 /",
                                "** /", "1.2.3.4-* /", "99999999999999999999.0.0.0 /"}) {
    EXPECT_TRUE(rejected(line)) << line;
  }
}

TEST(Exports, PathsAreNormalisedAndValidated) {
  EXPECT_EQ(only_entry("* /").path, "");
  EXPECT_EQ(only_entry("* //a/b//").path, "a/b");
  auto meta = only_entry("* .");
  EXPECT_TRUE(meta.meta);
  EXPECT_EQ(meta.path, "");
  EXPECT_TRUE(rejected("* relative"));
  EXPECT_TRUE(rejected("*"));
  EXPECT_TRUE(rejected("*    "));
}

TEST(Exports, BuiltInDefaults) {
  auto entry = only_entry("* /sub");
  EXPECT_EQ(entry.sesflags, sesflag::kReadOnly);
  EXPECT_FALSE(entry.alldirs);
  EXPECT_FALSE(entry.needs_password());
  EXPECT_EQ(entry.rootuid, 999u);
  EXPECT_EQ(entry.rootgid, 999u);
  EXPECT_EQ(entry.mapalluid, 999u);
  EXPECT_EQ(entry.mapallgid, 999u);
  EXPECT_EQ(entry.mingoal, 1);
  EXPECT_EQ(entry.maxgoal, 9);
  EXPECT_EQ(entry.mintrashtime, 0u);
  EXPECT_EQ(entry.maxtrashtime, 0xFFFFFFFFu);
  EXPECT_EQ(entry.umask, 0);
  EXPECT_EQ(entry.disables, 0u);
  EXPECT_EQ(entry.minversion, 0u);
  EXPECT_FALSE(entry.rootredefined);
  EXPECT_EQ(entry.line, 1u);
}

TEST(Exports, CommentsBlankLinesAndLineEndings) {
  std::vector<std::string> warnings;
  auto exports = parse("# comment\n\n   \t\n   # indented comment\r\n*\t/a\trw  \t\r\n10.0.0.1 /b ro\n", &warnings);
  ASSERT_EQ(exports.entries().size(), 2u);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(exports.entries()[0].path, "a");
  EXPECT_FALSE(exports.entries()[0].readonly());
  EXPECT_EQ(exports.entries()[0].line, 5u);
  EXPECT_EQ(exports.entries()[1].line, 6u);
}

TEST(Exports, FlagOptions) {
  EXPECT_FALSE(only_entry("* / rw").readonly());
  EXPECT_FALSE(only_entry("* / readwrite").readonly());
  EXPECT_TRUE(only_entry("* / rw,ro").readonly());
  EXPECT_TRUE(only_entry("* / rw,readonly").readonly());
  EXPECT_TRUE(only_entry("* / alldirs").alldirs);
  EXPECT_EQ(only_entry("* / rw,dynamicip").sesflags, sesflag::kDynamicIp);
  EXPECT_EQ(only_entry("* / rw,ignoregid").sesflags, sesflag::kIgnoreGid);
  EXPECT_EQ(only_entry("* / rw,admin").sesflags, sesflag::kAdmin);
  EXPECT_EQ(only_entry("* / rw,canchangequota").sesflags, sesflag::kAdmin);
  EXPECT_EQ(only_entry("* / ro , dynamicip ,\tadmin ").sesflags,
            sesflag::kReadOnly | sesflag::kDynamicIp | sesflag::kAdmin);
}

TEST(Exports, MapRootAndMapAll) {
  auto numeric = only_entry("* / maproot=1234:567");
  EXPECT_EQ(numeric.rootuid, 1234u);
  EXPECT_EQ(numeric.rootgid, 567u);
  EXPECT_TRUE(numeric.rootredefined);
  // A numeric uid alone takes its primary group from the passwd database.
  auto root = only_entry("* / maproot=0");
  EXPECT_EQ(root.rootuid, 0u);
  EXPECT_EQ(root.rootgid, 0u);
  auto named = only_entry("* / maproot=root:root");
  EXPECT_EQ(named.rootuid, 0u);
  EXPECT_EQ(named.rootgid, 0u);
  auto name_only = only_entry("* / maproot=root");
  EXPECT_EQ(name_only.rootgid, 0u);

  auto mapall = only_entry("* / mapall=1000:1001");
  EXPECT_EQ(mapall.sesflags & sesflag::kMapAll, sesflag::kMapAll);
  EXPECT_EQ(mapall.mapalluid, 1000u);
  EXPECT_EQ(mapall.mapallgid, 1001u);
  EXPECT_EQ(mapall.rootuid, 1000u) << "root follows mapall when maproot is not given";
  EXPECT_EQ(mapall.rootgid, 1001u);
  EXPECT_FALSE(mapall.rootredefined);
  auto both = only_entry("* / maproot=5:6,mapall=1000:1001");
  EXPECT_EQ(both.rootuid, 5u);
  EXPECT_EQ(both.rootgid, 6u);

  EXPECT_TRUE(rejected("* / maproot=no_such_user_mooseng"));
  EXPECT_TRUE(rejected("* / maproot=0:no_such_group_mooseng"));
  EXPECT_TRUE(rejected("* / maproot=4000000123")) << "numeric uid unknown to the passwd database";
  EXPECT_TRUE(rejected("* / maproot=4294967296:0"));
  EXPECT_TRUE(rejected("* / maproot="));
  EXPECT_TRUE(rejected("* / maproot=:0"));
  EXPECT_TRUE(rejected("* / maproot=0:"));
  EXPECT_TRUE(rejected("* / mapall=no_such_user_mooseng:0"));
  EXPECT_TRUE(rejected("* / maproot"));
}

TEST(Exports, Passwords) {
  auto plain = only_entry("* / password=abc");
  ASSERT_TRUE(plain.password_digest.has_value());
  EXPECT_EQ(*plain.password_digest, md5("abc"));
  // MD5("abc") = 900150983cd24fb0d6963f7d28e17f72
  auto hex = only_entry("* / md5pass=900150983CD24FB0D6963F7D28E17F72");
  EXPECT_EQ(hex.password_digest, plain.password_digest);
  EXPECT_EQ((*hex.password_digest)[0], 0x90);
  EXPECT_TRUE(rejected("* / md5pass=900150983cd24fb0d6963f7d28e17f7"));
  EXPECT_TRUE(rejected("* / md5pass=900150983cd24fb0d6963f7d28e17f7g"));
  EXPECT_TRUE(rejected("* / md5pass=900150983cd24fb0d6963f7d28e17f7200"));
}

TEST(Exports, MinVersion) {
  EXPECT_EQ(only_entry("* / minversion=3").minversion, 0x030000u);
  EXPECT_EQ(only_entry("* / minversion=1.6").minversion, 0x010600u);
  EXPECT_EQ(only_entry("* / minversion=3.0.117").minversion, 0x030075u);
  for (std::string_view line : {"* / minversion=", "* / minversion=3.", "* / minversion=3.0.256",
                                "* / minversion=1.2.3.4", "* / minversion=x", "* / minversion=.1"}) {
    EXPECT_TRUE(rejected(line)) << line;
  }
}

TEST(Exports, Goals) {
  auto entry = only_entry("* / mingoal=2,maxgoal=3");
  EXPECT_EQ(entry.mingoal, 2);
  EXPECT_EQ(entry.maxgoal, 3);
  EXPECT_EQ(only_entry("* / maxgoal=1").maxgoal, 1);
  for (std::string_view line :
       {"* / mingoal=0", "* / maxgoal=10", "* / mingoal=a", "* / mingoal=4,maxgoal=3", "* / maxgoal="}) {
    EXPECT_TRUE(rejected(line)) << line;
  }
}

TEST(Exports, TrashTimes) {
  EXPECT_EQ(only_entry("* / maxtrashtime=3600").maxtrashtime, 3600u);
  EXPECT_EQ(only_entry("* / maxtrashtime=2d").maxtrashtime, 172800u);
  EXPECT_EQ(only_entry("* / maxtrashtime=1w2d3h4m5s").maxtrashtime, 604800u + 172800 + 10800 + 240 + 5);
  EXPECT_EQ(only_entry("* / maxtrashtime=1H30M").maxtrashtime, 5400u);
  EXPECT_EQ(only_entry("* / mintrashtime=10s,maxtrashtime=1m").mintrashtime, 10u);
  EXPECT_EQ(only_entry("* / maxtrashtime=4294967295").maxtrashtime, 0xFFFFFFFFu);
  for (std::string_view line :
       {"* / maxtrashtime=", "* / maxtrashtime=1d1w", "* / maxtrashtime=1d1d", "* / maxtrashtime=d",
        "* / maxtrashtime=5x", "* / maxtrashtime=1d30", "* / maxtrashtime=4294967296", "* / maxtrashtime=7102w",
        "* / mintrashtime=2h,maxtrashtime=1h", "* / maxtrashtime=99999999999999999999s"}) {
    EXPECT_TRUE(rejected(line)) << line;
  }
}

TEST(Exports, Umask) {
  EXPECT_EQ(only_entry("* / umask=0022").umask, 022);
  EXPECT_EQ(only_entry("* / umask=0777").umask, 0777);
  for (std::string_view line : {"* / umask=022", "* / umask=00022", "* / umask=0028", "* / umask=1022"}) {
    EXPECT_TRUE(rejected(line)) << line;
  }
}

TEST(Exports, DisableList) {
  std::vector<std::string> warnings;
  auto exports = parse("* / disable=chown:mkdir:bogus:setfacl:write", &warnings);
  ASSERT_EQ(exports.entries().size(), 1u);
  EXPECT_EQ(exports.entries()[0].disables, (1u << 0) | (1u << 6) | (1u << 24) | (1u << 15));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("bogus"), std::string::npos);
}

TEST(Exports, UnknownOptionIsIgnoredWithWarning) {
  std::vector<std::string> warnings;
  auto exports = parse("\n* / rw,frobnicate,x=1", &warnings);
  ASSERT_EQ(exports.entries().size(), 1u);
  EXPECT_FALSE(exports.entries()[0].readonly());
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("line 2"), std::string::npos);
  EXPECT_NE(warnings[0].find("frobnicate"), std::string::npos);
}

TEST(Exports, InvalidLineIsSkippedAndOthersKept) {
  std::vector<std::string> warnings;
  auto exports = parse("* /a rw\n* /b maproot=no_such_user_mooseng\n* /c mingoal=0\n* /d rw\n", &warnings);
  ASSERT_EQ(exports.entries().size(), 2u);
  EXPECT_EQ(exports.entries()[0].path, "a");
  EXPECT_EQ(exports.entries()[1].path, "d");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("line 2"), std::string::npos);
  EXPECT_NE(warnings[1].find("line 3"), std::string::npos);
}

TEST(Exports, DefaultsLines) {
  auto exports = parse(
      "* /before\n"
      "defaults rw,maxgoal=3,umask=0022\n"
      "* /a\n"
      "* /b ro,maxgoal=5\n"
      "DEFAULTS alldirs\n"
      "* /c\n"
      "DEFAULTS mingoal=7\n"
      "* /d maxgoal=7\n");
  const auto& e = exports.entries();
  ASSERT_EQ(e.size(), 5u);
  EXPECT_TRUE(e[0].readonly());
  EXPECT_FALSE(e[1].readonly());
  EXPECT_EQ(e[1].maxgoal, 3);
  EXPECT_EQ(e[1].umask, 022);
  EXPECT_TRUE(e[2].readonly());
  EXPECT_EQ(e[2].maxgoal, 5);
  // Each DEFAULTS line starts again from the built-in defaults.
  EXPECT_TRUE(e[3].alldirs);
  EXPECT_TRUE(e[3].readonly());
  EXPECT_EQ(e[3].maxgoal, 9);
  EXPECT_EQ(e[3].umask, 0);
  EXPECT_FALSE(e[4].alldirs);
  EXPECT_EQ(e[4].mingoal, 7);
}

TEST(Exports, BadDefaultsLineKeepsPreviousDefaults) {
  std::vector<std::string> warnings;
  auto exports = parse(
      "DEFAULTS rw\nDEFAULTS umask=99\nDEFAULTS\n* /\n* /x mingoal=5\nDEFAULTS mingoal=6\n* /y maxgoal=5\n", &warnings);
  ASSERT_EQ(exports.entries().size(), 2u);
  EXPECT_FALSE(exports.entries()[0].readonly());
  EXPECT_EQ(exports.entries()[1].mingoal, 5);
  EXPECT_EQ(warnings.size(), 3u) << "umask, empty DEFAULTS, mingoal 6 > maxgoal 5";
}

TEST(Exports, MetaLines) {
  std::vector<std::string> warnings;
  auto exports = parse("DEFAULTS admin,disable=chown,mapall=1000:1000\n* . rw,alldirs,ignoregid\n", &warnings);
  ASSERT_EQ(exports.entries().size(), 1u);
  const auto& meta = exports.entries()[0];
  EXPECT_TRUE(meta.meta);
  EXPECT_FALSE(meta.alldirs);
  EXPECT_EQ(meta.sesflags, 0);
  EXPECT_EQ(meta.rootuid, 0u);
  EXPECT_EQ(meta.rootgid, 0u);
  EXPECT_EQ(meta.mapalluid, 999u);
  EXPECT_EQ(meta.disables, 0u);
  EXPECT_EQ(warnings.size(), 2u) << "alldirs and ignoregid on a meta line";
  auto mapped = only_entry("* . maproot=7:8");
  EXPECT_EQ(mapped.rootuid, 7u);
  EXPECT_EQ(mapped.rootgid, 8u);
}

TEST(Exports, SpecExample) {
  std::vector<std::string> warnings;
  auto exports = parse(
      "*                 /       rw,alldirs,maproot=0\n"
      "198.18.0.0/24     /sub    ro,mapall=1000:1000,mingoal=2,maxtrashtime=2d,password=abc\n"
      "*                 .       rw\n",
      &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(exports.entries().size(), 3u);
  const auto& sub = exports.entries()[1];
  EXPECT_EQ(sub.path, "sub");
  EXPECT_EQ(sub.sesflags, sesflag::kReadOnly | sesflag::kMapAll);
  EXPECT_EQ(sub.maxtrashtime, 172800u);
  EXPECT_EQ(sub.mingoal, 2);
  EXPECT_TRUE(sub.needs_password());
}

TEST(Exports, AlldirsSubpathMatching) {
  auto exports = parse("* /a/b alldirs,rw\n* /c\n");
  EXPECT_TRUE(match_path(exports, 1, "a/b").is_ok());
  EXPECT_TRUE(match_path(exports, 1, "/a/b/").is_ok());
  EXPECT_TRUE(match_path(exports, 1, "a/b/c/d").is_ok());
  EXPECT_EQ(match_path(exports, 1, "a/bc").code(), StatusCode::kEACCES);
  EXPECT_EQ(match_path(exports, 1, "a").code(), StatusCode::kEACCES);
  EXPECT_TRUE(match_path(exports, 1, "c").is_ok());
  EXPECT_EQ(match_path(exports, 1, "c/d").code(), StatusCode::kEACCES);
  EXPECT_EQ(match_path(exports, 1, "").code(), StatusCode::kEACCES);

  auto root_only = parse("* /\n");
  EXPECT_TRUE(match_path(root_only, 1, "/").is_ok());
  EXPECT_TRUE(match_path(root_only, 1, "").is_ok());
  EXPECT_EQ(match_path(root_only, 1, "x").code(), StatusCode::kEACCES);
  auto root_all = parse("* / alldirs\n");
  EXPECT_TRUE(match_path(root_all, 1, "x/y").is_ok());
}

TEST(Exports, MatchChecksAddressVersionAndKind) {
  auto exports = parse("10.0.0.0/8 / minversion=3.0.117\n10.0.0.0/8 .\n");
  EXPECT_TRUE(exports.match(ip(10, 9, 9, 9), kClient, "", false, nullptr, nullptr).is_ok());
  EXPECT_EQ(exports.match(ip(11, 0, 0, 0), kClient, "", false, nullptr, nullptr).code(), StatusCode::kEACCES);
  // minversion is compared with the packed client version (minor doubled).
  EXPECT_EQ(exports.match(ip(10, 0, 0, 1), pack_version(3, 0, 58), "", false, nullptr, nullptr).code(),
            StatusCode::kEACCES);
  EXPECT_TRUE(exports.match(ip(10, 0, 0, 1), pack_version(3, 0, 59), "", false, nullptr, nullptr).is_ok());
  auto meta = exports.match(ip(10, 0, 0, 1), 0, "ignored", true, nullptr, nullptr);
  ASSERT_TRUE(meta.is_ok());
  EXPECT_TRUE((*meta)->meta);
  auto no_meta = parse("* / alldirs\n");
  EXPECT_EQ(no_meta.match(1, kClient, "", true, nullptr, nullptr).code(), StatusCode::kEACCES);
}

TEST(Exports, SelectionReplacementRule) {
  // A later read-only entry with maproot 0 replaces an earlier read-write one.
  auto exports = parse("* / rw,maproot=5:5\n* / ro,maproot=0:0\n");
  EXPECT_EQ((*match_path(exports, 1, ""))->line, 2u);
  // Read-write replaces read-only.
  exports = parse("* / ro\n* / rw\n");
  EXPECT_EQ((*match_path(exports, 1, ""))->line, 2u);
  // Admin replaces non-admin.
  exports = parse("* / rw\n* / ro,admin\n");
  EXPECT_EQ((*match_path(exports, 1, ""))->line, 2u);
  // Longer path replaces shorter.
  exports = parse("* / rw,alldirs,maproot=0\n* /a ro\n");
  EXPECT_EQ((*match_path(exports, 1, "a"))->line, 2u);
  EXPECT_EQ((*match_path(exports, 1, "b"))->line, 1u);
  // None of the reasons: the first match stays.
  exports = parse("* / rw,maproot=0\n* / rw,maproot=0,dynamicip\n10.0.0.1 / ro\n");
  EXPECT_EQ((*match_path(exports, ip(10, 0, 0, 1), ""))->line, 1u);
  // Not a lexicographic order: each later entry is compared with the current best only.
  exports = parse("* / rw\n* / ro,admin\n* / rw\n");
  EXPECT_EQ((*match_path(exports, 1, ""))->line, 3u);
}

class ExportsPassword : public ::testing::Test {
 protected:
  ExportsPassword() {
    for (size_t i = 0; i < random_.size(); ++i) random_[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  std::array<uint8_t, 32> random_{};
  Exports exports_ = Exports::parse("* /p rw,password=secret\n* /q md5pass=5EBE2294ECD0E0F08EAB7690D2A6EE69\n");
};

TEST_F(ExportsPassword, CorrectProofMatches) {
  Md5Digest proof = password_proof(random_.data(), md5("secret"));
  auto entry = exports_.match(1, kClient, "p", false, random_.data(), proof.data());
  ASSERT_TRUE(entry.is_ok());
  EXPECT_EQ((*entry)->line, 1u);
  // md5pass of "secret" behaves the same.
  EXPECT_TRUE(exports_.match(1, kClient, "q", false, random_.data(), proof.data()).is_ok());
}

TEST_F(ExportsPassword, MissingOrWrongProof) {
  Md5Digest proof = password_proof(random_.data(), md5("wrong"));
  EXPECT_EQ(exports_.match(1, kClient, "p", false, nullptr, nullptr).code(), StatusCode::kNoPassword);
  EXPECT_EQ(exports_.match(1, kClient, "p", false, random_.data(), nullptr).code(), StatusCode::kNoPassword);
  EXPECT_EQ(exports_.match(1, kClient, "p", false, nullptr, proof.data()).code(), StatusCode::kNoPassword);
  std::array<uint8_t, 32> zero{};
  Md5Digest zero_proof = password_proof(zero.data(), md5("secret"));
  EXPECT_EQ(exports_.match(1, kClient, "p", false, zero.data(), zero_proof.data()).code(), StatusCode::kNoPassword)
      << "an all-zero random means GETRANDOM was not done";
  EXPECT_EQ(exports_.match(1, kClient, "p", false, random_.data(), proof.data()).code(), StatusCode::kBadPassword);
  EXPECT_EQ(exports_.match(1, kClient, "other", false, nullptr, nullptr).code(), StatusCode::kEACCES);
}

TEST_F(ExportsPassword, PasswordlessEntryStillMatchesWithoutProof) {
  auto exports = Exports::parse("* / ro\n* / rw,password=secret\n");
  auto entry = exports.match(1, kClient, "", false, nullptr, nullptr);
  ASSERT_TRUE(entry.is_ok());
  EXPECT_EQ((*entry)->line, 1u);
  Md5Digest proof = password_proof(random_.data(), md5("secret"));
  EXPECT_EQ((*exports.match(1, kClient, "", false, random_.data(), proof.data()))->line, 2u);
}

TEST(ExportsChecksum, MatchesMooseFsReference) {
  // The MooseFS sample exports; 3.0.117 stored this checksum in the session of the
  // metadata example of spec 30 §3.21.
  auto exports = parse("*\t\t\t/\trw,alldirs,admin,maproot=0:0\n*\t\t\t.\trw\n");
  EXPECT_EQ(exports.checksum(), 0xFFCCFD8ADEFBE2DEull);
}

TEST(ExportsChecksum, StableUnlessContentChanges) {
  const std::string base = "* / rw,alldirs,maproot=0\n198.18.0.0/24 /sub ro,mapall=1000:1000,password=abc\n* . rw\n";
  uint64_t reference = parse(base).checksum();
  EXPECT_EQ(parse(base).checksum(), reference);
  EXPECT_EQ(parse("# comment\n\n" + base + "   \n").checksum(), reference);
  EXPECT_EQ(parse("*\t/\trw , alldirs , maproot=0:0\n198.18.0.0/255.255.255.0 /sub/ ro,mapall=1000:1000,"
                  "md5pass=900150983cd24fb0d6963f7d28e17f72\n* . rw\n")
                .checksum(),
            reference);
  EXPECT_EQ(Exports().checksum(), 0u);
  for (std::string_view change :
       {"ro", "dynamicip", "ignoregid", "admin", "mingoal=2", "maxgoal=8", "umask=0002", "mintrashtime=1",
        "maxtrashtime=1d", "maproot=1:1", "disable=read", "minversion=1.2.3", "password=x", "mapall=1:1"}) {
    EXPECT_NE(parse("* / rw,alldirs,maproot=0," + std::string(change) +
                    "\n198.18.0.0/24 /sub ro,mapall=1000:1000,"
                    "password=abc\n* . rw\n")
                  .checksum(),
              reference)
        << change;
  }
  EXPECT_NE(parse("* / rw,maproot=0\n198.18.0.0/24 /sub ro,mapall=1000:1000,password=abc\n* . rw\n").checksum(),
            reference);
  EXPECT_NE(parse("* / rw,alldirs,maproot=0\n198.18.0.0/24 /sux ro,mapall=1000:1000,password=abc\n* . rw\n").checksum(),
            reference);
  EXPECT_NE(parse("* / rw,alldirs,maproot=0\n198.18.1.0/24 /sub ro,mapall=1000:1000,password=abc\n* . rw\n").checksum(),
            reference);
}

TEST(Exports, LoadFromFile) {
  std::string path = ::testing::TempDir() + "mfsexports_test_" + std::to_string(::getpid()) + ".cfg";
  {
    std::ofstream out(path);
    out << "* / rw\nbad line\n";
  }
  std::vector<std::string> warnings;
  auto loaded = Exports::load(path, &warnings);
  ASSERT_TRUE(loaded.is_ok());
  EXPECT_EQ(loaded->entries().size(), 1u);
  EXPECT_EQ(warnings.size(), 1u);
  std::remove(path.c_str());
  auto missing = Exports::load(path);
  EXPECT_EQ(missing.code(), StatusCode::kENOENT);
  EXPECT_NE(missing.status().to_string().find("not found"), std::string::npos);
}

TEST(Exports, HostileInputIsHandled) {
  EXPECT_TRUE(rejected(std::string(20000, 'x')));
  EXPECT_TRUE(rejected("* /" + std::string(10001, 'a')));
  std::string with_nul("* / maproot=ro\0ot\n", 18);
  EXPECT_TRUE(parse(with_nul).empty());
  std::mt19937 generator(42);
  std::string alphabet = "*./-:,=0123456789 \t\n#rwmaproytdsgluxDEFAULTS\r";
  alphabet += '\0';
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    size_t length = generator() % 120;
    for (size_t i = 0; i < length; ++i) text += alphabet[generator() % alphabet.size()];
    auto exports = parse(text);
    (void)exports.checksum();
    (void)exports.match(generator(), generator(), text, generator() & 1, nullptr, nullptr);
  }
}

}  // namespace
}  // namespace mfs::master
