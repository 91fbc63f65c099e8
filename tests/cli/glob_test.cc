// Copyright (c) the kvstore developers.

#include "glob.h"

#include <gtest/gtest.h>

namespace kvstore::cli {
namespace {

using namespace std::string_literals;

TEST(GlobMatch, LiteralsAndWildcards) {
  EXPECT_TRUE(GlobMatch("user:1", "user:1"));
  EXPECT_FALSE(GlobMatch("user:1", "user:10"));
  EXPECT_TRUE(GlobMatch("user:*", "user:"));
  EXPECT_TRUE(GlobMatch("user:*", "user:42"));
  EXPECT_FALSE(GlobMatch("user:*", "users"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_TRUE(GlobMatch("*b*b*", "abcbd"));
  EXPECT_FALSE(GlobMatch("*b*b*", "abcd"));
}

TEST(GlobMatch, Classes) {
  EXPECT_TRUE(GlobMatch("k[0-9]", "k7"));
  EXPECT_FALSE(GlobMatch("k[0-9]", "kx"));
  EXPECT_TRUE(GlobMatch("k[^0-9]", "kx"));
  EXPECT_FALSE(GlobMatch("k[^0-9]", "k7"));
  EXPECT_TRUE(GlobMatch("[abc]", "b"));
  EXPECT_TRUE(GlobMatch("[]]", "]"));
}

TEST(GlobMatch, EscapesAndBinaryKeys) {
  EXPECT_TRUE(GlobMatch("a\\*", "a*"));
  EXPECT_FALSE(GlobMatch("a\\*", "ab"));
  EXPECT_TRUE(GlobMatch("a*", "a\0b"s));
  EXPECT_TRUE(GlobMatch("a?b", "a\0b"s));
}

TEST(GlobMatch, BacktrackingStaysLinear) {
  const std::string text(10000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*b", text));
}

}  // namespace
}  // namespace kvstore::cli
