#include "mfsmaster/block_pool.h"

#include <algorithm>
#include <cstdlib>

// Under AddressSanitizer, blocks not handed out are poisoned, so that a use after release
// is caught as it would be with malloc.
#if defined(__SANITIZE_ADDRESS__)
#define MFS_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MFS_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(MFS_ADDRESS_SANITIZER)
#include <sanitizer/asan_interface.h>
#define MFS_POISON(address, size) ASAN_POISON_MEMORY_REGION(address, size)
#define MFS_UNPOISON(address, size) ASAN_UNPOISON_MEMORY_REGION(address, size)
#else
#define MFS_POISON(address, size) ((void)(address), (void)(size))
#define MFS_UNPOISON(address, size) ((void)(address), (void)(size))
#endif

namespace mfs::master {

namespace {

// Blocks are aligned as pointers (the released-list links), which is what the pooled
// objects (hash-table nodes) need.
size_t rounded_block_size(size_t size) {
  constexpr size_t kAlignment = alignof(void*);
  return (std::max(size, sizeof(void*)) + kAlignment - 1) / kAlignment * kAlignment;
}

}  // namespace

BlockPool::BlockPool(size_t block_size) : block_size_(rounded_block_size(block_size)) {}

BlockPool::~BlockPool() {
  for (void* slab : slabs_) std::free(slab);
}

void* BlockPool::allocate() {
  if (released_) {
    void* block = released_;
    MFS_UNPOISON(block, block_size_);
    released_ = *static_cast<void**>(block);
    return block;
  }
  if (static_cast<size_t>(unused_end_ - unused_) < block_size_) {
    // Slabs double up to kLargestSlabBytes: small trees (tests, a fresh master) stay
    // small, big ones are made of few slabs.
    size_t bytes = std::max(next_slab_bytes_, block_size_);
    next_slab_bytes_ = std::min(next_slab_bytes_ * 2, kLargestSlabBytes);
    void* slab = std::malloc(bytes);
    if (!slab) throw std::bad_alloc();
    slabs_.push_back(slab);
    unused_ = static_cast<std::byte*>(slab);
    unused_end_ = unused_ + bytes;
    MFS_POISON(unused_, bytes);
  }
  void* block = unused_;
  unused_ += block_size_;
  MFS_UNPOISON(block, block_size_);
  return block;
}

void BlockPool::release(void* block) {
  *static_cast<void**>(block) = released_;
  released_ = block;
  MFS_POISON(block, block_size_);
}

BlockPool& BlockPools::for_size(size_t size) {
  size_t block_size = rounded_block_size(size);
  for (auto& pool : pools_) {
    if (pool->block_size() == block_size) return *pool;
  }
  return *pools_.emplace_back(std::make_unique<BlockPool>(block_size));
}

}  // namespace mfs::master
