// Copyright (c) the kvstore developers.
//
// StringMap: an absl::flat_hash_map keyed by std::string that looks keys up
// by std::string_view without building a string. Debian's absl is built with
// its own string_view, so absl's default string hash does not take
// std::string_view; this one hashes with XXH3 (coding.h), as the keyspace does.

#ifndef KVSTORE_SRC_STRING_MAP_H_
#define KVSTORE_SRC_STRING_MAP_H_

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "coding.h"

namespace kvstore {

// Hashes std::string and std::string_view alike.
struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return Hash64(s); }
};

// Compares std::string and std::string_view alike.
struct StringViewEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

template <typename V>
using StringMap = absl::flat_hash_map<std::string, V, StringViewHash, StringViewEq>;

}  // namespace kvstore

#endif  // KVSTORE_SRC_STRING_MAP_H_
