// Reports for the master collected between two sends (spec 20 §2.5): chunks found lost or
// damaged and the number of I/O errors.
#pragma once
#include <cstdint>
#include <vector>

#include "mfschunkserver/chunk_store.h"

namespace mfs::cs {

class ReportQueue : public ChunkReports {
 public:
  void chunk_lost(uint64_t chunkid) override;
  void chunk_damaged(uint64_t chunkid) override;

  struct Reports {
    std::vector<uint64_t> lost;
    std::vector<uint64_t> damaged;
    uint32_t errors = 0;
  };
  // Everything collected so far; the queue is empty afterwards.
  Reports take();

 private:
  // While no master listens the queue must not grow without end; a new registration
  // tells the master the whole chunk list anyway.
  static constexpr size_t kMaxQueued = 100000;
  Reports reports_;
};

}  // namespace mfs::cs
