#include "mfsmount/file_data.h"

#include <algorithm>
#include <cstring>
#include <future>

#include "mfscommon/chunkserver_data_messages.h"
#include "mfscommon/log.h"
#include "mfscommon/protocol_ids.h"

namespace mfs::mount {

namespace {

// One inode's buffer is written out at this size even when the global budget allows more:
// a bounded amount of data at risk and per flush.
constexpr size_t kMaxInodeBuffer = 16u << 20;
// Flights of one inode under way at once (threads, and WRITE_CHUNKs of up to 8 chunks).
constexpr size_t kMaxFlightsPerInode = 8;
// Background flights of all inodes (a thread each): closes that write behind
// (mfsfsyncmintime) start one per small file, faster than the servers take them.
constexpr size_t kMaxBackgroundFlights = 32;

}  // namespace

FileData::FileData(MasterConnection& master, ChunkserverPool& pool, FileDataSettings settings,
                   std::function<void(uint32_t)> on_written)
    : master_(master),
      pool_(pool),
      settings_(settings),
      on_written_(std::move(on_written)),
      read_ahead_(settings.read_ahead) {}

FileData::~FileData() { finish_background_io(); }

void FileData::finish_background_io() {
  std::vector<std::shared_ptr<InodeBuffer>> buffers;
  std::vector<std::future<void>> fetches;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [inode, buffer] : buffers_) buffers.push_back(buffer);
    fetches.swap(fetches_ahead_);
  }
  // Not under mutex_: the writes and fetches in flight take it.
  for (const std::shared_ptr<InodeBuffer>& buffer : buffers) {
    std::lock_guard flushing(buffer->flushing);
    (void)wait_for_flights(*buffer);
  }
  for (std::future<void>& fetch : fetches) fetch.wait();
}

bool FileData::retryable(StatusCode code) const {
  switch (code) {
    case StatusCode::kENOENT: case StatusCode::kEPERM: case StatusCode::kNoChunk: case StatusCode::kQuota:
    case StatusCode::kEROFS: case StatusCode::kEINVAL: case StatusCode::kIndexTooBig:
      return false;
    case StatusCode::kNoSpace: return !settings_.error_on_no_space;
    case StatusCode::kChunkLost: return !settings_.error_on_lost_chunk;
    default: return true;
  }
}

bool FileData::chunk_unavailable(StatusCode code) const {
  switch (code) {
    case StatusCode::kNoChunkServers: case StatusCode::kLocked: case StatusCode::kChunkBusy:
    case StatusCode::kEAGAIN: case StatusCode::kNotDone:
      return true;
    case StatusCode::kChunkLost: return !settings_.error_on_lost_chunk;
    default: return false;
  }
}

std::shared_ptr<FileData::InodeBuffer> FileData::buffer_of(uint32_t inode, bool create) {
  auto found = buffers_.find(inode);
  if (found != buffers_.end()) return found->second;
  if (!create) return nullptr;
  auto buffer = std::make_shared<InodeBuffer>();
  buffers_.emplace(inode, buffer);
  return buffer;
}

std::optional<uint64_t> FileData::buffered_end(uint32_t inode) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<InodeBuffer> buffer = buffer_of(inode, false);
  if (!buffer || (buffer->extents.empty() && buffer->flights.empty())) return std::nullopt;
  uint64_t end = buffer->extents.end();
  for (const Flight& flight : buffer->flights) end = std::max(end, flight.end);
  return end;
}

Status FileData::write(uint32_t inode, uint64_t offset, std::span<const uint8_t> data) {
  bool full = false;
  {
    std::lock_guard lock(mutex_);
    std::shared_ptr<InodeBuffer> buffer = buffer_of(inode, true);
    if (!buffer->lost) return buffer->lost;
    buffer->released = false;
    size_t before = buffer->extents.bytes();
    buffer->extents.add(offset, data);
    buffered_bytes_ += buffer->extents.bytes() - before;
    full = buffered_bytes_ >= settings_.write_buffer_bytes || buffer->extents.bytes() >= kMaxInodeBuffer;
  }
  return full ? write_out(inode, false) : Status::ok();
}

Status FileData::flush(uint32_t inode) { return write_out(inode, true); }

Status FileData::write_behind(uint32_t inode) { return write_out(inode, false); }

Status FileData::write_out(uint32_t inode, bool wait) {
  std::shared_ptr<InodeBuffer> buffer;
  {
    std::lock_guard lock(mutex_);
    buffer = buffer_of(inode, false);
  }
  if (!buffer) return Status::ok();
  Status started;
  {
    std::lock_guard flushing(buffer->flushing);
    if (!wait) wait_for_room_to_start(*buffer);
    started = start_flights(inode, buffer, wait);
    if (wait) {
      Status landed = wait_for_flights(*buffer);
      return started ? landed : started;
    }
  }
  // Flights always land, so the writer waits for nothing but data on its way out.
  std::unique_lock lock(mutex_);
  flight_landed_.wait(lock, [this] { return in_flight_bytes_ <= settings_.write_buffer_bytes; });
  return started;
}

void FileData::drop_landed_flights(InodeBuffer& buffer) {
  std::erase_if(buffer.flights, [](const Flight& flight) {  // their failures are in `lost`
    return flight.done.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
}

void FileData::wait_for_room_to_start(InodeBuffer& buffer) {
  {
    std::unique_lock lock(mutex_);
    flight_landed_.wait(lock, [this] { return background_flights_ < kMaxBackgroundFlights; });
  }
  while (true) {
    std::shared_future<Status> oldest;
    {
      std::lock_guard lock(mutex_);
      drop_landed_flights(buffer);
      if (buffer.flights.size() < kMaxFlightsPerInode) return;
      oldest = buffer.flights.front().done;
    }
    oldest.wait();
  }
}

Status FileData::start_flights(uint32_t inode, const std::shared_ptr<InodeBuffer>& owner, bool by_caller) {
  InodeBuffer& buffer = *owner;
  std::unique_lock lock(mutex_);
  drop_landed_flights(buffer);
  buffered_bytes_ -= buffer.extents.bytes();
  auto extents = std::make_shared<const WriteExtents::Map>(buffer.extents.take());
  if (!buffer.lost) return buffer.lost;
  auto pieces = std::make_shared<const std::vector<ChunkPiece>>(split_into_blocks(*extents));
  // Pieces come in offset order: one flight per run of one chunk.
  size_t begin = 0;
  while (begin < pieces->size()) {
    uint32_t chunk_index = (*pieces)[begin].chunk_index;
    size_t end = begin;
    size_t bytes = 0;
    while (end < pieces->size() && (*pieces)[end].chunk_index == chunk_index) bytes += (*pieces)[end++].data.size();
    const ChunkPiece& last = (*pieces)[end - 1];
    std::shared_future<Status> before;  // the chunk's last flight: WRITE_CHUNK takes one writer at a time
    for (const Flight& flight : buffer.flights) {
      if (flight.chunk_index == chunk_index) before = flight.done;
    }
    in_flight_bytes_ += bytes;
    if (!by_caller) ++background_flights_;
    std::shared_future<Status> done =
        std::async(by_caller ? std::launch::deferred : std::launch::async,
                   [this, inode, owner, extents, pieces, begin, end, bytes, before, by_caller] {
          if (before.valid()) before.wait();
          Status written = write_pieces(inode, *owner, std::span(*pieces).subspan(begin, end - begin));
          {
            std::lock_guard landed(mutex_);
            in_flight_bytes_ -= bytes;
            if (!by_caller) --background_flights_;
          }
          flight_landed_.notify_all();
          return written;
        }).share();
    buffer.flights.push_back(
        {chunk_index, uint64_t{chunk_index} * csdata::kChunkSize + last.chunk_offset + last.data.size(), done});
    begin = end;
  }
  return Status::ok();
}

Status FileData::wait_for_flights(InodeBuffer& buffer) {
  std::vector<std::shared_future<Status>> flights;
  {
    std::lock_guard lock(mutex_);
    for (const Flight& flight : buffer.flights) flights.push_back(flight.done);
  }
  for (const std::shared_future<Status>& flight : flights) flight.wait();
  std::lock_guard lock(mutex_);
  buffer.flights.clear();  // no flight started meanwhile: the caller holds `flushing`
  return buffer.lost;
}

Status FileData::write_pieces(uint32_t inode, InodeBuffer& buffer, std::span<const ChunkPiece> pieces) {
  {
    std::lock_guard lock(mutex_);
    if (!buffer.lost) return buffer.lost;  // an earlier flight failed: the file is already in error
  }
  uint32_t chunk_index = pieces.front().chunk_index;
  std::vector<BlockPiece> chunk_pieces;
  for (const ChunkPiece& piece : pieces) chunk_pieces.push_back({piece.chunk_offset, piece.data});
  uint64_t file_end =
      uint64_t{chunk_index} * csdata::kChunkSize + pieces.back().chunk_offset + pieces.back().data.size();
  Status status = write_chunk(inode, chunk_index, chunk_pieces, file_end);
  forget(inode);
  if (!status) {
    MFS_LOG_ERROR("file %u: data of chunk %u not written: %s", inode, chunk_index, status.to_string().c_str());
    std::lock_guard lock(mutex_);
    if (buffer.lost) buffer.lost = status;
    return status;
  }
  if (on_written_) on_written_(inode);
  return Status::ok();
}

Status FileData::release(uint32_t inode, bool wait) {
  Status status = wait ? flush(inode) : write_behind(inode);
  std::lock_guard lock(mutex_);
  std::shared_ptr<InodeBuffer> buffer = buffer_of(inode, false);
  if (!buffer) return status;
  drop_landed_flights(*buffer);
  if (buffer->extents.empty() && buffer->flights.empty()) {
    buffers_.erase(inode);
  } else {
    buffer->released = true;  // drop_released_buffers forgets it once its flights landed
  }
  return status;
}

void FileData::drop_released_buffers() {
  // Not from a flight: a flight that dropped its own future would wait for itself.
  std::lock_guard lock(mutex_);
  std::erase_if(buffers_, [](const auto& entry) {
    InodeBuffer& buffer = *entry.second;
    if (!buffer.released || !buffer.extents.empty()) return false;
    drop_landed_flights(buffer);
    return buffer.flights.empty();
  });
}

Result<Attr> FileData::truncate(const Frame& request) {
  Status last_error(StatusCode::kIO, "no attempt");
  IoRetries retries(settings_.io_retries);
  for (uint32_t attempt = 0; retries.wait_for_try(attempt); ++attempt) {
    Result<std::vector<uint8_t>> reply = master_.call(request, msg::MATOCL_FUSE_TRUNCATE);
    if (!reply) return reply.status();
    Result<Attr> truncated = decode_truncate_reply(*reply);
    if (truncated || !chunk_unavailable(truncated.code())) return truncated;
    last_error = truncated.status();
    retries.failed_with(truncated.code());
    if (retries.worth_logging(attempt)) {
      MFS_LOG_WARNING("truncate failed (try %u): %s", attempt + 1, last_error.to_string().c_str());
    }
  }
  return retries.gave_up(last_error);
}

Status FileData::write_chunk(uint32_t inode, uint32_t chunk_index, std::span<const BlockPiece> pieces,
                             uint64_t file_end) {
  Status last_error(StatusCode::kIO, "no attempt");
  IoRetries retries(settings_.io_retries);
  for (uint32_t attempt = 0; retries.wait_for_try(attempt); ++attempt) {
    Result<std::vector<uint8_t>> reply = master_.call(write_chunk_request(inode, chunk_index),
                                                      msg::MATOCL_FUSE_WRITE_CHUNK);
    if (!reply) return reply.status();
    Result<ChunkLocation> location = decode_chunk_location(*reply);
    if (!location) {
      if (!retryable(location.code())) return location.status();
      last_error = location.status();
      retries.failed_with(location.code());
      continue;
    }
    Status written = write_to_chain(pool_, *location, pieces);
    // WRITE_CHUNK_END unlocks the chunk; the length is published only after a good write.
    Result<std::vector<uint8_t>> end_reply =
        master_.call(write_chunk_end_request(location->chunkid, inode, chunk_index, written ? file_end : 0),
                     msg::MATOCL_FUSE_WRITE_CHUNK_END);
    if (!end_reply) return end_reply.status();
    Status ended = decode_simple_status(*end_reply);
    if (written && ended) return Status::ok();
    // 3.0.117's master keeps the chunk locked when it refuses the length (quota, a file
    // gone): a length of 0 only unlocks, so that no read or write waits for the lock to expire.
    if (written) {
      Result<std::vector<uint8_t>> unlocked =
          master_.call(write_chunk_end_request(location->chunkid, inode, chunk_index, 0), msg::MATOCL_FUSE_WRITE_CHUNK_END);
      if (!unlocked) return unlocked.status();
    }
    last_error = written ? ended : written;
    if (retries.worth_logging(attempt)) {
      MFS_LOG_WARNING("file %u, chunk %u: write failed (try %u): %s", inode, chunk_index, attempt + 1,
                      last_error.to_string().c_str());
    }
    if (written && !retryable(ended.code())) return ended;
  }
  return retries.gave_up(last_error);
}

void FileData::remember_location(uint32_t inode, uint32_t chunk_index, const ChunkLocation& location,
                                 bool from_lookup) {
  if (location.chunkid != 0 && location.copies.empty()) return;  // nothing to read from
  std::lock_guard lock(mutex_);
  locations_[{inode, chunk_index}] = {location, std::chrono::steady_clock::now(), from_lookup};
}

void FileData::lookup_answered(uint32_t inode, const std::optional<ChunkLocation>& chunk0) {
  if (chunk0) return remember_location(inode, 0, *chunk0, true);
  std::lock_guard lock(mutex_);
  locations_.erase({inode, 0});
}

void FileData::forget_locations(uint32_t inode, bool keep_fresh_lookup) {
  constexpr std::chrono::seconds kFreshLookup{1};
  read_ahead_.forget(inode);
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  auto it = locations_.lower_bound({inode, 0});
  while (it != locations_.end() && it->first.first == inode) {
    bool keep = keep_fresh_lookup && it->second.from_lookup && now - it->second.since < kFreshLookup;
    it = keep ? std::next(it) : locations_.erase(it);
  }
}

void FileData::forget_cached_data(uint32_t inode) {
  if (settings_.disk_cache) settings_.disk_cache->forget(inode);
}

void FileData::forget(uint32_t inode) {
  forget_locations(inode);
  forget_cached_data(inode);
}

void FileData::forget_all_locations() {
  read_ahead_.forget_all();
  std::lock_guard lock(mutex_);
  locations_.clear();
}

void FileData::forget_all() {
  forget_all_locations();
  if (settings_.disk_cache) settings_.disk_cache->forget_all();
}

Result<ChunkLocation> FileData::locate_for_read(uint32_t inode, uint32_t chunk_index) {
  {
    std::lock_guard lock(mutex_);
    auto found = locations_.find({inode, chunk_index});
    if (found != locations_.end()) return found->second.location;
  }
  Result<std::vector<uint8_t>> reply = master_.call(read_chunk_request(inode, chunk_index),
                                                    msg::MATOCL_FUSE_READ_CHUNK);
  if (!reply) return reply.status();
  Result<ChunkLocation> location = decode_chunk_location(*reply);
  if (location) remember_location(inode, chunk_index, *location, false);
  return location;
}

Result<ChunkLocation> FileData::locate_for_read_retrying(uint32_t inode, uint32_t chunk_index) {
  Status last_error(StatusCode::kIO, "no attempt");
  IoRetries retries(settings_.io_retries);
  for (uint32_t attempt = 0; retries.wait_for_try(attempt); ++attempt) {
    Result<ChunkLocation> location = locate_for_read(inode, chunk_index);
    if (location || !retryable(location.code())) return location;
    last_error = location.status();
    retries.failed_with(location.code());
    if (retries.worth_logging(attempt)) {
      MFS_LOG_WARNING("file %u, chunk %u: no location to read (try %u): %s", inode, chunk_index, attempt + 1,
                      last_error.to_string().c_str());
    }
  }
  return retries.gave_up(last_error);
}

Status FileData::read_chunk_range(uint32_t inode, uint32_t chunk_index, uint32_t offset, std::span<uint8_t> out,
                                  bool use_disk_cache) {
  DiskCache* cache = use_disk_cache ? settings_.disk_cache : nullptr;
  Status last_error(StatusCode::kIO, "no attempt");
  IoRetries retries(settings_.io_retries);
  for (uint32_t attempt = 0; retries.wait_for_try(attempt); ++attempt) {
    if (attempt > 0) forget_locations(inode);
    Result<ChunkLocation> location = locate_for_read(inode, chunk_index);
    if (!location) {
      if (!retryable(location.code())) return location.status();
      last_error = location.status();
      retries.failed_with(location.code());
      continue;
    }
    if (location->chunkid == 0) {  // a hole
      std::memset(out.data(), 0, out.size());
      return Status::ok();
    }
    DiskCache::Key key{inode, location->chunkid, location->version};
    if (cache && cache->read(key, offset, out)) return Status::ok();
    if (location->copies.empty()) {
      last_error = Status(StatusCode::kChunkLost, "no copy of the chunk is available now");
      if (retries.worth_logging(attempt)) {
        MFS_LOG_WARNING("file %u, chunk %u: there are no valid copies (try %u)", inode, chunk_index, attempt + 1);
      }
      continue;
    }
    std::optional<DiskCache::Fill> fill;
    if (cache) fill = cache->begin_fill(key);
    uint64_t chunk_start = uint64_t{chunk_index} * csdata::kChunkSize;
    uint64_t chunk_data_end = location->file_length > chunk_start
                                  ? std::min<uint64_t>(location->file_length - chunk_start, csdata::kChunkSize)
                                  : 0;
    // Copies in the master's order, those with preferred labels first; a failing one makes
    // us try the next (spec 20 §3.6).
    std::vector<ChunkCopy> copies = location->copies;
    settings_.preferred_labels.order(copies);
    for (const ChunkCopy& copy : copies) {
      Status read = fill ? read_through_disk_cache(*fill, copy, chunk_data_end, offset, out)
                         : read_from_copy(pool_, copy, location->chunkid, location->version, offset, out);
      if (read) return read;
      if (retries.worth_logging(attempt)) {
        MFS_LOG_WARNING("file %u, chunk %u: %s", inode, chunk_index, read.to_string().c_str());
      }
      last_error = read;
    }
  }
  return retries.gave_up(last_error);
}

Status FileData::read_through_disk_cache(const DiskCache::Fill& fill, const ChunkCopy& copy, uint64_t chunk_data_end,
                                         uint32_t offset, std::span<uint8_t> out) {
  uint32_t first = offset / csdata::kBlockSize * csdata::kBlockSize;
  uint64_t end = uint64_t{offset} + out.size();
  uint64_t last = std::min<uint64_t>((end + csdata::kBlockSize - 1) / csdata::kBlockSize * csdata::kBlockSize,
                                     chunk_data_end);
  if (last < end) {  // past the length the master gave: nothing to keep
    return read_from_copy(pool_, copy, fill.key.chunkid, fill.key.version, offset, out);
  }
  std::vector<uint8_t> blocks(last - first);
  Status read = read_from_copy(pool_, copy, fill.key.chunkid, fill.key.version, first, blocks);
  if (!read) return read;
  settings_.disk_cache->store(fill, first, blocks);
  std::memcpy(out.data(), blocks.data() + (offset - first), out.size());
  return Status::ok();
}

Result<std::vector<uint8_t>> FileData::read(uint32_t inode, uint64_t offset, uint32_t size, bool use_disk_cache) {
  // A failed flush is the writer's to see (write, fsync, close); the read returns what is stored.
  (void)flush(inode);
  if (std::optional<std::vector<uint8_t>> ready = read_ahead_.take(inode, offset, size)) {
    fetch_ahead_in_background(inode, use_disk_cache);
    return std::move(*ready);
  }
  std::optional<ReadAhead::Fetch> fetch = read_ahead_.fetch_on_miss(inode, offset, size);
  if (!fetch) return read_from_chunkservers(inode, offset, size, use_disk_cache);
  Result<std::vector<uint8_t>> data = read_from_chunkservers(inode, offset, fetch->size, use_disk_cache);
  if (!data) {
    read_ahead_.fetch_failed(inode, *fetch);
    return data;
  }
  std::vector<uint8_t> wanted(data->begin(), data->begin() + std::min<size_t>(size, data->size()));
  read_ahead_.keep(inode, *fetch, std::move(*data), size);
  fetch_ahead_in_background(inode, use_disk_cache);
  return wanted;
}

void FileData::fetch_ahead_in_background(uint32_t inode, bool use_disk_cache) {
  std::optional<ReadAhead::Fetch> fetch = read_ahead_.fetch_ahead(inode);
  if (!fetch) return;
  std::lock_guard lock(mutex_);
  std::erase_if(fetches_ahead_, [](const std::future<void>& done) {
    return done.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
  // A failed fetch ahead is only a miss: the reader then reads, and retries, on its own.
  fetches_ahead_.push_back(std::async(std::launch::async, [this, inode, fetch = *fetch, use_disk_cache] {
    Result<std::vector<uint8_t>> data = read_from_chunkservers(inode, fetch.offset, fetch.size, use_disk_cache);
    if (data) {
      read_ahead_.keep(inode, fetch, std::move(*data), 0);
    } else {
      read_ahead_.fetch_failed(inode, fetch);
    }
  }));
}

Result<std::vector<uint8_t>> FileData::read_from_chunkservers(uint32_t inode, uint64_t offset, uint32_t size,
                                                              bool use_disk_cache) {
  std::vector<uint8_t> out(size);
  size_t done = 0;
  while (done < size) {
    uint64_t position = offset + done;
    uint32_t chunk_index = static_cast<uint32_t>(position / csdata::kChunkSize);
    uint32_t in_chunk = static_cast<uint32_t>(position % csdata::kChunkSize);
    Result<ChunkLocation> location = locate_for_read_retrying(inode, chunk_index);
    if (!location) return location.status();
    if (position >= location->file_length) break;
    size_t length = std::min<uint64_t>({size - done, csdata::kChunkSize - in_chunk, location->file_length - position});
    if (Status s = read_chunk_range(inode, chunk_index, in_chunk, std::span<uint8_t>(out.data() + done, length),
                                    use_disk_cache);
        !s) {
      return s;
    }
    done += length;
  }
  out.resize(done);
  return out;
}

}  // namespace mfs::mount
