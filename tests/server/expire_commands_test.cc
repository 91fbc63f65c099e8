// Copyright (c) the kvstore developers.
//
// The expiry commands in process, on a store with a fake clock, so that TTL
// arithmetic and the moment a key expires are exact: a key is live through
// its deadline's millisecond and gone after it, TTL rounds to the nearest
// second, and which writes keep or clear a TTL.

#include <atomic>

#include "command_fixture.h"

namespace kvstore::server {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;

class ExpireCommands : public CommandFixture {
 protected:
  ExpireCommands() {
    clock_ = [this] { return now_.load(); };
  }
  std::atomic<int64_t> now_{kStart};
};

TEST_F(ExpireCommands, LiveThroughTheDeadlineMillisecond) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), "+OK\r\n");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int(kStart + 100));
  now_ = kStart + 100;
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"PTTL", "k"}), Int(0));
  EXPECT_EQ(Run({"TTL", "k"}), Int(0));
  now_ = kStart + 101;
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(Run({"TTL", "k"}), Int(-2));
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "k", "10"}), Int(0));
}

TEST_F(ExpireCommands, TtlRoundsToTheNearestSecond) {
  Run({"SET", "k", "v", "PX", "2499"});
  EXPECT_EQ(Run({"TTL", "k"}), Int(2));
  Run({"PEXPIRE", "k", "2500"});
  EXPECT_EQ(Run({"TTL", "k"}), Int(3));
  EXPECT_EQ(Run({"PTTL", "k"}), Int(2500));
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), Int((kStart + 2500) / 1000 + 1));
  Run({"EXPIREAT", "k", std::to_string(kStart / 1000 + 60)});
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int(kStart + 60000));
  EXPECT_EQ(Run({"TTL", "k"}), Int(60));
}

TEST_F(ExpireCommands, RelativeTimesCountFromTheStoreClock) {
  Run({"SETEX", "a", "10", "v"});
  Run({"PSETEX", "b", "10", "v"});
  Run({"SET", "c", "v"});
  Run({"GETEX", "c", "EX", "7"});
  EXPECT_EQ(Run({"PEXPIRETIME", "a"}), Int(kStart + 10000));
  EXPECT_EQ(Run({"PEXPIRETIME", "b"}), Int(kStart + 10));
  EXPECT_EQ(Run({"PEXPIRETIME", "c"}), Int(kStart + 7000));
  now_ = kStart + 5000;
  EXPECT_EQ(Run({"PEXPIRE", "a", "1"}), Int(1));
  EXPECT_EQ(Run({"PEXPIRETIME", "a"}), Int(kStart + 5001));
  EXPECT_EQ(Run({"EXPIRE", "a", "0"}), Int(1));  // now: removed
  EXPECT_EQ(Run({"EXISTS", "a"}), Int(0));
}

TEST_F(ExpireCommands, WritesKeepOrClearTheTtl) {
  Run({"SET", "n", "1", "EX", "100"});
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"INCR", "n"}, {"INCRBYFLOAT", "n", "2"}, {"APPEND", "n", "5"},
           {"SETRANGE", "n", "0", "7"}, {"SET", "n", "8", "KEEPTTL"}}) {
    Run(argv);
    EXPECT_EQ(Run({"PEXPIRETIME", "n"}), Int(kStart + 100000)) << argv[0];
  }
  Run({"RENAME", "n", "m"});
  EXPECT_EQ(Run({"PEXPIRETIME", "m"}), Int(kStart + 100000));
  Run({"GETSET", "m", "x"});
  EXPECT_EQ(Run({"TTL", "m"}), Int(-1));
  EXPECT_EQ(Run({"EXPIRE", "m", "5", "XX"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "m", "5", "NX"}), Int(1));
  EXPECT_EQ(Run({"PERSIST", "m"}), Int(1));
  EXPECT_EQ(Run({"PERSIST", "m"}), Int(0));
  EXPECT_EQ(Run({"GETEX", "m", "PXAT", std::to_string(kStart)}), Bulk("x"));
  EXPECT_EQ(Run({"EXISTS", "m"}), Int(0));
}

TEST_F(ExpireCommands, ErrorsNameTheCommand) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Err({"SET", "k", "v", "EX", "0"}), "ERR invalid expire time in 'set' command");
  EXPECT_EQ(Err({"setex", "k", "-1", "v"}), "ERR invalid expire time in 'setex' command");
  EXPECT_EQ(Err({"PSETEX", "k", "0", "v"}), "ERR invalid expire time in 'psetex' command");
  EXPECT_EQ(Err({"GETEX", "k", "PX", "0"}), "ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Err({"EXPIREAT", "k", "9223372036854775807"}),
            "ERR invalid expire time in 'expireat' command");
  EXPECT_EQ(Err({"PEXPIRE", "k", "9223372036854775807"}),
            "ERR invalid expire time in 'pexpire' command");
  EXPECT_EQ(Err({"EXPIRE", "k", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
}

}  // namespace
}  // namespace kvstore::server
