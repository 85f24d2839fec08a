// Placement orders derived from mfstopology.cfg (CREATIONS_/REPLICATIONS_RESPECT_TOPOLOGY,
// CHUNKS_UNIQUE_MODE).
#include "mfsmaster/topology_placement.h"
#include "mfsmaster/unique_copies.h"

#include <gtest/gtest.h>

#include <string>

#include "mfsmaster/tests/client_protocol_test_util.h"

namespace mfs::master::testing {
namespace {

constexpr uint32_t ip(uint32_t c, uint32_t d) { return 10u << 24 | c << 8 | d; }

class TopologyPlacementTest : public ::testing::Test {
 protected:
  TopologyPlacementTest() {
    const uint32_t ips[] = {ip(1, 1), ip(2, 1), ip(1, 2), ip(3, 1), ip(2, 2)};
    for (size_t i = 0; i < 5; ++i) {
      servers_[i].ip = ips[i];
      all_.push_back(&servers_[i]);
    }
  }
  std::vector<uint32_t> ips_of(const std::vector<Chunkserver*>& servers) const {
    std::vector<uint32_t> ips;
    for (const Chunkserver* server : servers) ips.push_back(server->ip);
    return ips;
  }

  // Racks: 10.0.1.x and 10.0.2.x in one room, 10.0.3.x in another building.
  Topology topology_ = Topology::parse("10.0.1.0/24 B1|R1\n10.0.2.0/24 B1|R2\n10.0.3.0/24 B2|R3\n", nullptr);
  Chunkserver servers_[5];
  std::vector<Chunkserver*> all_;
};

TEST_F(TopologyPlacementTest, NearServersComeFirstInTheirOrder) {
  std::vector<Chunkserver*> servers = all_;
  put_near_first(servers, ip(2, 9), 2, topology_);  // a client in rack R2: distance 1 there
  EXPECT_EQ(ips_of(servers), (std::vector<uint32_t>{ip(2, 1), ip(2, 2), ip(1, 1), ip(1, 2), ip(3, 1)}));
  servers = all_;
  put_near_first(servers, ip(2, 9), 3, topology_);  // the same building too (distance 2)
  EXPECT_EQ(ips_of(servers), (std::vector<uint32_t>{ip(1, 1), ip(2, 1), ip(1, 2), ip(2, 2), ip(3, 1)}));
  servers = all_;
  put_near_first(servers, ip(2, 9), 0, topology_);  // option off
  EXPECT_EQ(servers, all_);
}

TEST_F(TopologyPlacementTest, DestinationsByDistanceToTheClosestCopy) {
  std::vector<Chunkserver*> servers = all_;
  const uint32_t copies[] = {ip(3, 7), ip(1, 7)};
  order_by_distance_to_any(servers, copies, topology_);
  // R1 and R3 servers are in a rack with a copy (1); R2 ones share only the building (2).
  EXPECT_EQ(ips_of(servers), (std::vector<uint32_t>{ip(1, 1), ip(1, 2), ip(3, 1), ip(2, 1), ip(2, 2)}));
}

TEST_F(TopologyPlacementTest, ClosestSourceIsTheFirstOfTheNearest) {
  EXPECT_EQ(closest_source(all_, ip(2, 9), topology_), 1u);
  EXPECT_EQ(closest_source(all_, ip(3, 1), topology_), 3u);  // the destination's own address
  EXPECT_EQ(closest_source(all_, ip(9, 9), topology_), 0u);   // equally far from all: the first
}

TEST_F(TopologyPlacementTest, UniquePlacesAreAddressesOrRacks) {
  CopyPlaces none(UniqueMode::kNone, topology_);
  CopyPlaces by_ip(UniqueMode::kIp, topology_);
  CopyPlaces by_rack(UniqueMode::kRack, topology_);
  EXPECT_FALSE(none.same_place(ip(1, 1), ip(1, 1)));
  EXPECT_TRUE(by_ip.same_place(ip(1, 1), ip(1, 1)));
  EXPECT_FALSE(by_ip.same_place(ip(1, 1), ip(1, 2)));
  EXPECT_TRUE(by_rack.same_place(ip(1, 1), ip(1, 2)));
  EXPECT_FALSE(by_rack.same_place(ip(1, 1), ip(2, 1)));  // same building, other rack
  EXPECT_TRUE(by_rack.same_place(ip(9, 9), ip(8, 8)));   // both outside the topology: the empty path
}

TEST_F(TopologyPlacementTest, ServersAtPlacesWithoutACopyComeFirst) {
  std::vector<Chunkserver*> servers = all_;
  CopyPlaces(UniqueMode::kNone, topology_).put_free_places_first(servers, {});
  EXPECT_EQ(servers, all_);
  // One server per rack first, in their order; then the second ones of R1 and R2.
  CopyPlaces(UniqueMode::kRack, topology_).put_free_places_first(servers, {});
  EXPECT_EQ(ips_of(servers), (std::vector<uint32_t>{ip(1, 1), ip(2, 1), ip(3, 1), ip(1, 2), ip(2, 2)}));
  servers = all_;
  const uint32_t in_r2[] = {ip(2, 7)};
  CopyPlaces(UniqueMode::kRack, topology_).put_free_places_first(servers, in_r2);
  EXPECT_EQ(ips_of(servers), (std::vector<uint32_t>{ip(1, 1), ip(3, 1), ip(2, 1), ip(1, 2), ip(2, 2)}));
  servers = all_;
  const uint32_t on_1_2[] = {ip(1, 2)};
  CopyPlaces(UniqueMode::kIp, topology_).put_free_places_first(servers, on_1_2);
  EXPECT_EQ(ips_of(servers), (std::vector<uint32_t>{ip(1, 1), ip(2, 1), ip(3, 1), ip(2, 2), ip(1, 2)}));
}

TEST_F(TopologyPlacementTest, RepeatedPlacesAreMarkedAfterTheirFirstCopy) {
  const uint32_t copies[] = {ip(1, 1), ip(2, 1), ip(1, 1), ip(1, 2)};
  EXPECT_EQ(CopyPlaces(UniqueMode::kIp, topology_).repeated(copies), (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(CopyPlaces(UniqueMode::kRack, topology_).repeated(copies), (std::vector<bool>{false, false, true, true}));
}

TEST_F(TopologyPlacementTest, SurplusTakesCopiesOffSharedPlacesButMisplacedOnesFirst) {
  // Two copies at each of two addresses and one alone; the order says which go first.
  const uint32_t copies[] = {ip(1, 1), ip(2, 1), ip(1, 1), ip(2, 1), ip(3, 1)};
  std::vector<bool> serving(5, true);
  CopyPlaces by_ip(UniqueMode::kIp, topology_);
  EXPECT_EQ(by_ip.surplus(copies, serving, 2), (std::vector<size_t>{0, 1}));  // one of each pair
  EXPECT_EQ(by_ip.surplus(copies, serving, 3), (std::vector<size_t>{0, 1, 2}));
  serving[4] = false;  // on a server without the class's labels
  EXPECT_EQ(by_ip.surplus(copies, serving, 2), (std::vector<size_t>{4, 0}));
  EXPECT_EQ(CopyPlaces(UniqueMode::kNone, topology_).surplus(copies, serving, 2), (std::vector<size_t>{4, 0}));
}

// CREATIONS_RESPECT_TOPOLOGY = 2: a new chunk's copies go to the servers in the writer's
// rack (distance 1) while they have room, although a server elsewhere has as much space.
class TopologyPlacementProtocolTest : public ProtocolFixture {};

TEST_F(TopologyPlacementProtocolTest, NewChunksGoToServersNearTheWriter) {
  config.set("CREATIONS_RESPECT_TOPOLOGY", "2");
  chunks->configure(config);
  chunks->set_topology(Topology::parse("10.0.1.0/24 R1\n10.0.2.0/24 R2\n", nullptr));
  std::vector<TestChunkserver> servers;
  for (uint32_t address : {ip(1, 1), ip(2, 1), ip(2, 2)}) servers.push_back(registered_chunkserver(address));
  TestClient client = mount("/", ip(2, 9));
  std::vector<size_t> creates(servers.size(), 0);
  // Several files: with equal space a random choice would pick the R1 server sometimes.
  for (uint32_t i = 0; i < 8; ++i) {
    uint32_t file = created(client, request::mknod(10 + i, kRootInode, "f" + std::to_string(i), 1, 0644));
    ASSERT_TRUE(client.handle(request::chunk(msg::CLTOMA_FUSE_WRITE_CHUNK, 100 + i, file, 0)));
    settle();
    for (size_t s = 0; s < servers.size(); ++s) {
      for (const auto& message : servers[s].link->take()) {
        if (const auto* create = std::get_if<csmsg::CreateCommand>(&message)) {
          ++creates[s];
          EXPECT_TRUE(servers[s].handle(csmsg::encode(csmsg::CreateReply{create->chunkid, StatusCode::kOk})));
        }
      }
    }
    settle();
    replies(client);
  }
  EXPECT_EQ(creates[0], 0u) << "a copy went to the other rack";
  EXPECT_GT(creates[1] + creates[2], 0u);
}

}  // namespace
}  // namespace mfs::master::testing
