// Helpers for master state tests: a Metadata with a session and a way to run
// validated operations through apply(), as the live master does.
#pragma once
#include <gtest/gtest.h>

#include "mfsmaster/fs_operations.h"
#include "mfsmaster/metadata.h"

namespace mfs::master::testing {

class MetadataFixture : public ::testing::Test {
 protected:
  static constexpr uint32_t kNow = 1700000000;

  MetadataFixture() {
    metadata.init_empty(kNow);
    SessionParameters parameters;
    parameters.sesflags = 0;  // read-write
    parameters.root_uid = 0;
    parameters.root_gid = 0;
    ChangelogEntry add = entry("SESADD", {"#0", "1", "0", "0000", "0", "0", "999", "999", "1", "9", "0",
                                          "4294967295", "0x00000000", "3323068417", "/mnt"},
                               {"1"});
    EXPECT_TRUE(apply(add));
  }

  ChangelogEntry entry(std::string operation, std::vector<std::string> args, std::vector<std::string> results = {}) {
    ChangelogEntry e;
    e.timestamp = kNow;
    e.operation = std::move(operation);
    e.args = std::move(args);
    e.results = std::move(results);
    return e;
  }

  Status apply(ChangelogEntry e) {
    e.id = metadata.version();
    Status status = metadata.apply(e);
    if (status) log.push_back(e);
    return status;
  }

  RequestContext as_user(uint32_t uid, std::vector<uint32_t> gids = {}) const {
    RequestContext context;
    context.session_id = 1;
    context.session = &metadata.sessions().find(1)->parameters;
    context.credentials = map_credentials(context.session->mapping(), uid, gids.empty() ? std::vector<uint32_t>{uid} : gids);
    context.now = kNow;
    return context;
  }

  // Validates with FsOperations and applies the resulting entries.
  Status run(const Result<Entries>& entries) {
    if (!entries) return entries.status();
    for (const ChangelogEntry& e : *entries) {
      Status status = apply(e);
      if (!status) return status;
    }
    return Status::ok();
  }

  uint32_t inode_of(uint32_t parent, std::string_view name) {
    const Node* directory = metadata.fs().find(parent);
    const Edge* edge = directory ? metadata.fs().lookup(*directory, name) : nullptr;
    return edge ? edge->child->inode : 0;
  }

  Metadata metadata;
  FsOperations ops{metadata};
  std::vector<ChangelogEntry> log;
};

}  // namespace mfs::master::testing
