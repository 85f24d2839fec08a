// The threads that do the chunkserver's blocking disk I/O (pread, pwrite, fsync, rename,
// directory scans), so that the network thread never waits for a disk.
#pragma once
// clang-format off
#include "mfscommon/asio_awaitable.h"
// clang-format on
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace mfs::cs {

class BlockingPool {
 public:
  explicit BlockingPool(size_t threads) : pool_(threads) {}
  ~BlockingPool() { stop(); }

  // Runs `job` on a pool thread; the awaiting coroutine resumes on its own executor
  // with the job's result. Jobs capture by reference only (the caller's frame outlives
  // the job): GCC 12 destroys a coroutine argument that owns memory twice when it is a
  // temporary, as a lambda written in the call is.
  template <typename Job>
    requires std::is_trivially_destructible_v<Job>
  boost::asio::awaitable<std::invoke_result_t<Job&>> run(Job job) {
    using Value = std::invoke_result_t<Job&>;
    Job* job_in_frame = &job;  // lives in this coroutine's frame until the result is back
    co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Value)>(
        [this, job_in_frame](auto handler) {
          auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
          ++pending_;
          boost::asio::post(pool_, [this, job_in_frame, handler = std::move(handler), work = std::move(work)]() mutable {
            Value value = (*job_in_frame)();
            --pending_;
            auto executor = work.get_executor();
            boost::asio::post(executor, [handler = std::move(handler), value = std::move(value)]() mutable {
              std::move(handler)(std::move(value));
            });
          });
        },
        boost::asio::use_awaitable);
  }

  // Jobs queued or running (the `load` reported to the master).
  size_t pending() const { return pending_; }
  // Waits for the running jobs and drops the queued ones.
  void stop() {
    pool_.stop();
    pool_.join();
  }

 private:
  boost::asio::thread_pool pool_;
  std::atomic<size_t> pending_{0};
};

}  // namespace mfs::cs
