// The one mutation path of the live master (DESIGN §3): validated changes arrive as
// changelog entries, are applied with Metadata::apply (the function replay uses), and
// are appended to the changelog; replies wait until their entries are durable.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmaster/changelog_entry.h"
#include "mfsmaster/changelog_writer.h"
#include "mfsmaster/metadata.h"

namespace mfs::master {

class MutationLog {
 public:
  MutationLog(Metadata& metadata, ChangelogWriter& writer) : metadata_(metadata), writer_(writer) {}

  // Applies and logs the entries in order, giving each the next change id; they reach the
  // changelog writer as one batch (one fdatasync). A failing apply means validation let
  // through something replay could not repeat: the entry is not logged (those before it
  // are), the failure is logged loudly and returned. Entries no reply awaits are synced
  // lazily (ChangelogWriter::Sync::kLazily).
  Status commit(std::vector<ChangelogEntry> entries);
  // Runs `done` on the metadata thread once everything committed so far is on disk.
  void when_durable(std::function<void()> done);

  // Whether a reply acknowledging these entries has to wait for their durability.
  // Bookkeeping does not: open files and access and modification times reported by mounts,
  // and the end of a write lock (UNLOCK). It is not user data: a mount re-announces its open
  // files after reconnecting (SUSTAINED_INODES), and a lock a crash leaves behind expires.
  // (The end of a version change's lock is still waited for, by WRITE_CHUNK_END: see
  // ChunkRecord::locked_by_version_change.) The changelog is written in order, so the next
  // awaited mutation makes such entries durable as well. A reply without entries waits: it
  // may rest on earlier changes.
  static bool reply_awaits_durability(const std::vector<ChangelogEntry>& entries);
  // When the last commit was made.
  std::chrono::steady_clock::time_point last_commit() const { return last_commit_; }

 private:
  Metadata& metadata_;
  ChangelogWriter& writer_;
  std::chrono::steady_clock::time_point last_commit_;
};

}  // namespace mfs::master
