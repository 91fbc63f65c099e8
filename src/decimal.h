// Copyright (c) the kvstore developers.
//
// Strict decimal integers, as Redis's string2ll reads them: the library's
// one parser for the decimal arguments of typed-value ops (object.cc) and the
// test for an intset member (set_object.cc).

#ifndef KVSTORE_SRC_DECIMAL_H_
#define KVSTORE_SRC_DECIMAL_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace kvstore {

// True, with *out set, if s is the canonical decimal form of an int64: an
// optional '-', then digits with no leading zero ("0" alone is zero), no '+',
// no spaces, no overflow. "-0", "+1", "01", " 1" and "" are not integers, so
// that an integer parsed here prints back as the same bytes.
inline bool ParseCanonicalInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  std::size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) i = 1;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (v > kMax + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > kMax) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

}  // namespace kvstore

#endif  // KVSTORE_SRC_DECIMAL_H_
