#include "mfschunkserver/chunk_locks.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mfs::cs {

namespace asio = boost::asio;

asio::awaitable<ChunkLocks::Guard> ChunkLocks::lock(uint64_t chunkid) {
  Entry& entry = entries_[chunkid];
  if (!entry.held) {
    entry.held = true;
    co_return Guard(this, chunkid);
  }
  // A waiter sleeps on its own timer; unlock() hands the lock over by cancelling it.
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                    asio::steady_timer::time_point::max());
  entry.waiters.push_back(timer);
  boost::system::error_code ignored;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  co_return Guard(this, chunkid);
}

void ChunkLocks::unlock(uint64_t chunkid) {
  auto it = entries_.find(chunkid);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  if (entry.waiters.empty()) {
    entries_.erase(it);
    return;
  }
  // Stays held: ownership passes to the first waiter.
  entry.waiters.front()->cancel();
  entry.waiters.pop_front();
}

}  // namespace mfs::cs
