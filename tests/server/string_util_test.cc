// Copyright (c) the kvstore developers.
//
// Glob matching, INCRBYFLOAT number text and memory sizes.

#include "string_util.h"

#include <gtest/gtest.h>

namespace kvstore::server {
namespace {

TEST(GlobMatch, RedisPatterns) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_TRUE(GlobMatch("*a*b*c", "xxaxxbxxc"));
  EXPECT_FALSE(GlobMatch("*a*b*c", "xxaxxbxx"));
  EXPECT_TRUE(GlobMatch("MAX*", "maxclients", true));
  EXPECT_FALSE(GlobMatch("MAX*", "maxclients", false));
  // A hostile pattern stays fast (no exponential backtracking).
  EXPECT_FALSE(GlobMatch(std::string(100, '*') + "b", std::string(10000, 'a')));
}

TEST(LongDouble, ParseAndFormatLikeRedis) {
  long double v = 0;
  EXPECT_TRUE(ParseLongDouble("10.5", &v));
  EXPECT_EQ(FormatLongDouble(v + 0.1L), "10.6");
  EXPECT_TRUE(ParseLongDouble("5.0e3", &v));
  EXPECT_EQ(FormatLongDouble(v), "5000");
  EXPECT_EQ(FormatLongDouble(-0.0L), "0");
  for (const char* bad : {"", " 1", "1 ", "abc", "nan", "1e999999"}) {
    EXPECT_FALSE(ParseLongDouble(bad, &v)) << bad;
  }
}

TEST(MemorySize, Units) {
  uint64_t v = 0;
  EXPECT_TRUE(ParseMemorySize("512mb", &v));
  EXPECT_EQ(v, 512ull << 20);
  EXPECT_TRUE(ParseMemorySize("1GB", &v));
  EXPECT_EQ(v, 1ull << 30);
  EXPECT_TRUE(ParseMemorySize("1k", &v));
  EXPECT_EQ(v, 1000u);
  EXPECT_TRUE(ParseMemorySize("123", &v));
  EXPECT_EQ(v, 123u);
  EXPECT_FALSE(ParseMemorySize("mb", &v));
  EXPECT_FALSE(ParseMemorySize("1tb", &v));
  EXPECT_FALSE(ParseMemorySize("-1", &v));
}

}  // namespace
}  // namespace kvstore::server
