// How long an I/O keeps trying, as the 3.0.117 client does (observed, docs/protocol-notes.md):
// mfsioretries tries at most; with mfstimeout=SEC, no longer than SEC seconds from the first
// try either (the back-off is cut at that moment, and the I/O then fails with EIO). Failed
// tries are logged from try number mfslogretry on (the first try is number 0), so that a
// hiccup that a retry cures leaves the log quiet. Spec 10 §8.5: a try the master answered
// LOCKED (a writer holds the chunk; it parks the request up to 30 s first) or EAGAIN (servers
// are changing) does not count against mfsioretries: it is waited out, with the same growing
// back-off, and mfstimeout still ends it. One object per I/O: it counts from when made.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>

#include "mfscommon/status.h"

namespace mfs::mount {

struct IoRetrySettings {
  uint32_t retries = 30;   // mfsioretries
  uint32_t timeout_s = 0;  // mfstimeout; 0: no time limit
  uint32_t log_from = 5;   // mfslogretry
};

// Sleep before retry `attempt` (1-based) of a failed request, as the 3.0.117 client does.
inline std::chrono::milliseconds retry_delay(uint32_t attempt) {
  if (attempt < 30) return std::chrono::milliseconds(1 + (attempt - 1) * 300);
  return std::chrono::milliseconds(10001);
}

class IoRetries {
 public:
  using Clock = std::chrono::steady_clock;

  explicit IoRetries(const IoRetrySettings& settings, Clock::time_point start = Clock::now())
      : settings_(settings), start_(start) {}

  // How long to wait before try number `attempt` (none before the first); nullopt when no
  // such try may be made: the count or the time is used up.
  std::optional<Clock::duration> delay_before(uint32_t attempt, Clock::time_point now = Clock::now()) const {
    if (attempt == 0) return Clock::duration::zero();
    if (attempt >= std::max<uint32_t>(settings_.retries, 1) + uncounted_ || out_of_time(now)) return std::nullopt;
    Clock::duration delay = retry_delay(attempt);
    if (settings_.timeout_s != 0) delay = std::min(delay, deadline() - now);
    return delay;
  }
  // Sleeps before try number `attempt` as delay_before() says; false when that try is not
  // to be made (also when the sleep ended at the deadline).
  bool wait_for_try(uint32_t attempt) const {
    std::optional<Clock::duration> delay = delay_before(attempt);
    if (!delay) return false;
    std::this_thread::sleep_for(*delay);
    return attempt == 0 || !out_of_time();
  }
  // After a failed try: whether it counts, by the master's status.
  void failed_with(StatusCode code) {
    if (code == StatusCode::kLocked || code == StatusCode::kEAGAIN) ++uncounted_;
  }
  bool out_of_time(Clock::time_point now = Clock::now()) const { return settings_.timeout_s != 0 && now >= deadline(); }
  bool worth_logging(uint32_t attempt) const { return attempt >= settings_.log_from; }
  // The error of an I/O that stopped trying: EIO once out of time, whatever the last try's.
  Status gave_up(const Status& last_error, Clock::time_point now = Clock::now()) const {
    return out_of_time(now) ? Status(StatusCode::kIO, "timed out (mfstimeout)") : last_error;
  }

 private:
  Clock::time_point deadline() const { return start_ + std::chrono::seconds(settings_.timeout_s); }

  IoRetrySettings settings_;
  Clock::time_point start_;
  uint32_t uncounted_ = 0;  // failed tries that did not count
};

}  // namespace mfs::mount
