// Memory for FsTree's nodes: fixed-size blocks carved in order from big slabs.
//
// Why: the tools' recursive requests walk whole subtrees and read a field or two of each
// node, so they are bound by cache misses. With malloc, nodes made one after the other
// (a tree created by a client, a snapshot) lie between everything else allocated
// meanwhile (entries, names, packets, changelog lines); from a pool they lie side by side,
// in creation order, and the CPU fetches ahead of a walk on its own.
#pragma once
#include <cstddef>
#include <memory>
#include <new>
#include <vector>

namespace mfs::master {

// Blocks of one size; released blocks are reused first. Memory goes back to the system
// only with the pool.
class BlockPool {
 public:
  explicit BlockPool(size_t block_size);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  size_t block_size() const { return block_size_; }
  void* allocate();
  void release(void* block);

 private:
  static constexpr size_t kFirstSlabBytes = 16 * 1024;
  static constexpr size_t kLargestSlabBytes = 1024 * 1024;

  size_t block_size_;
  std::vector<void*> slabs_;
  size_t next_slab_bytes_ = kFirstSlabBytes;
  std::byte* unused_ = nullptr;  // the part of the last slab never handed out
  std::byte* unused_end_ = nullptr;
  void* released_ = nullptr;  // released blocks, each holding the address of the next
};

// Pools by block size, shared by an allocator and its rebound copies.
class BlockPools {
 public:
  BlockPool& for_size(size_t size);

 private:
  std::vector<std::unique_ptr<BlockPool>> pools_;
};

// A standard allocator taking single objects from BlockPools and arrays (a hash table's
// buckets) from operator new. A default-constructed one has pools of its own, which its
// copies share: a container gets its own pools and keeps them through moves and swaps.
template <typename T>
class PoolAllocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;

  PoolAllocator() : pools_(std::make_shared<BlockPools>()) {}
  template <typename U>
  PoolAllocator(const PoolAllocator<U>& other) noexcept : pools_(other.pools_) {}  // NOLINT: rebinding

  T* allocate(size_t count) {
    if (count == 1) return static_cast<T*>(pools_->for_size(sizeof(T)).allocate());
    return static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t{alignof(T)}));
  }
  void deallocate(T* objects, size_t count) noexcept {
    if (count == 1) return pools_->for_size(sizeof(T)).release(objects);
    ::operator delete(objects, std::align_val_t{alignof(T)});
  }

  template <typename U>
  bool operator==(const PoolAllocator<U>& other) const noexcept {
    return pools_ == other.pools_;
  }

 private:
  template <typename U>
  friend class PoolAllocator;
  std::shared_ptr<BlockPools> pools_;
};

}  // namespace mfs::master
