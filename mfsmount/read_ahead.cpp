#include "mfsmount/read_ahead.h"

#include <algorithm>

namespace mfs::mount {

namespace {

// The kernel sends the pieces of one sequential stream from several threads, slightly out
// of order: a read starting this close to the expected place still counts as sequential.
constexpr uint64_t kSequentialSlack = 1u << 20;
// Streams remembered without a window (offsets only), to bound memory with many files.
constexpr size_t kMaxStreams = 4096;

}  // namespace

void ReadAhead::note_read(Stream& stream, uint64_t offset, uint32_t size) {
  uint64_t low = stream.next > kSequentialSlack ? stream.next - kSequentialSlack : 0;
  bool sequential = offset >= low && offset <= stream.next + kSequentialSlack;
  stream.sequential = sequential ? stream.sequential + size : size;
  stream.next = std::max(sequential ? stream.next : 0, offset + size);
}

void ReadAhead::drop_window(uint32_t inode, Stream& stream) {
  if (stream.window.empty()) return;
  kept_bytes_ -= stream.window.size();
  stream.window = {};
  window_order_.remove(inode);
}

std::optional<std::vector<uint8_t>> ReadAhead::take(uint32_t inode, uint64_t offset, uint32_t size) {
  if (settings_.budget == 0) return std::nullopt;
  std::unique_lock lock(mutex_);
  if (streams_.size() >= kMaxStreams && streams_.count(inode) == 0) {
    auto idle = std::find_if(streams_.begin(), streams_.end(),
                             [](const auto& s) { return s.second.window.empty() && !s.second.fetching; });
    if (idle != streams_.end()) streams_.erase(idle);
  }
  note_read(streams_[inode], offset, size);
  while (true) {
    auto found = streams_.find(inode);  // forget() may drop the stream while we wait
    if (found == streams_.end()) return std::nullopt;
    const Stream& stream = found->second;
    uint64_t end = stream.window_offset + stream.window.size();
    if (!stream.window.empty() && offset >= stream.window_offset && offset + size <= end) {
      auto from = stream.window.begin() + static_cast<std::ptrdiff_t>(offset - stream.window_offset);
      return std::vector<uint8_t>(from, from + size);
    }
    if (!stream.fetching || offset < stream.fetch_offset || offset + size > stream.fetch_end) return std::nullopt;
    fetched_.wait(lock);
  }
}

void ReadAhead::end_fetch(Stream& stream) {
  stream.fetching = false;
  fetched_.notify_all();
}

uint32_t ReadAhead::fetch_size(uint32_t inode, uint64_t offset, uint32_t size) {
  if (settings_.budget == 0 || settings_.window <= size) return size;
  std::lock_guard lock(mutex_);
  auto found = streams_.find(inode);
  if (found == streams_.end() || found->second.fetching || found->second.sequential < settings_.trigger) return size;
  Stream& stream = found->second;
  stream.fetching = true;
  stream.fetch_offset = offset;
  stream.fetch_end = offset + settings_.window;
  return settings_.window;
}

void ReadAhead::fetch_failed(uint32_t inode) {
  std::lock_guard lock(mutex_);
  auto found = streams_.find(inode);
  if (found != streams_.end()) end_fetch(found->second);
}

void ReadAhead::keep(uint32_t inode, uint64_t offset, std::vector<uint8_t> data, uint32_t used) {
  std::lock_guard lock(mutex_);
  auto found = streams_.find(inode);
  // Forgotten meanwhile (a write, a notification): the data may be stale.
  if (found == streams_.end() || !found->second.fetching || found->second.fetch_offset != offset) return;
  Stream& stream = found->second;
  end_fetch(stream);
  if (data.size() <= used) return;
  drop_window(inode, stream);
  size_t extra = data.size() - used;
  // Room within the budget: the oldest windows go first.
  while (kept_bytes_ + extra > settings_.budget && !window_order_.empty()) {
    uint32_t oldest = window_order_.front();
    drop_window(oldest, streams_[oldest]);
  }
  if (kept_bytes_ + extra > settings_.budget) return;
  data.erase(data.begin(), data.begin() + used);
  stream.window_offset = offset + used;
  stream.window = std::move(data);
  kept_bytes_ += extra;
  window_order_.push_back(inode);
}

void ReadAhead::forget(uint32_t inode) {
  std::lock_guard lock(mutex_);
  auto found = streams_.find(inode);
  if (found == streams_.end()) return;
  drop_window(inode, found->second);
  streams_.erase(found);
  fetched_.notify_all();
}

void ReadAhead::forget_all() {
  std::lock_guard lock(mutex_);
  streams_.clear();
  window_order_.clear();
  kept_bytes_ = 0;
  fetched_.notify_all();
}

size_t ReadAhead::kept_bytes() const {
  std::lock_guard lock(mutex_);
  return kept_bytes_;
}

}  // namespace mfs::mount
