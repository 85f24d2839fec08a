// The one mutation path of the live master (DESIGN §3): validated changes arrive as
// changelog entries, are applied with Metadata::apply (the function replay uses), and
// are appended to the changelog; replies wait until their entries are durable.
#pragma once
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

  // Applies and logs the entries in order, giving each the next change id. A failing
  // apply means validation let through something replay could not repeat: the entry is
  // not logged, the failure is logged loudly and returned.
  Status commit(std::vector<ChangelogEntry> entries);
  // Runs `done` on the metadata thread once everything committed so far is on disk.
  void when_durable(std::function<void()> done);

 private:
  Metadata& metadata_;
  ChangelogWriter& writer_;
};

}  // namespace mfs::master
