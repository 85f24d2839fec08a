// apply() handlers for chunks and file data (spec 30 §4.3 "Chunks and file data").
#include <algorithm>
#include <utility>

#include "mfsmaster/metadata.h"

namespace mfs::master {
namespace {

constexpr uint32_t kWriteLockSeconds = 120;

Status mismatch(const char* what) { return Status(StatusCode::kMismatch, what); }

}  // namespace

void Metadata::reference_chunk(ChunkRecord& chunk, const Node& file) { chunk_classes_.add(chunk, file.sclass); }

Status Metadata::apply_write(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t index = args.number<uint32_t>();
  uint8_t changes_version = args.number<uint8_t>();
  uint8_t can_modify_mtime = args.has_more_args() ? args.number<uint8_t>() : 1;
  uint64_t chunk_id = args.result<uint64_t>();
  if (!args.ok()) return args.status();
  Node* file = fs_.find(inode);
  if (!file || !file->is_file_like()) return mismatch("WRITE: no such file");
  if (index > kMaxChunkIndex) return mismatch("WRITE: index too big");
  uint64_t previous = file->chunks[index];
  ChunkRecord* old_chunk = previous ? chunks_.find(previous) : nullptr;
  if (previous && !old_chunk) return mismatch("WRITE: file refers to an unknown chunk");
  bool needs_new_chunk = previous == 0 || old_chunk->file_references > 1;
  if (needs_new_chunk && chunk_id != chunks_.next_id()) return mismatch("WRITE: chunk id differs");
  if (!needs_new_chunk && chunk_id != previous) return mismatch("WRITE: chunk id differs");

  uint32_t locked_to = entry.timestamp + kWriteLockSeconds;
  if (needs_new_chunk) {
    ChunkRecord& created = chunks_.add(chunk_id, 1, 0);
    created.lock(locked_to, true);
    if (old_chunk) chunk_classes_.remove(*old_chunk, file->sclass);  // copy-on-write of a shared chunk
    file->chunks.set(index, chunk_id);
    reference_chunk(created, *file);
  } else {
    if (changes_version) ++old_chunk->version;
    old_chunk->lock(locked_to, changes_version != 0);
  }
  uint64_t minimum_length = uint64_t{index} * kChunkSize;
  if (file->length < minimum_length) fs_.set_length(*file, minimum_length);
  if (can_modify_mtime) file->mtime = file->ctime = entry.timestamp;
  file->eattr &= ~eattr::kSnapshot;
  return Status::ok();
}

Status Metadata::apply_trunc(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t index = args.number<uint32_t>();
  uint64_t chunk_id = args.result<uint64_t>();
  if (!args.ok()) return args.status();
  Node* file = fs_.find(inode);
  if (!file || index >= file->chunks.size()) return mismatch("TRUNC: bad slot");
  ChunkRecord* chunk = chunks_.find(file->chunks[index]);
  if (!chunk) return mismatch("TRUNC: no such chunk");
  // Locked until the truncate's end logs UNLOCK, as 3.0.117 logs it: a lock left by a master
  // killed in between shows the version change unfinished (see ChunkManager's take-back).
  uint32_t locked_to = entry.timestamp + kWriteLockSeconds;
  if (chunk->file_references > 1) {
    // Copy-on-write: the file gets a new chunk, a truncated duplicate of the shared one.
    if (chunk_id != chunks_.next_id()) return mismatch("TRUNC: chunk id differs");
    chunk_classes_.remove(*chunk, file->sclass);
    file->chunks.set(index, chunk_id);
    ChunkRecord& duplicate = chunks_.add(chunk_id, 1, 0);
    duplicate.lock(locked_to, true);
    reference_chunk(duplicate, *file);
  } else {
    if (chunk_id != chunk->id) return mismatch("TRUNC: chunk id differs");
    ++chunk->version;
    chunk->lock(locked_to, true);
  }
  file->eattr &= ~eattr::kSnapshot;
  return Status::ok();
}

// APPEND(dst,src,from,to): mfsappendchunks; chunks `from`..`to` (inclusive) of src are
// appended to dst, shared, after dst's length is rounded up to whole chunks.
Status Metadata::apply_append(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t source_inode = args.number<uint32_t>();
  bool sliced = args.has_more_args();
  uint32_t from = sliced ? args.number<uint32_t>() : 0;
  uint32_t to = sliced ? args.number<uint32_t>() : 0;
  if (!args.ok()) return args.status();
  Node* file = fs_.find(inode);
  const Node* source = std::as_const(fs_).find(source_inode);
  if (!file || !source || !file->is_file_like() || !source->is_file_like() || inode == source_inode) {
    return mismatch("APPEND: bad files");
  }
  if (source->length == 0) return mismatch("APPEND: empty source");
  uint64_t source_last = (source->length - 1) / kChunkSize;
  if (!sliced) to = static_cast<uint32_t>(source_last);
  if (from > to || to > source_last) return mismatch("APPEND: bad slice");
  uint64_t base = (file->length + kChunkSize - 1) / kChunkSize;
  if (base + (to - from) > kMaxChunkIndex) return mismatch("APPEND: index too big");
  file->chunks.append_slice(source->chunks, from, to + 1, static_cast<uint32_t>(base));
  for (auto slot = file->chunks.from(base); slot != file->chunks.end(); ++slot) {
    if (ChunkRecord* chunk = chunks_.find(slot->id)) reference_chunk(*chunk, *file);
  }
  uint64_t appended = to == source_last ? source->length - uint64_t{from} * kChunkSize
                                        : uint64_t{to - from + 1} * kChunkSize;
  fs_.set_length(*file, base * kChunkSize + appended);
  file->mtime = file->ctime = entry.timestamp;
  file->eattr &= ~eattr::kSnapshot;
  return Status::ok();
}

// REPAIR(ino,index):version: mfsfilerepair; version 0 drops the slot's chunk, another
// value becomes the chunk's version (that of its best remaining copies).
Status Metadata::apply_repair(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t index = args.number<uint32_t>();
  uint32_t version = args.result<uint32_t>();
  if (!args.ok()) return args.status();
  Node* file = fs_.find(inode);
  if (!file || !file->is_file_like() || file->chunks[index] == 0) {
    return mismatch("REPAIR: bad slot");
  }
  uint64_t chunk_id = file->chunks[index];
  if (version == 0) {
    release_chunk_reference(chunk_id, *file);
    file->chunks.set(index, 0);
  } else {
    ChunkRecord* chunk = chunks_.find(chunk_id);
    if (!chunk) return mismatch("REPAIR: no such chunk");
    chunk->version = version;
  }
  file->mtime = file->ctime = entry.timestamp;
  return Status::ok();
}

Status Metadata::apply_unlock(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint64_t chunk_id = args.number<uint64_t>();
  if (!args.ok()) return args.status();
  ChunkRecord* chunk = chunks_.find(chunk_id);
  if (!chunk) return mismatch("UNLOCK: no such chunk");
  chunk->unlock();
  return Status::ok();
}

Status Metadata::apply_rollback(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint32_t inode = args.number<uint32_t>();
  uint32_t index = args.number<uint32_t>();
  uint64_t previous = args.number<uint64_t>();
  uint64_t chunk_id = args.number<uint64_t>();
  if (!args.ok()) return args.status();
  Node* file = fs_.find(inode);
  if (!file || index >= file->chunks.size() || file->chunks[index] != chunk_id) return mismatch("ROLLBACK: bad slot");
  ChunkRecord* chunk = chunks_.find(chunk_id);
  ChunkRecord* restored = previous ? chunks_.find(previous) : nullptr;
  if (!chunk || (previous && !restored)) return mismatch("ROLLBACK: unknown chunk");
  chunk_classes_.remove(*chunk, file->sclass);
  chunk->unlock();
  file->chunks.set(index, previous);
  if (restored) reference_chunk(*restored, *file);
  file->chunks.drop_trailing_holes();
  return Status::ok();
}

Status Metadata::apply_setversion(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint64_t chunk_id = args.number<uint64_t>();
  uint32_t version = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  ChunkRecord* chunk = chunks_.find(chunk_id);
  if (!chunk) return mismatch("SETVERSION: no such chunk");
  chunk->version = version;
  return Status::ok();
}

Status Metadata::apply_chunkadd(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint64_t chunk_id = args.number<uint64_t>();
  uint32_t version = args.number<uint32_t>();
  uint32_t locked_to = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  if (chunks_.find(chunk_id)) return mismatch("CHUNKADD: chunk exists");
  chunks_.add(chunk_id, version, locked_to);
  return Status::ok();
}

Status Metadata::apply_chunkdel(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint64_t chunk_id = args.number<uint64_t>();
  uint32_t version = args.number<uint32_t>();
  if (!args.ok()) return args.status();
  ChunkRecord* chunk = chunks_.find(chunk_id);
  if (!chunk || chunk->version != version || chunk->file_references != 0) return mismatch("CHUNKDEL: chunk in use");
  chunks_.remove(chunk_id);
  return Status::ok();
}

Status Metadata::apply_nextchunkid(const ChangelogEntry& entry) {
  ChangelogArgs args(entry);
  uint64_t next = args.number<uint64_t>();
  if (!args.ok()) return args.status();
  if (next > chunks_.next_id()) chunks_.set_next_id(next);
  return Status::ok();
}

}  // namespace mfs::master
