// Replays the changelog files of DATA_PATH on top of an image of version V (spec 30 §4.4,
// steps 2-4): every changelog.N.mfs, changelog_ml.N.mfs and changelog_ml_back.N.mfs is a
// source; their lines are merged by change id, lines below V and duplicates are skipped,
// and the changes V, V+1, ... are handed over in order until the files run out.
//
// One deliberate difference from MooseFS: MooseFS ignores a whole file whose last line is
// torn (no final '\n'), because a metalogger or another file normally holds the same
// changes. For our own changelog.0.mfs this would throw away acknowledged changes after a
// crash: our writer acknowledges a change only after the batch holding it is fsynced, so a
// torn line can only belong to the last, unacknowledged batch. We therefore use the lines
// of changelog.0.mfs up to its last '\n' and ignore only the torn remainder (the writer cuts
// it off when it next opens the file). Other files keep the MooseFS rule.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "mfscommon/status.h"
#include "mfsmaster/changelog_entry.h"

namespace mfs::master {

// Applies one change; an error stops the replay and is returned by replay_changelogs.
using ChangelogApply = std::function<Status(const ChangelogEntry&)>;

// Hands changes `version`, `version`+1, ... to `apply` in order. Fails when a change is
// missing before the last one found (a hole: "add more files"), when a file can't be read,
// or when `apply` fails. Lines that don't parse are skipped (which normally shows up as a
// hole at the next line); within one file, a line whose id goes down or jumps by 10000 or
// more is garbage and ends that file.
Status replay_changelogs(const std::string& data_path, uint64_t version, const ChangelogApply& apply);

}  // namespace mfs::master
