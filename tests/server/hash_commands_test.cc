// Copyright (c) the kvstore developers.
//
// The hash commands through the command layer in process
// (command_fixture.h): exact RESP replies and error texts as redis-server
// 7.0 answers them, RESP3 maps and pairs, WRONGTYPE, the random replies'
// shapes, and that the writes survive a reopen of the store (each is logged
// as the op it made).

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "command_fixture.h"

namespace kvstore::server {
namespace {

using HashCommandsTest = CommandFixture;

TEST_F(HashCommandsTest, SetGetDelete) {
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2"}), Int(2));
  EXPECT_EQ(Run({"HSET", "h", "a", "x", "c", "3", "c", "4"}), Int(1));
  EXPECT_EQ(Run({"HGET", "h", "a"}), Bulk("x"));
  EXPECT_EQ(Run({"HGET", "h", "c"}), Bulk("4"));
  EXPECT_EQ(Run({"HGET", "h", "nope"}), "$-1\r\n");
  EXPECT_EQ(Run({"HGET", "none", "a"}), "$-1\r\n");
  EXPECT_EQ(Run({"HMGET", "h", "a", "nope", "b"}), "*3\r\n" + Bulk("x") + "$-1\r\n" + Bulk("2"));
  EXPECT_EQ(Run({"HMGET", "none", "a", "b"}), "*2\r\n$-1\r\n$-1\r\n");
  EXPECT_EQ(Run({"HLEN", "h"}), Int(3));
  EXPECT_EQ(Run({"HLEN", "none"}), Int(0));
  EXPECT_EQ(Run({"HSTRLEN", "h", "a"}), Int(1));
  EXPECT_EQ(Run({"HSTRLEN", "h", "nope"}), Int(0));
  EXPECT_EQ(Run({"HEXISTS", "h", "b"}), Int(1));
  EXPECT_EQ(Run({"HEXISTS", "h", "nope"}), Int(0));
  EXPECT_EQ(Run({"HDEL", "h", "a", "a", "nope"}), Int(1));
  EXPECT_EQ(Run({"HDEL", "none", "a"}), Int(0));
  EXPECT_EQ(Run({"HDEL", "h", "b", "c"}), Int(2));
  EXPECT_EQ(Run({"EXISTS", "h"}), Int(0));  // the last field removed the key
  EXPECT_EQ(Run({"HMSET", "h", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"TYPE", "h"}), "+hash\r\n");
  EXPECT_EQ(Run({"HSETNX", "h", "a", "2"}), Int(0));
  EXPECT_EQ(Run({"HSETNX", "h", "b", "2"}), Int(1));
  EXPECT_EQ(Run({"HGET", "h", "a"}), Bulk("1"));
  EXPECT_EQ(Err({"HSET", "h", "a", "1", "b"}), "ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(Err({"HMSET", "h", "a"}), "ERR wrong number of arguments for 'hmset' command");
  EXPECT_EQ(Err({"HMSET", "h", "a", "1", "b"}),
            "ERR wrong number of arguments for 'hmset' command");
}

TEST_F(HashCommandsTest, WrongType) {
  Run({"SET", "s", "x"});
  for (const auto& argv : std::vector<std::vector<std::string>>{{"HSET", "s", "a", "1"},
                                                                {"HGET", "s", "a"},
                                                                {"HMGET", "s", "a"},
                                                                {"HDEL", "s", "a"},
                                                                {"HLEN", "s"},
                                                                {"HGETALL", "s"},
                                                                {"HINCRBY", "s", "a", "1"},
                                                                {"HINCRBYFLOAT", "s", "a", "1"},
                                                                {"HRANDFIELD", "s"},
                                                                {"HRANDFIELD", "s", "2"},
                                                                {"HSCAN", "s", "0"},
                                                                {"HSETNX", "s", "a", "1"},
                                                                {"HKEYS", "s"},
                                                                {"HEXISTS", "s", "a"}}) {
    EXPECT_EQ(Err(argv), kWrongType) << argv[0];
  }
  EXPECT_EQ(Run({"GET", "s"}), Bulk("x"));
  Run({"HSET", "h", "a", "1"});
  EXPECT_EQ(Err({"GET", "h"}), kWrongType);
}

TEST_F(HashCommandsTest, GetallKeysValsResp2AndResp3) {
  Run({"HSET", "h", "a", "1", "b", "2"});
  EXPECT_EQ(Run({"HGETALL", "h"}), "*4\r\n" + Bulk("a") + Bulk("1") + Bulk("b") + Bulk("2"));
  EXPECT_EQ(Run({"HKEYS", "h"}), "*2\r\n" + Bulk("a") + Bulk("b"));
  EXPECT_EQ(Run({"HVALS", "h"}), "*2\r\n" + Bulk("1") + Bulk("2"));
  EXPECT_EQ(Run({"HGETALL", "none"}), "*0\r\n");
  client_.protocol = 3;
  EXPECT_EQ(Run({"HGETALL", "h"}), "%2\r\n" + Bulk("a") + Bulk("1") + Bulk("b") + Bulk("2"));
  EXPECT_EQ(Run({"HGETALL", "none"}), "%0\r\n");
  EXPECT_EQ(Run({"HKEYS", "none"}), "*0\r\n");
  EXPECT_EQ(Run({"HMGET", "none", "a"}), "*1\r\n_\r\n");
}

TEST_F(HashCommandsTest, Hincrby) {
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "5"}), Int(5));
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "-7"}), Int(-2));
  EXPECT_EQ(Run({"HGET", "h", "n"}), Bulk("-2"));
  Run({"HSET", "h", "s", "abc", "sp", " 1", "big", "9223372036854775807"});
  EXPECT_EQ(Err({"HINCRBY", "h", "s", "1"}), "ERR hash value is not an integer");
  EXPECT_EQ(Err({"HINCRBY", "h", "sp", "1"}), "ERR hash value is not an integer");
  EXPECT_EQ(Err({"HINCRBY", "h", "big", "1"}), "ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"HGET", "h", "big"}), Bulk("9223372036854775807"));
  EXPECT_EQ(Err({"HINCRBY", "h", "n", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"HINCRBY", "h", "n", "1.5"}), "ERR value is not an integer or out of range");
}

TEST_F(HashCommandsTest, Hincrbyfloat) {
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "1.5"}), Bulk("1.5"));
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "0.1"}), Bulk("1.6"));
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "-1.6"}), Bulk("0"));
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "i", "5.0e3"}), Bulk("5000"));
  Run({"HSET", "h", "s", "abc"});
  EXPECT_EQ(Err({"HINCRBYFLOAT", "h", "s", "1"}), "ERR hash value is not a float");
  EXPECT_EQ(Err({"HINCRBYFLOAT", "h", "f", "x"}), "ERR value is not a valid float");
  EXPECT_EQ(Err({"HINCRBYFLOAT", "h", "f", "nan"}), "ERR value is not a valid float");
  EXPECT_EQ(Err({"HINCRBYFLOAT", "h", "f", "inf"}), "ERR value is NaN or Infinity");
  Run({"HSET", "h", "m", "1e4932"});  // long double's range, as Redis's
  EXPECT_EQ(Err({"HINCRBYFLOAT", "h", "m", "1e4932"}),
            "ERR increment would produce NaN or Infinity");
  // Redis's %.17Lf formatting: 1e308 twice is 309 digits, no exponent.
  Run({"HINCRBYFLOAT", "h", "b", "1e308"});
  const std::string b = Run({"HINCRBYFLOAT", "h", "b", "1e308"});
  EXPECT_EQ(b.substr(0, 9), "$309\r\n199") << b;
}

TEST_F(HashCommandsTest, HrandfieldSingleAndErrors) {
  EXPECT_EQ(Run({"HRANDFIELD", "none"}), "$-1\r\n");
  EXPECT_EQ(Run({"HRANDFIELD", "none", "3"}), "*0\r\n");
  EXPECT_EQ(Run({"HRANDFIELD", "none", "-3", "WITHVALUES"}), "*0\r\n");
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  const std::set<std::string> fields = {Bulk("a"), Bulk("b"), Bulk("c")};
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(fields.count(Run({"HRANDFIELD", "h"})));
  EXPECT_EQ(Run({"HRANDFIELD", "h", "0"}), "*0\r\n");
  EXPECT_EQ(Err({"HRANDFIELD", "h", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"HRANDFIELD", "h", "-9223372036854775808"}),
            "ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(Err({"HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"}),
            "ERR value is out of range");
  EXPECT_EQ(Err({"HRANDFIELD", "h", "1", "WITHVALUE"}), "ERR syntax error");
  EXPECT_EQ(Err({"HRANDFIELD", "h", "1", "WITHVALUES", "x"}), "ERR syntax error");
}

TEST_F(HashCommandsTest, HrandfieldCounts) {
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  // Positive: distinct fields, at most all of them.
  std::vector<std::string> two = Bulks(Run({"HRANDFIELD", "h", "2"}));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_NE(two[0], two[1]);
  std::vector<std::string> all = Bulks(Run({"HRANDFIELD", "h", "10"}));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(all.size(), 3u);
  // Negative: exactly -count fields, repeats allowed.
  std::vector<std::string> many = Bulks(Run({"HRANDFIELD", "h", "-50"}));
  EXPECT_EQ(many.size(), 50u);
  EXPECT_EQ(std::set<std::string>(many.begin(), many.end()).size(), 3u);  // all seen: p ~ 1
  // WITHVALUES: each field followed by its own value.
  std::vector<std::string> pairs = Bulks(Run({"HRANDFIELD", "h", "-8", "WITHVALUES"}));
  ASSERT_EQ(pairs.size(), 16u);
  for (std::size_t i = 0; i < pairs.size(); i += 2) {
    EXPECT_EQ(pairs[i + 1], std::string(1, static_cast<char>('1' + (pairs[i][0] - 'a'))));
  }
  // RESP3: an array of [field, value] arrays.
  client_.protocol = 3;
  Run({"DEL", "h"});
  Run({"HSET", "h", "a", "1"});
  EXPECT_EQ(Run({"HRANDFIELD", "h", "-2", "WITHVALUES"}),
            "*2\r\n*2\r\n" + Bulk("a") + Bulk("1") + "*2\r\n" + Bulk("a") + Bulk("1"));
  EXPECT_EQ(Run({"HRANDFIELD", "h", "5", "withvalues"}), "*1\r\n*2\r\n" + Bulk("a") + Bulk("1"));
  EXPECT_EQ(Run({"HRANDFIELD", "h", "5"}), "*1\r\n" + Bulk("a"));
}

TEST_F(HashCommandsTest, HrandfieldOnLargeHash) {
  std::vector<std::string> argv = {"HSET", "big"};
  for (int i = 0; i < 300; ++i) {  // past hash-max-listpack-entries: a table
    argv.push_back("f" + std::to_string(i));
    argv.push_back("v" + std::to_string(i));
  }
  EXPECT_EQ(Run(argv), Int(300));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), Bulk("hashtable"));
  std::vector<std::string> got = Bulks(Run({"HRANDFIELD", "big", "100", "WITHVALUES"}));
  ASSERT_EQ(got.size(), 200u);
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < got.size(); i += 2) {
    distinct.insert(got[i]);
    EXPECT_EQ("v" + got[i].substr(1), got[i + 1]);
  }
  EXPECT_EQ(distinct.size(), 100u);
}

TEST_F(HashCommandsTest, Hscan) {
  Run({"HSET", "h", "a1", "1", "a2", "2", "b1", "3"});
  const std::string r = Run({"HSCAN", "h", "0", "MATCH", "a*", "COUNT", "1"});
  EXPECT_EQ(r.substr(0, 11), "*2\r\n" + Bulk("0"));
  std::vector<std::string> got = Bulks(r.substr(11));
  EXPECT_EQ(got, (std::vector<std::string>{"a1", "1", "a2", "2"}));
  EXPECT_EQ(Run({"HSCAN", "none", "0"}), "*2\r\n" + Bulk("0") + "*0\r\n");
  EXPECT_EQ(Err({"HSCAN", "h", "x"}), "ERR invalid cursor");
  EXPECT_EQ(Err({"HSCAN", "h", " 1"}), "ERR invalid cursor");
  EXPECT_EQ(Err({"HSCAN", "h", "18446744073709551616"}), "ERR invalid cursor");
  EXPECT_EQ(Err({"HSCAN", "h", "0", "COUNT", "0"}), "ERR syntax error");
  EXPECT_EQ(Err({"HSCAN", "h", "0", "COUNT", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"HSCAN", "h", "0", "TYPE", "string"}), "ERR syntax error");
  EXPECT_EQ(Err({"HSCAN", "h", "0", "MATCH"}), "ERR syntax error");
  // The empty field matches "*" (and only patterns that match "").
  Run({"HSET", "e", "", "v"});
  EXPECT_EQ(Run({"HSCAN", "e", "0"}), "*2\r\n" + Bulk("0") + "*2\r\n" + Bulk("") + Bulk("v"));
}

TEST_F(HashCommandsTest, WritesSurviveReopen) {
  Run({"HSET", "h", "a", "1", "b", "2"});
  Run({"HINCRBY", "h", "a", "10"});
  Run({"HINCRBYFLOAT", "h", "f", "2.5"});
  Run({"HDEL", "h", "b"});
  Run({"HSETNX", "h", "n", "x"});
  ASSERT_TRUE(store_->close());
  Options options;
  options.log_level = LogLevel::kOff;
  options.checkpoint.on_close = false;  // the reopen replays the WAL's ops
  auto reopened = KvStore::open_dir(dir_.path(), options);
  ASSERT_TRUE(reopened) << reopened.error().message();
  *store_ = std::move(reopened).value();
  EXPECT_EQ(Run({"HGETALL", "h"}),
            "*6\r\n" + Bulk("a") + Bulk("11") + Bulk("f") + Bulk("2.5") + Bulk("n") + Bulk("x"));
}

TEST_F(HashCommandsTest, InsideMulti) {
  Run({"HSET", "h", "a", "1"});
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"HINCRBY", "h", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"HGET", "h", "a"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"HSET", "h", "b", "2"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"HLEN", "h"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "*4\r\n" + Int(2) + Bulk("2") + Int(1) + Int(2));
}

}  // namespace
}  // namespace kvstore::server
