// Copyright (c) the kvstore developers.
//
// Matching runs left to right and remembers only the last `*`: when a later
// part fails, that star absorbs one more byte and matching resumes. This is
// linear in practice and never recursive, so hostile patterns cannot blow the
// stack.

#include "glob.h"

#include <cstddef>
#include <utility>

namespace kvstore::cli {
namespace {

// Matches the bracket expression starting at pattern[p] == '[' against c.
// Sets *end to the index after the closing ']' (or the pattern's end, if the
// bracket is unterminated: then the rest is the set).
bool MatchClass(std::string_view pattern, std::size_t p, unsigned char c, std::size_t* end) {
  ++p;
  bool negate = p < pattern.size() && pattern[p] == '^';
  if (negate) ++p;
  bool found = false;
  bool first = true;
  while (p < pattern.size() && (first || pattern[p] != ']')) {
    first = false;
    unsigned char lo = static_cast<unsigned char>(pattern[p]);
    if (lo == '\\' && p + 1 < pattern.size()) lo = static_cast<unsigned char>(pattern[++p]);
    unsigned char hi = lo;
    if (p + 2 < pattern.size() && pattern[p + 1] == '-' && pattern[p + 2] != ']') {
      hi = static_cast<unsigned char>(pattern[p + 2]);
      p += 2;
      if (hi == '\\' && p + 1 < pattern.size()) hi = static_cast<unsigned char>(pattern[++p]);
      if (lo > hi) std::swap(lo, hi);
    }
    if (c >= lo && c <= hi) found = true;
    ++p;
  }
  *end = p < pattern.size() ? p + 1 : p;
  return found != negate;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        star_p = p++;
        star_t = t;
        continue;
      }
      std::size_t next = p + 1;
      bool ok;
      if (pc == '?') {
        ok = true;
      } else if (pc == '[') {
        ok = MatchClass(pattern, p, static_cast<unsigned char>(text[t]), &next);
      } else if (pc == '\\' && p + 1 < pattern.size()) {
        ok = pattern[p + 1] == text[t];
        next = p + 2;
      } else {
        ok = pc == text[t];
      }
      if (ok) {
        p = next;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;  // let the last star absorb one more byte
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace kvstore::cli
