// Quotas: incremental usage accounting checked against a full tree walk after each kind
// of operation, limit checks of every growing operation, soft limits turning hard after
// the grace period (with an explicit clock), the QUOTA entry's text and replay, and the
// checkpoint / metadata.mfs round trips.
#include "mfsmaster/quota_table.h"

#include "mfsmaster/checkpoint_records.h"
#include "mfsmaster/metadata_image_reader.h"
#include "mfsmaster/metadata_image_writer.h"
#include "mfsmaster/subtree_statistics.h"
#include "mfsmaster/tests/metadata_test_util.h"

namespace mfs::master::testing {
namespace {

std::string line_body(const ChangelogEntry& entry) {
  std::string line = format_changelog_line(entry);
  return line.substr(line.find('|') + 1, line.size() - line.find('|') - 2);
}

SubtreeUsage limits(uint32_t inodes, uint64_t length, uint64_t size, uint64_t realsize) {
  return SubtreeUsage{inodes, length, size, realsize};
}

class QuotaTest : public MetadataFixture {
 protected:
  const FsTree& fs() const { return std::as_const(metadata).fs(); }
  const Node& node(uint32_t inode) const { return *fs().find(inode); }

  // The stored usage of `directory` equals what a walk of its subtree counts.
  void expect_usage_matches_walk(uint32_t directory) {
    const Node* dir = fs().find(directory);
    ASSERT_TRUE(dir && dir->is_directory());
    SubtreeStatistics walked = subtree_statistics(*dir, fs().class_goals());
    const SubtreeUsage& usage = dir->directory->usage;
    EXPECT_EQ(usage.inodes + 1, walked.inodes) << "directory " << directory;  // the walk counts it too
    EXPECT_EQ(usage.length, walked.length) << "directory " << directory;
    EXPECT_EQ(usage.size, walked.size) << "directory " << directory;
    EXPECT_EQ(usage.realsize, walked.realsize) << "directory " << directory;
  }
  void expect_all_usage_matches_walk() {
    for (const Node* n : fs().all_nodes()) {
      if (n->is_directory()) expect_usage_matches_walk(n->inode);
    }
  }

  uint32_t make(uint32_t parent, std::string_view name, uint8_t type = 1) {
    EXPECT_TRUE(run(ops.mknod(as_user(0), parent, name, type, 0755, 0, 0)));
    return inode_of(parent, name);
  }
  // What a client write of `length` bytes at chunk `index` logs.
  void write(uint32_t file, uint32_t index, uint64_t length) {
    uint64_t chunk = index < node(file).chunks.size() ? node(file).chunks[index] : 0;
    std::string id = std::to_string(chunk ? chunk : metadata.chunks().next_id());
    ASSERT_TRUE(apply(entry("WRITE", {std::to_string(file), std::to_string(index), "1", "0"}, {id})));
    ASSERT_TRUE(apply(entry("LENGTH", {std::to_string(file), std::to_string(length), "0"})));
    ASSERT_TRUE(apply(entry("UNLOCK", {id})));
  }
  Status set_quota(uint32_t directory, uint8_t flags, const SubtreeUsage& soft, const SubtreeUsage& hard,
                   uint32_t grace = 0) {
    QuotaRecord record = changed_quota(metadata.quotas().find(directory), directory, flags, true, grace, soft, hard);
    return apply(quota_entry(record, kNow));
  }
  Status growth_check(uint32_t directory, const SubtreeUsage& growth) {
    return metadata.quotas().check(fs(), node(directory), growth);
  }
};

TEST_F(QuotaTest, UsageFollowsEveryKindOfChange) {
  uint32_t d = make(kRootInode, "d", 2);
  uint32_t sub = make(d, "sub", 2);
  uint32_t f = make(sub, "f");
  expect_all_usage_matches_walk();
  EXPECT_EQ(node(d).directory->usage.inodes, 2u);
  write(f, 0, 100000);  // new chunk, length
  expect_all_usage_matches_walk();
  EXPECT_EQ(node(d).directory->usage.size, 139264u);  // 2 blocks + header, as the real master counts
  EXPECT_EQ(node(d).directory->usage.realsize, 278528u);
  write(f, 1, kChunkSize + 5);  // second chunk
  expect_all_usage_matches_walk();
  ASSERT_TRUE(run(ops.symlink(as_user(0), d, "sl", "../x/y")));
  expect_all_usage_matches_walk();
  EXPECT_EQ(node(d).directory->usage.length, kChunkSize + 5 + 6);
  ASSERT_TRUE(run(ops.link(as_user(0), f, kRootInode, "hard")));  // counted once per link
  expect_all_usage_matches_walk();
  auto truncated = ops.truncate(as_user(0), f, 0, 10, AppendReservations());
  ASSERT_TRUE(truncated);
  ASSERT_TRUE(run(truncated->entries));
  expect_all_usage_matches_walk();
  auto goal = ops.set_storage_class(as_user(0), f, 0, 3, 0);
  ASSERT_TRUE(goal);
  ASSERT_TRUE(run(goal->entries));
  expect_all_usage_matches_walk();
  EXPECT_EQ(node(d).directory->usage.realsize, node(d).directory->usage.size * 3);
  ASSERT_TRUE(run(ops.rename(as_user(0), d, "sub", kRootInode, "moved")));  // a subtree leaves d
  expect_all_usage_matches_walk();
  EXPECT_EQ(node(d).directory->usage.inodes, 1u);
  ASSERT_TRUE(run(ops.unlink(as_user(0), kRootInode, "hard", false)));
  ASSERT_TRUE(run(ops.unlink(as_user(0), sub, "f", false)));  // to the trash: counted nowhere
  expect_all_usage_matches_walk();
  EXPECT_EQ(node(sub).directory->usage, SubtreeUsage{});
  ASSERT_TRUE(apply(entry("PURGE", {std::to_string(f)})));
  expect_all_usage_matches_walk();
}

TEST_F(QuotaTest, HardLimitsRefuseEveryGrowingOperation) {
  uint32_t q = make(kRootInode, "q", 2);
  uint32_t outside = make(kRootInode, "outside", 2);
  uint32_t big = make(outside, "big");
  write(big, 0, 5000);
  uint32_t small = make(q, "small");
  write(small, 0, 500);
  ASSERT_TRUE(set_quota(q, quota_flag::kHardInodes | quota_flag::kHardLength, {}, limits(2, 1000, 0, 0)));
  // inodes: one more is fine, the third is refused whatever its kind
  uint32_t second = make(q, "second");
  for (uint8_t type : {1, 2, 4}) EXPECT_EQ(ops.mknod(as_user(0), q, "x", type, 0644, 0, 0).code(), StatusCode::kQuota);
  EXPECT_EQ(ops.symlink(as_user(0), q, "x", "t").code(), StatusCode::kQuota);
  EXPECT_EQ(ops.link(as_user(0), big, q, "x").code(), StatusCode::kQuota);
  // length: growing past 1000 is refused, shrinking and staying within are not
  EXPECT_EQ(ops.truncate(as_user(0), second, 0, 501, AppendReservations()).code(), StatusCode::kQuota);
  EXPECT_TRUE(ops.truncate(as_user(0), second, 0, 500, AppendReservations()));
  EXPECT_TRUE(ops.truncate(as_user(0), small, 0, 10, AppendReservations()));
  EXPECT_EQ(ops.rename(as_user(0), outside, "big", q, "big").code(), StatusCode::kQuota);
  // moving within the quota's realm adds nothing
  uint32_t inner = make(kRootInode, "inner", 2);
  ASSERT_TRUE(run(ops.rename(as_user(0), q, "second", q, "renamed")));
  EXPECT_TRUE(ops.rename(as_user(0), q, "renamed", inner, "out"));
  // a nested directory is limited by the quota above it
  ASSERT_TRUE(apply(quota_entry(changed_quota(metadata.quotas().find(q), q, quota_flag::kHardInodes, false, 0, {}, {}),
                                kNow)));
  uint32_t nested = make(q, "nested", 2);
  EXPECT_EQ(ops.symlink(as_user(0), nested, "x", std::string(600, 'y')).code(), StatusCode::kQuota);
  EXPECT_TRUE(ops.symlink(as_user(0), nested, "x", std::string(400, 'y')));
}

TEST_F(QuotaTest, ChunkWritesAreTestedAsFullChunks) {
  uint32_t q = make(kRootInode, "q", 2);
  uint32_t f = make(q, "f");
  write(f, 0, 1000);
  ASSERT_TRUE(set_quota(q, quota_flag::kHardSize, {}, limits(0, 0, 1000000, 0)));
  EXPECT_TRUE(ops.write_chunk(as_user(0), f, 0));  // the chunk exists: it cannot grow past 64 MiB
  EXPECT_EQ(ops.write_chunk(as_user(0), f, 1).code(), StatusCode::kQuota);
  ASSERT_TRUE(set_quota(q, quota_flag::kHardSize, {}, limits(0, 0, 2 * kChunkSize, 0)));
  EXPECT_TRUE(ops.write_chunk(as_user(0), f, 1));
  ASSERT_TRUE(set_quota(q, quota_flag::kHardRealsize, {}, limits(0, 0, 0, 2 * kChunkSize)));
  EXPECT_EQ(ops.write_chunk(as_user(0), f, 1).code(), StatusCode::kQuota);  // goal 2 doubles it
}

TEST_F(QuotaTest, GoalIncreaseIsTestedAgainstRealsize) {
  uint32_t q = make(kRootInode, "q", 2);
  uint32_t f = make(q, "f");
  write(f, 0, 1000);  // size 73728, realsize 147456 at goal 2
  ASSERT_TRUE(set_quota(q, quota_flag::kHardRealsize, {}, limits(0, 0, 0, 73728 * 3)));
  EXPECT_TRUE(ops.set_storage_class(as_user(0), f, 0, 3, smode::kSet));
  EXPECT_EQ(ops.set_storage_class(as_user(0), q, 0, 4, smode::kSet | smode::kRecursive).code(), StatusCode::kQuota);
  EXPECT_EQ(ops.set_storage_class(as_user(0), f, 0, 4, smode::kIncrease).code(), StatusCode::kQuota);
  EXPECT_TRUE(ops.set_storage_class(as_user(0), f, 0, 1, smode::kDecrease));
}

TEST_F(QuotaTest, SoftLimitsBlockOnlyAfterTheGracePeriod) {
  uint32_t q = make(kRootInode, "q", 2);
  for (std::string name : {"a", "b", "c"}) make(q, name);
  ASSERT_TRUE(set_quota(q, quota_flag::kSoftInodes, limits(2, 0, 0, 0), {}, 10));
  SubtreeUsage one;
  one.inodes = 1;
  const QuotaTable& quotas = metadata.quotas();
  EXPECT_TRUE(growth_check(q, one));
  // t: the excess is noted; t+10: still in grace; t+11: expired, soft acts as hard
  auto changes = quotas.soft_limit_changes(fs(), kNow, 999);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(line_body(changes[0]), "QUOTA(" + std::to_string(q) + ",0,1," + std::to_string(kNow) + ",2,0,0,0,0,0,0,0,10)");
  ASSERT_TRUE(apply(changes[0]));
  EXPECT_EQ(quotas.find(q)->time_to_block(kNow + 4, 999), 6u);
  EXPECT_TRUE(quotas.soft_limit_changes(fs(), kNow + 10, 999).empty());
  EXPECT_TRUE(growth_check(q, one));
  changes = quotas.soft_limit_changes(fs(), kNow + 11, 999);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(line_body(changes[0]), "QUOTA(" + std::to_string(q) + ",1,1," + std::to_string(kNow) + ",2,0,0,0,0,0,0,0,10)");
  ASSERT_TRUE(apply(changes[0]));
  EXPECT_EQ(quotas.find(q)->time_to_block(kNow + 11, 999), 0u);
  EXPECT_EQ(growth_check(q, one).code(), StatusCode::kQuota);
  EXPECT_TRUE(growth_check(q, SubtreeUsage{0, 100, 0, 0}));  // other measures are not limited
  // back within the soft limit: both marks are cleared
  ASSERT_TRUE(run(ops.unlink(as_user(0), q, "a", false)));
  ASSERT_TRUE(run(ops.unlink(as_user(0), q, "b", false)));
  changes = quotas.soft_limit_changes(fs(), kNow + 12, 999);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(line_body(changes[0]), "QUOTA(" + std::to_string(q) + ",0,1,0,2,0,0,0,0,0,0,0,10)");
  ASSERT_TRUE(apply(changes[0]));
  EXPECT_TRUE(growth_check(q, one));
}

TEST_F(QuotaTest, DefaultGracePeriodAppliesWithoutOwnOne) {
  QuotaRecord record;
  record.soft_since = 1000;
  EXPECT_EQ(record.time_to_block(1000, 7), 7u);
  record.grace_period = 3;
  EXPECT_EQ(record.time_to_block(1001, 7), 2u);
  EXPECT_EQ(record.time_to_block(1005, 7), 0u);
  EXPECT_EQ(QuotaRecord().time_to_block(1005, 7), 0xFFFFFFFFu);
  EXPECT_EQ(quota_default_grace_period(ConfigFile::parse("")), kDefaultQuotaGracePeriod);
  EXPECT_EQ(quota_default_grace_period(ConfigFile::parse("QUOTA_TIME_LIMIT = 60\n")), 60u);
  EXPECT_EQ(quota_default_grace_period(ConfigFile::parse("QUOTA_DEFAULT_GRACE_PERIOD = 5\n")), 5u);
}

// The entries the real 3.0.117 master logged for mfssetquota/mfsdelquota/mfscopyquota.
TEST_F(QuotaTest, ChangesAreLoggedAsTheRealMasterDoes) {
  uint32_t q = make(kRootInode, "q", 2);
  auto change = [&](uint8_t flags, bool set, uint32_t grace, SubtreeUsage soft, SubtreeUsage hard) {
    QuotaRecord record = changed_quota(metadata.quotas().find(q), q, flags, set, grace, soft, hard);
    ChangelogEntry logged = quota_entry(record, kNow);
    EXPECT_TRUE(apply(logged));
    return line_body(logged);
  };
  std::string i = std::to_string(q);
  EXPECT_EQ(change(0x11, true, 0, limits(3, 0, 0, 0), limits(5, 0, 0, 0)), "QUOTA(" + i + ",0,17,0,3,5,0,0,0,0,0,0,0)");
  EXPECT_EQ(change(0x02, true, 4, limits(0, 1000, 0, 0), {}), "QUOTA(" + i + ",0,19,0,3,5,1000,0,0,0,0,0,4)");
  EXPECT_EQ(change(0x02, false, 0, {}, {}), "QUOTA(" + i + ",0,17,0,3,5,0,0,0,0,0,0,4)");
  EXPECT_EQ(change(0x20, false, 0, {}, {}), "QUOTA(" + i + ",0,17,0,3,5,0,0,0,0,0,0,4)");
  EXPECT_EQ(change(0xFF, false, 0, {}, {}), "QUOTA(" + i + ",0,0,0,0,0,0,0,0,0,0,0,0)");
  EXPECT_EQ(metadata.quotas().find(q), nullptr);
}

TEST_F(QuotaTest, ReplayRebuildsQuotasAndUsage) {
  uint32_t q = make(kRootInode, "q", 2);
  uint32_t f = make(q, "f");
  write(f, 0, 70000);
  ASSERT_TRUE(set_quota(q, 0xFF, limits(1, 2, 3, 4), limits(5, 6, 7, 8), 9));
  Metadata replayed;
  replayed.init_empty(kNow);
  for (const ChangelogEntry& e : log) ASSERT_TRUE(replayed.apply(e)) << format_changelog_line(e);
  ASSERT_NE(replayed.quotas().find(q), nullptr);
  EXPECT_EQ(*replayed.quotas().find(q), *metadata.quotas().find(q));
  EXPECT_EQ(std::as_const(replayed).fs().find(q)->directory->usage, node(q).directory->usage);
  // a removed directory takes its quota along
  ASSERT_TRUE(run(ops.unlink(as_user(0), q, "f", false)));
  ASSERT_TRUE(run(ops.unlink(as_user(0), kRootInode, "q", true)));
  EXPECT_EQ(metadata.quotas().find(q), nullptr);
  // a QUOTA entry on a non-directory cannot be replayed
  EXPECT_FALSE(apply(entry("QUOTA", {std::to_string(f), "0", "1", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0"})));
}

TEST_F(QuotaTest, CheckpointRecordAndImageKeepQuotas) {
  uint32_t q = make(kRootInode, "q", 2);
  uint32_t f = make(q, "f");
  write(f, 0, 70000);
  ASSERT_TRUE(set_quota(q, 0x3C, limits(0, 0, 3, 4), limits(0, 6, 7, 0), 9));
  QuotaRecord stored = *metadata.quotas().find(q);
  stored.exceeded = true;
  stored.soft_since = 77;
  auto decoded = checkpoint_records::decode_quota(q, checkpoint_records::encode_quota(stored));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, stored);
  EXPECT_FALSE(checkpoint_records::decode_quota(q, checkpoint_records::encode_quota(stored).substr(1)));
  metadata.quotas().set(stored);

  auto image = serialize_metadata_image(metadata, nullptr);
  ASSERT_TRUE(image);
  Metadata loaded;
  ASSERT_TRUE(load_metadata_image_bytes(*image, loaded, nullptr, kNow));
  ASSERT_NE(loaded.quotas().find(q), nullptr);
  EXPECT_EQ(*loaded.quotas().find(q), stored);
  EXPECT_EQ(std::as_const(loaded).fs().find(q)->directory->usage, node(q).directory->usage);
}

}  // namespace
}  // namespace mfs::master::testing
