// Copyright (c) the kvstore developers.
//
// The hash layouts (HashValue in include/kvstore/types.h):
//   "listpack"   a vector of (field, value) pairs in insertion order, searched
//                linearly; small hashes only, so a scan beats hashing.
//   "hashtable"  one packed block per pair (packed_string.h: [field][value]),
//                and an absl::flat_hash_set of pointers to the blocks that
//                hashes and compares a block by its field's bytes, so that a
//                lookup by std::string_view reads no other memory than the
//                slot and the block. A pair costs its bytes plus two length
//                bytes rounded to the allocator's class, and one 8-byte slot
//                (and a control byte) at the table's load: about half of what
//                a map of std::string pairs costs.
// A hash converts from the first to the second when it gets more than
// hash_max_listpack_entries fields, or a field or value longer than
// hash_max_listpack_value bytes, and never converts back (as Redis 7.0).

#ifndef KVSTORE_SRC_HASH_OBJECT_H_
#define KVSTORE_SRC_HASH_OBJECT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "block_set.h"
#include "kvstore/types.h"

namespace kvstore {

class HashObject final : public HashValue {
 public:
  HashObject() = default;
  HashObject(const HashObject&) = delete;
  HashObject& operator=(const HashObject&) = delete;
  ~HashObject() override;

  std::size_t size() const override;
  std::string_view encoding() const override;
  std::unique_ptr<Object> Clone() const override;
  std::optional<std::string_view> get(std::string_view field) const override;
  void for_each(
      const std::function<bool(std::string_view field, std::string_view value)>& fn) const override;
  // O(1) for "listpack"; O(i) for "hashtable" (walks the table).
  std::pair<std::string_view, std::string_view> at(std::size_t i) const override;

  // True while the layout is "listpack".
  bool compact() const { return !table_; }

  // Sets field to value (adding it at the end in "listpack" order if new),
  // converting first when limits say the result would not fit "listpack".
  // In "hashtable", a new value rewrites the pair's block in place when the
  // allocator would give the new size the same block, else moves the pair
  // to a new block.
  void Set(std::string_view field, std::string_view value, const EncodingLimits& limits);
  // Removes field; false if it was absent.
  bool Del(std::string_view field);

  // Approximate heap bytes: "listpack": the vector and the strings' own heap
  // buffers (those too long for std::string's inline space); "hashtable":
  // the table's slots and control bytes, plus each block's size rounded up
  // as the allocator does (BlockAllocatedBytes).
  std::size_t HeapBytes() const;

 private:
  // Pair blocks looked up by their field (the block's first string).
  using Table = BlockSet<0>;

  // Moves every pair into the table layout.
  void ConvertToTable();

  std::vector<std::pair<std::string, std::string>> pairs_;  // "listpack"
  // "hashtable" when set; owns the blocks. A pointer so that a small hash
  // pays one word for it.
  std::unique_ptr<Table> table_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_HASH_OBJECT_H_
