// A file's chunk ids by 64 MiB index, 0 for a hole. Legal offsets reach 2^57 (spec 00),
// so one write far past a file's end makes a table of up to 2^31 slots, 16 GiB, nearly all
// holes. The table therefore never writes a zero: its memory comes zero-filled from
// calloc (fresh pages from the kernel for big tables), and slots are written only with a
// chunk id. Pages of holes are never touched, so they cost address space, not memory
// (reading them maps the kernel's shared zero page).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

namespace mfs::master {

// Keeps the invariant that every slot of a buffer not holding a value reads zero: memory
// comes from calloc, a slot is set only to a non-zero value, and a slot given up is reset
// to zero if it held one. Value-initialization and copies of zeros then write nothing.
template <typename T>
struct ZeroPageAllocator {
  using value_type = T;

  ZeroPageAllocator() = default;
  template <typename U>
  ZeroPageAllocator(const ZeroPageAllocator<U>&) {}

  T* allocate(size_t count) {
    void* memory = std::calloc(count, sizeof(T));
    if (memory == nullptr) throw std::bad_alloc();
    return static_cast<T*>(memory);
  }
  void deallocate(T* memory, size_t) { std::free(memory); }

  void construct(T*) {}  // value-initialization: the slot reads zero already
  void construct(T* slot, const T& value) {
    if (value != T{}) *slot = value;
  }
  void destroy(T* slot) {
    if (*slot != T{}) *slot = T{};
  }

  bool operator==(const ZeroPageAllocator&) const { return true; }
};

using ChunkList = std::vector<uint64_t, ZeroPageAllocator<uint64_t>>;

}  // namespace mfs::master
