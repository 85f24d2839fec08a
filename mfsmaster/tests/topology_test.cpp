// mfstopology.cfg parsing and distances (spec 40 §C.5).
#include "mfsmaster/topology.h"

#include <gtest/gtest.h>

namespace mfs::master {
namespace {

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a << 24 | b << 16 | c << 8 | d; }

TEST(TopologyTest, DistancesFollowTheRackPaths) {
  std::vector<std::string> warnings;
  Topology topology = Topology::parse(
      "# racks\n"
      "10.0.1.0/24   US|A|R1\n"
      "\n"
      "10.0.2.0-10.0.2.255\tUS|B|R2\n"
      "10.0.3.0/255.255.255.0 US|A|R1\n"
      "10.0.4.7 7\n",
      &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(topology.distance(ip(10, 0, 1, 1), ip(10, 0, 1, 1)), 0u);
  EXPECT_EQ(topology.distance(ip(10, 0, 1, 1), ip(10, 0, 1, 2)), 1u);  // same rack
  EXPECT_EQ(topology.distance(ip(10, 0, 1, 1), ip(10, 0, 3, 9)), 1u);
  EXPECT_EQ(topology.distance(ip(10, 0, 1, 1), ip(10, 0, 2, 1)), 3u);  // US|A|R1 vs US|B|R2
  EXPECT_EQ(topology.distance(ip(10, 0, 4, 7), ip(10, 0, 1, 1)), 4u);  // nothing in common
  EXPECT_EQ(topology.distance(ip(10, 0, 9, 1), ip(10, 0, 9, 2)), 1u);  // both uncovered: empty paths
  EXPECT_EQ(topology.distance(ip(10, 0, 9, 1), ip(10, 0, 1, 1)), 4u);
}

TEST(TopologyTest, LaterLinesOverrideEarlierOnes) {
  Topology topology = Topology::parse("* X|Y\n10.0.0.0/8 X|Z\n", nullptr);
  EXPECT_EQ(topology.distance(ip(10, 1, 1, 1), ip(11, 1, 1, 1)), 2u);
  EXPECT_EQ(topology.distance(ip(11, 1, 1, 1), ip(12, 1, 1, 1)), 1u);
}

TEST(TopologyTest, BadLinesAreSkippedWithAWarning) {
  std::vector<std::string> warnings;
  Topology topology =
      Topology::parse("10.0.0.300 A\n10.0.0.1\n10.0.0.2 A B\nnot-an-address A\n10.0.0.5 R\n", &warnings);
  EXPECT_EQ(warnings.size(), 4u);
  EXPECT_EQ(topology.distance(ip(10, 0, 0, 5), ip(10, 0, 0, 6)), 2u);
}

TEST(TopologyTest, MissingFileIsAnError) {
  EXPECT_FALSE(Topology::load("/nonexistent/mfstopology.cfg", nullptr));
}

}  // namespace
}  // namespace mfs::master
