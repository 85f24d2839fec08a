// Making and removing snapshots in the namespace (spec 11 §7): the deterministic part
// that apply() runs for a SNAPSHOT changelog entry. Every decision depends only on the
// tree and on the request as logged (caller ids, session flags, umask, smode), so the
// live master and a replay produce the same nodes. A snapshot shares chunk ids with its
// source; writes later copy shared chunks (ChunkManager, copy-on-write).
//
// Each operation has two steps over the same walk: plan (checks the destination and
// counts, changing nothing) and make (does it). The live path plans to fill the entry's
// results; apply (in a replay) plans again to verify them before it changes anything.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mfscommon/status.h"
#include "mfsmaster/fs_tree.h"

namespace mfs::master {

// smode bits of CLTOMA_FUSE_SNAPSHOT (spec 11 §5.13).
namespace snapshot_mode {
inline constexpr uint8_t kCanOverwrite = 0x01;
inline constexpr uint8_t kCpLike = 0x02;
inline constexpr uint8_t kForceRemoval = 0x04;
inline constexpr uint8_t kPreserveHardlinks = 0x08;
inline constexpr uint8_t kDelete = 0x80;
}  // namespace snapshot_mode

// The arguments of a SNAPSHOT entry: `SNAPSHOT(src,parent,name,smode,sesflags,uid,[gids],cumask)`.
struct SnapshotRequest {
  uint32_t source = 0;  // 0 when removing
  uint32_t parent = 0;
  std::string name;
  uint8_t smode = 0;
  uint8_t sesflags = 0;
  uint32_t uid = 0;
  std::vector<uint32_t> gids;
  uint16_t cumask = 0;

  bool removes() const { return smode & snapshot_mode::kDelete; }
  bool operator==(const SnapshotRequest&) const = default;
};

// The results of a SNAPSHOT entry, as 3.0.117 logs them (observed, docs/protocol-notes.md
// "Snapshots"): `inode_check` is the XOR of the inode numbers taken and dropped (new
// nodes, both inodes of a replaced file; removed nodes); `removed` counts the nodes a
// removal took away; `same` existing files already equal to their source; `existing`
// existing nodes merged, updated in place or (files with other data) replaced;
// `hardlinks` links made for -p; `created` new nodes.
struct SnapshotCounts {
  uint32_t inode_check = 0;
  uint32_t removed = 0;
  uint32_t same = 0;
  uint32_t existing = 0;
  uint32_t hardlinks = 0;
  uint32_t created = 0;

  bool operator==(const SnapshotCounts&) const = default;
};

// Called for each chunk slot a new snapshot file takes from its source.
using ChunkSharer = std::function<void(uint64_t chunk_id, const Node& file)>;

// Checks what the node-level rules of spec 11 §7.1 (pre-test over an existing
// destination) and §7.2 (removal without FORCE_REMOVAL) require and counts the work.
// The request-level checks (lookups, access to the parent, names) are the caller's.
Result<SnapshotCounts> plan_snapshot(const FsTree& fs, const SnapshotRequest& request);

// Makes (or removes) the snapshot; plan_snapshot must have succeeded on this state and
// counted `planned` (room for the new nodes is reserved at once).
SnapshotCounts make_snapshot(FsTree& fs, const SnapshotRequest& request, const SnapshotCounts& planned, uint32_t now,
                             const ChunkSharer& share);

}  // namespace mfs::master
