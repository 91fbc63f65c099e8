// Copyright (c) the kvstore developers.
//
// Blocking list and sorted-set commands through the command layer in process
// (command_fixture.h), with the registry of blocking.h: a client blocks when
// every list is empty, a write by another client serves the waiters before
// its own command returns (FIFO per key), an attempt that finds the list
// empty again leaves its waiter blocked, MULTI never blocks, and timeouts,
// CLIENT UNBLOCK and disconnects end a wait. Each client here has its own
// UnblockQueue standing in for its I/O loop; the Redis suite's unit/type/list
// covers the same across real I/O threads.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "command_fixture.h"
#include "keyspace.h"

namespace kvstore::server {
namespace {

// A client with the loop-side queue a blocked client's outcome arrives in.
struct TestClient {
  explicit TestClient(uint64_t id) : queue(nullptr) {
    info.id = id;
    info.blocking.queue = &queue;
    info.blocking.owner = &info;
  }
  ClientInfo info;
  UnblockQueue queue;
};

class BlockingTest : public CommandFixture {
 protected:
  std::string RunAs(TestClient& c, const std::vector<std::string>& argv) {
    std::vector<std::string_view> views(argv.begin(), argv.end());
    std::string out;
    ReplyWriter reply(&out, c.info.protocol.load(), &state_->thread_stats[0]->errors);
    dispatcher_->Execute(c.info, views, reply);
    return out;
  }

  // What c's loop would send when it takes its queue: the reply of the
  // ended wait, or "" if the wait has not ended.
  static std::string Outcome(TestClient& c) {
    std::string out;
    for (const auto& w : c.queue.Take()) {
      if (c.info.blocking.waiter != w) continue;
      ReplyWriter reply(&out, c.info.protocol.load());
      if (w->end == Waiter::End::kServed) {
        reply.Raw(w->reply);
      } else if (w->end == Waiter::End::kUnblockError) {
        reply.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
      } else {
        w->reply_timeout(reply);
      }
      c.info.blocking.waiter.reset();
    }
    return out;
  }

  std::size_t Blocked() const { return state_->blocking.blocked_clients(); }

  static std::string KeyAndElement(std::string_view key, std::string_view element) {
    return "*2\r\n" + Bulk(key) + Bulk(element);
  }
};

TEST_F(BlockingTest, ServedWhenAListIsReady) {
  Run({"RPUSH", "full", "x"});
  TestClient a(101);
  EXPECT_EQ(RunAs(a, {"BLPOP", "empty", "full", "0"}), KeyAndElement("full", "x"));  // no wait
  EXPECT_EQ(RunAs(a, {"BLPOP", "k1", "k2", "0"}), "");  // blocks: no reply yet
  EXPECT_TRUE(a.info.blocking.waiter);
  EXPECT_EQ(Blocked(), 1u);
  EXPECT_NE(Run({"INFO", "clients"}).find("blocked_clients:1\r\n"), std::string::npos);
  EXPECT_EQ(Run({"RPUSH", "k2", "a", "b"}), Int(2));  // the pusher's reply: before the pop
  EXPECT_EQ(Outcome(a), KeyAndElement("k2", "a"));
  EXPECT_EQ(Blocked(), 0u);
  EXPECT_EQ(Run({"LRANGE", "k2", "0", "-1"}), "*1\r\n" + Bulk("b"));
}

TEST_F(BlockingTest, FifoPerKey) {
  TestClient a(101), b(102), c(103);
  EXPECT_EQ(RunAs(a, {"BRPOP", "k", "0"}), "");
  EXPECT_EQ(RunAs(b, {"BLPOP", "other", "k", "0"}), "");
  EXPECT_EQ(RunAs(c, {"BLMPOP", "0", "1", "k", "LEFT", "COUNT", "5"}), "");
  EXPECT_EQ(Blocked(), 3u);
  Run({"RPUSH", "k", "1", "2"});
  EXPECT_EQ(Outcome(a), KeyAndElement("k", "2"));
  EXPECT_EQ(Outcome(b), KeyAndElement("k", "1"));
  EXPECT_EQ(Outcome(c), "");  // still waiting: the list is empty
  EXPECT_EQ(Blocked(), 1u);
  Run({"LPUSH", "k", "3", "4", "5"});
  EXPECT_EQ(Outcome(c), "*2\r\n" + Bulk("k") + "*3\r\n" + Bulk("5") + Bulk("4") + Bulk("3"));
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(0));
}

TEST_F(BlockingTest, StaysBlockedWhenTheListIsEmptyAgain) {
  TestClient a(101);
  EXPECT_EQ(RunAs(a, {"BLPOP", "k", "0"}), "");
  // The key is written (and signalled) but holds nothing when the waiter
  // re-runs its pop; then it becomes a string, which a waiter passes over.
  Run({"MULTI"});
  Run({"RPUSH", "k", "x"});
  Run({"LPOP", "k"});
  EXPECT_EQ(Run({"EXEC"}), "*2\r\n" + Int(1) + Bulk("x"));
  Run({"SET", "k", "str"});
  Run({"DEL", "k"});
  Run({"LPUSHX", "k", "y"});  // pushes nothing: k is absent
  EXPECT_EQ(Outcome(a), "");
  EXPECT_EQ(Blocked(), 1u);
  Run({"RPUSH", "k", "z"});
  EXPECT_EQ(Outcome(a), KeyAndElement("k", "z"));
}

TEST_F(BlockingTest, ChainedMovesAreServedBeforeThePushReplies) {
  TestClient a(101), b(102);
  EXPECT_EQ(RunAs(a, {"BLMOVE", "l1", "l2", "RIGHT", "LEFT", "0"}), "");
  EXPECT_EQ(RunAs(b, {"BRPOPLPUSH", "l2", "l3", "0"}), "");
  Run({"RPUSH", "l1", "foo"});
  EXPECT_EQ(Run({"LRANGE", "l3", "0", "-1"}), "*1\r\n" + Bulk("foo"));
  EXPECT_EQ(Run({"EXISTS", "l1", "l2"}), Int(0));
  EXPECT_EQ(Outcome(a), Bulk("foo"));
  EXPECT_EQ(Outcome(b), Bulk("foo"));
}

TEST_F(BlockingTest, WrongTypes) {
  Run({"SET", "s", "x"});
  TestClient a(101);
  EXPECT_EQ(RunAs(a, {"BLPOP", "s", "0"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  // A destination of another type: WRONGTYPE once the source has an element,
  // also for a client that was blocked, and the element stays.
  EXPECT_EQ(RunAs(a, {"BLMOVE", "src", "s", "LEFT", "LEFT", "0"}), "");
  Run({"RPUSH", "src", "e"});
  EXPECT_EQ(Outcome(a), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(Run({"LRANGE", "src", "0", "-1"}), "*1\r\n" + Bulk("e"));
  EXPECT_EQ(Blocked(), 0u);
}

TEST_F(BlockingTest, NeverBlocksInsideMulti) {
  TestClient a(101);
  RunAs(a, {"MULTI"});
  RunAs(a, {"BLPOP", "k", "0"});
  RunAs(a, {"BLMOVE", "k", "d", "LEFT", "LEFT", "0"});
  RunAs(a, {"BLMPOP", "0", "1", "k", "LEFT"});
  RunAs(a, {"BRPOPLPUSH", "k", "d", "0"});
  EXPECT_EQ(RunAs(a, {"EXEC"}), "*4\r\n*-1\r\n$-1\r\n*-1\r\n$-1\r\n");
  EXPECT_EQ(Blocked(), 0u);
}

TEST_F(BlockingTest, CancelUnblockAndTimeoutReplies) {
  TestClient a(101), b(102);
  EXPECT_EQ(RunAs(a, {"BLPOP", "k", "0"}), "");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", "101", "ERROR"}), Int(1));
  EXPECT_EQ(Outcome(a), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", "101"}), Int(0));
  EXPECT_EQ(RunAs(a, {"BLMOVE", "k", "d", "LEFT", "LEFT", "0"}), "");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", "101", "TIMEOUT"}), Int(1));
  EXPECT_EQ(Outcome(a), "*-1\r\n");  // a timed-out BLMOVE is a null array too
  EXPECT_EQ(Err({"CLIENT", "UNBLOCK", "101", "x"}),
            "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  EXPECT_EQ(Err({"CLIENT", "UNBLOCK", "x"}), "ERR value is not an integer or out of range");

  // A disconnect (the loop cancels the wait): a later push finds no one.
  EXPECT_EQ(RunAs(b, {"BRPOP", "k", "0.5"}), "");
  EXPECT_GT(b.info.blocking.waiter->deadline_ms, 0);
  EXPECT_TRUE(state_->blocking.Cancel(b.info.blocking.waiter, Waiter::End::kClosed));
  EXPECT_EQ(Blocked(), 0u);
  Run({"RPUSH", "k", "v"});
  EXPECT_TRUE(b.queue.Take().empty());
  EXPECT_EQ(Run({"LLEN", "k"}), Int(1));
}

TEST_F(BlockingTest, TimeoutArgument) {
  EXPECT_EQ(Err({"BLPOP", "k", "x"}), "ERR timeout is not a float or out of range");
  EXPECT_EQ(Err({"BLPOP", "k", "-1"}), "ERR timeout is negative");
  EXPECT_EQ(Err({"BLPOP", "k", "inf"}), "ERR timeout is negative");
  EXPECT_EQ(Err({"BRPOPLPUSH", "k", "d", "1e400"}), "ERR timeout is negative");
  EXPECT_EQ(Err({"BLMOVE", "k", "d", "UP", "LEFT", "0"}), "ERR syntax error");
  EXPECT_EQ(Err({"BLMPOP", "x", "1", "k", "LEFT"}), "ERR timeout is not a float or out of range");
  EXPECT_EQ(Err({"BLMPOP", "0", "0", "k", "LEFT"}), "ERR numkeys should be greater than 0");
  TestClient a(101);
  EXPECT_EQ(RunAs(a, {"BLPOP", "k", "0.0001"}), "");  // rounded up to 1 ms, not forever
  EXPECT_GT(a.info.blocking.waiter->deadline_ms, 0);
  TestClient b(102);
  EXPECT_EQ(RunAs(b, {"BLPOP", "k", "-0.0001"}), "");  // 0: forever
  EXPECT_EQ(b.info.blocking.waiter->deadline_ms, 0);
}

TEST_F(BlockingTest, SortedSetPops) {
  // ZADD is not on this branch: write members through the keyspace layer
  // (as ZADD does), then serve the waiters as the dispatcher does after a
  // command.
  ClientInfo writer;
  const auto zadd = [&](const std::string& key, double score, const std::string& member) {
    std::string out;
    ReplyWriter reply(&out);
    CommandContext ctx{*state_, writer, {}, reply, *state_->thread_stats[0], *durability_};
    keyspace::Update(ctx, {key}, [&](Transaction& tx) {
      const std::string s = EncodeScore(score);
      const std::string_view args[] = {s, member};
      tx.apply(key, OpCode::kZSetAdd, args);
    });
    state_->blocking.ServeReady(*state_, *state_->thread_stats[0], *durability_);
  };
  zadd("z", 1, "a");
  zadd("z", 2.5, "b");
  zadd("z", 3, "c");
  EXPECT_EQ(Run({"BZPOPMIN", "none", "z", "0"}), "*3\r\n" + Bulk("z") + Bulk("a") + Bulk("1"));
  client_.protocol.store(3);
  EXPECT_EQ(Run({"BZPOPMAX", "z", "0"}), "*3\r\n" + Bulk("z") + Bulk("c") + ",3\r\n");
  client_.protocol.store(2);
  EXPECT_EQ(Run({"BZPOPMIN", "z", "0"}), "*3\r\n" + Bulk("z") + Bulk("b") + Bulk("2.5"));
  EXPECT_EQ(Run({"EXISTS", "z"}), Int(0));
  Run({"RPUSH", "l", "x"});
  EXPECT_EQ(Err({"BZPOPMIN", "l", "0"}),
            "WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(Err({"BZPOPMAX", "z", "-1"}), "ERR timeout is negative");

  TestClient a(101), b(102);
  EXPECT_EQ(RunAs(a, {"BZPOPMIN", "z", "0"}), "");
  EXPECT_EQ(RunAs(b, {"BZPOPMAX", "s", "z", "0"}), "");
  Run({"SET", "s", "str"});  // a key of another type is passed over when the waiter is woken
  zadd("z", 7, "seven");
  EXPECT_EQ(Outcome(a), "*3\r\n" + Bulk("z") + Bulk("seven") + Bulk("7"));
  EXPECT_EQ(Outcome(b), "");
  zadd("z", 8, "eight");
  EXPECT_EQ(Outcome(b), "*3\r\n" + Bulk("z") + Bulk("eight") + Bulk("8"));
  Run({"MULTI"});
  Run({"BZPOPMAX", "z", "0"});
  EXPECT_EQ(Run({"EXEC"}), "*1\r\n*-1\r\n");
}

TEST_F(BlockingTest, SortedSetMultiPop) {
  const auto pair = [](std::string_view member, std::string_view score) {
    return "*2\r\n" + Bulk(member) + Bulk(score);
  };
  Run({"ZADD", "z1", "1", "a", "2", "b", "3", "c"});
  Run({"ZADD", "z2", "5", "x"});
  // Not empty: ZMPOP's reply, [key, [[member, score], ...]].
  EXPECT_EQ(Run({"BZMPOP", "0", "2", "z0", "z1", "MIN"}),
            "*2\r\n" + Bulk("z1") + "*1\r\n" + pair("a", "1"));
  EXPECT_EQ(Run({"BZMPOP", "0", "2", "z0", "z1", "max", "count", "5"}),
            "*2\r\n" + Bulk("z1") + "*2\r\n" + pair("c", "3") + pair("b", "2"));
  client_.protocol.store(3);
  EXPECT_EQ(Run({"BZMPOP", "0", "2", "z1", "z2", "MIN", "COUNT", "1"}),
            "*2\r\n" + Bulk("z2") + "*1\r\n*2\r\n" + Bulk("x") + ",5\r\n");
  client_.protocol.store(2);
  EXPECT_EQ(Run({"EXISTS", "z1", "z2"}), Int(0));

  // Redis's errors, the arguments checked before the timeout.
  EXPECT_EQ(Err({"BZMPOP", "x", "1", "z", "MIN"}), "ERR timeout is not a float or out of range");
  EXPECT_EQ(Err({"BZMPOP", "-1", "1", "z", "MIN"}), "ERR timeout is negative");
  EXPECT_EQ(Err({"BZMPOP", "x", "0", "z", "MIN"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(Err({"BZMPOP", "0", "-1", "z", "MIN"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(Err({"BZMPOP", "0", "1", "z", "MID"}), "ERR syntax error");
  EXPECT_EQ(Err({"BZMPOP", "0", "3", "z", "MIN"}), "ERR syntax error");
  EXPECT_EQ(Err({"BZMPOP", "0", "1", "z", "MIN", "COUNT", "0"}),
            "ERR count should be greater than 0");
  EXPECT_EQ(Err({"BZMPOP", "0", "1", "z", "MIN", "COUNT", "1", "COUNT", "2"}), "ERR syntax error");
  EXPECT_EQ(Err({"BZMPOP", "0", "1", "z", "MIN", "COUNT"}), "ERR syntax error");
  EXPECT_EQ(Err({"BZMPOP", "0", "1", "z"}), "ERR wrong number of arguments for 'bzmpop' command");
  Run({"SET", "str", "v"});
  EXPECT_EQ(Err({"BZMPOP", "0", "1", "str", "MIN"}),
            "WRONGTYPE Operation against a key holding the wrong kind of value");

  // Blocked: served by a ZADD to any of its keys, up to COUNT members; a
  // key of another type is passed over then.
  TestClient a(101), b(102);
  EXPECT_EQ(RunAs(a, {"BZMPOP", "0", "2", "k1", "k2", "MAX", "COUNT", "2"}), "");
  EXPECT_EQ(RunAs(b, {"BZMPOP", "0", "2", "s2", "k2", "MIN"}), "");
  EXPECT_EQ(Blocked(), 2u);
  Run({"SET", "s2", "v"});
  EXPECT_EQ(Outcome(b), "");
  EXPECT_EQ(Run({"ZADD", "k2", "1", "x", "2", "y", "3", "z"}), Int(3));
  EXPECT_EQ(Outcome(a), "*2\r\n" + Bulk("k2") + "*2\r\n" + pair("z", "3") + pair("y", "2"));
  EXPECT_EQ(Outcome(b), "*2\r\n" + Bulk("k2") + "*1\r\n" + pair("x", "1"));
  EXPECT_EQ(Run({"EXISTS", "k2"}), Int(0));
  EXPECT_EQ(Blocked(), 0u);

  // Inside MULTI it never blocks: a null array, as Redis.
  Run({"MULTI"});
  Run({"BZMPOP", "0", "1", "k9", "MIN"});
  EXPECT_EQ(Run({"EXEC"}), "*1\r\n*-1\r\n");
  EXPECT_EQ(Blocked(), 0u);
}

// Redis 7.0 (serveClientsBlockedOnKey) serves a waiter on several keys from
// the key that became ready first, not from its first non-empty key.
TEST_F(BlockingTest, ServedFromTheKeyThatBecameReady) {
  TestClient a(101), b(102), c(103);
  EXPECT_EQ(RunAs(a, {"BLPOP", "l1", "l2", "0"}), "");
  EXPECT_EQ(RunAs(b, {"BZPOPMIN", "z1", "z2", "0"}), "");
  EXPECT_EQ(RunAs(c, {"BLMPOP", "0", "2", "m1", "m2", "LEFT", "COUNT", "3"}), "");
  Run({"MULTI"});
  Run({"RPUSH", "l2", "x"});
  Run({"RPUSH", "l1", "y"});
  Run({"ZADD", "z2", "1", "x"});
  Run({"ZADD", "z1", "1", "y"});
  Run({"RPUSH", "m2", "x"});
  Run({"RPUSH", "m1", "y"});
  Run({"EXEC"});
  EXPECT_EQ(Outcome(a), KeyAndElement("l2", "x"));
  EXPECT_EQ(Outcome(b), "*3\r\n" + Bulk("z2") + Bulk("x") + Bulk("1"));
  EXPECT_EQ(Outcome(c), "*2\r\n" + Bulk("m2") + "*1\r\n" + Bulk("x"));
  EXPECT_EQ(Run({"EXISTS", "l1", "l2", "z1", "z2", "m1", "m2"}), Int(3));
}

}  // namespace
}  // namespace kvstore::server
