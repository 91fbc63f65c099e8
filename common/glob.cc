// Copyright (c) the kvstore developers.
//
// Redis matches recursively, one call per star, and cuts the search short
// once the rest of the pattern fails at every later position. The same
// answers come from the classic two-pointer walk: every element but a star
// consumes exactly one byte, so only the most recent star ever needs to take
// more, and a failure retries from it with one byte more. The walk never
// recurses, and each retry rescans at most the pattern after that star, so it
// costs O(pattern * text) at worst.

#include "common/glob.h"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace kvstore::common {
namespace {

// Redis's recursion stops at this depth of stars (nesting > 1000 fails).
constexpr int kMaxStarRuns = 1000;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool SameByte(char a, char b, bool nocase) { return nocase ? Lower(a) == Lower(b) : a == b; }

// Whether byte c falls in the range between a and b; Redis compares the
// bytes as (signed) char, swaps reversed ends, then folds case.
bool InRange(char a, char b, char c, bool nocase) {
  int lo = static_cast<signed char>(a), hi = static_cast<signed char>(b);
  int x = static_cast<signed char>(c);
  if (lo > hi) std::swap(lo, hi);
  if (nocase) {
    lo = static_cast<signed char>(Lower(static_cast<char>(lo)));
    hi = static_cast<signed char>(Lower(static_cast<char>(hi)));
    x = static_cast<signed char>(Lower(c));
  }
  return x >= lo && x <= hi;
}

// The bracket expression at pattern[p] == '[' against c. Sets *next to the
// index after it: past the closing ']', or the pattern's end if unclosed.
bool MatchClass(std::string_view pattern, std::size_t p, char c, bool nocase, std::size_t* next) {
  const std::size_t n = pattern.size();
  std::size_t q = p + 1;
  const bool negate = q < n && pattern[q] == '^';
  if (negate) ++q;
  bool found = false;
  for (; q < n && pattern[q] != ']'; ++q) {
    if (pattern[q] == '\\' && n - q >= 2) {
      ++q;
      found |= pattern[q] == c;  // escaped bytes never fold case
    } else if (n - q >= 3 && pattern[q + 1] == '-') {
      found |= InRange(pattern[q], pattern[q + 2], c, nocase);
      q += 2;
    } else {
      found |= SameByte(pattern[q], c, nocase);
    }
  }
  *next = q < n ? q + 1 : n;
  return found != negate;
}

// Whether the one-byte element at pattern[p] (anything but '*') matches c;
// sets *next to the index after the element.
bool MatchElement(std::string_view pattern, std::size_t p, char c, bool nocase, std::size_t* next) {
  switch (pattern[p]) {
    case '?':
      *next = p + 1;
      return true;
    case '[':
      return MatchClass(pattern, p, c, nocase, next);
    case '\\':
      if (p + 1 < pattern.size()) {
        *next = p + 2;
        return SameByte(pattern[p + 1], c, nocase);
      }
      break;  // a trailing backslash is itself
  }
  *next = p + 1;
  return SameByte(pattern[p], c, nocase);
}

// Redis gives up (no match) when it reaches the 1001st run of stars with
// text left. If more pattern follows that run, every match has to get there,
// so such a pattern matches nothing.
bool ExceedsStarLimit(std::string_view pattern) {
  if (std::count(pattern.begin(), pattern.end(), '*') <= kMaxStarRuns) return false;
  int runs = 0;
  for (std::size_t p = 0; p < pattern.size();) {
    if (pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (++runs > kMaxStarRuns && p < pattern.size()) return true;
      continue;
    }
    std::size_t next;
    MatchElement(pattern, p, '\0', false, &next);
    p = next;
  }
  return false;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  // Redis's loop runs only while both have bytes left, so an empty text
  // matches only an empty pattern.
  if (text.empty()) return pattern.empty();
  if (ExceedsStarLimit(pattern)) return false;
  constexpr std::size_t kNone = std::string_view::npos;
  std::size_t p = 0, t = 0;
  std::size_t star_p = kNone, star_t = 0;  // the pattern after the last star, and where it resumed
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      star_p = p;
      star_t = t;
      continue;
    }
    std::size_t next;
    if (p < pattern.size() && MatchElement(pattern, p, text[t], nocase, &next)) {
      p = next;
      ++t;
      continue;
    }
    if (star_p == kNone) return false;
    p = star_p;  // the last star takes one more byte
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace kvstore::common
