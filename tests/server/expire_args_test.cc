// Copyright (c) the kvstore developers.
//
// Expiry time arguments (expire_args.h): SET/GETEX option parsing, the
// positive times of SET/SETEX/GETEX, the EXPIRE family's any-sign times, the
// overflow checks Redis 7 makes, and NX/XX/GT/LT.

#include "expire_args.h"

#include <gtest/gtest.h>

#include "kvstore/kvstore.h"

#include <limits>
#include <string>
#include <vector>

namespace kvstore::server::expire_args {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kNow = 1'700'000'000'000;  // a Unix time in ms

TEST(ParseSetTime, RelativeAndAbsolute) {
  int64_t d = 0;
  EXPECT_EQ(ParseSetTime("10", Unit::kSeconds, Base::kRelative, kNow, &d), TimeError::kNone);
  EXPECT_EQ(d, kNow + 10'000);
  EXPECT_EQ(ParseSetTime("10", Unit::kMilliseconds, Base::kRelative, kNow, &d),
            TimeError::kNone);
  EXPECT_EQ(d, kNow + 10);
  EXPECT_EQ(ParseSetTime("5", Unit::kSeconds, Base::kAbsolute, kNow, &d), TimeError::kNone);
  EXPECT_EQ(d, 5'000);  // in the past: allowed, the key is expired at once
  EXPECT_EQ(ParseSetTime("9223372036854775807", Unit::kMilliseconds, Base::kAbsolute, kNow, &d),
            TimeError::kNone);
  EXPECT_EQ(d, kMax);
}

TEST(ParseSetTime, RejectsNonPositiveAndOverflow) {
  int64_t d = 7;
  for (const char* t : {"0", "-1", "-9223372036854775808"}) {
    for (Unit u : {Unit::kSeconds, Unit::kMilliseconds}) {
      for (Base b : {Base::kRelative, Base::kAbsolute}) {
        EXPECT_EQ(ParseSetTime(t, u, b, kNow, &d), TimeError::kInvalid) << t;
      }
    }
  }
  // Seconds whose milliseconds overflow; milliseconds that overflow with now added.
  EXPECT_EQ(ParseSetTime("10000000000000000", Unit::kSeconds, Base::kRelative, kNow, &d),
            TimeError::kInvalid);
  EXPECT_EQ(ParseSetTime("9223372036854776", Unit::kSeconds, Base::kAbsolute, kNow, &d),
            TimeError::kInvalid);
  EXPECT_EQ(ParseSetTime("9223372036854775807", Unit::kMilliseconds, Base::kRelative, kNow, &d),
            TimeError::kInvalid);
  const std::string last_ok = std::to_string(kMax - kNow);
  EXPECT_EQ(ParseSetTime(last_ok, Unit::kMilliseconds, Base::kRelative, kNow, &d),
            TimeError::kNone);
  EXPECT_EQ(d, kMax);
  EXPECT_EQ(ParseSetTime(std::to_string(kMax - kNow + 1), Unit::kMilliseconds, Base::kRelative,
                         kNow, &d),
            TimeError::kInvalid);
  for (const char* t : {"", "abc", "1.5", " 1", "99999999999999999999"}) {
    EXPECT_EQ(ParseSetTime(t, Unit::kSeconds, Base::kRelative, kNow, &d), TimeError::kNotInteger)
        << t;
  }
}

TEST(ParseExpireTime, AnySignButNoOverflow) {
  int64_t d = 0;
  EXPECT_EQ(ParseExpireTime("-1", Unit::kSeconds, Base::kRelative, kNow, &d), TimeError::kNone);
  EXPECT_EQ(d, kNow - 1'000);
  EXPECT_EQ(ParseExpireTime("0", Unit::kMilliseconds, Base::kRelative, kNow, &d),
            TimeError::kNone);
  EXPECT_EQ(d, kNow);
  EXPECT_EQ(ParseExpireTime("-9223372036854775808", Unit::kMilliseconds, Base::kAbsolute, kNow,
                            &d),
            TimeError::kNone);
  EXPECT_EQ(d, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ParseExpireTime("-9223372036854775", Unit::kSeconds, Base::kRelative, kNow, &d),
            TimeError::kNone);
  EXPECT_EQ(ParseExpireTime("-9223372036854776", Unit::kSeconds, Base::kRelative, kNow, &d),
            TimeError::kInvalid);
  EXPECT_EQ(ParseExpireTime("9223372036854776", Unit::kSeconds, Base::kAbsolute, kNow, &d),
            TimeError::kInvalid);
  EXPECT_EQ(ParseExpireTime("9223372036854775807", Unit::kSeconds, Base::kRelative, kNow, &d),
            TimeError::kInvalid);
  EXPECT_EQ(ParseExpireTime("9223372036854775807", Unit::kMilliseconds, Base::kRelative, kNow,
                            &d),
            TimeError::kInvalid);
  EXPECT_EQ(ParseExpireTime("9223372036854775807", Unit::kMilliseconds, Base::kAbsolute, kNow,
                            &d),
            TimeError::kNone);
  EXPECT_EQ(ParseExpireTime("", Unit::kSeconds, Base::kRelative, kNow, &d),
            TimeError::kNotInteger);
}

std::vector<std::string_view> Args(std::initializer_list<std::string_view> a) { return a; }

TEST(ParseStringOptions, SetAcceptsRedisCombinations) {
  StringOptions o;
  auto a = Args({"nx", "GET", "px", "100"});
  ASSERT_TRUE(ParseStringOptions(a, Command::kSet, &o));
  EXPECT_TRUE(o.nx && o.get && o.has_time && !o.xx);
  EXPECT_EQ(o.unit, Unit::kMilliseconds);
  EXPECT_EQ(o.base, Base::kRelative);
  EXPECT_EQ(o.time, "100");
  a = Args({"EX", "10", "EX", "20"});  // the same kind again: the last wins
  ASSERT_TRUE(ParseStringOptions(a, Command::kSet, &o));
  EXPECT_EQ(o.time, "20");
  a = Args({"KEEPTTL", "XX", "KEEPTTL"});
  ASSERT_TRUE(ParseStringOptions(a, Command::kSet, &o));
  EXPECT_TRUE(o.keepttl && o.xx && !o.has_time);
  a = Args({"EXAT", "5"});
  ASSERT_TRUE(ParseStringOptions(a, Command::kSet, &o));
  EXPECT_EQ(o.unit, Unit::kSeconds);
  EXPECT_EQ(o.base, Base::kAbsolute);
}

TEST(ParseStringOptions, SyntaxErrors) {
  StringOptions o;
  for (auto a : {Args({"NX", "XX"}), Args({"EX", "1", "PX", "1"}), Args({"EX", "1", "KEEPTTL"}),
                 Args({"KEEPTTL", "PXAT", "1"}), Args({"EX"}), Args({"PERSIST"}),
                 Args({"FOO"})}) {
    EXPECT_FALSE(ParseStringOptions(a, Command::kSet, &o)) << a[0];
  }
  for (auto a : {Args({"NX"}), Args({"XX"}), Args({"GET"}), Args({"KEEPTTL"}),
                 Args({"PERSIST", "EX", "1"}), Args({"EX", "1", "PERSIST"}), Args({"PXAT"})}) {
    EXPECT_FALSE(ParseStringOptions(a, Command::kGetex, &o)) << a[0];
  }
  auto a = Args({"persist", "PERSIST"});
  ASSERT_TRUE(ParseStringOptions(a, Command::kGetex, &o));
  EXPECT_TRUE(o.persist);
}

TEST(ExpireCondition, RedisRules) {
  ExpireCondition c;
  std::string error;
  auto a = Args({"nx", "xx"});
  EXPECT_FALSE(ParseExpireCondition(a, &c, &error));
  EXPECT_EQ(error, "ERR NX and XX, GT or LT options at the same time are not compatible");
  a = Args({"GT", "LT"});
  EXPECT_FALSE(ParseExpireCondition(a, &c, &error));
  EXPECT_EQ(error, "ERR GT and LT options at the same time are not compatible");
  a = Args({"GT", "bogus"});
  EXPECT_FALSE(ParseExpireCondition(a, &c, &error));
  EXPECT_EQ(error, "ERR Unsupported option bogus");

  a = Args({"GT"});
  ASSERT_TRUE(ParseExpireCondition(a, &c, &error));
  EXPECT_FALSE(c.Allows(kvstore::kNoExpiry, 100));  // no TTL is infinite
  EXPECT_FALSE(c.Allows(100, 100));
  EXPECT_TRUE(c.Allows(100, 101));
  a = Args({"LT"});
  ASSERT_TRUE(ParseExpireCondition(a, &c, &error));
  EXPECT_TRUE(c.Allows(kvstore::kNoExpiry, 100));
  EXPECT_FALSE(c.Allows(100, 100));
  EXPECT_TRUE(c.Allows(100, 99));
  a = Args({"LT", "XX"});
  ASSERT_TRUE(ParseExpireCondition(a, &c, &error));
  EXPECT_FALSE(c.Allows(kvstore::kNoExpiry, 100));
  a = Args({"NX"});
  ASSERT_TRUE(ParseExpireCondition(a, &c, &error));
  EXPECT_TRUE(c.Allows(kvstore::kNoExpiry, 100));
  EXPECT_FALSE(c.Allows(5, 100));
  a = Args({});
  ASSERT_TRUE(ParseExpireCondition(a, &c, &error));
  EXPECT_TRUE(c.Allows(5, 1));
}

}  // namespace
}  // namespace kvstore::server::expire_args
