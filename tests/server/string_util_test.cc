// Copyright (c) the kvstore developers.
//
// INCRBYFLOAT number text and memory sizes.

#include "string_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string_view>

namespace kvstore::server {
namespace {

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

TEST(Double, ParseLikeGetDoubleFromObject) {
  double v = 0;
  EXPECT_TRUE(ParseDouble("1.5", &v));
  EXPECT_EQ(v, 1.5);
  EXPECT_TRUE(ParseDouble("-inf", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  EXPECT_TRUE(ParseDouble("+inf", &v));
  EXPECT_TRUE(ParseDouble("0x10", &v));  // strtod's syntax
  EXPECT_EQ(v, 16);
  EXPECT_TRUE(ParseDouble("4.9e-324", &v));  // a denormal is not an underflow to zero
  for (const char* bad : {"", " 1", "1 ", "abc", "nan", "-nan", "1e400", "1e-400"}) {
    EXPECT_FALSE(ParseDouble(bad, &v)) << bad;
  }
  EXPECT_FALSE(ParseDouble(std::string_view("1\0", 2), &v));
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
