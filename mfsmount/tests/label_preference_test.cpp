#include "mfsmount/label_preference.h"

#include <gtest/gtest.h>

namespace mfs::mount {
namespace {

constexpr uint32_t label(char c) { return 1u << (c - 'A'); }

TEST(LabelPreferenceTest, PrioritiesFollowTheExpressionsInOrder) {
  auto preference = LabelPreference::parse("A ; b+C ; (D+E)[F+g]");
  ASSERT_TRUE(preference) << preference.status().to_string();
  EXPECT_EQ(preference->priority(label('A') | label('B')), 0u);
  EXPECT_EQ(preference->priority(label('B')), 1u);
  EXPECT_EQ(preference->priority(label('C')), 1u);
  EXPECT_EQ(preference->priority(label('E') | label('G')), 2u);  // side by side: both
  EXPECT_EQ(preference->priority(label('E')), 3u);                // matches none
  EXPECT_EQ(preference->priority(0), 3u);
}

TEST(LabelPreferenceTest, AllLabelsOfATermAreNeeded) {
  auto preference = LabelPreference::parse("AB+Z");
  ASSERT_TRUE(preference);
  EXPECT_EQ(preference->priority(label('A')), 1u);
  EXPECT_EQ(preference->priority(label('A') | label('B')), 0u);
  EXPECT_EQ(preference->priority(label('Z')), 0u);
}

TEST(LabelPreferenceTest, OperatorsThe3_0_117ClientAlsoTakes) {
  for (const char* both : {"AB", "A B", "A&B", "A&&B", "A*B", "A*(B)", "[A]B"}) {
    auto preference = LabelPreference::parse(both);
    ASSERT_TRUE(preference) << both;
    EXPECT_EQ(preference->priority(label('A')), 1u) << both;
    EXPECT_EQ(preference->priority(label('A') | label('B')), 0u) << both;
  }
  for (const char* either : {"A+B", "A|B", "A||B"}) {
    auto preference = LabelPreference::parse(either);
    ASSERT_TRUE(preference) << either;
    EXPECT_EQ(preference->priority(label('B')), 0u) << either;
    EXPECT_EQ(preference->priority(label('C')), 1u) << either;
  }
  auto any = LabelPreference::parse("A;*");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->priority(label('A')), 0u);
  EXPECT_EQ(any->priority(0), 1u);
  EXPECT_TRUE(LabelPreference::parse("*;A"));
  EXPECT_TRUE(LabelPreference::parse("a&(b+c)*d"));
}

TEST(LabelPreferenceTest, CopyCountsAreTakenAndIgnoredAsThe3_0_117ClientDoes) {
  // Observed: the real client reads with `2a` only from A, with `3b;a` only from B, and
  // with `1` or `2` from both.
  auto counted = LabelPreference::parse("3B;A");
  ASSERT_TRUE(counted);
  EXPECT_EQ(counted->priority(label('B')), 0u);
  EXPECT_EQ(counted->priority(label('A')), 1u);
  EXPECT_EQ(counted->priority(label('C')), 2u);
  for (const char* same_as_a_or_b : {"2a+b", "9(a+b)", "2[a+b]"}) {
    auto preference = LabelPreference::parse(same_as_a_or_b);
    ASSERT_TRUE(preference) << same_as_a_or_b;
    EXPECT_EQ(preference->priority(label('B')), 0u) << same_as_a_or_b;
  }
  auto second = LabelPreference::parse("a;2b");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->priority(label('B')), 1u);
  for (const char* any : {"1", "2", "2*"}) {
    auto preference = LabelPreference::parse(any);
    ASSERT_TRUE(preference) << any;
    EXPECT_EQ(preference->priority(0), 0u) << any;
  }
  // Refused by the real client too: a count alone beside other expressions, a count of 0
  // or of two digits, a count inside an expression.
  for (const char* bad : {"1;a", "2;a", "a;1", "0", "0a", "10a", "12a", "(2a)", "a+2b", "a2"}) {
    EXPECT_FALSE(LabelPreference::parse(bad)) << bad;
  }
}

TEST(LabelPreferenceTest, BadExpressionsAreRefused) {
  // All refused by the 3.0.117 client too ("parse error").
  for (const char* bad : {"", "A+", "A;", ";", "(A", "A)", "A-B", "A++B", "!A", "~A", "-A", "A1", "0", "A*", "*B",
                          "A**B", "A+*", "(*)", "A&*", "A|*", "A 2", "A;B;C;D;E;F;G;H;I;J"}) {
    EXPECT_FALSE(LabelPreference::parse(bad)) << bad;
  }
  for (const char* bad : {"+A", ";A", "(A]", "()", "A&+B", "A&;B"}) EXPECT_FALSE(LabelPreference::parse(bad)) << bad;
  EXPECT_TRUE(LabelPreference::parse("A;B;C;D;E;F;G;H;I"));  // nine is the most
  EXPECT_FALSE(LabelPreference::parse(std::string(100, '(') + "A" + std::string(100, ')')));  // too deep
}

TEST(LabelPreferenceTest, OrderPutsPreferredCopiesFirstAndKeepsTheRestInOrder) {
  auto preference = LabelPreference::parse("B;A");
  ASSERT_TRUE(preference);
  std::vector<ChunkCopy> copies = {{1, 1, 0, label('C')}, {2, 1, 0, label('A')}, {3, 1, 0, 0}, {4, 1, 0, label('B')},
                                   {5, 1, 0, label('A')}};
  preference->order(copies);
  std::vector<uint32_t> ips;
  for (const ChunkCopy& copy : copies) ips.push_back(copy.ip);
  EXPECT_EQ(ips, (std::vector<uint32_t>{4, 2, 5, 1, 3}));

  std::vector<ChunkCopy> unchanged = {{1, 1, 0, label('C')}, {2, 1, 0, label('B')}};
  LabelPreference().order(unchanged);
  EXPECT_EQ(unchanged[0].ip, 1u);
}

}  // namespace
}  // namespace mfs::mount
