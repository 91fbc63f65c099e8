// Copyright (c) the kvstore developers.
//
// SORT and SORT_RO through the command layer in process
// (command_fixture.h): the replies redis-server 7.0.15 gives for the same
// commands (checked side by side): numeric and ALPHA order, DESC, LIMIT's
// clamping, BY patterns (string keys, hash fields, missing keys, no '*':
// not sorted), GET patterns ('#', missing keys), STORE, the errors, and the
// keys COMMAND GETKEYS reports.

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "command_fixture.h"

namespace kvstore::server {
namespace {

class SortCommandTest : public CommandFixture {
 protected:
  // An array of bulk strings ("<nil>": a null bulk).
  static std::string Arr(std::initializer_list<std::string_view> items) {
    std::string out = "*" + std::to_string(items.size()) + "\r\n";
    for (const std::string_view s : items) out += s == "<nil>" ? std::string("$-1\r\n") : Bulk(s);
    return out;
  }
};

TEST_F(SortCommandTest, OrderLimitAndErrors) {
  Run({"RPUSH", "l", "3", "1", "2", "10", "1"});
  EXPECT_EQ(Run({"SORT", "l"}), Arr({"1", "1", "2", "3", "10"}));
  EXPECT_EQ(Run({"SORT", "l", "DESC"}), Arr({"10", "3", "2", "1", "1"}));
  EXPECT_EQ(Run({"SORT", "l", "ALPHA"}), Arr({"1", "1", "10", "2", "3"}));
  EXPECT_EQ(Run({"SORT_RO", "l", "ALPHA", "DESC"}), Arr({"3", "2", "10", "1", "1"}));
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "1", "2"}), Arr({"1", "2"}));
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "-1", "2"}), Arr({"1", "1"}));
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "10", "2"}), Arr({}));
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "0", "-1"}), Arr({"1", "1", "2", "3", "10"}));
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "2", "0"}), Arr({}));
  // BY without '*': the list's own order, reversed by DESC.
  EXPECT_EQ(Run({"SORT", "l", "BY", "nosort"}), Arr({"3", "1", "2", "10", "1"}));
  EXPECT_EQ(Run({"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"}), Arr({"10", "2"}));

  EXPECT_EQ(Err({"SORT", "l", "LIMIT", "x", "1"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"SORT", "l", "LIMIT", "1"}), "ERR syntax error");
  EXPECT_EQ(Err({"SORT", "l", "STORE"}), "ERR syntax error");
  EXPECT_EQ(Err({"SORT_RO", "l", "STORE", "x"}), "ERR syntax error");
  Run({"SET", "str", "x"});
  EXPECT_EQ(Err({"SORT", "str"}),
            "WRONGTYPE Operation against a key holding the wrong kind of value");
  Run({"RPUSH", "bad", "a", "1"});
  EXPECT_EQ(Err({"SORT", "bad"}), "ERR One or more scores can't be converted into double");
  EXPECT_EQ(Run({"SORT", "bad", "ALPHA"}), Arr({"1", "a"}));
  // strtod's reading: "" is 0, hex and inf are numbers.
  Run({"RPUSH", "sp", "", "1", " 2", "0x10", "inf", "-inf", "1e3"});
  EXPECT_EQ(Run({"SORT", "sp"}), Arr({"-inf", "", "1", " 2", "0x10", "1e3", "inf"}));
  EXPECT_EQ(Run({"SORT", "none"}), Arr({}));
}

TEST_F(SortCommandTest, ByAndGetPatterns) {
  Run({"RPUSH", "l", "3", "1", "2", "10", "1"});
  Run({"MSET", "w_1", "30", "w_2", "20", "w_3", "10", "w_10", "5", "o_1", "one", "o_2", "two",
       "o_3", "three"});
  EXPECT_EQ(Run({"SORT", "l", "BY", "w_*"}), Arr({"10", "3", "2", "1", "1"}));
  EXPECT_EQ(Run({"SORT", "l", "BY", "w_*", "GET", "#", "GET", "o_*", "GET", "nokey"}),
            Arr({"10", "<nil>", "<nil>", "3", "three", "<nil>", "2", "two", "<nil>", "1", "one",
                 "<nil>", "1", "one", "<nil>"}));
  EXPECT_EQ(Run({"SORT", "l", "BY", "w_*", "LIMIT", "1", "2", "GET", "#"}), Arr({"3", "2"}));
  EXPECT_EQ(Err({"SORT", "l", "BY", "o_*"}),
            "ERR One or more scores can't be converted into double");
  Run({"HSET", "h_1", "f", "b"});
  Run({"HSET", "h_2", "f", "a"});
  Run({"HSET", "h_3", "f", "c"});
  // Missing BY values come first and, compared as strings, keep their order.
  EXPECT_EQ(Run({"SORT", "l", "BY", "h_*->f", "ALPHA", "GET", "h_*->f", "GET", "#"}),
            Arr({"<nil>", "10", "a", "2", "b", "1", "b", "1", "c", "3"}));
  EXPECT_EQ(Run({"SORT", "l", "BY", "h_*->", "ALPHA"}), Arr({"3", "1", "2", "10", "1"}));
  Run({"RPUSH", "dup", "b", "a", "b"});
  EXPECT_EQ(Run({"SORT", "dup", "BY", "missing_*"}), Arr({"a", "b", "b"}));
  EXPECT_EQ(Run({"SORT", "dup", "BY", "missing_*", "ALPHA"}), Arr({"b", "a", "b"}));
  // The same inside EXEC, which holds the whole keyspace for SORT.
  Run({"MULTI"});
  Run({"SORT", "l", "BY", "w_*", "GET", "o_*"});
  EXPECT_EQ(Run({"EXEC"}), "*1\r\n" + Arr({"<nil>", "three", "two", "one", "one"}));
}

TEST_F(SortCommandTest, SetsSortedSetsAndStore) {
  Run({"SADD", "s", "5", "3", "9", "1"});
  EXPECT_EQ(Run({"SORT", "s"}), Arr({"1", "3", "5", "9"}));
  EXPECT_EQ(Run({"SORT", "s", "DESC", "LIMIT", "0", "2"}), Arr({"9", "5"}));
  // An unordered set stored without sorting is sorted as strings.
  EXPECT_EQ(Run({"SORT", "s", "BY", "nosort", "STORE", "sd"}), Int(4));
  EXPECT_EQ(Run({"LRANGE", "sd", "0", "-1"}), Arr({"1", "3", "5", "9"}));
  Run({"ZADD", "z", "3", "a", "1", "b", "2", "c"});
  EXPECT_EQ(Run({"SORT", "z", "BY", "nosort"}), Arr({"b", "c", "a"}));
  EXPECT_EQ(Run({"SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "1"}), Arr({"c"}));
  EXPECT_EQ(Run({"SORT", "z", "ALPHA"}), Arr({"a", "b", "c"}));

  Run({"RPUSH", "l", "2", "1"});
  Run({"SET", "o_1", "one"});
  EXPECT_EQ(Run({"SORT", "l", "GET", "o_*", "STORE", "dst"}), Int(2));
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), Arr({"one", ""}));  // a missing value: ""
  EXPECT_EQ(Run({"SORT", "none", "STORE", "dst"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "dst"}), Int(0));  // an empty result removes the destination
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "SORT", "l", "STORE", "a", "LIMIT", "0", "1", "STORE", "d"}),
            Arr({"l", "d"}));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "SORT_RO", "l", "GET", "#"}), Arr({"l"}));
}

}  // namespace
}  // namespace kvstore::server
