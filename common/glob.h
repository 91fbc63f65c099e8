// Copyright (c) the kvstore developers.
//
// Glob patterns as Redis 7 matches them (KEYS, SCAN MATCH, CONFIG GET), used
// by kvstore-server and by the kvstore tool so that both answer alike. Works
// on bytes: keys may hold NUL or invalid UTF-8.
//
//   *      any run of bytes (a run of stars is one star)
//   ?      any one byte
//   [abc]  one of the listed bytes; [^abc] one byte not listed
//   [a-z]  a range inside brackets; [z-a] is the same range
//   \c     the byte c itself, outside or inside brackets
//
// The edge cases follow Redis byte for byte, including those a reader might
// not expect:
//   - the empty string matches only the empty pattern (not even "*"); KEYS and
//     SCAN treat the pattern "*" as "everything" before they ask, and so must
//     callers that want the empty key listed;
//   - "[]" is an empty class and "[]]" is that class followed by "]";
//   - "x-y" is a range whenever two bytes follow x, so "[a-]" is the range
//     from ']' to 'a' and leaves the bracket unclosed;
//   - an unclosed "[" takes the rest of the pattern as its class;
//   - a trailing backslash is a literal backslash;
//   - range ends compare as signed chars (bytes >= 0x80 sort before 0x00);
//   - nocase folds ASCII letters, but not a backslash-escaped byte inside
//     brackets;
//   - a pattern whose 1001st run of stars is followed by more pattern never
//     matches (Redis's recursion limit).
// Matching takes O(pattern * string) time at worst and no recursion, so a
// hostile pattern such as "a*a*a*a*a*a*b" cannot stall a server.

#ifndef KVSTORE_COMMON_GLOB_H_
#define KVSTORE_COMMON_GLOB_H_

#include <string_view>

namespace kvstore::common {

// Redis's stringmatchlen(pattern, text, nocase).
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace kvstore::common

#endif  // KVSTORE_COMMON_GLOB_H_
