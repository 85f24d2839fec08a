#include "mfschunkserver/chunk_index.h"

#include <leveldb/write_batch.h>

#include "mfscommon/packet.h"

namespace mfs::cs {
namespace {

// Keys: 'c' + chunkid (8 bytes, big-endian) -> version (4 bytes) + folder (1 byte);
// 'v' -> the folders' fingerprint (8 bytes), present only while the list is valid.
constexpr char kChunkPrefix = 'c';
const std::string kValidKey = "v";

std::string u64_bytes(uint64_t value) {
  uint8_t bytes[8];
  put_u32_be(bytes, static_cast<uint32_t>(value >> 32));
  put_u32_be(bytes + 4, static_cast<uint32_t>(value));
  return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

uint64_t u64_of(const uint8_t* bytes) { return (uint64_t{get_u32_be(bytes)} << 32) | get_u32_be(bytes + 4); }

Status index_error(const leveldb::Status& status) {
  return Status(StatusCode::kIO, "chunk index: " + status.ToString());
}

}  // namespace

Result<std::unique_ptr<ChunkIndex>> ChunkIndex::open(const std::string& disk_path) {
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* raw = nullptr;
  leveldb::Status status = leveldb::DB::Open(options, disk_path + kDirectoryName, &raw);
  if (!status.ok()) return index_error(status);
  return std::unique_ptr<ChunkIndex>(new ChunkIndex(std::unique_ptr<leveldb::DB>(raw)));
}

std::optional<std::vector<ScannedChunk>> ChunkIndex::take(uint64_t fingerprint) {
  std::string stored;
  if (!db_->Get(leveldb::ReadOptions(), kValidKey, &stored).ok()) return std::nullopt;
  leveldb::WriteOptions sync;
  sync.sync = true;
  if (!db_->Delete(sync, kValidKey).ok()) return std::nullopt;
  if (stored != u64_bytes(fingerprint)) return std::nullopt;
  std::vector<ScannedChunk> chunks;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(std::string(1, kChunkPrefix)); it->Valid() && it->key()[0] == kChunkPrefix; it->Next()) {
    if (it->key().size() != 9 || it->value().size() != 5) return std::nullopt;  // not ours: scan instead
    auto key = reinterpret_cast<const uint8_t*>(it->key().data());
    auto value = reinterpret_cast<const uint8_t*>(it->value().data());
    chunks.push_back({u64_of(key + 1), get_u32_be(value), value[4]});
  }
  if (!it->status().ok()) return std::nullopt;
  return chunks;
}

Status ChunkIndex::store(const std::vector<ScannedChunk>& chunks, uint64_t fingerprint) {
  leveldb::WriteBatch batch;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Delete(it->key());
  for (const ScannedChunk& chunk : chunks) {
    uint8_t value[5];
    put_u32_be(value, chunk.version);
    value[4] = chunk.folder;
    batch.Put(kChunkPrefix + u64_bytes(chunk.chunkid),
              leveldb::Slice(reinterpret_cast<const char*>(value), sizeof value));
  }
  batch.Put(kValidKey, u64_bytes(fingerprint));
  leveldb::WriteOptions sync;
  sync.sync = true;
  leveldb::Status status = db_->Write(sync, &batch);
  return status.ok() ? Status::ok() : index_error(status);
}

}  // namespace mfs::cs
