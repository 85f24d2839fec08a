#include "mfsmount/read_ahead.h"

#include <algorithm>
#include <cstring>

namespace mfs::mount {

namespace {

// The kernel sends the pieces of one sequential stream from several threads, slightly out
// of order: a read starting this close to the expected place still counts as sequential,
// and kept bytes this far behind the reader are kept for such stragglers.
constexpr uint64_t kSequentialSlack = 1u << 20;
// Streams remembered without kept bytes (offsets only), to bound memory with many files.
constexpr size_t kMaxStreams = 4096;
// A fetch ahead starts when less than this many fetches' worth is kept ahead of the
// reader: with one, the reader caught up with the fetch before it came back.
constexpr uint64_t kFetchesAhead = 2;
// Fetches ahead grow to this many windows.
constexpr uint64_t kMaxWindowsPerFetch = 4;

}  // namespace

void ReadAhead::note_read(Stream& stream, uint64_t offset, uint32_t size) {
  uint64_t low = stream.next > kSequentialSlack ? stream.next - kSequentialSlack : 0;
  bool sequential = offset >= low && offset <= stream.next + kSequentialSlack;
  stream.sequential = sequential ? stream.sequential + size : size;
  if (!sequential) stream.ahead_size = 0;
  stream.next = std::max(sequential ? stream.next : 0, offset + size);
}

void ReadAhead::drop_kept(uint32_t inode, Stream& stream) {
  if (stream.kept.empty()) return;
  for (const Piece& piece : stream.kept) kept_bytes_ -= piece.data.size();
  stream.kept.clear();
  keep_order_.remove(inode);
}

void ReadAhead::drop_first_piece(uint32_t inode, Stream& stream) {
  kept_bytes_ -= stream.kept.front().data.size();
  stream.kept.pop_front();
  if (stream.kept.empty()) keep_order_.remove(inode);
}

void ReadAhead::drop_pieces_behind(uint32_t inode, Stream& stream, uint64_t offset) {
  while (!stream.kept.empty() && stream.kept.front().end() + kSequentialSlack <= offset) {
    drop_first_piece(inode, stream);
  }
}

std::optional<std::vector<uint8_t>> ReadAhead::copy_kept(const Stream& stream, uint64_t offset, uint32_t size) {
  auto piece = std::find_if(stream.kept.begin(), stream.kept.end(), [&](const Piece& p) { return p.end() > offset; });
  if (piece == stream.kept.end() || piece->offset > offset || offset + size > stream.kept_end()) return std::nullopt;
  std::vector<uint8_t> out(size);
  size_t done = 0;
  for (; done < size; ++piece) {  // the pieces are contiguous up to kept_end()
    size_t from = offset + done - piece->offset;
    size_t length = std::min<size_t>(size - done, piece->data.size() - from);
    std::memcpy(out.data() + done, piece->data.data() + from, length);
    done += length;
  }
  return out;
}

std::optional<std::vector<uint8_t>> ReadAhead::take(uint32_t inode, uint64_t offset, uint32_t size) {
  if (settings_.budget == 0) return std::nullopt;
  std::unique_lock lock(mutex_);
  if (streams_.size() >= kMaxStreams && streams_.count(inode) == 0) {
    auto idle = std::find_if(streams_.begin(), streams_.end(),
                             [](const auto& s) { return s.second.kept.empty() && !s.second.fetching; });
    if (idle != streams_.end()) streams_.erase(idle);
  }
  note_read(streams_[inode], offset, size);
  while (true) {
    auto found = streams_.find(inode);  // forget() may drop the stream while we wait
    if (found == streams_.end()) return std::nullopt;
    Stream& stream = found->second;
    if (std::optional<std::vector<uint8_t>> data = copy_kept(stream, offset, size)) {
      drop_pieces_behind(inode, stream, offset);
      return data;
    }
    if (!stream.fetching) return std::nullopt;
    // Wait when the kept bytes and the fetch under way together will hold the range.
    const Fetch& fetch = *stream.fetching;
    bool kept_before_fetch = !stream.kept.empty() && stream.kept_end() == fetch.offset;
    uint64_t covered_from = kept_before_fetch ? stream.kept.front().offset : fetch.offset;
    if (offset < covered_from || offset + size > fetch.offset + fetch.size) return std::nullopt;
    fetched_.wait(lock);
  }
}

std::optional<ReadAhead::Fetch> ReadAhead::start_fetch(Stream& stream, uint64_t offset, uint32_t size) {
  stream.fetching = Fetch{offset, size, ++last_fetch_id_};
  return stream.fetching;
}

std::optional<ReadAhead::Fetch> ReadAhead::fetch_on_miss(uint32_t inode, uint64_t offset, uint32_t size) {
  if (settings_.budget == 0 || settings_.window <= size) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto found = streams_.find(inode);
  if (found == streams_.end() || found->second.fetching || found->second.sequential < settings_.trigger) {
    return std::nullopt;
  }
  return start_fetch(found->second, offset, settings_.window);
}

std::optional<ReadAhead::Fetch> ReadAhead::fetch_ahead(uint32_t inode) {
  if (settings_.budget == 0) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto found = streams_.find(inode);
  if (found == streams_.end()) return std::nullopt;
  Stream& stream = found->second;
  if (stream.fetching || stream.kept.empty() || stream.sequential < settings_.trigger) return std::nullopt;
  uint64_t end = stream.kept_end();
  uint32_t size = std::max(stream.ahead_size, settings_.window);
  if (end >= stream.file_end || end >= stream.next + kFetchesAhead * size) return std::nullopt;
  // The pieces the reader has not finished and the new one must fit in the budget, or the
  // new one would be thrown away.
  uint64_t unfinished = 0;
  for (const Piece& piece : stream.kept) unfinished += piece.end() > stream.next ? piece.data.size() : 0;
  if (unfinished + size > settings_.budget) return std::nullopt;
  // Growth stops where two fetches ahead would not fit in the budget.
  uint64_t largest = std::max<uint64_t>(settings_.window, std::min<uint64_t>(kMaxWindowsPerFetch * settings_.window,
                                                                              settings_.budget / kFetchesAhead));
  stream.ahead_size = static_cast<uint32_t>(std::min<uint64_t>(2ull * size, largest));
  return start_fetch(stream, end, size);
}

ReadAhead::Stream* ReadAhead::fetching_stream(uint32_t inode, const Fetch& fetch) {
  auto found = streams_.find(inode);
  if (found == streams_.end() || !found->second.fetching || found->second.fetching->id != fetch.id) return nullptr;
  return &found->second;
}

void ReadAhead::end_fetch(Stream& stream) {
  stream.fetching.reset();
  fetched_.notify_all();
}

void ReadAhead::fetch_failed(uint32_t inode, const Fetch& fetch) {
  std::lock_guard lock(mutex_);
  if (Stream* stream = fetching_stream(inode, fetch)) end_fetch(*stream);
}

void ReadAhead::keep(uint32_t inode, const Fetch& fetch, std::vector<uint8_t> data, uint32_t used) {
  std::lock_guard lock(mutex_);
  // Forgotten meanwhile (a write, a notification): the data may be stale.
  Stream* stream = fetching_stream(inode, fetch);
  if (!stream) return;
  end_fetch(*stream);
  stream->file_end = data.size() < fetch.size ? fetch.offset + data.size() : UINT64_MAX;
  if (data.size() <= used) return;
  uint64_t offset = fetch.offset + used;
  if (stream->kept_end() != offset) drop_kept(inode, *stream);  // the kept bytes stay contiguous
  size_t extra = data.size() - used;
  // Room within the budget: the inodes whose bytes were kept longest ago go first, then
  // this inode's pieces the reader has finished.
  while (kept_bytes_ + extra > settings_.budget) {
    auto oldest = std::find_if(keep_order_.begin(), keep_order_.end(), [&](uint32_t other) { return other != inode; });
    if (oldest != keep_order_.end()) {
      uint32_t evicted = *oldest;
      drop_kept(evicted, streams_[evicted]);
    } else if (!stream->kept.empty() && stream->kept.front().end() <= stream->next) {
      drop_first_piece(inode, *stream);
    } else {
      return;
    }
  }
  data.erase(data.begin(), data.begin() + used);
  stream->kept.push_back({offset, std::move(data)});
  kept_bytes_ += extra;
  keep_order_.remove(inode);
  keep_order_.push_back(inode);
}

void ReadAhead::forget(uint32_t inode) {
  std::lock_guard lock(mutex_);
  auto found = streams_.find(inode);
  if (found == streams_.end()) return;
  drop_kept(inode, found->second);
  streams_.erase(found);
  fetched_.notify_all();
}

void ReadAhead::forget_all() {
  std::lock_guard lock(mutex_);
  streams_.clear();
  keep_order_.clear();
  kept_bytes_ = 0;
  fetched_.notify_all();
}

size_t ReadAhead::kept_bytes() const {
  std::lock_guard lock(mutex_);
  return kept_bytes_;
}

}  // namespace mfs::mount
