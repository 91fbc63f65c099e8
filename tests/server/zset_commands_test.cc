// Copyright (c) the kvstore developers.
//
// The sorted-set commands through the command layer in process
// (command_fixture.h): exact RESP replies and error texts as redis-server
// 7.0.15 answers them (checked side by side), the RESP3 shapes, the keys
// EXEC and COMMAND GETKEYS see for the numkeys commands, and the ops the
// commands log replaying to the same sorted sets. Also the interval parsing
// of zset_range.h.

#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "command_fixture.h"
#include "zset_range.h"

namespace kvstore::server {
namespace {

using ZsetCommandsTest = CommandFixture;

std::string B(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// An array of bulk strings.
std::string Arr(std::initializer_list<std::string> items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const auto& s : items) out += B(s);
  return out;
}

// RESP3 [member, score] pairs.
std::string Pairs3(std::initializer_list<std::pair<std::string, std::string>> items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const auto& [m, s] : items) out += "*2\r\n" + B(m) + "," + s + "\r\n";
  return out;
}

TEST_F(ZsetCommandsTest, ZaddOptions) {
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"}), Int(3));
  EXPECT_EQ(Run({"ZADD", "z", "10", "a", "20", "b", "1", "d"}), Int(1));  // only d is new
  EXPECT_EQ(Run({"ZADD", "z", "CH", "10", "a", "30", "b", "1", "e"}), Int(2));
  EXPECT_EQ(Run({"ZADD", "z", "NX", "99", "a", "5", "f"}), Int(1));
  EXPECT_EQ(Run({"ZSCORE", "z", "a"}), Bulk("10"));
  EXPECT_EQ(Run({"ZADD", "z", "XX", "CH", "11", "a", "5", "new"}), Int(1));
  EXPECT_EQ(Run({"ZSCORE", "z", "new"}), "$-1\r\n");
  // GT / LT move a score one way only, and still add new members.
  EXPECT_EQ(Run({"ZADD", "z", "GT", "CH", "5", "a", "40", "b", "7", "g"}), Int(2));
  EXPECT_EQ(Run({"ZSCORE", "z", "a"}), Bulk("11"));
  EXPECT_EQ(Run({"ZSCORE", "z", "b"}), Bulk("40"));
  EXPECT_EQ(Run({"ZADD", "z", "LT", "CH", "5", "a", "50", "b"}), Int(1));
  EXPECT_EQ(Run({"ZSCORE", "z", "a"}), Bulk("5"));
  // A member named twice: the second pair sees the first's outcome.
  EXPECT_EQ(Run({"ZADD", "q", "1", "m", "2", "m"}), Int(1));
  EXPECT_EQ(Run({"ZSCORE", "q", "m"}), Bulk("2"));
  // XX on an absent key creates nothing.
  EXPECT_EQ(Run({"ZADD", "none", "XX", "1", "m"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "none"}), Int(0));

  EXPECT_EQ(Err({"ZADD", "z", "1", "a", "2"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZADD", "z", "nx", "xx", "1", "a"}),
            "ERR XX and NX options at the same time are not compatible");
  EXPECT_EQ(Err({"ZADD", "z", "gt", "lt", "1", "a"}),
            "ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(Err({"ZADD", "z", "nx", "gt", "1", "a"}),
            "ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(Err({"ZADD", "z", "incr", "1", "a", "2", "b"}),
            "ERR INCR option supports a single increment-element pair");
  for (const char* bad : {"nan", "abc", " 1", "1e400", "", "1.5x"}) {
    EXPECT_EQ(Err({"ZADD", "z", bad, "a"}), "ERR value is not a valid float") << bad;
  }
  EXPECT_EQ(Err({"ZADD", "z", "incr"}), "ERR wrong number of arguments for 'zadd' command");
}

TEST_F(ZsetCommandsTest, IncrAndNan) {
  EXPECT_EQ(Run({"ZINCRBY", "z", "1.5", "a"}), Bulk("1.5"));
  EXPECT_EQ(Run({"ZINCRBY", "z", "0.1", "a"}), Bulk("1.6000000000000001"));
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "-2", "a"}), Bulk("-0.39999999999999991"));
  EXPECT_EQ(Run({"ZADD", "z", "NX", "INCR", "1", "a"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "XX", "INCR", "1", "b"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "GT", "INCR", "-1", "a"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "+inf", "inf"}), Bulk("inf"));
  EXPECT_EQ(Err({"ZINCRBY", "z", "-inf", "inf"}), "ERR resulting score is not a number (NaN)");
  EXPECT_EQ(Run({"ZSCORE", "z", "inf"}), Bulk("inf"));
  EXPECT_EQ(Err({"ZINCRBY", "z", "x", "a"}), "ERR value is not a valid float");
  // -0 is kept as 0, as Redis's listpack keeps it.
  EXPECT_EQ(Run({"ZADD", "n", "-0.0", "m"}), Int(1));
  EXPECT_EQ(Run({"ZSCORE", "n", "m"}), Bulk("0"));
}

TEST_F(ZsetCommandsTest, MemberReads) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "0.1", "d"});
  EXPECT_EQ(Run({"ZCARD", "z"}), Int(4));
  EXPECT_EQ(Run({"ZCARD", "none"}), Int(0));
  EXPECT_EQ(Run({"ZSCORE", "z", "d"}), Bulk("0.10000000000000001"));
  EXPECT_EQ(Run({"ZMSCORE", "z", "a", "nope", "c"}), "*3\r\n" + Bulk("1") + "$-1\r\n" + Bulk("3"));
  EXPECT_EQ(Run({"ZMSCORE", "none", "a"}), "*1\r\n$-1\r\n");
  EXPECT_EQ(Run({"ZRANK", "z", "d"}), Int(0));
  EXPECT_EQ(Run({"ZRANK", "z", "c"}), Int(3));
  EXPECT_EQ(Run({"ZREVRANK", "z", "c"}), Int(0));
  EXPECT_EQ(Run({"ZRANK", "z", "nope"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZREM", "z", "a", "a", "nope"}), Int(1));
  EXPECT_EQ(Run({"ZREM", "z", "b", "c", "d"}), Int(3));
  EXPECT_EQ(Run({"EXISTS", "z"}), Int(0));  // the last member took the key with it
}

TEST_F(ZsetCommandsTest, RangesByRankScoreAndLex) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "-inf", "lo", "+inf", "hi"});
  EXPECT_EQ(Run({"ZRANGE", "z", "1", "2", "WITHSCORES"}), Arr({"a", "1", "b", "2"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "-2", "100"}), Arr({"e", "hi"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "5", "1"}), Arr({}));
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1", "REV", "WITHSCORES"}), Arr({"hi", "inf", "e", "5"}));
  EXPECT_EQ(Run({"ZREVRANGE", "z", "1", "2"}), Arr({"e", "d"}));
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "(1", "3"}), Arr({"b", "c"}));
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "-inf", "(1", "WITHSCORES"}), Arr({"lo", "-inf"}));
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "2", "2"}), Arr({"b", "c"}));
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "5", "-1"}), Arr({"e", "hi"}));
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"}), Arr({}));
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "0"}), Arr({}));
  EXPECT_EQ(Run({"ZREVRANGEBYSCORE", "z", "4", "(2"}), Arr({"d", "c"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "(5", "2", "BYSCORE", "REV", "LIMIT", "1", "5"}), Arr({"c", "b"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "3", "3", "BYSCORE"}), Arr({"c"}));
  EXPECT_EQ(Run({"ZRANGE", "z", "(3", "3", "BYSCORE"}), Arr({}));
  EXPECT_EQ(Run({"ZCOUNT", "z", "(1", "(5"}), Int(3));
  EXPECT_EQ(Run({"ZCOUNT", "z", "-inf", "+inf"}), Int(7));
  EXPECT_EQ(Run({"ZCOUNT", "z", "", "("}), Int(0));  // strtod's syntax: both are 0

  Run({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ff"});
  EXPECT_EQ(Run({"ZRANGEBYLEX", "lex", "[b", "(e"}), Arr({"b", "c", "d"}));
  EXPECT_EQ(Run({"ZRANGEBYLEX", "lex", "(b", "+", "LIMIT", "1", "2"}), Arr({"d", "e"}));
  EXPECT_EQ(Run({"ZREVRANGEBYLEX", "lex", "+", "[e"}), Arr({"ff", "e"}));
  EXPECT_EQ(Run({"ZRANGE", "lex", "[f", "(b", "BYLEX", "REV"}), Arr({"e", "d", "c"}));
  EXPECT_EQ(Run({"ZLEXCOUNT", "lex", "-", "+"}), Int(6));
  EXPECT_EQ(Run({"ZLEXCOUNT", "lex", "+", "-"}), Int(0));
  EXPECT_EQ(Run({"ZLEXCOUNT", "lex", "[a", "(a"}), Int(0));
  EXPECT_EQ(Run({"ZRANGE", "none", "0", "-1"}), Arr({}));

  EXPECT_EQ(Err({"ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"}),
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX");
  EXPECT_EQ(Err({"ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"}),
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  EXPECT_EQ(Err({"ZRANGE", "z", "0", "1", "REV", "REV"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZRANGE", "z", "0", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "0", "x"}),
            "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"ZRANGEBYSCORE", "z", "x", "1"}), "ERR min or max is not a float");
  EXPECT_EQ(Err({"ZCOUNT", "z", "nan", "1"}), "ERR min or max is not a float");
  EXPECT_EQ(Err({"ZRANGEBYLEX", "lex", "a", "+"}), "ERR min or max not valid string range item");
  EXPECT_EQ(Err({"ZLEXCOUNT", "lex", "-x", "+"}), "ERR min or max not valid string range item");
}

TEST_F(ZsetCommandsTest, Resp3Shapes) {
  Run({"ZADD", "z", "1", "a", "2.5", "b", "3", "c"});
  client_.protocol.store(3);
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1", "WITHSCORES"}), Pairs3({{"a", "1"}, {"b", "2.5"}}));
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1"}), Arr({"a", "b"}));
  EXPECT_EQ(Run({"ZSCORE", "z", "b"}), ",2.5\r\n");
  EXPECT_EQ(Run({"ZMSCORE", "z", "a", "x"}), "*2\r\n,1\r\n_\r\n");
  EXPECT_EQ(Run({"ZINCRBY", "z", "1", "a"}), ",2\r\n");
  EXPECT_EQ(Run({"ZADD", "z", "NX", "INCR", "1", "a"}), "_\r\n");
  EXPECT_EQ(Run({"ZUNION", "1", "z", "WITHSCORES"}),
            Pairs3({{"a", "2"}, {"b", "2.5"}, {"c", "3"}}));
  // ZSCAN's scores stay bulk strings.
  EXPECT_EQ(Run({"ZSCAN", "z", "0", "MATCH", "b"}), "*2\r\n" + Bulk("0") + Arr({"b", "2.5"}));
  // A pop without a count is flat; with one, pairs.
  EXPECT_EQ(Run({"ZPOPMIN", "z"}), "*2\r\n" + Bulk("a") + ",2\r\n");
  EXPECT_EQ(Run({"ZPOPMAX", "z", "1"}), Pairs3({{"c", "3"}}));
  EXPECT_EQ(Run({"ZMPOP", "1", "z", "MIN"}), "*2\r\n" + Bulk("z") + Pairs3({{"b", "2.5"}}));
  EXPECT_EQ(Run({"ZMPOP", "1", "z", "MIN"}), "_\r\n");
}

TEST_F(ZsetCommandsTest, Zrangestore) {
  Run({"ZADD", "src", "1", "a", "2", "b", "3", "c", "4", "d"});
  Run({"SET", "dst", "string"});
  EXPECT_EQ(Run({"ZRANGESTORE", "dst", "src", "1", "2"}), Int(2));
  EXPECT_EQ(Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), Arr({"b", "2", "c", "3"}));
  EXPECT_EQ(Run({"ZRANGESTORE", "dst", "src", "(4", "1", "BYSCORE", "REV", "LIMIT", "1", "1"}),
            Int(1));
  EXPECT_EQ(Run({"ZRANGE", "dst", "0", "-1"}), Arr({"b"}));
  EXPECT_EQ(Run({"ZRANGESTORE", "dst", "src", "[a", "[b", "BYLEX"}), Int(2));
  // An empty result deletes the destination; so does an absent source.
  EXPECT_EQ(Run({"ZRANGESTORE", "dst", "src", "10", "20"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "dst"}), Int(0));
  Run({"ZADD", "dst", "1", "x"});
  EXPECT_EQ(Run({"ZRANGESTORE", "dst", "none", "0", "-1"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "dst"}), Int(0));
  // The source may be the destination.
  EXPECT_EQ(Run({"ZRANGESTORE", "src", "src", "0", "1"}), Int(2));
  EXPECT_EQ(Run({"ZRANGE", "src", "0", "-1"}), Arr({"a", "b"}));
  EXPECT_EQ(Err({"ZRANGESTORE", "dst", "src", "0", "-1", "WITHSCORES"}), "ERR syntax error");
  Run({"SET", "str", "x"});
  EXPECT_EQ(Err({"ZRANGESTORE", "dst", "str", "0", "-1"}), kWrongType);
}

TEST_F(ZsetCommandsTest, RemoveRanges) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"});
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "0", "1"}), Int(2));
  EXPECT_EQ(Run({"ZREMRANGEBYSCORE", "z", "(3", "5"}), Int(2));
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "-1"}), Arr({"c", "f"}));
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "5", "10"}), Int(0));
  EXPECT_EQ(Run({"ZREMRANGEBYSCORE", "none", "0", "1"}), Int(0));
  Run({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"});
  EXPECT_EQ(Run({"ZREMRANGEBYLEX", "lex", "(a", "[c"}), Int(2));
  EXPECT_EQ(Run({"ZRANGE", "lex", "0", "-1"}), Arr({"a", "d"}));
  EXPECT_EQ(Run({"ZREMRANGEBYLEX", "lex", "-", "+"}), Int(2));
  EXPECT_EQ(Run({"EXISTS", "lex"}), Int(0));
  EXPECT_EQ(Err({"ZREMRANGEBYRANK", "z", "x", "1"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"ZREMRANGEBYSCORE", "z", "x", "1"}), "ERR min or max is not a float");
  EXPECT_EQ(Err({"ZREMRANGEBYLEX", "z", "x", "1"}), "ERR min or max not valid string range item");
}

TEST_F(ZsetCommandsTest, Pops) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  EXPECT_EQ(Run({"ZPOPMIN", "z"}), Arr({"a", "1"}));
  EXPECT_EQ(Run({"ZPOPMAX", "z", "2"}), Arr({"d", "4", "c", "3"}));
  EXPECT_EQ(Run({"ZPOPMIN", "z", "0"}), Arr({}));
  EXPECT_EQ(Run({"ZPOPMIN", "z", "10"}), Arr({"b", "2"}));
  EXPECT_EQ(Run({"EXISTS", "z"}), Int(0));
  EXPECT_EQ(Run({"ZPOPMIN", "z"}), Arr({}));
  EXPECT_EQ(Err({"ZPOPMIN", "z", "-1"}), "ERR value is out of range, must be positive");
  EXPECT_EQ(Err({"ZPOPMIN", "z", "x"}), "ERR value is out of range, must be positive");
  EXPECT_EQ(Err({"ZPOPMIN", "z", "1", "2"}), "ERR syntax error");
  Run({"SET", "str", "x"});
  EXPECT_EQ(Err({"ZPOPMIN", "str", "0"}), kWrongType);  // the type is checked before the count

  Run({"ZADD", "z2", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Run({"ZMPOP", "2", "none", "z2", "MAX", "COUNT", "2"}),
            "*2\r\n" + Bulk("z2") + "*2\r\n" + Arr({"c", "3"}) + Arr({"b", "2"}));
  EXPECT_EQ(Run({"ZMPOP", "1", "none", "MIN"}), "*-1\r\n");
  EXPECT_EQ(Err({"ZMPOP", "2", "str", "z2", "MIN"}), kWrongType);
  EXPECT_EQ(Err({"ZMPOP", "0", "z2", "MIN"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(Err({"ZMPOP", "1", "z2", "MIN", "COUNT", "0"}), "ERR count should be greater than 0");
  EXPECT_EQ(Err({"ZMPOP", "1", "z2", "MIN", "COUNT", "1", "COUNT", "1"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZMPOP", "1", "z2", "MID"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZMPOP", "5", "z2", "MIN"}), "ERR syntax error");
}

TEST_F(ZsetCommandsTest, SetAlgebra) {
  Run({"ZADD", "z1", "1", "a", "2", "b", "3", "c"});
  Run({"ZADD", "z2", "10", "b", "20", "c", "30", "d"});
  EXPECT_EQ(Run({"ZUNION", "2", "z1", "z2", "WITHSCORES"}),
            Arr({"a", "1", "b", "12", "c", "23", "d", "30"}));
  EXPECT_EQ(
      Run({"ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES"}),
      Arr({"a", "2", "b", "5", "c", "10", "d", "15"}));
  EXPECT_EQ(Run({"ZINTER", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES"}),
            Arr({"b", "2", "c", "3"}));
  EXPECT_EQ(Run({"ZINTER", "3", "z1", "z2", "none"}), Arr({}));
  EXPECT_EQ(Run({"ZDIFF", "2", "z1", "z2", "WITHSCORES"}), Arr({"a", "1"}));
  EXPECT_EQ(Run({"ZDIFF", "2", "z1", "none"}), Arr({"a", "b", "c"}));
  EXPECT_EQ(Run({"ZINTERCARD", "2", "z1", "z2"}), Int(2));
  EXPECT_EQ(Run({"ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"}), Int(1));
  EXPECT_EQ(Run({"ZINTERCARD", "2", "z1", "none"}), Int(0));

  // The STORE forms replace the destination (a source too, here); an empty
  // result deletes it.
  EXPECT_EQ(Run({"ZINTERSTORE", "z1", "2", "z1", "z2", "WEIGHTS", "1", "-1"}), Int(2));
  EXPECT_EQ(Run({"ZRANGE", "z1", "0", "-1", "WITHSCORES"}), Arr({"c", "-17", "b", "-8"}));
  Run({"SET", "dst", "x"});
  EXPECT_EQ(Run({"ZUNIONSTORE", "dst", "2", "z1", "none"}), Int(2));
  EXPECT_EQ(Run({"TYPE", "dst"}), "+zset\r\n");
  EXPECT_EQ(Run({"ZDIFFSTORE", "dst", "2", "z1", "z1"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "dst"}), Int(0));

  // inf + -inf sums to 0; 0 * inf is 0.
  Run({"ZADD", "zi", "inf", "a", "-inf", "b"});
  Run({"ZADD", "zj", "-inf", "a", "inf", "b"});
  EXPECT_EQ(Run({"ZUNION", "2", "zi", "zj", "WITHSCORES"}), Arr({"a", "0", "b", "0"}));
  EXPECT_EQ(Run({"ZUNION", "1", "zi", "WEIGHTS", "0", "WITHSCORES"}), Arr({"a", "0", "b", "0"}));

  EXPECT_EQ(Err({"ZUNION", "0", "z1"}), "ERR at least 1 input key is needed for 'zunion' command");
  EXPECT_EQ(Err({"ZUNIONSTORE", "d", "0", "z1"}),
            "ERR at least 1 input key is needed for 'zunionstore' command");
  EXPECT_EQ(Err({"ZUNION", "x", "z1"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"ZUNION", "3", "z1", "z2"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZUNION", "1", "z1", "WEIGHTS", "x"}), "ERR weight value is not a float");
  EXPECT_EQ(Err({"ZUNION", "1", "z1", "AGGREGATE", "avg"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZDIFF", "1", "z1", "WEIGHTS", "1"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZUNIONSTORE", "d", "1", "z1", "WITHSCORES"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZINTERCARD", "1", "z1", "LIMIT", "-1"}), "ERR LIMIT can't be negative");
  EXPECT_EQ(Err({"ZINTERCARD", "1", "z1", "LIMIT"}), "ERR syntax error");
  // A source of another type is answered before a bad option.
  Run({"SET", "str", "x"});
  EXPECT_EQ(Err({"ZUNION", "2", "z1", "str", "WEIGHTS", "x", "y"}), kWrongType);
}

TEST_F(ZsetCommandsTest, SetsAsSources) {
  // Plain sets (made through the store: SADD is another file's) score 1.
  ASSERT_TRUE(store_->update({"s"}, [](Transaction& tx) {
    const std::vector<std::string_view> members = {"a", "b", "x"};
    tx.apply("s", OpCode::kSetAdd, members);
  }));
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Run({"ZUNION", "2", "z", "s", "WEIGHTS", "1", "3", "WITHSCORES"}),
            Arr({"c", "3", "x", "3", "a", "4", "b", "5"}));
  EXPECT_EQ(Run({"ZINTER", "2", "s", "z", "WITHSCORES"}), Arr({"a", "2", "b", "3"}));
  EXPECT_EQ(Run({"ZDIFF", "2", "s", "z", "WITHSCORES"}), Arr({"x", "1"}));
  EXPECT_EQ(Run({"ZINTERCARD", "2", "s", "z"}), Int(2));
  EXPECT_EQ(Run({"ZDIFFSTORE", "d", "2", "s", "z"}), Int(1));
  EXPECT_EQ(Run({"ZSCORE", "d", "x"}), Bulk("1"));
  // Only the set-algebra commands take a set.
  EXPECT_EQ(Err({"ZRANGE", "s", "0", "-1"}), kWrongType);
}

TEST_F(ZsetCommandsTest, Zrandmember) {
  EXPECT_EQ(Run({"ZRANDMEMBER", "none"}), "$-1\r\n");
  EXPECT_EQ(Run({"ZRANDMEMBER", "none", "5"}), Arr({}));
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  EXPECT_EQ(Run({"ZRANDMEMBER", "z", "0"}), Arr({}));
  EXPECT_EQ(Run({"ZRANDMEMBER", "z", "10", "WITHSCORES"}),
            Arr({"a", "1", "b", "2", "c", "3", "d", "4", "e", "5"}));
  const std::set<std::string> members = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 20; ++i) {
    const std::string one = Run({"ZRANDMEMBER", "z"});
    EXPECT_TRUE(members.count(one.substr(4, 1)) == 1 && one.size() == 7) << one;
    // A positive count gives distinct members.
    const std::string three = Run({"ZRANDMEMBER", "z", "3"});
    ASSERT_EQ(three.substr(0, 4), "*3\r\n");
    std::set<std::string> seen;
    for (std::size_t p = 4; p < three.size(); p += 7) seen.insert(three.substr(p + 4, 1));
    EXPECT_EQ(seen.size(), 3u) << three;
    for (const auto& m : seen) EXPECT_EQ(members.count(m), 1u) << m;
  }
  // A negative count may repeat members: 50 picks of 5 members must.
  const std::string many = Run({"ZRANDMEMBER", "z", "-50"});
  ASSERT_EQ(many.substr(0, 5), "*50\r\n");
  std::set<std::string> seen;
  for (std::size_t p = 5; p < many.size(); p += 7) seen.insert(many.substr(p + 4, 1));
  EXPECT_LE(seen.size(), 5u);
  EXPECT_EQ(Run({"ZRANDMEMBER", "z", "-1", "WITHSCORES"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(Err({"ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"}),
            "ERR value is out of range");
  EXPECT_EQ(Err({"ZRANDMEMBER", "z", "-9223372036854775808"}),
            "ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(Err({"ZRANDMEMBER", "z", "1", "bogus"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZRANDMEMBER", "z", "x"}), "ERR value is not an integer or out of range");
}

TEST_F(ZsetCommandsTest, Zscan) {
  Run({"ZADD", "z", "1", "ab", "2.5", "ac", "3", "b"});
  EXPECT_EQ(Run({"ZSCAN", "z", "0"}),
            "*2\r\n" + Bulk("0") + Arr({"ab", "1", "ac", "2.5", "b", "3"}));
  EXPECT_EQ(Run({"ZSCAN", "z", "0", "MATCH", "a*", "COUNT", "1"}),
            "*2\r\n" + Bulk("0") + Arr({"ab", "1", "ac", "2.5"}));
  // Options are checked only for a present key, after the cursor.
  EXPECT_EQ(Run({"ZSCAN", "none", "0", "bogus"}), "*2\r\n" + Bulk("0") + Arr({}));
  EXPECT_EQ(Err({"ZSCAN", "z", "x"}), "ERR invalid cursor");
  EXPECT_EQ(Err({"ZSCAN", "z", "0", "COUNT", "0"}), "ERR syntax error");
  EXPECT_EQ(Err({"ZSCAN", "z", "0", "COUNT", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"ZSCAN", "z", "0", "TYPE", "zset"}), "ERR syntax error");
}

TEST_F(ZsetCommandsTest, WrongType) {
  Run({"SET", "s", "x"});
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"ZADD", "s", "1", "a"},
           {"ZINCRBY", "s", "1", "a"},
           {"ZREM", "s", "a"},
           {"ZCARD", "s"},
           {"ZSCORE", "s", "a"},
           {"ZMSCORE", "s", "a"},
           {"ZRANK", "s", "a"},
           {"ZCOUNT", "s", "0", "1"},
           {"ZLEXCOUNT", "s", "-", "+"},
           {"ZRANGE", "s", "0", "1"},
           {"ZRANGEBYSCORE", "s", "0", "1"},
           {"ZREVRANGEBYLEX", "s", "+", "-"},
           {"ZREMRANGEBYRANK", "s", "0", "1"},
           {"ZPOPMAX", "s"},
           {"ZRANDMEMBER", "s"},
           {"ZRANDMEMBER", "s", "0"},
           {"ZSCAN", "s", "0"},
           {"ZINTERCARD", "1", "s"},
       }) {
    EXPECT_EQ(Err(cmd), kWrongType) << cmd[0];
  }
  EXPECT_EQ(Run({"GET", "s"}), Bulk("x"));
}

TEST_F(ZsetCommandsTest, NumkeysCommandsNameTheirKeys) {
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}),
            Arr({"d", "a", "b"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ZUNION", "2", "a", "b", "WITHSCORES"}), Arr({"a", "b"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ZMPOP", "1", "a", "MIN"}), Arr({"a"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ZINTERCARD", "2", "a", "b"}), Arr({"a", "b"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0", "1"}), Arr({"d", "s"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "EVAL", "return 1", "1", "k", "arg"}), Arr({"k"}));

  // EXEC holds every key these commands touch.
  Run({"ZADD", "a", "1", "x"});
  Run({"ZADD", "b", "2", "x", "3", "y"});
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"ZUNIONSTORE", "d", "2", "a", "b"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"ZMPOP", "2", "none", "d", "MIN"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"ZINTER", "2", "a", "b", "WITHSCORES"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "*3\r\n" + Int(2) + "*2\r\n" + Bulk("d") + "*1\r\n" + Arr({"x", "3"}) +
                               Arr({"x", "3"}));
  EXPECT_EQ(Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}), Arr({"y", "3"}));
}

TEST_F(ZsetCommandsTest, LoggedOpsReplay) {
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  Run({"ZINCRBY", "z", "0.5", "a"});
  Run({"ZPOPMAX", "z"});
  Run({"ZADD", "w", "5", "a", "7", "q"});
  Run({"ZUNIONSTORE", "u", "2", "z", "w", "AGGREGATE", "MAX"});
  Run({"ZREMRANGEBYSCORE", "w", "7", "7"});
  const std::string before = Run({"ZRANGE", "u", "0", "-1", "WITHSCORES"}) +
                             Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) +
                             Run({"ZRANGE", "w", "0", "-1", "WITHSCORES"});
  EXPECT_EQ(before,
            Arr({"b", "2", "a", "5", "q", "7"}) + Arr({"a", "1.5", "b", "2"}) + Arr({"a", "5"}));
  // Reopen the store: the WAL alone must rebuild the same sorted sets.
  dispatcher_.reset();
  durability_.reset();
  state_.reset();
  ASSERT_TRUE(store_->close());
  store_.reset();
  SetUp();
  const std::string after = Run({"ZRANGE", "u", "0", "-1", "WITHSCORES"}) +
                            Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}) +
                            Run({"ZRANGE", "w", "0", "-1", "WITHSCORES"});
  EXPECT_EQ(after, before);
}

TEST(ZsetRange, ScoreIntervals) {
  ScoreRange r;
  ASSERT_TRUE(ParseScoreRange("(1.5", "+inf", &r));
  EXPECT_TRUE(r.min_exclusive);
  EXPECT_FALSE(r.AboveMin(1.5));
  EXPECT_TRUE(r.AboveMin(1.6));
  EXPECT_TRUE(r.BelowMax(std::numeric_limits<double>::infinity()));
  ASSERT_TRUE(ParseScoreRange("-inf", "(-inf", &r));
  EXPECT_TRUE(r.Empty());
  ASSERT_TRUE(ParseScoreRange("3", "2", &r));
  EXPECT_TRUE(r.Empty());
  ASSERT_TRUE(ParseScoreRange("2", "2", &r));
  EXPECT_FALSE(r.Empty());
  ASSERT_TRUE(ParseScoreRange("0x10", "1e3", &r));  // strtod's syntax
  EXPECT_EQ(r.min, 16);
  for (const char* bad : {"nan", "(nan", "1x", "((1", " 1 "}) {
    EXPECT_FALSE(ParseScoreRange(bad, "1", &r)) << bad;
  }
}

TEST(ZsetRange, LexIntervals) {
  LexRange r;
  ASSERT_TRUE(ParseLexRange("[b", "(d", &r));
  EXPECT_FALSE(r.AboveMin("a"));
  EXPECT_TRUE(r.AboveMin("b"));
  EXPECT_TRUE(r.BelowMax("c"));
  EXPECT_FALSE(r.BelowMax("d"));
  EXPECT_TRUE(r.BelowMax(std::string_view("\x00", 1)));
  ASSERT_TRUE(ParseLexRange("-", "+", &r));
  EXPECT_FALSE(r.Empty());
  EXPECT_TRUE(r.AboveMin(""));
  ASSERT_TRUE(ParseLexRange("+", "+", &r));
  EXPECT_TRUE(r.Empty());
  ASSERT_TRUE(ParseLexRange("[a", "(a", &r));
  EXPECT_TRUE(r.Empty());
  ASSERT_TRUE(ParseLexRange("[a", "[a", &r));
  EXPECT_FALSE(r.Empty());
  ASSERT_TRUE(ParseLexRange("(", "[", &r));  // the empty member, exclusive and inclusive
  EXPECT_TRUE(r.Empty());
  for (const char* bad : {"a", "", "+a", "--"}) {
    EXPECT_FALSE(ParseLexRange(bad, "+", &r)) << bad;
  }
}

}  // namespace
}  // namespace kvstore::server
