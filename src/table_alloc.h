// Copyright (c) the kvstore developers.
//
// The allocator for the keyspace's hash tables: arrays of at least
// kTableMapBytes come straight from mmap and go straight back with munmap,
// smaller ones from the block allocator (block_alloc.h).
//
// Why: a table grows by doubling, and the array it leaves behind is freed.
// mimalloc keeps a freed large block resident in its segment (it backs the
// segment with 2 MiB pages, which it cannot give back piecemeal), so after a
// fill every shard still held the pages of its smaller, earlier tables:
// about 5 bytes per key at a million keys (docs/DESIGN.md, "Memory per
// key"). An unmapped array is returned to the kernel at once. The arrays
// mapped here are at most a few MiB, so they use 4 KiB pages; their first
// touch costs a page fault per 4 KiB, small beside the inserts that fill
// them.
//
// Sanitizer builds (KVSTORE_SYSTEM_MALLOC) use the system allocator for
// everything, so that ASan and TSan see every array.

#ifndef KVSTORE_SRC_TABLE_ALLOC_H_
#define KVSTORE_SRC_TABLE_ALLOC_H_

#include <cstddef>
#include <memory>
#include <new>

#include "block_alloc.h"

#ifndef KVSTORE_SYSTEM_MALLOC
#include <sys/mman.h>
#endif

namespace kvstore {

#ifdef KVSTORE_SYSTEM_MALLOC
template <typename T>
using TableAllocator = std::allocator<T>;
#else
// Arrays this large or larger are mapped.
inline constexpr std::size_t kTableMapBytes = 64 * 1024;

template <typename T>
class TableAllocator {
 public:
  using value_type = T;

  TableAllocator() noexcept = default;
  template <typename U>
  TableAllocator(const TableAllocator<U>&) noexcept {}  // NOLINT: rebinding converts implicitly

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kTableMapBytes) return BlockAllocator<T>().allocate(n);
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kTableMapBytes) {
      BlockAllocator<T>().deallocate(p, n);
    } else {
      ::munmap(p, bytes);
    }
  }

  template <typename U>
  bool operator==(const TableAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const TableAllocator<U>&) const noexcept {
    return false;
  }
};
#endif

}  // namespace kvstore

#endif  // KVSTORE_SRC_TABLE_ALLOC_H_
