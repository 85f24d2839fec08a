#include "mfsmaster/checkpoint_records.h"

#include <span>

#include "mfscommon/packet.h"

namespace mfs::master::checkpoint_records {
namespace {

constexpr uint8_t kFormat = 1;
// Node records: format 2 adds the POSIX ACLs; format 1 records have none. Format 4 stores
// the chunk table as runs of chunks, without its holes: a file written far past its end
// would otherwise take 8 bytes per 64 MiB hole in every record of it.
constexpr uint8_t kNodeFormatWithAcls = 2;
constexpr uint8_t kFreedFormat = 3;
constexpr uint8_t kNodeFormatWithChunkRuns = 4;
constexpr uint64_t kMaxChunkTableSize = uint64_t{kMaxChunkIndex} + 1;
// Chunk records: format 2 adds whether the lock is a version change's.
constexpr uint8_t kChunkFormatWithLockKind = 2;

// Values are built with the packet codec; the 8-byte frame header is dropped.
std::string body_of(PacketWriter& writer) {
  std::vector<uint8_t> frame = writer.take();
  return std::string(frame.begin() + kPacketHeaderSize, frame.end());
}

PacketReader reader_of(std::string_view value) {
  return PacketReader(std::span(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
}

Status corrupt(const char* what) { return Status(StatusCode::kIO, std::string("corrupt checkpoint record: ") + what); }

// present:u8, then the ACL as write_acl() puts it.
void put_acl(PacketWriter& out, const PosixAcl* acl) {
  out.u8(acl ? 1 : 0);
  if (acl) write_acl(out, *acl);
}

bool get_acl(PacketReader& in, std::unique_ptr<PosixAcl>& acl) {
  if (in.u8() == 0) return in.ok();
  acl = std::make_unique<PosixAcl>();
  AclEntryCounts counts = read_acl_base(in, *acl);
  size_t size = (size_t{counts.users} + counts.groups) * kEncodedAclEntrySize;
  if (size > in.remaining()) return false;
  std::span<const uint8_t> entries = in.bytes(size);
  return in.ok() && decode_acl_entries(std::string_view(reinterpret_cast<const char*>(entries.data()), size),
                                       counts.users, counts.groups, *acl);
}

// A file's chunk table: size:u32 runs:u32, then per run of chunks (holes left out)
// start:u32 count:u32 and the count ids.
struct ChunkRun {
  uint32_t start;
  uint32_t count;
};

std::vector<ChunkRun> chunk_runs(const ChunkList& chunks) {
  std::vector<ChunkRun> runs;
  for (const ChunkList::Slot& slot : chunks) {
    if (runs.empty() || runs.back().start + runs.back().count != slot.index) runs.push_back({slot.index, 0});
    ++runs.back().count;
  }
  return runs;
}

void put_chunk_runs(PacketWriter& out, const ChunkList& chunks, const std::vector<ChunkRun>& runs) {
  out.u32(chunks.size()).u32(static_cast<uint32_t>(runs.size()));
  auto slot = chunks.begin();
  for (const ChunkRun& run : runs) {
    out.u32(run.start).u32(run.count);
    for (uint32_t i = 0; i < run.count; ++i, ++slot) out.u64(slot->id);
  }
}

bool get_chunk_runs(PacketReader& in, ChunkList& chunks) {
  uint32_t size = in.u32();
  uint32_t run_count = in.u32();
  if (size > kMaxChunkTableSize || run_count > in.remaining() / 16) return false;
  chunks = ChunkList{};
  uint64_t end_of_last = 0;
  for (uint32_t i = 0; i < run_count && in.ok(); ++i) {
    uint64_t start = in.u32();
    uint64_t count = in.u32();
    if (count == 0 || start < end_of_last || start + count > size || count > in.remaining() / 8) return false;
    for (uint64_t index = start; index < start + count; ++index) chunks.set(static_cast<uint32_t>(index), in.u64());
    end_of_last = start + count;
  }
  chunks.resize(size);
  return in.ok();
}

}  // namespace

std::string key(char prefix, uint64_t id) {
  std::string out(1, prefix);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((id >> shift) & 0xFF));
  return out;
}

Result<uint64_t> id_of(std::string_view key, char prefix) {
  if (key.size() != 9 || key[0] != prefix) return StatusCode::kNotFound;
  uint64_t id = 0;
  for (size_t i = 1; i < 9; ++i) id = (id << 8) | static_cast<uint8_t>(key[i]);
  return id;
}

std::string encode_node(const Node& node) {
  // Reserved up front: a checkpoint flush encodes every node a big change touched, and
  // growing the buffer step by step cost several allocations per node.
  constexpr size_t kFixedBytes = 64;
  constexpr size_t kBytesPerParent = 16;
  constexpr size_t kBytesPerRun = 8;
  std::vector<ChunkRun> runs = chunk_runs(node.chunks);
  size_t expected = kFixedBytes + runs.size() * kBytesPerRun;
  for (const ChunkRun& run : runs) expected += run.count * sizeof(uint64_t);
  for (const Edge* edge : node.parents) expected += kBytesPerParent + edge->name.size();
  PacketWriter out(0, expected);
  out.u8(kNodeFormatWithChunkRuns).u8(static_cast<uint8_t>(node.type)).u8(node.eattr).u8(node.sclass).u8(node.winattr);
  out.u16(node.mode).u16(node.trash_hours).u32(node.uid).u32(node.gid);
  out.u32(node.atime).u32(node.mtime).u32(node.ctime);
  out.u32(static_cast<uint32_t>(node.parents.size()));
  for (const Edge* edge : node.parents) out.u32(edge->parent).u64(edge->edge_id).string32(edge->name);
  out.u64(node.length);
  put_chunk_runs(out, node.chunks, runs);
  out.string32(node.extras().symlink_target).u32(node.extras().rdev);
  out.u32(static_cast<uint32_t>(node.extras().xattrs.size()));
  for (const auto& [name, value] : node.extras().xattrs) out.string32(name).string32(value);
  put_acl(out, node.extras().access_acl.get());
  put_acl(out, node.extras().default_acl.get());
  return body_of(out);
}

std::string encode_freed(uint32_t freed_at) {
  PacketWriter out(0);
  out.u8(kFreedFormat).u32(freed_at);
  return body_of(out);
}

bool is_freed_record(std::string_view value) { return !value.empty() && value[0] == kFreedFormat; }

Result<uint32_t> decode_freed(std::string_view value) {
  PacketReader in = reader_of(value);
  uint8_t format = in.u8();
  uint32_t freed_at = in.u32();
  if (format != kFreedFormat || !in.ok() || in.remaining() != 0) return corrupt("freed inode");
  return freed_at;
}

Result<std::unique_ptr<Node>> decode_node(uint32_t inode, std::string_view value, std::vector<StoredEdge>& edges) {
  PacketReader in = reader_of(value);
  uint8_t format = in.u8();
  if (format != kFormat && format != kNodeFormatWithAcls && format != kNodeFormatWithChunkRuns) {
    return corrupt("node format");
  }
  auto node = std::make_unique<Node>();
  node->inode = inode;
  uint8_t type = in.u8();
  if (type < 1 || type > 9) return corrupt("node type");
  node->type = static_cast<NodeType>(type);
  node->eattr = in.u8();
  node->sclass = in.u8();
  node->winattr = in.u8();
  node->mode = in.u16();
  node->trash_hours = in.u16();
  node->uid = in.u32();
  node->gid = in.u32();
  node->atime = in.u32();
  node->mtime = in.u32();
  node->ctime = in.u32();
  uint32_t parent_count = in.u32();
  if (parent_count > in.remaining() / 16) return corrupt("parent count");
  for (uint32_t i = 0; i < parent_count && in.ok(); ++i) {
    StoredEdge edge;
    edge.parent = in.u32();
    edge.edge_id = in.u64();
    edge.name = std::string(in.string32());
    edges.push_back(std::move(edge));
  }
  node->length = in.u64();
  if (format == kNodeFormatWithChunkRuns) {
    if (!get_chunk_runs(in, node->chunks)) return corrupt("chunk runs");
  } else {
    uint32_t chunk_count = in.u32();
    if (chunk_count > in.remaining() / 8) return corrupt("chunk count");
    for (uint32_t index = 0; index < chunk_count; ++index) node->chunks.set(index, in.u64());
    node->chunks.resize(chunk_count);
  }
  // Extras are created only for what a node has (most nodes have none).
  std::string_view symlink_target = in.string32();
  if (!symlink_target.empty()) node->edit_extras().symlink_target = std::string(symlink_target);
  if (uint32_t rdev = in.u32(); rdev != 0) node->edit_extras().rdev = rdev;
  uint32_t xattr_count = in.u32();
  if (xattr_count > in.remaining() / 8) return corrupt("xattr count");
  for (uint32_t i = 0; i < xattr_count && in.ok(); ++i) {
    std::string name(in.string32());
    std::string data(in.string32());
    node->edit_extras().xattrs.emplace_back(std::move(name), std::move(data));
  }
  std::unique_ptr<PosixAcl> access_acl;
  std::unique_ptr<PosixAcl> default_acl;
  if (format != kFormat && !(get_acl(in, access_acl) && get_acl(in, default_acl))) {
    return corrupt("node ACL");
  }
  if (access_acl) node->edit_acl(AclType::kAccess) = std::move(access_acl);
  if (default_acl) node->edit_acl(AclType::kDefault) = std::move(default_acl);
  if (!in.finished()) return corrupt("node length");
  if (node->type == NodeType::kDirectory) node->directory = std::make_unique<DirectoryData>();
  return node;
}

std::string encode_chunk(const ChunkRecord& chunk) {
  PacketWriter out(0);
  out.u8(kChunkFormatWithLockKind).u32(chunk.version).u32(chunk.locked_to).u8(chunk.archived ? 1 : 0);
  out.u8(chunk.locked_by_version_change ? 1 : 0);
  return body_of(out);
}

Status decode_chunk(std::string_view value, ChunkRecord& chunk) {
  PacketReader in = reader_of(value);
  uint8_t format = in.u8();
  if (format != kFormat && format != kChunkFormatWithLockKind) return corrupt("chunk format");
  chunk.version = in.u32();
  chunk.locked_to = in.u32();
  chunk.archived = in.u8() != 0;
  // Masters before the kind was recorded raised the version at every write.
  chunk.locked_by_version_change = format == kFormat ? chunk.locked_to != 0 : in.u8() != 0;
  return in.finished() ? Status::ok() : corrupt("chunk length");
}

std::string encode_session(const Session& session) {
  const SessionParameters& p = session.parameters;
  PacketWriter out(0);
  out.u8(kFormat).u64(p.exports_checksum).u32(p.root_inode).u8(p.sesflags).u16(p.umask);
  out.u32(p.root_uid).u32(p.root_gid).u32(p.mapall_uid).u32(p.mapall_gid);
  out.u8(p.min_goal).u8(p.max_goal).u32(p.min_trashtime).u32(p.max_trashtime).u32(p.disables);
  out.u32(p.peer_ip).string32(p.info).u32(session.disconnected_at);
  out.u32(static_cast<uint32_t>(session.open_inodes.size()));
  for (uint32_t inode : session.open_inodes) out.u32(inode);
  return body_of(out);
}

Status decode_session(std::string_view value, Session& session) {
  PacketReader in = reader_of(value);
  if (in.u8() != kFormat) return corrupt("session format");
  SessionParameters& p = session.parameters;
  p.exports_checksum = in.u64();
  p.root_inode = in.u32();
  p.sesflags = in.u8();
  p.umask = in.u16();
  p.root_uid = in.u32();
  p.root_gid = in.u32();
  p.mapall_uid = in.u32();
  p.mapall_gid = in.u32();
  p.min_goal = in.u8();
  p.max_goal = in.u8();
  p.min_trashtime = in.u32();
  p.max_trashtime = in.u32();
  p.disables = in.u32();
  p.peer_ip = in.u32();
  p.info = std::string(in.string32());
  session.disconnected_at = in.u32();
  uint32_t count = in.u32();
  if (count > in.remaining() / 4) return corrupt("open file count");
  for (uint32_t i = 0; i < count; ++i) session.open_inodes.insert(in.u32());
  return in.finished() ? Status::ok() : corrupt("session length");
}

std::string encode_locks(const LockTable& locks, uint32_t inode) {
  PacketWriter out(0);
  out.u8(kFormat);
  const auto* flocks = locks.flocks(inode);
  out.u32(flocks ? static_cast<uint32_t>(flocks->size()) : 0);
  if (flocks) {
    for (const FlockHolder& holder : *flocks) out.u32(holder.who.session).u64(holder.who.owner).u8(holder.exclusive);
  }
  const auto* ranges = locks.posix_locks(inode);
  out.u32(ranges ? static_cast<uint32_t>(ranges->size()) : 0);
  if (ranges) {
    for (const PosixRange& range : *ranges) {
      out.u32(range.who.session).u64(range.who.owner).u32(range.pid).u64(range.start).u64(range.end).u8(range.write);
    }
  }
  return body_of(out);
}

Status decode_locks(std::string_view value, uint32_t inode, LockTable& into) {
  PacketReader in = reader_of(value);
  if (in.u8() != kFormat) return corrupt("lock format");
  uint32_t flock_count = in.u32();
  if (flock_count > in.remaining() / 13) return corrupt("flock count");
  for (uint32_t i = 0; i < flock_count; ++i) {
    LockOwner who{in.u32(), in.u64()};
    into.set_flock(inode, who, in.u8() ? LockKind::kExclusive : LockKind::kShared);
  }
  uint32_t range_count = in.u32();
  if (range_count > in.remaining() / 33) return corrupt("posix lock count");
  for (uint32_t i = 0; i < range_count; ++i) {
    LockOwner who{in.u32(), in.u64()};
    uint32_t pid = in.u32();
    uint64_t start = in.u64();
    uint64_t end = in.u64();
    bool write = in.u8() != 0;
    if (start >= end) return corrupt("posix lock range");
    into.set_posix(inode, who, pid, write ? LockKind::kExclusive : LockKind::kShared, start, end);
  }
  return in.finished() ? Status::ok() : corrupt("lock length");
}

std::string encode_quota(const QuotaRecord& record) {
  PacketWriter out(0);
  out.u8(kFormat).u32(record.grace_period).u8(record.exceeded ? 1 : 0).u8(record.flags).u32(record.soft_since);
  for (const SubtreeUsage* limits : {&record.soft, &record.hard}) {
    out.u32(limits->inodes).u64(limits->length).u64(limits->size).u64(limits->realsize);
  }
  return body_of(out);
}

Result<QuotaRecord> decode_quota(uint32_t inode, std::string_view value) {
  PacketReader in = reader_of(value);
  if (in.u8() != kFormat) return corrupt("quota format");
  QuotaRecord record;
  record.inode = inode;
  record.grace_period = in.u32();
  uint8_t exceeded = in.u8();
  record.flags = in.u8();
  record.soft_since = in.u32();
  for (SubtreeUsage* limits : {&record.soft, &record.hard}) {
    limits->inodes = in.u32();
    limits->length = in.u64();
    limits->size = in.u64();
    limits->realsize = in.u64();
  }
  if (!in.finished() || exceeded > 1 || record.flags == 0) return corrupt("quota record");
  record.exceeded = exceeded == 1;
  return record;
}

std::string encode_storage_class(const StorageClass& storage_class) {
  PacketWriter out(0);
  out.u8(kFormat).name8(storage_class.name);
  put_class_definition(out, storage_class);
  return body_of(out);
}

Result<StorageClass> decode_storage_class(std::string_view value) {
  PacketReader in = reader_of(value);
  if (in.u8() != kFormat) return corrupt("storage class format");
  std::string name(in.name8());
  std::optional<StorageClass> defined = read_class_definition(in);
  if (!defined || !defined->counts_valid() || !valid_class_name(name)) return corrupt("storage class record");
  defined->name = std::move(name);
  return *defined;
}

std::string encode_counters(const Counters& counters) {
  PacketWriter out(0);
  out.u8(kFormat).u64(counters.version).u64(counters.meta_id).u32(counters.max_inode);
  out.u64(counters.next_edge_id).u64(counters.next_chunk_id).u32(counters.next_session_id);
  return body_of(out);
}

Result<Counters> decode_counters(std::string_view value) {
  PacketReader in = reader_of(value);
  if (in.u8() != kFormat) return corrupt("counters format");
  Counters counters;
  counters.version = in.u64();
  counters.meta_id = in.u64();
  counters.max_inode = in.u32();
  counters.next_edge_id = in.u64();
  counters.next_chunk_id = in.u64();
  counters.next_session_id = in.u32();
  if (!in.finished()) return corrupt("counters length");
  return counters;
}

}  // namespace mfs::master::checkpoint_records
