// Copyright (c) the kvstore developers.
//
// A hash set of packed blocks (packed_string.h) keyed by one string inside
// each block: the packed string kKeyOffset bytes into it. The hash table
// layout's [field][value] blocks (key at 0) and the sorted set's
// [score][member] blocks (key after the 8-byte score) are both held this way,
// and looked up by the key's bytes without building a block (the hash and
// equality are transparent).

#ifndef KVSTORE_SRC_BLOCK_SET_H_
#define KVSTORE_SRC_BLOCK_SET_H_

#include <absl/container/flat_hash_set.h>

#include <cstddef>
#include <string_view>

#include "block_alloc.h"
#include "coding.h"
#include "packed_string.h"

namespace kvstore {

// The key of a block: the packed string at kKeyOffset.
template <std::size_t kKeyOffset>
std::string_view BlockKey(const char* block) {
  return packed::Get(block + kKeyOffset);
}

// Hashes a block by its key, or a key itself.
template <std::size_t kKeyOffset>
struct BlockKeyHash {
  using is_transparent = void;
  std::size_t operator()(const char* block) const { return Hash64(BlockKey<kKeyOffset>(block)); }
  std::size_t operator()(std::string_view key) const { return Hash64(key); }
};

// Compares blocks and keys by key bytes.
template <std::size_t kKeyOffset>
struct BlockKeyEq {
  using is_transparent = void;
  bool operator()(const char* a, const char* b) const {
    return BlockKey<kKeyOffset>(a) == BlockKey<kKeyOffset>(b);
  }
  bool operator()(const char* block, std::string_view key) const {
    return BlockKey<kKeyOffset>(block) == key;
  }
  bool operator()(std::string_view key, const char* block) const {
    return BlockKey<kKeyOffset>(block) == key;
  }
};

// The set; it does not own the blocks (its holder frees them).
template <std::size_t kKeyOffset>
using BlockSet = absl::flat_hash_set<char*, BlockKeyHash<kKeyOffset>, BlockKeyEq<kKeyOffset>,
                                     BlockAllocator<char*>>;

}  // namespace kvstore

#endif  // KVSTORE_SRC_BLOCK_SET_H_
