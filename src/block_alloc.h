// Copyright (c) the kvstore developers.
//
// The allocator for the store's many small blocks (keyspace entries, the
// packed entries of big hashes and sets): mimalloc, whose small size classes
// carry no per-block header, or the system malloc in sanitizer builds
// (KVSTORE_SYSTEM_MALLOC), which ASan and TSan can see into.

#ifndef KVSTORE_SRC_BLOCK_ALLOC_H_
#define KVSTORE_SRC_BLOCK_ALLOC_H_

#ifndef KVSTORE_SYSTEM_MALLOC
#include <mimalloc.h>
#endif

#include <cstddef>
#include <cstdlib>
#include <memory>

namespace kvstore {

#ifdef KVSTORE_SYSTEM_MALLOC
// Allocates n bytes; free with FreeBlockBytes.
inline void* AllocateBlockBytes(std::size_t n) { return std::malloc(n); }
// Frees what AllocateBlockBytes returned.
inline void FreeBlockBytes(void* p) { std::free(p); }
// The heap bytes an n-byte block really takes. For glibc malloc: an 8-byte
// header, rounded up to 16, at least 32 (an approximation for other mallocs).
inline std::size_t BlockAllocatedBytes(std::size_t n) {
  const std::size_t chunk = (n + 8 + 15) & ~std::size_t{15};
  return chunk < 32 ? 32 : chunk;
}
// A standard allocator over the same heap, for containers of such blocks.
template <typename T>
using BlockAllocator = std::allocator<T>;
#else
inline void* AllocateBlockBytes(std::size_t n) { return mi_malloc(n); }
inline void FreeBlockBytes(void* p) { mi_free(p); }
// mimalloc's own answer: n rounded up to its size class.
inline std::size_t BlockAllocatedBytes(std::size_t n) { return mi_good_size(n); }
template <typename T>
using BlockAllocator = mi_stl_allocator<T>;
#endif

}  // namespace kvstore

#endif  // KVSTORE_SRC_BLOCK_ALLOC_H_
