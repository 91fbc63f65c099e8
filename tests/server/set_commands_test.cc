// Copyright (c) the kvstore developers.
//
// The set commands through the command layer in process
// (command_fixture.h): exact RESP replies and error texts as redis-server
// 7.0 answers them, RESP3 sets, WRONGTYPE, SPOP and SRANDMEMBER's counts,
// the *STORE forms (destination replaced, also when it is a source), SMOVE
// leaving an unchanged destination unwritten (WATCH), SINTERCARD's keys
// inside MULTI, and that the writes survive a reopen (each is logged as the
// op it made).

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "command_fixture.h"

namespace kvstore::server {
namespace {

using SetCommandsTest = CommandFixture;

std::set<std::string> Members(const std::string& reply) {
  const auto v = Bulks(reply);
  return {v.begin(), v.end()};
}

using Strings = std::set<std::string>;

TEST_F(SetCommandsTest, AddRemoveMembership) {
  EXPECT_EQ(Run({"SADD", "s", "a", "b", "a"}), Int(2));
  EXPECT_EQ(Run({"SADD", "s", "a"}), Int(0));
  EXPECT_EQ(Run({"SCARD", "s"}), Int(2));
  EXPECT_EQ(Run({"SCARD", "none"}), Int(0));
  EXPECT_EQ(Run({"SISMEMBER", "s", "a"}), Int(1));
  EXPECT_EQ(Run({"SISMEMBER", "s", "z"}), Int(0));
  EXPECT_EQ(Run({"SISMEMBER", "none", "z"}), Int(0));
  EXPECT_EQ(Run({"SMISMEMBER", "s", "a", "z", "b"}), "*3\r\n" + Int(1) + Int(0) + Int(1));
  EXPECT_EQ(Run({"SMISMEMBER", "none", "a"}), "*1\r\n" + Int(0));
  EXPECT_EQ(Members(Run({"SMEMBERS", "s"})), (Strings{"a", "b"}));
  EXPECT_EQ(Run({"SMEMBERS", "none"}), "*0\r\n");
  EXPECT_EQ(Run({"SREM", "s", "a", "a", "z"}), Int(1));
  EXPECT_EQ(Run({"SREM", "none", "a"}), Int(0));
  EXPECT_EQ(Run({"SREM", "s", "b"}), Int(1));
  EXPECT_EQ(Run({"EXISTS", "s"}), Int(0));
  EXPECT_EQ(Run({"SADD", "i", "3", "1", "2"}), Int(3));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), Bulk("intset"));
  EXPECT_EQ(Run({"SMEMBERS", "i"}), "*3\r\n" + Bulk("1") + Bulk("2") + Bulk("3"));
  EXPECT_EQ(Err({"SMISMEMBER", "i"}), "ERR wrong number of arguments for 'smismember' command");
}

TEST_F(SetCommandsTest, WrongType) {
  Run({"SET", "str", "x"});
  Run({"SADD", "s", "a"});
  for (const auto& argv : std::vector<std::vector<std::string>>{{"SADD", "str", "a"},
                                                                {"SREM", "str", "a"},
                                                                {"SMEMBERS", "str"},
                                                                {"SISMEMBER", "str", "a"},
                                                                {"SMISMEMBER", "str", "a"},
                                                                {"SCARD", "str"},
                                                                {"SPOP", "str"},
                                                                {"SPOP", "str", "2"},
                                                                {"SRANDMEMBER", "str"},
                                                                {"SRANDMEMBER", "str", "2"},
                                                                {"SINTER", "s", "none", "str"},
                                                                {"SINTER", "none", "str"},
                                                                {"SUNION", "s", "str"},
                                                                {"SDIFF", "none", "str"},
                                                                {"SINTERCARD", "2", "s", "str"},
                                                                {"SINTERSTORE", "d", "s", "str"},
                                                                {"SMOVE", "s", "str", "a"},
                                                                {"SMOVE", "str", "s", "a"},
                                                                {"SSCAN", "str", "0"}}) {
    EXPECT_EQ(Err(argv), kWrongType) << argv[0];
  }
  // A missing source answers 0 before any type check, as in Redis.
  EXPECT_EQ(Run({"SMOVE", "none", "str", "a"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "d"}), Int(0));
}

TEST_F(SetCommandsTest, Resp3Sets) {
  client_.protocol = 3;
  Run({"SADD", "s", "a"});
  EXPECT_EQ(Run({"SMEMBERS", "s"}), "~1\r\n" + Bulk("a"));
  EXPECT_EQ(Run({"SMEMBERS", "none"}), "~0\r\n");
  EXPECT_EQ(Run({"SINTER", "s", "none"}), "~0\r\n");
  EXPECT_EQ(Run({"SUNION", "s", "none"}), "~1\r\n" + Bulk("a"));
  EXPECT_EQ(Run({"SDIFF", "s", "none"}), "~1\r\n" + Bulk("a"));
  EXPECT_EQ(Run({"SPOP", "none", "2"}), "~0\r\n");
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "3"}), "*1\r\n" + Bulk("a"));  // an array, as Redis
  EXPECT_EQ(Run({"SRANDMEMBER", "none", "3"}), "*0\r\n");
  EXPECT_EQ(Run({"SPOP", "s", "5"}), "~1\r\n" + Bulk("a"));
  EXPECT_EQ(Run({"SPOP", "s"}), "_\r\n");
}

TEST_F(SetCommandsTest, Spop) {
  EXPECT_EQ(Run({"SPOP", "none"}), "$-1\r\n");
  EXPECT_EQ(Run({"SPOP", "none", "3"}), "*0\r\n");
  Run({"SADD", "s", "a", "b", "c", "d", "e"});
  EXPECT_EQ(Run({"SPOP", "s", "0"}), "*0\r\n");
  EXPECT_EQ(Err({"SPOP", "s", "-1"}), "ERR value is out of range, must be positive");
  EXPECT_EQ(Err({"SPOP", "s", "x"}), "ERR value is out of range, must be positive");
  EXPECT_EQ(Err({"SPOP", "s", "1", "2"}), "ERR syntax error");
  const std::vector<std::string> one = Bulks("*1\r\n" + Run({"SPOP", "s"}));
  ASSERT_EQ(one.size(), 1u);
  const std::vector<std::string> two = Bulks(Run({"SPOP", "s", "2"}));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_NE(two[0], two[1]);
  Strings popped = {one[0], two[0], two[1]};
  EXPECT_EQ(popped.size(), 3u);
  const Strings rest = Members(Run({"SMEMBERS", "s"}));
  EXPECT_EQ(rest.size(), 2u);
  for (const auto& m : rest) EXPECT_FALSE(popped.count(m)) << m;
  popped.insert(rest.begin(), rest.end());
  EXPECT_EQ(popped, (Strings{"a", "b", "c", "d", "e"}));
  // A count past the size pops everything and removes the key.
  EXPECT_EQ(Members(Run({"SPOP", "s", "10"})), rest);
  EXPECT_EQ(Run({"EXISTS", "s"}), Int(0));
}

TEST_F(SetCommandsTest, SpopIntset) {
  std::vector<std::string> argv = {"SADD", "i"};
  for (int j = 0; j < 100; ++j) argv.push_back(std::to_string(j));
  Run(argv);
  Strings seen;
  for (const auto& m : Bulks(Run({"SPOP", "i", "30"}))) {
    EXPECT_TRUE(seen.insert(m).second) << m;  // distinct (at() copied before the next)
    EXPECT_LT(std::stoi(m), 100);
  }
  EXPECT_EQ(seen.size(), 30u);
  EXPECT_EQ(Run({"SCARD", "i"}), Int(70));
  for (const auto& m : seen) EXPECT_EQ(Run({"SISMEMBER", "i", m}), Int(0));
}

TEST_F(SetCommandsTest, Srandmember) {
  EXPECT_EQ(Run({"SRANDMEMBER", "none"}), "$-1\r\n");
  EXPECT_EQ(Run({"SRANDMEMBER", "none", "-5"}), "*0\r\n");
  Run({"SADD", "s", "a", "b", "c"});
  const Strings all = {"a", "b", "c"};
  EXPECT_TRUE(all.count(Bulks("*1\r\n" + Run({"SRANDMEMBER", "s"}))[0]));
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "0"}), "*0\r\n");
  const auto two = Bulks(Run({"SRANDMEMBER", "s", "2"}));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_NE(two[0], two[1]);
  const auto whole = Bulks(Run({"SRANDMEMBER", "s", "9"}));
  EXPECT_EQ(whole.size(), 3u);
  EXPECT_EQ(Strings(whole.begin(), whole.end()), all);
  const auto repeats = Bulks(Run({"SRANDMEMBER", "s", "-40"}));
  EXPECT_EQ(repeats.size(), 40u);
  EXPECT_EQ(Strings(repeats.begin(), repeats.end()), all);  // each seen: p ~ 1
  EXPECT_EQ(Run({"SCARD", "s"}), Int(3));                   // read-only
  EXPECT_EQ(Err({"SRANDMEMBER", "s", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"SRANDMEMBER", "s", "-9223372036854775808"}),
            "ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(Err({"SRANDMEMBER", "s", "1", "2"}), "ERR syntax error");
}

TEST_F(SetCommandsTest, Smove) {
  Run({"SADD", "src", "a", "b"});
  Run({"SADD", "dst", "x"});
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "a"}), Int(1));
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "z"}), Int(0));
  EXPECT_EQ(Members(Run({"SMEMBERS", "src"})), (Strings{"b"}));
  EXPECT_EQ(Members(Run({"SMEMBERS", "dst"})), (Strings{"a", "x"}));
  EXPECT_EQ(Run({"SMOVE", "src", "src", "b"}), Int(1));
  EXPECT_EQ(Run({"SMOVE", "src", "src", "z"}), Int(0));
  EXPECT_EQ(Run({"SMOVE", "src", "new", "b"}), Int(1));
  EXPECT_EQ(Run({"EXISTS", "src"}), Int(0));
  EXPECT_EQ(Members(Run({"SMEMBERS", "new"})), (Strings{"b"}));
}

TEST_F(SetCommandsTest, SmoveToASetHoldingTheMemberLeavesItUnwritten) {
  Run({"SADD", "src", "a", "b"});
  Run({"SADD", "dst", "a"});
  EXPECT_EQ(Run({"WATCH", "dst"}), "+OK\r\n");
  // Another client's SMOVE (run directly: it is not queued) changes only src.
  ClientInfo other;
  other.id = 8;
  std::string out;
  ReplyWriter reply(&out, 2);
  const std::vector<std::string_view> smove = {"SMOVE", "src", "dst", "a"};
  dispatcher_->Execute(other, smove, reply);
  EXPECT_EQ(out, Int(1));
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"SADD", "dst", "c"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "*1\r\n" + Int(1));
  EXPECT_EQ(Run({"SCARD", "dst"}), Int(2));
  EXPECT_EQ(Members(Run({"SMEMBERS", "src"})), (Strings{"b"}));
}

TEST_F(SetCommandsTest, InterUnionDiff) {
  Run({"SADD", "a", "1", "2", "3", "4"});
  Run({"SADD", "b", "3", "4", "5"});
  Run({"SADD", "c", "4", "x"});
  EXPECT_EQ(Members(Run({"SINTER", "a", "b"})), (Strings{"3", "4"}));
  EXPECT_EQ(Members(Run({"SINTER", "a", "b", "c"})), (Strings{"4"}));
  EXPECT_EQ(Run({"SINTER", "a", "none"}), "*0\r\n");
  EXPECT_EQ(Members(Run({"SUNION", "a", "b", "c", "none"})),
            (Strings{"1", "2", "3", "4", "5", "x"}));
  EXPECT_EQ(Run({"SUNION", "none"}), "*0\r\n");
  EXPECT_EQ(Members(Run({"SDIFF", "a", "b"})), (Strings{"1", "2"}));
  EXPECT_EQ(Members(Run({"SDIFF", "a", "none", "c"})), (Strings{"1", "2", "3"}));
  EXPECT_EQ(Run({"SDIFF", "none", "a"}), "*0\r\n");
  EXPECT_EQ(Run({"SDIFF", "a", "a"}), "*0\r\n");
  EXPECT_EQ(Members(Run({"SINTER", "a", "a"})), (Strings{"1", "2", "3", "4"}));
}

TEST_F(SetCommandsTest, StoreFormsReplaceTheDestination) {
  Run({"SADD", "a", "1", "2", "3"});
  Run({"SADD", "b", "2", "3", "4"});
  Run({"SET", "d", "string"});
  Run({"EXPIRE", "d", "100"});
  EXPECT_EQ(Run({"SINTERSTORE", "d", "a", "b"}), Int(2));
  EXPECT_EQ(Run({"TYPE", "d"}), "+set\r\n");
  EXPECT_EQ(Run({"TTL", "d"}), Int(-1));  // a new key: no TTL kept
  EXPECT_EQ(Members(Run({"SMEMBERS", "d"})), (Strings{"2", "3"}));
  EXPECT_EQ(Run({"SUNIONSTORE", "d", "a", "b"}), Int(4));
  EXPECT_EQ(Members(Run({"SMEMBERS", "d"})), (Strings{"1", "2", "3", "4"}));
  EXPECT_EQ(Run({"SDIFFSTORE", "d", "a", "b"}), Int(1));
  EXPECT_EQ(Members(Run({"SMEMBERS", "d"})), (Strings{"1"}));
  // The destination is also a source: the result comes from the sources first.
  EXPECT_EQ(Run({"SUNIONSTORE", "a", "a", "b"}), Int(4));
  EXPECT_EQ(Members(Run({"SMEMBERS", "a"})), (Strings{"1", "2", "3", "4"}));
  EXPECT_EQ(Run({"SDIFFSTORE", "a", "a", "b"}), Int(1));
  EXPECT_EQ(Members(Run({"SMEMBERS", "a"})), (Strings{"1"}));
  // An empty result removes the destination and answers 0.
  EXPECT_EQ(Run({"SINTERSTORE", "d", "a", "b"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "d"}), Int(0));
  EXPECT_EQ(Run({"SINTERSTORE", "d", "none"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "d"}), Int(0));
  EXPECT_EQ(Err({"SINTERSTORE", "d"}), "ERR wrong number of arguments for 'sinterstore' command");
}

TEST_F(SetCommandsTest, Sintercard) {
  Run({"SADD", "a", "1", "2", "3", "4"});
  Run({"SADD", "b", "2", "3", "4", "5"});
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b"}), Int(3));
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "2"}), Int(2));
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "limit", "0"}), Int(3));
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "none"}), Int(0));
  EXPECT_EQ(Run({"SINTERCARD", "1", "a"}), Int(4));
  EXPECT_EQ(Err({"SINTERCARD", "0", "a"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(Err({"SINTERCARD", "x", "a"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(Err({"SINTERCARD", "3", "a", "b"}),
            "ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(Err({"SINTERCARD", "2", "a", "b", "LIMIT", "-1"}), "ERR LIMIT can't be negative");
  EXPECT_EQ(Err({"SINTERCARD", "2", "a", "b", "LIMIT"}), "ERR syntax error");
  EXPECT_EQ(Err({"SINTERCARD", "2", "a", "b", "FOO", "1"}), "ERR syntax error");
  // Its keys come from numkeys at argv[1]: COMMAND GETKEYS and EXEC see them.
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"}),
            "*2\r\n" + Bulk("a") + Bulk("b"));
  Run({"MULTI"});
  Run({"SINTERCARD", "2", "a", "b"});
  EXPECT_EQ(Run({"EXEC"}), "*1\r\n" + Int(3));
}

TEST_F(SetCommandsTest, Sscan) {
  Run({"SADD", "s", "a1", "a2", "b1"});
  const std::string r = Run({"SSCAN", "s", "0", "MATCH", "a*", "COUNT", "100"});
  EXPECT_EQ(r.substr(0, 11), "*2\r\n" + Bulk("0"));
  EXPECT_EQ(Members(r.substr(11)), (Strings{"a1", "a2"}));
  EXPECT_EQ(Run({"SSCAN", "none", "0"}), "*2\r\n" + Bulk("0") + "*0\r\n");
  EXPECT_EQ(Err({"SSCAN", "s", "abc"}), "ERR invalid cursor");
  EXPECT_EQ(Err({"SSCAN", "s", "0", "COUNT", "-1"}), "ERR syntax error");
  EXPECT_EQ(Err({"SSCAN", "s", "0", "MATCH", "a*", "FOO", "x"}), "ERR syntax error");
  // Redis reads the cursor with strtoul: "" is 0, "-1" wraps around.
  EXPECT_EQ(Run({"SSCAN", "none", ""}), "*2\r\n" + Bulk("0") + "*0\r\n");
  EXPECT_EQ(Run({"SSCAN", "none", "-1"}), "*2\r\n" + Bulk("0") + "*0\r\n");
}

TEST_F(SetCommandsTest, WritesSurviveReopen) {
  Run({"SADD", "s", "a", "b", "c", "d"});
  Run({"SREM", "s", "a"});
  Run({"SPOP", "s"});
  Run({"SADD", "t", "x"});
  Run({"SMOVE", "t", "s", "x"});
  Run({"SUNIONSTORE", "u", "s"});
  const Strings before = Members(Run({"SMEMBERS", "s"}));
  EXPECT_EQ(before.size(), 3u);
  ASSERT_TRUE(store_->close());
  Options options;
  options.log_level = LogLevel::kOff;
  options.checkpoint.on_close = false;  // the reopen replays the WAL's ops
  auto reopened = KvStore::open_dir(dir_.path(), options);
  ASSERT_TRUE(reopened) << reopened.error().message();
  *store_ = std::move(reopened).value();
  EXPECT_EQ(Members(Run({"SMEMBERS", "s"})), before);
  EXPECT_EQ(Members(Run({"SMEMBERS", "u"})), before);
  EXPECT_EQ(Run({"EXISTS", "t"}), Int(0));
}

}  // namespace
}  // namespace kvstore::server
