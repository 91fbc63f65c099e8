// Copyright (c) the kvstore developers.
//
// Packed strings: one heap block (block_alloc.h) holding one or more strings
// back to back, each as a varint32 length (coding.h) followed by its bytes.
// The "hashtable" layouts of hashes ([field][value]) and sets ([member]) keep
// each entry in one such block: an entry costs its bytes, a length byte per
// short string and the allocator's rounding, where a std::string costs 32
// bytes plus a second heap buffer once longer than 15 bytes.
//
// Lengths are 32-bit: every string here arrived as an op argument, and an
// op's byte form (EncodeOp) already limits arguments to that.

#ifndef KVSTORE_SRC_PACKED_STRING_H_
#define KVSTORE_SRC_PACKED_STRING_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string_view>

#include "block_alloc.h"
#include "coding.h"

namespace kvstore::packed {

// The bytes s takes in a block: its length's varint, then s.
inline std::size_t EncodedSize(std::string_view s) {
  return static_cast<std::size_t>(VarintLength(static_cast<uint32_t>(s.size()))) + s.size();
}

// Writes s at p; returns the byte after it.
inline char* Put(char* p, std::string_view s) {
  p = PutVarint32(p, static_cast<uint32_t>(s.size()));
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// The string written at p.
inline std::string_view Get(const char* p) {
  uint32_t n = 0;
  p = GetVarint32(p, p + 5, &n);  // a block is well formed: never nullptr
  return {p, n};
}

// The byte after the string written at p (where the next one starts).
inline const char* Skip(const char* p) {
  const std::string_view s = Get(p);
  return s.data() + s.size();
}

// The bytes of a block's first `count` strings.
inline std::size_t Size(const char* block, int count) {
  const char* p = block;
  for (int i = 0; i < count; ++i) p = Skip(p);
  return static_cast<std::size_t>(p - block);
}

// The heap bytes a block of `count` strings takes, as the allocator rounds.
inline std::size_t HeapBytes(const char* block, int count) {
  return BlockAllocatedBytes(Size(block, count));
}

// A new block holding parts in order; free it with Free.
inline char* Make(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (std::string_view s : parts) n += EncodedSize(s);
  char* block = static_cast<char*>(AllocateBlockBytes(n));
  char* p = block;
  for (std::string_view s : parts) p = Put(p, s);
  return block;
}

// A new block with the bytes of a block of `count` strings.
inline char* Copy(const char* block, int count) {
  const std::size_t n = Size(block, count);
  char* copy = static_cast<char*>(AllocateBlockBytes(n));
  std::memcpy(copy, block, n);
  return copy;
}

// Frees a block from Make or Copy.
inline void Free(char* block) { FreeBlockBytes(block); }

}  // namespace kvstore::packed

#endif  // KVSTORE_SRC_PACKED_STRING_H_
