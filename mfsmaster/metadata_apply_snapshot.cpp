// apply() handler of SNAPSHOT (spec 30 §4.3): makes or removes a snapshot after checking
// that this state gives the results the entry was logged with (unless the live request
// just planned it).
#include "mfsmaster/metadata.h"
#include "mfsmaster/snapshot_entry.h"

namespace mfs::master {

Status Metadata::apply_snapshot(const ChangelogEntry& entry) {
  auto logged = parse_snapshot_entry(entry);
  if (!logged) return logged.status();
  auto as_logged = [&](const PlannedSnapshot& plan) {
    return plan.request == logged->request && plan.counts == logged->counts;
  };
  if (!live_snapshot_plan_.take(version_, as_logged)) {
    auto planned = plan_snapshot(fs_, logged->request);
    if (!planned) return Status(StatusCode::kMismatch, "SNAPSHOT: not possible here: " + planned.status().to_string());
    if (*planned != logged->counts) return Status(StatusCode::kMismatch, "SNAPSHOT: results differ");
  }
  make_snapshot(fs_, logged->request, logged->counts, entry.timestamp, [this](uint64_t chunk_id, const Node& file) {
    if (ChunkRecord* chunk = chunks_.find(chunk_id)) reference_chunk(*chunk, file);
  });
  return Status::ok();
}

}  // namespace mfs::master
