#include "mfsmaster/changelog_args.h"
#include "mfsmaster/changelog_entry.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "mfsmaster/fuzz/changelog_line_round_trip.h"

namespace mfs::master {
namespace {

// spec 30 §4.5, a real changelog.0.mfs of MooseFS 3.0.117.
const std::vector<std::string> kSpecExampleLines = {
    "1: 1795569331|SETMETAID(7711911556688881406)\n",
    "2: 1795569334|CSDBOP(0,3323068417,9522,0)\n",
    "3: 1795569334|CSDBOP(3,3323068417,9522,1)\n",
    "4: 1795569337|SESADD(#18432386147808961246,1,8,0000,0,0,999,999,1,9,0,4294967295,0x00000000,3323068417,/mnt/"
    "mfs):1\n",
    "5: 1795569338|CREATE(1,d,2,511,18,0,0,0):2\n",
    "6: 1795569338|CREATE(1,small,1,438,18,0,0,0):3\n",
    "7: 1795569338|ACQUIRE(1,3)\n",
    "8: 1795569338|WRITE(3,0,1,0):1\n",
    "9: 1795569339|LENGTH(3,12,0)\n",
    "10: 1795569339|UNLOCK(1)\n",
    "11: 1795569340|CREATE(2,f,1,438,18,0,0,0):4\n",
    "13: 1795569340|WRITE(4,0,1,0):2\n",
    "14: 1795569340|WRITE(4,1,1,0):3\n",
    "16: 1795569340|LENGTH(4,67108969,0)\n",
    "18: 1795569340|SYMLINK(2,sl,../small,0,0):5\n",
    "19: 1795569340|LINK(3,2,hl)\n",
    "20: 1795569341|SETXATTR(3,user.color,blue,0)\n",
    "21: 1795569342|SETACL(2,420,1,1,6,4,4,7,1,1,%00%00%03%E8%00%07%00%00%07%D0%00%05)\n",
    "22: 1795569342|SETACL(2,420,1,2,7,5,0,5,1,0,%00%00%03%E9%00%05)\n",
    "23: 1795569342|QUOTA(2,0,51,0,10,20,1000000,2000000,0,0,0,0,0)\n",
    "29: 1795569342|SETTRASHTIME(6,0,5,0):1,0,0\n",
    "30: 1795569342|UNLINK(1,t):6\n",
    "32: 1795569342|CREATE(1,cdev,6,438,18,0,0,259):8\n",
    "33: 1795569342|SCSET(myclass,1,W2,K2,A1,1,3,0,1,0,0,0,2,0,0,0,1,0,0,0,2,0,0,0,4,0,0,0):10\n",
    "34: 1795569342|SETSCLASS(3,0,1,10,0):1,0,0\n",
    "35: 1795569342|SETEATTR(2,0,1,1):1,0,0\n",
    "41: 1795569344|FLOCK(3,1,14120335232279428967,R)\n",
    "42: 1795569344|POSIXLOCK(3,1,2022209948430184688,W,5,15,31832)\n",
    "43: 1795569357|POSIXLOCK(3,1,2022209948430184688,U,0,18446744073709551615,0)\n",
    "44: 1795569357|FLOCK(3,1,14120335232279428967,U)\n",
    "45: 1795569359|CSDBOP(6,3323068417,9522,1795571159)\n",
    "46: 1795569359|SESDISCONNECTED(1)\n",
};

ChangelogEntry parsed(std::string_view line) {
  auto entry = parse_changelog_line(line);
  EXPECT_TRUE(entry) << line << " -> " << entry.status().to_string();
  return entry ? *entry : ChangelogEntry{};
}

TEST(ChangelogEntry, SpecExampleLinesFormatBackIdentically) {
  for (const std::string& line : kSpecExampleLines) {
    EXPECT_EQ(format_changelog_line(parsed(line)), line);
  }
}

TEST(ChangelogEntry, ParsesFieldsOfSpecExample) {
  ChangelogEntry create = parsed("5: 1795569338|CREATE(1,d,2,511,18,0,0,0):2\n");
  EXPECT_EQ(create.id, 5u);
  EXPECT_EQ(create.timestamp, 1795569338u);
  EXPECT_EQ(create.operation, "CREATE");
  EXPECT_EQ(create.args, (std::vector<std::string>{"1", "d", "2", "511", "18", "0", "0", "0"}));
  EXPECT_EQ(create.results, (std::vector<std::string>{"2"}));

  ChangelogEntry acl = parsed("22: 1795569342|SETACL(2,420,1,2,7,5,0,5,1,0,%00%00%03%E9%00%05)");
  ASSERT_EQ(acl.args.size(), 11u);
  EXPECT_EQ(acl.args[10], std::string("\x00\x00\x03\xE9\x00\x05", 6));
  EXPECT_TRUE(acl.results.empty());

  ChangelogEntry sesadd = parsed(kSpecExampleLines[3]);
  EXPECT_EQ(sesadd.args[0], "#18432386147808961246");
  EXPECT_EQ(sesadd.args[3], "0000");
  EXPECT_EQ(sesadd.args[14], "/mnt/mfs");
}

// Written by 3.0.117 when a sustained file nobody holds is freed (docs/protocol-notes.md).
TEST(ChangelogEntry, EmptySustainedLineOfARealMaster) {
  const std::string line = "25: 1796432348|EMPTYSUSTAINED(2):1,2\n";
  ChangelogEntry entry = parsed(line);
  EXPECT_EQ(entry.operation, "EMPTYSUSTAINED");
  EXPECT_EQ(entry.args, (std::vector<std::string>{"2"}));
  EXPECT_EQ(entry.results, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(format_changelog_line(entry), line);
}

TEST(ChangelogEntry, NoArgumentsAndEmptyArguments) {
  ChangelogEntry none = parsed("7: 1|RENUMERATEEDGES():9");
  EXPECT_TRUE(none.args.empty());
  EXPECT_EQ(format_changelog_line(none), "7: 1|RENUMERATEEDGES():9\n");

  ChangelogEntry idle = parsed("8: 1|IDLE()");
  EXPECT_TRUE(idle.args.empty());
  EXPECT_TRUE(idle.results.empty());

  ChangelogEntry empty_value = parsed("9: 1|SETXATTR(3,user.x,,0)");
  EXPECT_EQ(empty_value.args, (std::vector<std::string>{"3", "user.x", "", "0"}));
  EXPECT_EQ(format_changelog_line(empty_value), "9: 1|SETXATTR(3,user.x,,0)\n");

  ChangelogEntry empty_result = parsed("10: 1|X(1):");
  EXPECT_EQ(empty_result.results, std::vector<std::string>{""});
  EXPECT_EQ(format_changelog_line(empty_result), "10: 1|X(1):\n");
}

TEST(ChangelogEntry, SnapshotGidListIsOneVerbatimArgument) {
  const std::string line = "50: 1795569400|SNAPSHOT(3,1,snap%2C1,0,0,1000,[1000,24,27],18):3,0,0,0,0,1\n";
  ChangelogEntry snapshot = parsed(line);
  ASSERT_EQ(snapshot.args.size(), 8u);
  EXPECT_EQ(snapshot.args[2], "snap,1");
  EXPECT_EQ(snapshot.args[6], "[1000,24,27]");
  EXPECT_EQ(snapshot.args[7], "18");
  EXPECT_EQ(snapshot.results.size(), 6u);
  EXPECT_EQ(format_changelog_line(snapshot), line);

  EXPECT_EQ(parsed("51: 1|SNAPSHOT(3,1,s,0,0,0,[],18):1").args[6], "[]");
  EXPECT_EQ(parsed("52: 1|SNAPSHOT(3,1,s,0,0,0,[7])").args.size(), 7u);
  // Older form: a gid count and gids as separate arguments.
  EXPECT_EQ(parsed("53: 1|SNAPSHOT(3,1,s,0,0,0,2,5,6,18)").args.size(), 10u);
  // A name may start with '[': only argument 6 of SNAPSHOT is a list.
  EXPECT_EQ(parsed("54: 1|SNAPSHOT(3,1,[x,0,0,0,[5],18)").args[2], "[x");
  EXPECT_EQ(parsed("55: 1|CREATE(1,[a,1,438,18,0,0,0):2").args[1], "[a");

  for (std::string_view bad : {"56: 1|SNAPSHOT(3,1,s,0,0,0,[1,2,18)", "56: 1|SNAPSHOT(3,1,s,0,0,0,[1,,2],18)",
                               "56: 1|SNAPSHOT(3,1,s,0,0,0,[a],18)", "56: 1|SNAPSHOT(3,1,s,0,0,0,[1]x,18)",
                               "56: 1|SNAPSHOT(3,1,s,0,0,0,[1,])"}) {
    EXPECT_FALSE(parse_changelog_line(bad)) << bad;
  }
}

TEST(ChangelogEntry, SnapshotListPositionWithOtherTextStillRoundTrips) {
  ChangelogEntry entry = ChangelogEntry::make("SNAPSHOT", 1).arg(1).arg(2).arg("n").arg(0).arg(0).arg(0);
  entry.id = 60;
  for (std::string_view odd : {"[x", "[1,2", "a[b", "[1,2]"}) {
    entry.args.resize(6);
    entry.args.emplace_back(odd);
    EXPECT_EQ(parsed(format_changelog_line(entry)), entry) << odd;
  }
  entry.args[6] = "[x";
  EXPECT_EQ(format_changelog_line(entry), "60: 1|SNAPSHOT(1,2,n,0,0,0,%5Bx)\n");
}

TEST(ChangelogEntry, EscapesExactlyTheSpecialBytes) {
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    ChangelogEntry entry = ChangelogEntry::make("SETXATTR", 7).arg(3).arg(std::string("a") + c + "b").arg(std::string(1, c)).arg(0);
    entry.id = 100;
    const bool special = byte < 32 || byte >= 127 || c == ',' || c == '%' || c == '(' || c == ')';
    char escaped[4];
    std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
    const std::string written = special ? escaped : std::string(1, c);
    EXPECT_EQ(format_changelog_line(entry), "100: 7|SETXATTR(3,a" + written + "b," + written + ",0)\n") << byte;
    EXPECT_EQ(parsed(format_changelog_line(entry)), entry) << byte;
  }
}

TEST(ChangelogEntry, UnescapesResultsToo) {
  ChangelogEntry entry = parsed("5: 1|X(a%2Cb):c%28,d");
  EXPECT_EQ(entry.args, std::vector<std::string>{"a,b"});
  EXPECT_EQ(entry.results, (std::vector<std::string>{"c(", "d"}));
}

TEST(ChangelogEntry, Builder) {
  ChangelogEntry entry = ChangelogEntry::make("CREATE", 1795569338)
                             .arg(uint32_t{1})
                             .arg("d")
                             .arg(uint8_t{2})
                             .arg(uint16_t{511})
                             .arg(18)
                             .arg(uint64_t{18446744073709551615u})
                             .arg(std::string("x,y"))
                             .result(uint32_t{2});
  entry.id = 5;
  EXPECT_EQ(format_changelog_line(entry), "5: 1795569338|CREATE(1,d,2,511,18,18446744073709551615,x%2Cy):2\n");
}

// ChangelogArgs reads what the builder wrote, strictly.
TEST(ChangelogArgs, ReadsFieldsInOrderAndFailsForGood) {
  ChangelogEntry entry = ChangelogEntry::make("CREATE", 1).arg(1).arg("d").arg(uint64_t{18446744073709551615u}).result(2);
  ChangelogArgs args(entry);
  EXPECT_EQ(args.number<uint32_t>(), 1u);
  EXPECT_EQ(args.text(), "d");
  EXPECT_EQ(args.number<uint64_t>(), 18446744073709551615u);
  EXPECT_EQ(args.result<uint32_t>(), 2u);
  EXPECT_TRUE(args.ok());
  EXPECT_FALSE(args.has_more_args());
  args.number<uint32_t>();  // no such argument
  EXPECT_FALSE(args.ok());
  EXPECT_NE(args.status().to_string().find("CREATE"), std::string::npos);

  ChangelogEntry too_big = ChangelogEntry::make("X").arg(uint64_t{4294967296});
  ChangelogArgs narrow(too_big);
  narrow.number<uint32_t>();
  EXPECT_FALSE(narrow.ok());
}

TEST(ChangelogArgs, NumbersAreStrictDecimal) {
  for (const char* bad : {"", "+1", "-1", " 1", "1 ", "0x10", "18446744073709551616"}) {
    ChangelogEntry entry = ChangelogEntry::make("N");
    entry.args = {bad};
    ChangelogArgs args(entry);
    args.number<uint64_t>();
    EXPECT_FALSE(args.ok()) << bad;
  }
  ChangelogEntry entry = ChangelogEntry::make("N");
  entry.args = {"007", "4294967295"};
  ChangelogArgs args(entry);
  EXPECT_EQ(args.number<uint32_t>(), 7u);
  EXPECT_EQ(args.number<uint32_t>(), 4294967295u);
  EXPECT_TRUE(args.ok());
}

TEST(ChangelogEntry, AcceptsLineWithOrWithoutNewline) {
  EXPECT_EQ(parsed("1: 2|IDLE()"), parsed("1: 2|IDLE()\n"));
}

TEST(ChangelogEntry, RejectsMalformedLines) {
  const std::vector<std::string> bad = {
      "",
      "\n",
      "1 1795569331|IDLE()",                          // missing colon
      "1:1795569331|IDLE()",                          // missing space
      "1: 1795569331 IDLE()",                         // missing '|'
      ": 1795569331|IDLE()",                          // no id
      "-1: 1795569331|IDLE()",                        // signed id
      "1: |IDLE()",                                   // no timestamp
      "1: 1795569331|()",                             // no operation
      "1: 1795569331|idle()",                         // operation not upper case
      "1: 1795569331|IDLE",                           // no parentheses
      "1: 1795569331|IDLE(",                          // unbalanced
      "1: 1795569331|IDLE)",                          // unbalanced
      "1: 1795569331|X(a(b)",                         // '(' inside arguments
      "1: 1795569331|X(a)b)",                         // text after ')'
      "1: 1795569331|X(a))",                          // extra ')'
      "1: 1795569331|X(a):1)",                        // ')' in results
      "1: 1795569331|X(a):(1",                        // '(' in results
      "1: 1795569331|X(a)(b)",                        // second argument list
      "1: 1795569331|X(a%)",                          // '%' without digits
      "1: 1795569331|X(a%4)",                         // '%' with one digit
      "1: 1795569331|X(a%e8)",                        // lower-case hex
      "1: 1795569331|X(a%G0)",                        // not hex
      "1: 1795569331|X(a%%41)",                       // '%' escaping '%'
      "1: 1795569331|X(a):%2",                        // truncated escape in results
      "18446744073709551616: 1|IDLE()",               // id beyond u64
      "99999999999999999999999999: 1|IDLE()",         // id far beyond u64
      "1: 4294967296|IDLE()",                         // timestamp beyond u32
      "1: 1|IDLE()\n\n",                              // two newlines
      "1: 1|X(a\nb)",                                 // newline inside
      "1: 1795569331|IDLE()\r",                       // CR after the line
  };
  for (const std::string& line : bad) {
    auto result = parse_changelog_line(line);
    EXPECT_FALSE(result) << line;
    if (!result) {
      EXPECT_EQ(result.code(), StatusCode::kEINVAL);
      EXPECT_NE(result.status().to_string().find("malformed changelog line"), std::string::npos);
    }
  }
  EXPECT_TRUE(parse_changelog_line("18446744073709551615: 4294967295|IDLE()"));
}

TEST(ChangelogEntry, RejectsTruncatedLines) {
  for (const std::string& line : kSpecExampleLines) {
    // Every prefix that stops before the closing ')' is incomplete.
    size_t close = line.rfind(')');
    for (size_t length = 0; length < close + 1; ++length) {
      EXPECT_FALSE(parse_changelog_line(std::string_view(line).substr(0, length))) << line.substr(0, length);
    }
  }
}

TEST(ChangelogEntry, LineLengthIsBounded) {
  std::string value(kMaxChangelogLineLength, 'v');
  std::string line = "1: 1|SETXATTR(3,n," + value + ",0)";
  auto too_long = parse_changelog_line(line);
  EXPECT_FALSE(too_long);
  std::string longest = "1: 1|X(" + std::string(kMaxChangelogLineLength - 8, 'v') + ")";
  ASSERT_EQ(longest.size(), kMaxChangelogLineLength);
  EXPECT_TRUE(parse_changelog_line(longest + "\n"));
  EXPECT_FALSE(parse_changelog_line(longest + "x"));
}

// ---- the fuzz target's property, run deterministically

std::string random_line(std::mt19937& random) {
  static const std::string alphabet = "0123456789:| ()[],%ABCDEFSNAPHOTXaz\n\x01\xff";
  std::string line;
  for (size_t n = random() % 60; n > 0; --n) line += alphabet[random() % alphabet.size()];
  return line;
}

void mutate(std::string& line, std::mt19937& random) {
  static const std::string interesting = std::string(",()[]%:|0123456789AF\n") + '\0' + '\x80';
  switch (random() % 4) {
    case 0:  // replace a byte
      if (!line.empty()) line[random() % line.size()] = interesting[random() % interesting.size()];
      break;
    case 1:  // insert a byte
      line.insert(line.begin() + static_cast<std::ptrdiff_t>(random() % (line.size() + 1)),
                  interesting[random() % interesting.size()]);
      break;
    case 2:  // delete a byte
      if (!line.empty()) line.erase(random() % line.size(), 1);
      break;
    default:  // cut the end
      line.resize(random() % (line.size() + 1));
      break;
  }
}

TEST(ChangelogEntryFuzz, RandomLinesKeepTheRoundTripProperty) {
  std::mt19937 random(20240301);
  for (int iteration = 0; iteration < 5000; ++iteration) {
    std::string line = random_line(random);
    EXPECT_EQ(changelog_line_round_trip_violation(line), std::nullopt) << line;
  }
}

TEST(ChangelogEntryFuzz, MutatedLinesKeepTheRoundTripProperty) {
  std::mt19937 random(4117);
  std::vector<std::string> corpus = kSpecExampleLines;
  corpus.push_back("50: 1795569400|SNAPSHOT(3,1,snap%2C1,0,0,1000,[1000,24,27],18):3,0,0,0,0,1\n");
  corpus.push_back("7: 1|RENUMERATEEDGES():9\n");
  int accepted = 0;
  for (int iteration = 0; iteration < 5000; ++iteration) {
    std::string line = corpus[random() % corpus.size()];
    for (int n = 1 + static_cast<int>(random() % 3); n > 0; --n) mutate(line, random);
    EXPECT_EQ(changelog_line_round_trip_violation(line), std::nullopt) << line;
    accepted += parse_changelog_line(line) ? 1 : 0;
  }
  EXPECT_GT(accepted, 500);  // the mutations reach the success paths too
  EXPECT_LT(accepted, 5000);
}

}  // namespace
}  // namespace mfs::master
