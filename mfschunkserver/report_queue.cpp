#include "mfschunkserver/report_queue.h"

#include <utility>

namespace mfs::cs {

void ReportQueue::chunk_lost(uint64_t chunkid) {
  if (reports_.lost.size() < kMaxQueued) reports_.lost.push_back(chunkid);
}

void ReportQueue::chunk_damaged(uint64_t chunkid) {
  if (reports_.damaged.size() < kMaxQueued) reports_.damaged.push_back(chunkid);
  reports_.errors++;
}

ReportQueue::Reports ReportQueue::take() { return std::exchange(reports_, Reports{}); }

}  // namespace mfs::cs
