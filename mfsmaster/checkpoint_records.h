// Encoding of the checkpoint's records: keys, and the values of nodes, chunks, sessions
// and the counters record. Values start with a format byte so they can evolve.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mfscommon/status.h"
#include "mfsmaster/chunk_table.h"
#include "mfsmaster/fs_node.h"
#include "mfsmaster/lock_table.h"
#include "mfsmaster/quota_table.h"
#include "mfsmaster/sessions.h"
#include "mfsmaster/storage_class_table.h"

namespace mfs::master::checkpoint_records {

inline constexpr char kNodePrefix = 'n';
inline constexpr char kChunkPrefix = 'c';
inline constexpr char kSessionPrefix = 's';
inline constexpr char kLockPrefix = 'l';
inline constexpr char kQuotaPrefix = 'q';
inline constexpr char kStorageClassPrefix = 'k';
inline constexpr std::string_view kCountersKey = "m";

std::string key(char prefix, uint64_t id);
// The id of a key written by key(prefix, ...), or nullopt for another prefix or a bad key.
Result<uint64_t> id_of(std::string_view key, char prefix);

struct Counters {
  uint64_t version = 0;
  uint64_t meta_id = 0;
  uint32_t max_inode = 0;
  uint64_t next_edge_id = 0;
  uint64_t next_chunk_id = 0;
  uint32_t next_session_id = 0;
};

// A node record carries its own directory entries (its parents' names and edge ids).
struct StoredEdge {
  uint32_t parent = 0;
  uint64_t edge_id = 0;
  std::string name;
};

std::string encode_node(const Node& node);
// While a freed i-node's number waits to be reused, its node key holds a freed record (the
// time it was freed) instead of a node record: one write per changed i-node either way.
std::string encode_freed(uint32_t freed_at);
bool is_freed_record(std::string_view value);
Result<uint32_t> decode_freed(std::string_view value);
Result<std::unique_ptr<Node>> decode_node(uint32_t inode, std::string_view value, std::vector<StoredEdge>& edges);
std::string encode_chunk(const ChunkRecord& chunk);
Status decode_chunk(std::string_view value, ChunkRecord& chunk);
std::string encode_session(const Session& session);
Status decode_session(std::string_view value, Session& session);
// All locks held on one inode.
std::string encode_locks(const LockTable& locks, uint32_t inode);
Status decode_locks(std::string_view value, uint32_t inode, LockTable& into);
// A directory's quota (keyed by its inode).
std::string encode_quota(const QuotaRecord& record);
Result<QuotaRecord> decode_quota(uint32_t inode, std::string_view value);
// A storage class (keyed by its id).
std::string encode_storage_class(const StorageClass& storage_class);
Result<StorageClass> decode_storage_class(std::string_view value);
std::string encode_counters(const Counters& counters);
Result<Counters> decode_counters(std::string_view value);

}  // namespace mfs::master::checkpoint_records
