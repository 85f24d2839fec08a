// Label matching of storage classes (label_expression.h).
#include "mfsmaster/label_expression.h"

#include <gtest/gtest.h>

namespace mfs::master {
namespace {

constexpr uint32_t kA = 1, kB = 2, kC = 4, kD = 8, kE = 16;

CopyLabels copy(std::initializer_list<uint32_t> alternatives) {
  CopyLabels labels{};
  size_t i = 0;
  for (uint32_t mask : alternatives) labels[i++] = mask;
  return labels;
}

TEST(LabelExpressionTest, AnyServerMatchesEverything) {
  EXPECT_TRUE(server_matches(0, copy({})));
  EXPECT_TRUE(server_matches(kA | kB, copy({})));
  EXPECT_TRUE(matches_any_server({copy({}), copy({})}));
  EXPECT_FALSE(matches_any_server({copy({}), copy({kA})}));
}

TEST(LabelExpressionTest, AlternativesAreOredAndMasksAnded) {
  CopyLabels c_or_d_and_e = copy({kC | kE, kD | kE});  // [C|D]*E
  EXPECT_TRUE(server_matches(kC | kE, c_or_d_and_e));
  EXPECT_TRUE(server_matches(kD | kE | kA, c_or_d_and_e));
  EXPECT_FALSE(server_matches(kC | kD, c_or_d_and_e));
  EXPECT_FALSE(server_matches(kE, c_or_d_and_e));
  EXPECT_FALSE(server_matches(0, copy({kA})));
  // Alternatives end at the first zero word.
  EXPECT_FALSE(server_matches(kB, CopyLabels{kA, 0, kB, 0}));
}

TEST(LabelExpressionTest, AssignmentUsesDistinctServersAndFindsTheMaximum) {
  // `A+B , A` on servers B-first then A: a greedy choice of A for the first copy would
  // leave the second copy without a server.
  LabelSet copies{copy({kA, kB}), copy({kA})};
  auto assigned = assign_servers(copies, {kA, kB});
  ASSERT_TRUE(assigned[0] && assigned[1]);
  EXPECT_EQ(*assigned[0], 1u);
  EXPECT_EQ(*assigned[1], 0u);
  EXPECT_EQ(placeable_copies({copy({kC}), copy({kC})}, {kA, kB, kC}), 1u);
  EXPECT_EQ(placeable_copies({copy({}), copy({}), copy({}), copy({})}, {kA, kB, kC}), 3u);
  // "Any" copies do not take the only server a labelled copy can use.
  auto mixed = assign_servers({copy({}), copy({kC})}, {kC, kA});
  ASSERT_TRUE(mixed[0] && mixed[1]);
  EXPECT_EQ(*mixed[1], 0u);
  EXPECT_EQ(*mixed[0], 1u);
  EXPECT_EQ(placeable_copies({copy({kA | kB})}, {kA, kB}), 0u);
  EXPECT_TRUE(assign_servers({}, {kA}).empty());
  EXPECT_FALSE(assign_servers({copy({kA})}, {})[0]);
}

}  // namespace
}  // namespace mfs::master
