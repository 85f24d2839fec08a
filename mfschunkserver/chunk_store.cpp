#include "mfschunkserver/chunk_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "mfschunkserver/chunk_move.h"
#include "mfscommon/crc32.h"
#include "mfscommon/log.h"

namespace mfs::cs {

namespace asio = boost::asio;

namespace {

constexpr uint32_t kNoLength = 0xFFFFFFFF;
// Chunk files kept open between uses (MooseFS keeps about 10000; each costs a descriptor).
constexpr size_t kKeptOpen = 1000;

bool damages(StatusCode code) { return code == StatusCode::kIO || code == StatusCode::kCRC; }

// New chunks go to the sub-folder of their id's low byte: any folder is valid (the
// real scanner looks in all 256) and this spreads chunks evenly.
uint8_t folder_for(uint64_t chunkid) { return static_cast<uint8_t>(chunkid & 0xFF); }

Status unlink_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status(StatusCode::kIO, "can't remove " + path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace

Status check_write_request(uint16_t block, uint32_t offset, std::span<const uint8_t> data, uint32_t crc) {
  if (Status bounds = check_write_bounds(block, offset, data.size()); !bounds) return bounds;
  if (crc32(data) != crc) return Status(StatusCode::kCRC, "crc error in the data sent");
  return Status::ok();
}

ChunkStore::ChunkStore(std::vector<std::unique_ptr<Disk>> disks, BlockingPool& pool, ChunkReports& reports,
                       bool fsync_before_close)
    : disks_(std::move(disks)), pool_(pool), reports_(reports), fsync_before_close_(fsync_before_close) {}

Status ChunkStore::load() {
  std::vector<RebalanceRole> roles = rebalance_roles();
  for (const auto& disk : disks_) {
    auto found = disk->list_chunks();
    if (!found) return found.status();
    for (const ScannedChunk& chunk : *found) {
      auto existing = chunks_.find(chunk.chunkid);
      if (existing != chunks_.end()) {
        resolve_duplicate(chunk, *disk, existing->second, roles);
      } else {
        add(chunk.chunkid, disk.get(), chunk.folder, chunk.version);
      }
    }
    MFS_LOG_NOTICE("disk %s: %zu chunks", disk->path().c_str(), found->size());
  }
  return Status::ok();
}

void ChunkStore::resolve_duplicate(const ScannedChunk& chunk, Disk& disk, Record& record,
                                   const std::vector<RebalanceRole>& roles) {
  auto role_of = [&](const Disk* of) {
    for (size_t i = 0; i < disks_.size(); ++i) {
      if (disks_[i].get() == of) return roles[i];
    }
    return RebalanceRole::kNone;
  };
  if (record.version != chunk.version) {
    // Two versions of one chunk: the newer version is the chunk, the other file stays.
    MFS_LOG_WARNING("chunk %016llX found twice (versions %08X and %08X) - using the newer one",
                    static_cast<unsigned long long>(chunk.chunkid), record.version, chunk.version);
    if (record.version > chunk.version) return;
    record.disk->chunks--;
    disk.chunks++;
    record.disk = &disk;
    record.folder = chunk.folder;
    record.version = chunk.version;
    return;
  }
  // The same version twice: a local move cut short between the copy (complete and synced
  // before it got its name) and the removal of the source. One copy is dropped.
  std::string dropped = disk.chunk_path(chunk.folder, chunk.chunkid, chunk.version);
  if (keep_second_copy(role_of(record.disk), role_of(&disk))) {
    dropped = record.disk->chunk_path(record.folder, chunk.chunkid, chunk.version);
    record.disk->chunks--;
    disk.chunks++;
    record.disk = &disk;
    record.folder = chunk.folder;
  }
  MFS_LOG_WARNING("chunk %016llX_%08X found twice - removing the copy %s",
                  static_cast<unsigned long long>(chunk.chunkid), chunk.version, dropped.c_str());
  if (Status removed = unlink_file(dropped); !removed) MFS_LOG_WARNING("%s", removed.to_string().c_str());
}

void ChunkStore::add(uint64_t chunkid, Disk* disk, uint8_t folder, uint32_t version,
                     std::chrono::steady_clock::time_point last_used) {
  chunks_[chunkid] = Record{disk, folder, version, {}, {}, last_used};
  disk->chunks++;
}

ChunkStore::Record* ChunkStore::live(uint64_t chunkid) {
  auto it = chunks_.find(chunkid);
  if (it == chunks_.end()) return nullptr;
  if (it->second.disk->damaged()) {
    it->second.disk->chunks--;
    chunks_.erase(it);
    return nullptr;
  }
  return &it->second;
}

Result<ChunkStore::Record*> ChunkStore::find(uint64_t chunkid, uint32_t version) {
  Record* record = live(chunkid);
  if (!record) {
    reports_.chunk_lost(chunkid);
    return StatusCode::kNoChunk;
  }
  if (version != 0 && record->version != version) return StatusCode::kWrongVersion;
  return record;
}

Status ChunkStore::note(uint64_t chunkid, Status status) {
  auto it = chunks_.find(chunkid);
  return note(chunkid, it == chunks_.end() ? nullptr : it->second.disk, std::move(status));
}

Status ChunkStore::note(uint64_t chunkid, Disk* disk, Status status) {
  if (!damages(status.code())) return status;
  MFS_LOG_WARNING("%s", status.to_string().c_str());
  if (chunks_.contains(chunkid)) reports_.chunk_damaged(chunkid);
  if (!disk) return status;
  disk->last_error_chunkid = chunkid;
  disk->last_error_time = static_cast<uint32_t>(std::time(nullptr));
  // A CRC mismatch is the chunk's damage; I/O errors (ENOSPC included) are the disk's.
  if (status.code() == StatusCode::kIO && !disk->damaged() &&
      disk->count_error(std::chrono::steady_clock::now(), error_tolerance_.count, error_tolerance_.period)) {
    mark_damaged(*disk, "more than " + std::to_string(error_tolerance_.count) + " I/O errors within " +
                            std::to_string(error_tolerance_.period.count()) + " s");
  }
  return status;
}

void ChunkStore::mark_damaged(Disk& disk, const std::string& reason) {
  disk.mark_damaged();
  MFS_LOG_ERROR("disk %s: %s - marked as damaged, its chunks are reported lost", disk.path().c_str(),
                reason.c_str());
  // The records go when next touched (live()): operations in flight may hold them.
  for (const auto& [chunkid, record] : chunks_) {
    if (record.disk == &disk) reports_.chunk_lost(chunkid);
  }
}

asio::awaitable<Result<std::shared_ptr<ChunkFile>>> ChunkStore::file_of(uint64_t chunkid, Record& record) {
  if (auto file = record.file.lock()) co_return file;
  std::string path = record.disk->chunk_path(record.folder, chunkid, record.version);
  uint32_t version = record.version;
  auto opened = co_await pool_.run([&] { return ChunkFile::open(path, chunkid, version); });
  if (!opened) {
    if (opened.code() == StatusCode::kNoChunk) {
      // The file went away behind our back: forget the chunk.
      MFS_LOG_WARNING("%s", opened.status().to_string().c_str());
      record.disk->chunks--;
      chunks_.erase(chunkid);
      reports_.chunk_lost(chunkid);
      co_return StatusCode::kNoChunk;
    }
    co_return note(chunkid, opened.status());
  }
  auto file = std::make_shared<ChunkFile>(std::move(*opened));
  keep_open(chunkid, record, file);
  co_return file;
}

asio::awaitable<Result<ChunkStore::Held>> ChunkStore::hold(uint64_t chunkid, uint32_t version) {
  auto guard = co_await locks_.lock(chunkid);
  auto record = find(chunkid, version);
  if (!record) co_return record.status();
  auto file = co_await file_of(chunkid, **record);
  if (!file) co_return file.status();
  co_return Held{std::move(guard), *record, std::move(*file)};
}

asio::awaitable<Status> ChunkStore::change_version(uint64_t chunkid, Record& record, ChunkFile& file,
                                                   uint32_t new_version) {
  std::string from = record.disk->chunk_path(record.folder, chunkid, record.version);
  std::string to = record.disk->chunk_path(record.folder, chunkid, new_version);
  bool renamed = false;
  Status status = co_await pool_.run([&]() -> Status {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status(StatusCode::kIO, "can't rename " + from + ": " + std::strerror(errno));
    }
    renamed = true;
    return file.set_version(new_version);
  });
  // Once renamed the file is known under its new name, even with a header left behind.
  if (renamed) record.version = new_version;
  co_return note(chunkid, status);
}

void ChunkStore::keep_open(uint64_t chunkid, Record& record, const std::shared_ptr<ChunkFile>& file) {
  record.file = file;
  record.kept = file;
  kept_open_.push_back(chunkid);
  if (kept_open_.size() <= kKeptOpen) return;
  auto oldest = chunks_.find(kept_open_.front());
  kept_open_.pop_front();
  if (oldest != chunks_.end()) oldest->second.kept.reset();  // closed once its users are done
}

Disk* ChunkStore::disk_for_new_chunk() const {
  // As 3.0.117: no new chunks on `<` disks (being emptied) while another disk has room.
  for (bool take_move_out : {false, true}) {
    Disk* best = nullptr;
    uint64_t best_available = 0;
    for (const auto& disk : disks_) {
      if (disk->marked_for_removal() || disk->damaged() || disk->move_out() != take_move_out) continue;
      uint64_t available = disk->space().available;
      if (available > best_available) {
        best = disk.get();
        best_available = available;
      }
    }
    if (best) return best;
  }
  return nullptr;
}

asio::awaitable<Status> ChunkStore::create(uint64_t chunkid, uint32_t version) {
  auto guard = co_await locks_.lock(chunkid);
  if (live(chunkid)) co_return StatusCode::kChunkExist;
  Disk* disk = disk_for_new_chunk();
  if (!disk) co_return StatusCode::kNoSpace;
  std::string path = disk->chunk_path(folder_for(chunkid), chunkid, version);
  auto created = co_await pool_.run([&] { return ChunkFile::create(path, chunkid, version); });
  if (!created) co_return note(chunkid, disk, created.status());
  add(chunkid, disk, folder_for(chunkid), version, std::chrono::steady_clock::now());
  keep_open(chunkid, chunks_[chunkid], std::make_shared<ChunkFile>(std::move(*created)));
  co_return Status::ok();
}

asio::awaitable<Status> ChunkStore::remove(uint64_t chunkid, uint32_t version) {
  auto guard = co_await locks_.lock(chunkid);
  auto record = find(chunkid, version);
  if (!record) co_return record.status();
  std::string path = (*record)->disk->chunk_path((*record)->folder, chunkid, (*record)->version);
  Status status = co_await pool_.run([&] { return unlink_file(path); });
  if (!status) co_return note(chunkid, status);
  (*record)->disk->chunks--;
  chunks_.erase(chunkid);
  co_return Status::ok();
}

asio::awaitable<Status> ChunkStore::set_version(uint64_t chunkid, uint32_t new_version, uint32_t old_version) {
  if (new_version == 0) co_return StatusCode::kEINVAL;
  auto held = co_await hold(chunkid, old_version);
  if (!held) co_return held.status();
  co_return co_await change_version(chunkid, *held->record, *held->file, new_version);
}

asio::awaitable<Status> ChunkStore::duplicate(uint64_t new_chunkid, uint32_t new_version, uint64_t old_chunkid,
                                              uint32_t old_version, std::optional<uint32_t> length) {
  if (old_version == 0 || new_chunkid == 0) co_return StatusCode::kEINVAL;
  if (length && (*length == kNoLength || *length > kChunkSize)) co_return StatusCode::kEINVAL;
  if (new_version == 0) new_version = old_version;
  if (new_chunkid == old_chunkid) co_return StatusCode::kChunkExist;
  // Both chunks are locked, always the lower id first so that two duplications of the
  // same pair in opposite directions cannot wait for each other.
  auto first = co_await locks_.lock(std::min(new_chunkid, old_chunkid));
  auto second = co_await locks_.lock(std::max(new_chunkid, old_chunkid));
  if (live(new_chunkid)) co_return StatusCode::kChunkExist;
  auto record = find(old_chunkid, old_version);
  if (!record) co_return record.status();
  auto source = co_await file_of(old_chunkid, **record);
  if (!source) co_return source.status();
  Disk* disk = disk_for_new_chunk();
  if (!disk) co_return StatusCode::kNoSpace;
  std::string path = disk->chunk_path(folder_for(new_chunkid), new_chunkid, new_version);
  Status status = co_await pool_.run([&]() -> Status {
    auto target = ChunkFile::create(path, new_chunkid, new_version);
    if (!target) return target.status();
    Status copied = (*source)->copy_to(*target);
    if (copied && length) copied = target->truncate(*length);
    if (!copied) unlink_file(path);
    return copied;
  });
  if (!status) {
    // A CRC error is the source's; an I/O error is counted against the new file's disk.
    if (status.code() == StatusCode::kCRC) co_return note(old_chunkid, status);
    co_return note(new_chunkid, disk, status);
  }
  add(new_chunkid, disk, folder_for(new_chunkid), new_version);
  co_return Status::ok();
}

asio::awaitable<Status> ChunkStore::truncate(uint64_t chunkid, uint32_t length, uint32_t new_version,
                                             uint32_t old_version) {
  if (new_version == 0 || length == kNoLength || length > kChunkSize) co_return StatusCode::kEINVAL;
  auto held = co_await hold(chunkid, old_version);
  if (!held) co_return held.status();
  if (Status changed = co_await change_version(chunkid, *held->record, *held->file, new_version); !changed) {
    co_return changed;
  }
  Status status = co_await pool_.run([&] { return held->file->truncate(length); });
  co_return note(chunkid, status);
}

asio::awaitable<Status> ChunkStore::check_blocks(uint64_t chunkid, ChunkFile& file) {
  Status status = co_await pool_.run([&]() -> Status {
    auto content = std::make_unique<Block>();
    for (uint16_t block = 0; block < file.blocks(); ++block) {
      if (auto read = file.read_block(block, *content); !read) return read.status();
    }
    return Status::ok();
  });
  co_return note(chunkid, status);
}

asio::awaitable<Status> ChunkStore::test(uint64_t chunkid, uint32_t version) {
  auto held = co_await hold(chunkid, version);
  if (!held) co_return held.status();
  co_return co_await check_blocks(chunkid, *held->file);
}

asio::awaitable<Result<uint16_t>> ChunkStore::scrub(const ChunkId& chunk) {
  auto guard = co_await locks_.lock(chunk.chunkid);
  Record* record = live(chunk.chunkid);
  if (!record || record->version != chunk.version) co_return uint16_t{0};
  auto file = co_await file_of(chunk.chunkid, *record);
  if (!file) co_return file.status();
  if (Status checked = co_await check_blocks(chunk.chunkid, **file); !checked) co_return checked;
  co_return (*file)->blocks();
}

std::vector<ChunkId> ChunkStore::idle_chunks(const Disk& disk, std::chrono::seconds min_idle) const {
  auto now = std::chrono::steady_clock::now();
  std::vector<ChunkId> idle;
  for (const auto& [chunkid, record] : chunks_) {
    bool used = record.last_used != std::chrono::steady_clock::time_point{} && now - record.last_used < min_idle;
    if (record.disk == &disk && !used) idle.push_back({chunkid, record.version});
  }
  return idle;
}

std::vector<RebalanceRole> ChunkStore::rebalance_roles() const {
  std::vector<RebalanceDisk> states;
  for (const auto& disk : disks_) states.push_back(disk->rebalance_state());
  return cs::rebalance_roles(states);
}

asio::awaitable<Status> ChunkStore::move(const ChunkId& chunk, Disk& destination) {
  auto guard = co_await locks_.lock(chunk.chunkid);
  Record* record = live(chunk.chunkid);
  if (!record || record->version != chunk.version) co_return StatusCode::kNoChunk;
  if (record->disk == &destination) co_return Status::ok();
  // Users hold the open file: it must not be replaced under them.
  if (record->file.use_count() > (record->kept ? 1 : 0)) co_return StatusCode::kChunkBusy;
  record->kept.reset();
  Disk* source = record->disk;
  std::string from = source->chunk_path(record->folder, chunk.chunkid, chunk.version);
  std::string to = destination.chunk_path(record->folder, chunk.chunkid, chunk.version);
  FileMove moved = co_await pool_.run([&] { return move_chunk_file(from, to, destination.space().available); });
  if (moved.copied) {
    source->chunks--;
    destination.chunks++;
    record->disk = &destination;
  }
  if (moved.status.code() == StatusCode::kNoChunk) co_return moved.status;  // gone: the next use finds out
  co_return note(chunk.chunkid, moved.source_failed ? source : &destination, moved.status);
}

void ChunkStore::check_disk_sizes() {
  for (const auto& disk : disks_) {
    if (disk->damaged()) continue;
    if (auto change = disk->size_change(); change) mark_damaged(*disk, *change);
  }
}

asio::awaitable<Result<ChunkSummary>> ChunkStore::summary(uint64_t chunkid, uint32_t version) {
  auto held = co_await hold(chunkid, version);
  if (!held) co_return held.status();
  co_return ChunkSummary{held->file->blocks(), held->file->crc_table()};
}

asio::awaitable<Result<OpenedChunk>> ChunkStore::open(uint64_t chunkid, uint32_t version) {
  auto held = co_await hold(chunkid, version);
  if (!held) co_return held.status();
  held->record->last_used = std::chrono::steady_clock::now();
  co_return OpenedChunk{chunkid, held->file};
}

asio::awaitable<BlocksRead> ChunkStore::read_blocks(const OpenedChunk& chunk, uint16_t first, std::span<Block> out,
                                                    std::span<uint32_t> crcs) {
  auto guard = co_await locks_.lock(chunk.chunkid);
  // One block already in the page cache is read here: a small read of a chunk in use then
  // costs no hop to a disk thread and back (a few microseconds of copy and CRC).
  if (out.size() == 1) {
    if (auto cached = chunk.file->read_block_if_cached(first, out[0])) {
      if (!*cached) co_return BlocksRead{0, note(chunk.chunkid, cached->status())};
      crcs[0] = **cached;
      co_return BlocksRead{1, Status::ok()};
    }
  }
  BlocksRead read = co_await pool_.run([&] {
    BlocksRead done;
    if (out.size() > 1) chunk.file->will_read(first, static_cast<uint16_t>(out.size()));
    for (; done.count < out.size(); ++done.count) {
      auto crc = chunk.file->read_block(static_cast<uint16_t>(first + done.count), out[done.count]);
      if (!crc) {
        done.status = crc.status();
        break;
      }
      crcs[done.count] = *crc;
    }
    return done;
  });
  read.status = note(chunk.chunkid, read.status);
  co_return read;
}

asio::awaitable<Status> ChunkStore::write(const OpenedChunk& chunk, uint16_t block, uint32_t offset,
                                          std::span<const uint8_t> data, uint32_t crc) {
  if (Status request = check_write_request(block, offset, data, crc); !request) co_return request;
  auto guard = co_await locks_.lock(chunk.chunkid);
  Status status =
      co_await pool_.run([&] { return chunk.file->write(block, offset, data, crc); });
  co_return note(chunk.chunkid, status);
}

asio::awaitable<Status> ChunkStore::close(const OpenedChunk& chunk) {
  if (!fsync_before_close_) co_return Status::ok();
  auto guard = co_await locks_.lock(chunk.chunkid);
  Status status = co_await pool_.run([&] { return chunk.file->sync(); });
  co_return note(chunk.chunkid, status);
}

std::vector<csmsg::ChunkEntry> ChunkStore::chunk_list() const {
  std::vector<csmsg::ChunkEntry> list;
  list.reserve(chunks_.size());
  for (const auto& [chunkid, record] : chunks_) {
    if (record.disk->damaged()) continue;
    list.push_back({chunkid, record.version, record.disk->marked_for_removal()});
  }
  return list;
}

csmsg::SpaceInfo ChunkStore::space() const {
  csmsg::SpaceInfo info;
  for (const auto& disk : disks_) {
    if (disk->damaged()) continue;
    DiskSpace space = disk->space();
    if (disk->marked_for_removal()) {
      info.td_used += space.used;
      info.td_total += space.total;
      info.td_chunks += disk->chunks;
    } else {
      info.used += space.used;
      info.total += space.total;
      info.chunks += disk->chunks;
    }
  }
  return info;
}

std::vector<csdata::DiskEntry> ChunkStore::disk_entries() const {
  std::vector<csdata::DiskEntry> entries;
  for (const auto& disk : disks_) {
    csdata::DiskEntry entry;
    DiskSpace space = disk->space();
    entry.path = disk->path();
    entry.flags = (disk->marked_for_removal() ? csdata::kDiskMarkedForRemoval : 0) |
                  (disk->damaged() ? csdata::kDiskDamaged : 0);
    entry.error_chunkid = disk->last_error_chunkid;
    entry.error_time = disk->last_error_time;
    entry.used = space.used;
    entry.total = space.total;
    entry.chunks = disk->damaged() ? 0 : disk->chunks;  // reported lost (records go lazily)
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace mfs::cs
