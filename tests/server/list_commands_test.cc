// Copyright (c) the kvstore developers.
//
// The list commands through the command layer in process
// (command_fixture.h): exact RESP replies and error texts, as redis-server
// 7.0 answers them (checked side by side), in RESP2 and RESP3 where the
// framing differs, inside MULTI/EXEC, and the state a restart replays from
// the WAL.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command_fixture.h"

namespace kvstore::server {
namespace {

using ListCommandsTest = CommandFixture;

constexpr char kNotInt[] = "ERR value is not an integer or out of range";

// The RESP array of bulk strings `elements`.
std::string Array(const std::vector<std::string>& elements) {
  std::string out = "*" + std::to_string(elements.size()) + "\r\n";
  for (const auto& e : elements) out += "$" + std::to_string(e.size()) + "\r\n" + e + "\r\n";
  return out;
}

TEST_F(ListCommandsTest, PushAndLength) {
  EXPECT_EQ(Run({"LPUSH", "l", "a", "b"}), Int(2));
  EXPECT_EQ(Run({"RPUSH", "l", "c"}), Int(3));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"b", "a", "c"}));
  EXPECT_EQ(Run({"LLEN", "l"}), Int(3));
  EXPECT_EQ(Run({"LLEN", "none"}), Int(0));
  EXPECT_EQ(Run({"LPUSHX", "none", "a"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "none"}), Int(0));
  EXPECT_EQ(Run({"RPUSHX", "l", "d", "e"}), Int(5));
  EXPECT_EQ(Run({"LPUSHX", "l", "z"}), Int(6));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"z", "b", "a", "c", "d", "e"}));
  EXPECT_EQ(Run({"TYPE", "l"}), "+list\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "l"}), Bulk("quicklist"));
  EXPECT_EQ(Err({"LPUSH", "l"}), "ERR wrong number of arguments for 'lpush' command");
  Run({"SET", "s", "x"});
  EXPECT_EQ(Err({"LPUSH", "s", "a"}), kWrongType);
  EXPECT_EQ(Err({"RPUSHX", "s", "a"}), kWrongType);
  EXPECT_EQ(Err({"LLEN", "s"}), kWrongType);
  EXPECT_EQ(Err({"GET", "l"}), kWrongType);
}

TEST_F(ListCommandsTest, PopWithAndWithoutCount) {
  Run({"RPUSH", "l", "a", "b", "c", "d"});
  EXPECT_EQ(Run({"LPOP", "l"}), Bulk("a"));
  EXPECT_EQ(Run({"RPOP", "l"}), Bulk("d"));
  EXPECT_EQ(Run({"LPOP", "l", "0"}), "*0\r\n");
  EXPECT_EQ(Run({"RPOP", "l", "5"}), Array({"c", "b"}));
  EXPECT_EQ(Run({"EXISTS", "l"}), Int(0));  // the last pop removed the key
  // Missing key: nil without a count, a null array with one (even 0).
  EXPECT_EQ(Run({"LPOP", "l"}), "$-1\r\n");
  EXPECT_EQ(Run({"LPOP", "l", "2"}), "*-1\r\n");
  EXPECT_EQ(Run({"RPOP", "l", "0"}), "*-1\r\n");
  EXPECT_EQ(Err({"LPOP", "l", "-1"}), "ERR value is out of range, must be positive");
  EXPECT_EQ(Err({"LPOP", "l", "x"}), kNotInt);
  EXPECT_EQ(Err({"LPOP", "l", "1", "2"}), "ERR wrong number of arguments for 'lpop' command");
  Run({"SET", "s", "x"});
  EXPECT_EQ(Err({"RPOP", "s"}), kWrongType);
  client_.protocol.store(3);
  EXPECT_EQ(Run({"LPOP", "l"}), "_\r\n");
  EXPECT_EQ(Run({"LPOP", "l", "2"}), "_\r\n");
}

TEST_F(ListCommandsTest, IndexSetInsert) {
  Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"LINDEX", "l", "0"}), Bulk("a"));
  EXPECT_EQ(Run({"LINDEX", "l", "-1"}), Bulk("c"));
  EXPECT_EQ(Run({"LINDEX", "l", "3"}), "$-1\r\n");
  EXPECT_EQ(Run({"LINDEX", "l", "-4"}), "$-1\r\n");
  EXPECT_EQ(Run({"LINDEX", "none", "x"}), "$-1\r\n");  // the key is looked up first
  EXPECT_EQ(Err({"LINDEX", "l", "x"}), kNotInt);

  EXPECT_EQ(Run({"LSET", "l", "-1", "C"}), "+OK\r\n");
  EXPECT_EQ(Run({"LSET", "l", "0", "A"}), "+OK\r\n");
  EXPECT_EQ(Err({"LSET", "l", "3", "x"}), "ERR index out of range");
  EXPECT_EQ(Err({"LSET", "l", "-4", "x"}), "ERR index out of range");
  EXPECT_EQ(Err({"LSET", "none", "x", "x"}), "ERR no such key");
  EXPECT_EQ(Err({"LSET", "l", "x", "x"}), kNotInt);

  EXPECT_EQ(Run({"LINSERT", "l", "BEFORE", "A", "0"}), Int(4));
  EXPECT_EQ(Run({"LINSERT", "l", "after", "C", "9"}), Int(5));
  EXPECT_EQ(Run({"LINSERT", "l", "AFTER", "b", "b2"}), Int(6));
  EXPECT_EQ(Run({"LINSERT", "l", "before", "zz", "x"}), Int(-1));
  EXPECT_EQ(Run({"LINSERT", "none", "before", "a", "x"}), Int(0));
  EXPECT_EQ(Err({"LINSERT", "l", "middle", "a", "x"}), "ERR syntax error");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"0", "A", "b", "b2", "C", "9"}));
  Run({"SET", "s", "x"});
  EXPECT_EQ(Err({"LINSERT", "s", "before", "a", "x"}), kWrongType);
  EXPECT_EQ(Err({"LSET", "s", "0", "x"}), kWrongType);
  EXPECT_EQ(Err({"LINDEX", "s", "0"}), kWrongType);
}

TEST_F(ListCommandsTest, RangeAndTrim) {
  Run({"RPUSH", "l", "0", "1", "2", "3", "4", "5"});
  EXPECT_EQ(Run({"LRANGE", "l", "1", "2"}), Array({"1", "2"}));
  EXPECT_EQ(Run({"LRANGE", "l", "-2", "100"}), Array({"4", "5"}));
  EXPECT_EQ(Run({"LRANGE", "l", "-100", "0"}), Array({"0"}));
  EXPECT_EQ(Run({"LRANGE", "l", "3", "2"}), "*0\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "6", "10"}), "*0\r\n");
  EXPECT_EQ(Run({"LRANGE", "none", "0", "-1"}), "*0\r\n");
  EXPECT_EQ(Err({"LRANGE", "none", "x", "1"}), kNotInt);  // arguments before the key

  EXPECT_EQ(Run({"LTRIM", "l", "1", "-2"}), "+OK\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"1", "2", "3", "4"}));
  EXPECT_EQ(Run({"LTRIM", "l", "-100", "100"}), "+OK\r\n");
  EXPECT_EQ(Run({"LLEN", "l"}), Int(4));
  EXPECT_EQ(Run({"LTRIM", "l", "-1", "-1"}), "+OK\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"4"}));
  EXPECT_EQ(Run({"LTRIM", "l", "2", "1"}), "+OK\r\n");  // empty range: the key goes
  EXPECT_EQ(Run({"EXISTS", "l"}), Int(0));
  EXPECT_EQ(Run({"LTRIM", "none", "0", "1"}), "+OK\r\n");
  EXPECT_EQ(Err({"LTRIM", "l", "0", "y"}), kNotInt);
}

TEST_F(ListCommandsTest, Rem) {
  Run({"RPUSH", "l", "a", "b", "a", "c", "a", "d", "a"});
  EXPECT_EQ(Run({"LREM", "l", "2", "a"}), Int(2));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"b", "c", "a", "d", "a"}));
  EXPECT_EQ(Run({"LREM", "l", "-1", "a"}), Int(1));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"b", "c", "a", "d"}));
  EXPECT_EQ(Run({"LREM", "l", "0", "zz"}), Int(0));
  EXPECT_EQ(Run({"LREM", "l", "-9223372036854775808", "a"}), Int(1));
  EXPECT_EQ(Run({"LREM", "l", "0", "b"}), Int(1));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"c", "d"}));
  EXPECT_EQ(Run({"LREM", "none", "0", "a"}), Int(0));
  EXPECT_EQ(Err({"LREM", "l", "x", "a"}), kNotInt);
  Run({"RPUSH", "one", "x", "x"});
  EXPECT_EQ(Run({"LREM", "one", "0", "x"}), Int(2));
  EXPECT_EQ(Run({"EXISTS", "one"}), Int(0));
}

TEST_F(ListCommandsTest, Pos) {
  Run({"RPUSH", "l", "a", "b", "a", "c", "a", "d", "a"});
  EXPECT_EQ(Run({"LPOS", "l", "a"}), Int(0));
  EXPECT_EQ(Run({"LPOS", "l", "c"}), Int(3));
  EXPECT_EQ(Run({"LPOS", "l", "zz"}), "$-1\r\n");
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "2"}), Int(2));
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-1"}), Int(6));
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-2"}), Int(4));
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "9"}), "$-1\r\n");
  EXPECT_EQ(Run({"LPOS", "l", "a", "COUNT", "0"}), "*4\r\n:0\r\n:2\r\n:4\r\n:6\r\n");
  EXPECT_EQ(Run({"LPOS", "l", "a", "COUNT", "2", "RANK", "2"}), "*2\r\n:2\r\n:4\r\n");
  EXPECT_EQ(Run({"LPOS", "l", "a", "COUNT", "0", "RANK", "-2"}), "*3\r\n:4\r\n:2\r\n:0\r\n");
  EXPECT_EQ(Run({"LPOS", "l", "a", "COUNT", "0", "MAXLEN", "3"}), "*2\r\n:0\r\n:2\r\n");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "-1", "MAXLEN", "3"}), "$-1\r\n");
  EXPECT_EQ(Run({"LPOS", "l", "zz", "COUNT", "1"}), "*0\r\n");
  EXPECT_EQ(Run({"LPOS", "none", "a"}), "$-1\r\n");
  EXPECT_EQ(Run({"LPOS", "none", "a", "COUNT", "0"}), "*0\r\n");
  // Redis negates the rank; the lowest int64 stays negative: first match from the tail.
  EXPECT_EQ(Run({"LPOS", "l", "a", "RANK", "-9223372036854775808"}), Int(6));
  EXPECT_EQ(Err({"LPOS", "l", "a", "RANK", "0"}),
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
  EXPECT_EQ(Err({"LPOS", "l", "a", "COUNT", "-1"}), "ERR COUNT can't be negative");
  EXPECT_EQ(Err({"LPOS", "l", "a", "MAXLEN", "-1"}), "ERR MAXLEN can't be negative");
  EXPECT_EQ(Err({"LPOS", "l", "a", "RANK", "x"}), kNotInt);
  EXPECT_EQ(Err({"LPOS", "l", "a", "RANK"}), "ERR syntax error");
  EXPECT_EQ(Err({"LPOS", "l", "a", "bogus", "1"}), "ERR syntax error");
  Run({"SET", "s", "x"});
  EXPECT_EQ(Err({"LPOS", "s", "a"}), kWrongType);
  client_.protocol.store(3);
  EXPECT_EQ(Run({"LPOS", "none", "a"}), "_\r\n");
}

TEST_F(ListCommandsTest, MoveAndRotate) {
  Run({"RPUSH", "l", "1", "2", "3"});
  EXPECT_EQ(Run({"LMOVE", "l", "l", "RIGHT", "LEFT"}), Bulk("3"));  // rotate
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"3", "1", "2"}));
  EXPECT_EQ(Run({"LMOVE", "l", "l", "left", "right"}), Bulk("3"));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"1", "2", "3"}));
  EXPECT_EQ(Run({"LMOVE", "l", "l", "left", "left"}), Bulk("1"));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), Array({"1", "2", "3"}));
  EXPECT_EQ(Run({"RPOPLPUSH", "l", "d"}), Bulk("3"));
  EXPECT_EQ(Run({"LMOVE", "l", "d", "LEFT", "RIGHT"}), Bulk("1"));
  EXPECT_EQ(Run({"LRANGE", "d", "0", "-1"}), Array({"3", "1"}));
  EXPECT_EQ(Run({"LMOVE", "l", "d", "LEFT", "LEFT"}), Bulk("2"));
  EXPECT_EQ(Run({"EXISTS", "l"}), Int(0));
  EXPECT_EQ(Run({"LMOVE", "l", "d", "LEFT", "LEFT"}), "$-1\r\n");
  EXPECT_EQ(Run({"RPOPLPUSH", "l", "d"}), "$-1\r\n");
  EXPECT_EQ(Err({"LMOVE", "d", "x", "middle", "left"}), "ERR syntax error");
  Run({"SET", "s", "x"});
  // The destination's type matters only once the source has an element.
  EXPECT_EQ(Run({"RPOPLPUSH", "none", "s"}), "$-1\r\n");
  EXPECT_EQ(Err({"RPOPLPUSH", "d", "s"}), kWrongType);
  EXPECT_EQ(Err({"LMOVE", "s", "d", "left", "left"}), kWrongType);
  EXPECT_EQ(Run({"LRANGE", "d", "0", "-1"}), Array({"2", "3", "1"}));  // untouched
  client_.protocol.store(3);
  EXPECT_EQ(Run({"RPOPLPUSH", "none", "d"}), "_\r\n");
}

TEST_F(ListCommandsTest, Mpop) {
  Run({"RPUSH", "b", "1", "2", "3"});
  EXPECT_EQ(Run({"LMPOP", "2", "a", "b", "LEFT"}), "*2\r\n" + Bulk("b") + Array({"1"}));
  EXPECT_EQ(Run({"LMPOP", "2", "a", "b", "right", "COUNT", "5"}),
            "*2\r\n" + Bulk("b") + Array({"3", "2"}));
  EXPECT_EQ(Run({"EXISTS", "b"}), Int(0));
  EXPECT_EQ(Run({"LMPOP", "2", "a", "b", "LEFT"}), "*-1\r\n");
  EXPECT_EQ(Err({"LMPOP", "0", "a", "LEFT"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(Err({"LMPOP", "x", "a", "LEFT"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(Err({"LMPOP", "3", "a", "b", "LEFT"}), "ERR syntax error");
  EXPECT_EQ(Err({"LMPOP", "9223372036854775807", "a", "LEFT"}), "ERR syntax error");
  EXPECT_EQ(Err({"LMPOP", "1", "a", "UP"}), "ERR syntax error");
  EXPECT_EQ(Err({"LMPOP", "1", "a", "LEFT", "COUNT", "0"}), "ERR count should be greater than 0");
  EXPECT_EQ(Err({"LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"}), "ERR syntax error");
  EXPECT_EQ(Err({"LMPOP", "1", "a", "LEFT", "COUNT"}), "ERR syntax error");
  EXPECT_EQ(Err({"LMPOP", "1", "a"}), "ERR wrong number of arguments for 'lmpop' command");
  Run({"SET", "s", "x"});
  EXPECT_EQ(Err({"LMPOP", "2", "a", "s", "LEFT"}), kWrongType);
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"}), Array({"a", "b"}));
  client_.protocol.store(3);
  EXPECT_EQ(Run({"LMPOP", "1", "a", "LEFT"}), "_\r\n");
}

TEST_F(ListCommandsTest, InsideMulti) {
  Run({"RPUSH", "l", "a", "b", "c"});
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"LMOVE", "l", "l", "LEFT", "RIGHT"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"LMPOP", "2", "x", "l", "RIGHT", "COUNT", "2"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"RPUSH", "x", "z"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "*4\r\n" + Bulk("a") + "*2\r\n" + Bulk("l") + Array({"a", "c"}) +
                               Int(1) + Array({"b"}));
}

TEST_F(ListCommandsTest, ReplaysAfterRestart) {
  Run({"RPUSH", "l", "a", "b", "c", "d", "e"});
  Run({"LSET", "l", "-2", "D"});
  Run({"LINSERT", "l", "BEFORE", "b", "a2"});
  Run({"LREM", "l", "-1", "e"});
  Run({"LTRIM", "l", "-4", "-1"});
  Run({"LMOVE", "l", "l", "LEFT", "RIGHT"});
  Run({"LPOP", "l"});
  const std::string before = Run({"LRANGE", "l", "0", "-1"});
  EXPECT_EQ(before, Array({"c", "D", "a2"}));
  ASSERT_TRUE(store_->close());
  Options options;
  options.checkpoint.on_close = false;
  options.log_level = LogLevel::kOff;
  auto reopened = KvStore::open_dir(dir_.path(), options);
  ASSERT_TRUE(reopened) << reopened.error().message();
  *store_ = std::move(reopened).value();
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), before);
}

}  // namespace
}  // namespace kvstore::server
