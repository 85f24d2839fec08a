// Matching chunkservers to a storage class's label expressions (spec 11 §4.2): each copy
// of a chunk has its own expression (up to 4 alternatives, each an AND-mask of labels A..Z),
// and every copy must be on a different server. Used for chunk creation (create labels),
// replication (keep or archive labels) and to find copies on wrongly labelled servers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "mfsmaster/storage_class_table.h"

namespace mfs::master {

// True if a server with label mask `server_labels` may hold a copy described by `copy`:
// `*` (first word 0) matches every server, otherwise one non-zero alternative must be a
// subset of the server's labels.
bool server_matches(uint32_t server_labels, const CopyLabels& copy);

// True if every copy of `labels` is "any server".
bool matches_any_server(const LabelSet& labels);

// Assigns distinct servers to as many copies as possible (a maximum bipartite matching,
// found by augmenting paths, so `A+B , A` on servers {A, B} uses both). `servers` are label
// masks in order of preference: earlier ones are tried first. Result: per copy the index
// into `servers`, or nullopt for a copy no remaining server matches.
std::vector<std::optional<size_t>> assign_servers(const LabelSet& copies, const std::vector<uint32_t>& servers);

// How many copies of `copies` can be placed on distinct servers among `servers`.
size_t placeable_copies(const LabelSet& copies, const std::vector<uint32_t>& servers);

}  // namespace mfs::master
