// Copyright (c) the kvstore developers.
//
// common::GlobMatch, the matcher behind KEYS, SCAN MATCH and CONFIG GET in
// kvstore-server and `kvstore scan --match`. kRedisKeys and kRedisConfigGet
// hold answers recorded from Debian's redis-server 7.0.15: each string was SET
// as a key and `KEYS pattern` run (CONFIG GET pattern against parameter names
// for the case-insensitive ones).

#include "common/glob.h"

#include <gtest/gtest.h>

#include <span>
#include <string>

namespace kvstore::common {
namespace {

using namespace std::string_literals;

struct Case {
  std::string pattern;
  std::string text;
  bool match;
};

// KEYS pattern, as redis-server answered. Not the pattern "*" alone: KEYS
// (like SCAN and `kvstore scan`) lists everything for it without matching.
const Case kRedisKeys[] = {
    {"***"s, ""s, false},
    {"***"s, "a"s, true},
    {"***"s, "abc"s, true},
    {"**"s, ""s, false},
    {"a***"s, "a"s, true},
    {"a***"s, "abc"s, true},
    {"a***"s, "b"s, false},
    {"***a"s, "a"s, true},
    {"***a"s, "ba"s, true},
    {"***a"s, "ab"s, false},
    {"a*b"s, "ab"s, true},
    {"a*b"s, "axxb"s, true},
    {"a*b"s, "axxbx"s, false},
    {"*a*b*"s, "ab"s, true},
    {"*a*b*"s, "ba"s, false},
    {"*a*b*"s, "xaxbx"s, true},
    {"a*"s, ""s, false},
    {"a*"s, "a"s, true},
    {"a*"s, "\000a"s, false},
    {"?"s, ""s, false},
    {"?"s, "a"s, true},
    {"?"s, "ab"s, false},
    {"?"s, "\000"s, true},
    {"a?c"s, "abc"s, true},
    {"a?c"s, "ac"s, false},
    {"a?c"s, "a\000c"s, true},
    {"*?"s, ""s, false},
    {"*?"s, "a"s, true},
    {"[abc]"s, "b"s, true},
    {"[abc]"s, "d"s, false},
    {"[abc]"s, ""s, false},
    {"[^abc]"s, "b"s, false},
    {"[^abc]"s, "d"s, true},
    {"[^abc]"s, ""s, false},
    {"[a-c]x"s, "bx"s, true},
    {"[a-c]x"s, "dx"s, false},
    {"[z-a]"s, "m"s, true},
    {"[z-a]"s, "z"s, true},
    {"[z-a]"s, "A"s, false},
    {"[]"s, "]"s, false},
    {"[]"s, "[]"s, false},
    {"[]"s, ""s, false},
    {"[]]"s, "]"s, false},
    {"[]]"s, "]]"s, false},
    {"[]]"s, ""s, false},
    {"[]a]"s, "a"s, false},
    {"[]a]"s, "]"s, false},
    {"[]a]"s, "a]"s, false},
    {"[^]]"s, "]"s, false},
    {"[^]]"s, "x"s, false},
    {"[^]]"s, "]]"s, true},
    {"[^]"s, "]"s, true},
    {"[^]"s, "^]"s, false},
    {"[^]"s, "x"s, true},
    {"[a-]"s, "a"s, true},
    {"[a-]"s, "-"s, false},
    {"[a-]"s, "]"s, true},
    {"[a-]"s, "_"s, true},
    {"[a-]*"s, "a"s, true},
    {"[a-]*"s, "a*"s, false},
    {"[a-]*"s, "-"s, false},
    {"[a-]*"s, "`"s, true},
    {"[a-]*"s, "*"s, true},
    {"[a-]*"s, "ab"s, false},
    {"[a-]*"s, "^"s, true},
    {"[-a]"s, "-"s, true},
    {"[-a]"s, "a"s, true},
    {"[-a]"s, "b"s, false},
    {"[a-c-e]"s, "b"s, true},
    {"[a-c-e]"s, "-"s, true},
    {"[a-c-e]"s, "d"s, false},
    {"[a-c-e]"s, "e"s, true},
    {"[--/]"s, "-"s, true},
    {"[--/]"s, "."s, true},
    {"[--/]"s, "/"s, true},
    {"[--/]"s, ","s, false},
    {"["s, "["s, false},
    {"["s, ""s, false},
    {"["s, "a"s, false},
    {"[^"s, "a"s, true},
    {"[^"s, "^"s, true},
    {"[^"s, ""s, false},
    {"[^"s, "ab"s, false},
    {"[ab"s, "a"s, true},
    {"[ab"s, "b"s, true},
    {"[ab"s, "["s, false},
    {"[ab"s, "ab"s, false},
    {"x[a-"s, "xa"s, true},
    {"x[a-"s, "x-"s, true},
    {"x[a-"s, "xb"s, false},
    {"[\\]]"s, "]"s, true},
    {"[\\]]"s, "\\"s, false},
    {"[\\"s, "\\"s, true},
    {"[\\"s, "a"s, false},
    {"[a\\-z]"s, "-"s, true},
    {"[a\\-z]"s, "b"s, false},
    {"[a\\-z]"s, "z"s, true},
    {"[\\^a]"s, "^"s, true},
    {"[\\^a]"s, "a"s, true},
    {"[\\^a]"s, "b"s, false},
    {"[!a]"s, "!"s, true},
    {"[!a]"s, "b"s, false},
    {"[\000]"s, "\000"s, true},
    {"[\000]"s, "a"s, false},
    {"[a-\377]"s, "\300"s, false},
    {"[a-\377]"s, "a"s, true},
    {"[a-\377]"s, "b"s, false},
    {"[a-\377]"s, "\000"s, true},
    {"[a-\377]"s, "\377"s, true},
    {"[\200-\377]"s, "\300"s, true},
    {"[\200-\377]"s, "a"s, false},
    {"[[]"s, "["s, true},
    {"[*]"s, "*"s, true},
    {"[*]"s, "a"s, false},
    {"[?]"s, "?"s, true},
    {"[?]"s, "a"s, false},
    {"\\*"s, "*"s, true},
    {"\\*"s, "a"s, false},
    {"\\*"s, "\\*"s, false},
    {"\\?"s, "?"s, true},
    {"\\?"s, "a"s, false},
    {"\\[a]"s, "[a]"s, true},
    {"\\[a]"s, "a"s, false},
    {"a\\"s, "a\\"s, true},
    {"a\\"s, "a"s, false},
    {"\\"s, "\\"s, true},
    {"\\"s, ""s, false},
    {"\\a"s, "a"s, true},
    {"\\a"s, "\\a"s, false},
    {"*\\*"s, "x*"s, true},
    {"*\\*"s, "x"s, false},
    {"\\\\"s, "\\"s, true},
};

void ExpectAll(std::span<const Case> cases, bool nocase) {
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.text, nocase), c.match)
        << "pattern '" << c.pattern << "' text '" << c.text << "'" << (nocase ? " nocase" : "");
  }
}

TEST(GlobMatch, AgreesWithRedisKeys) {
  static_assert(std::size(kRedisKeys) >= 60);
  ExpectAll(kRedisKeys, false);
}

// CONFIG GET pattern against parameter names (case-insensitive matching).
const Case kRedisConfigGet[] = {
    {"MAX*", "maxclients", true},
    {"[\\M]ax*", "maxclients", false},  // an escaped byte in a class keeps its case
    {"[\\m]ax*", "maxclients", true},
    {"[A-Z]axmemory", "maxmemory", true},
    {"[Z-a]axmemory", "maxmemory", false},  // swapped, then folded: z..a is empty
    {"[a-Z]axmemory", "maxmemory", false},
    {"[L-N]AXMEMORY", "maxmemory", true},
    {"[_-a]axmemory", "maxmemory", false},
    {"[A-z]axmemory*", "maxmemory", true},
    {"[^M]*", "maxmemory", false},
    {"MaxMemory-*", "maxmemory-policy", true},
    {"*-[P-P]OLICY", "maxmemory-policy", true},
    {"maxmemory?policy", "maxmemory-policy", true},
};

TEST(GlobMatch, NocaseAgreesWithRedisConfigGet) {
  ExpectAll(kRedisConfigGet, true);
  EXPECT_FALSE(GlobMatch("MAX*", "maxclients", /*nocase=*/false));
}

// Everyday patterns.
const Case kCommon[] = {
    {"user:1", "user:1", true},
    {"user:1", "user:10", false},
    {"user:*", "user:", true},
    {"user:*", "user:42", true},
    {"user:*", "users", false},
    // Redis's matcher never matches the empty string against a non-empty
    // pattern; callers treat "*" as "everything" before they ask.
    {"*", "", false},
    {"", "", true},
    {"a?c", "abc", true},
    {"a?c", "ac", false},
    {"*b*b*", "abcbd", true},
    {"*b*b*", "abcd", false},
    {"h*llo", "heeeello", true},
    {"*a*b*c", "xxaxxbxxc", true},
    {"*a*b*c", "xxaxxbxx", false},
    {"k[0-9]", "k7", true},
    {"k[0-9]", "kx", false},
    {"k[^0-9]", "kx", true},
    {"k[^0-9]", "k7", false},
    {"[abc]", "b", true},
    {"[]]", "]", false},  // "[]" is an empty class (Redis)
    {"[\\]]", "]", true},
    {"h[ae]llo", "hallo", true},
    {"h[ae]llo", "hillo", false},
    {"h[^e]llo", "hallo", true},
    {"h[^e]llo", "hello", false},
    {"h[a-b]llo", "hbllo", true},
    {"a\\*", "a*", true},
    {"a\\*", "ab", false},
    {"a\\*b", "a*b", true},
    {"a\\*b", "axb", false},
    {"a*", "a\0b"s, true},
    {"a?b", "a\0b"s, true},
};

TEST(GlobMatch, CommonPatterns) { ExpectAll(kCommon, false); }

// Redis gives up once its recursion passes 1000 stars (then nothing
// matches); checked against redis-server with KEYS.
TEST(GlobMatch, StarRunLimitAsRedis) {
  std::string star_a_1000, star_a_1001, a_star_1001;
  for (int i = 0; i < 1000; ++i) star_a_1000 += "*a";
  star_a_1001 = star_a_1000 + "*a";
  for (int i = 0; i < 1001; ++i) a_star_1001 += "a*";
  const std::string text(1002, 'a');
  EXPECT_TRUE(GlobMatch(star_a_1000, text));
  EXPECT_FALSE(GlobMatch(star_a_1001, text));
  EXPECT_TRUE(GlobMatch(star_a_1000 + "*", text));   // the 1001st run ends the pattern
  EXPECT_FALSE(GlobMatch(star_a_1001 + "*", text));  // it does not
  EXPECT_TRUE(GlobMatch(a_star_1001, text));
  EXPECT_FALSE(GlobMatch(a_star_1001 + "a*", text));
}

// Patterns that make a backtracking matcher exponential: without Redis's
// cut-off (or this walk) these would not finish before the test's timeout.
TEST(GlobMatch, HostilePatternsFinish) {
  const std::string text(10000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*b", text));
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_FALSE(GlobMatch(std::string(100, '*') + "b", text));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a", text));
}

}  // namespace
}  // namespace kvstore::common
