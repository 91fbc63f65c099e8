// Copyright (c) the kvstore developers.
//
// The hash layouts (HashValue in include/kvstore/types.h):
//   "listpack"   a vector of (field, value) pairs in insertion order, searched
//                linearly; small hashes only, so a scan beats hashing.
//   "hashtable"  a StringMap (string_map.h) from field to value.
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

#include "kvstore/types.h"
#include "string_map.h"

namespace kvstore {

class HashObject final : public HashValue {
 public:
  HashObject() = default;

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
  void Set(std::string_view field, std::string_view value, const EncodingLimits& limits);
  // Removes field; false if it was absent.
  bool Del(std::string_view field);

  // Approximate heap bytes: the layout's arrays or table slots plus the
  // strings' own heap buffers (those too long for std::string's inline space).
  std::size_t HeapBytes() const;

 private:
  // Moves every pair into the table layout.
  void ConvertToTable();

  std::vector<std::pair<std::string, std::string>> pairs_;  // "listpack"
  // "hashtable" when set. A pointer so that a small hash pays one word for it.
  std::unique_ptr<StringMap<std::string>> table_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_HASH_OBJECT_H_
