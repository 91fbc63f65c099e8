// Copyright (c) the kvstore developers.
//
// The command layer in process: a command in, the exact RESP reply out, with
// Redis 7's texts for every error (checked side by side against
// redis-server 7.0). One test per group of commands, as the cmd_*.cc files
// are grouped.

#include <gtest/gtest.h>

#include "command_fixture.h"

namespace kvstore::server {
namespace {

using CommandsTest = CommandFixture;

TEST_F(CommandsTest, DispatchErrors) {
  EXPECT_EQ(Err({"FOO", "a", "b"}), "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
  EXPECT_EQ(Err({"get"}), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Err({"GET", "a", "b"}), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Err({"CONFIG"}), "ERR wrong number of arguments for 'config' command");
  EXPECT_EQ(Err({"client"}), "ERR wrong number of arguments for 'client' command");
  EXPECT_EQ(Err({"CONFIG", "FOO"}), "ERR unknown subcommand 'FOO'. Try CONFIG HELP.");
  EXPECT_EQ(Err({"client", "nope", "x"}), "ERR unknown subcommand 'nope'. Try CLIENT HELP.");
  EXPECT_EQ(Err({"command", "foo"}), "ERR unknown subcommand 'foo'. Try COMMAND HELP.");
  EXPECT_EQ(Err({"CONFIG", "GET"}), "ERR wrong number of arguments for 'config|get' command");
  EXPECT_EQ(Err({"config", "set", "maxclients"}),
            "ERR wrong number of arguments for 'config|set' command");
  EXPECT_EQ(Err({"config", "resetstat", "x"}),
            "ERR wrong number of arguments for 'config|resetstat' command");
  EXPECT_EQ(Err({"client", "id", "x"}), "ERR wrong number of arguments for 'client|id' command");
  EXPECT_EQ(Err({"command", "count", "x"}),
            "ERR wrong number of arguments for 'command|count' command");
}

TEST_F(CommandsTest, AuthGatesCommandsButNotHandshakes) {
  state_->requirepass = "secret";
  state_->auth_required.store(true);
  client_.authenticated = false;
  EXPECT_EQ(Err({"GET", "a"}), "NOAUTH Authentication required.");
  EXPECT_EQ(Err({"CONFIG", "GET", "port"}), "NOAUTH Authentication required.");
  // Unknown commands and arity are checked first, as Redis does.
  EXPECT_EQ(Err({"GET"}), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Err({"AUTH", "wrong"}), "WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(Run({"AUTH", "secret"}), "+OK\r\n");
  EXPECT_EQ(Run({"GET", "a"}), "$-1\r\n");
}

TEST_F(CommandsTest, Strings) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"GET", "none"}), "$-1\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), "$-1\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), Bulk("v"));
  EXPECT_EQ(Run({"SET", "new", "w", "XX"}), "$-1\r\n");
  EXPECT_EQ(Err({"SET", "k", "v", "NX", "XX"}), "ERR syntax error");
  EXPECT_EQ(Err({"SET", "k", "v", "EX", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"SET", "k", "v", "EX", "0"}), "ERR invalid expire time in 'set' command");
  EXPECT_EQ(Run({"SETNX", "k", "x"}), Int(0));
  EXPECT_EQ(Run({"GETSET", "k", "g"}), Bulk("w"));
  EXPECT_EQ(Run({"GETDEL", "k"}), Bulk("g"));
  EXPECT_EQ(Run({"GETDEL", "k"}), "$-1\r\n");
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), "+OK\r\n");
  EXPECT_EQ(Err({"MSET", "a", "1", "b"}), "ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Run({"MSETNX", "a", "9", "c", "3"}), Int(0));
  EXPECT_EQ(Run({"MGET", "a", "c", "b"}), "*3\r\n" + Bulk("1") + "$-1\r\n" + Bulk("2"));
  EXPECT_EQ(Run({"APPEND", "a", "23"}), Int(3));
  EXPECT_EQ(Run({"STRLEN", "a"}), Int(3));
  EXPECT_EQ(Run({"GETRANGE", "a", "1", "-1"}), Bulk("23"));
  EXPECT_EQ(Err({"GETRANGE", "a", "x", "1"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"SETRANGE", "a", "5", "x"}), Int(6));
  EXPECT_EQ(Run({"GET", "a"}), Bulk(std::string("123\0\0x", 6)));
  EXPECT_EQ(Err({"SETRANGE", "a", "-1", "x"}), "ERR offset is out of range");
}

TEST_F(CommandsTest, Counters) {
  EXPECT_EQ(Run({"INCR", "n"}), Int(1));
  EXPECT_EQ(Run({"INCRBY", "n", "10"}), Int(11));
  EXPECT_EQ(Run({"DECR", "n"}), Int(10));
  EXPECT_EQ(Run({"DECRBY", "n", "20"}), Int(-10));
  EXPECT_EQ(Err({"INCRBY", "n", "1.5"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"DECRBY", "n", "-9223372036854775808"}), "ERR decrement would overflow");
  Run({"SET", "big", "9223372036854775807"});
  EXPECT_EQ(Err({"INCR", "big"}), "ERR increment or decrement would overflow");
  Run({"SET", "s", "abc"});
  EXPECT_EQ(Err({"INCR", "s"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "10.5"}), Bulk("10.5"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-5.5"}), Bulk("5"));
  EXPECT_EQ(Err({"INCRBYFLOAT", "f", "x"}), "ERR value is not a valid float");
  EXPECT_EQ(Err({"INCRBYFLOAT", "s", "1"}), "ERR value is not a valid float");
}

TEST_F(CommandsTest, Keyspace) {
  Run({"MSET", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(Run({"EXISTS", "a", "a", "zz"}), Int(2));
  EXPECT_EQ(Run({"TYPE", "a"}), "+string\r\n");
  EXPECT_EQ(Run({"TYPE", "zz"}), "+none\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), Int(3));
  EXPECT_EQ(Run({"KEYS", "[ab]"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "100", "MATCH", "c"}), "*2\r\n" + Bulk("0") + "*1\r\n" + Bulk("c"));
  EXPECT_EQ(Run({"SCAN", "0", "TYPE", "hash"}), "*2\r\n" + Bulk("0") + "*0\r\n");
  // MATCH "" matches only the empty key (as Redis 7), not every key.
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "100", "MATCH", ""}), "*2\r\n" + Bulk("0") + "*0\r\n");
  EXPECT_EQ(Run({"KEYS", ""}), "*0\r\n");
  Run({"SET", "", "empty"});
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "100", "MATCH", ""}),
            "*2\r\n" + Bulk("0") + "*1\r\n" + Bulk(""));
  EXPECT_EQ(Run({"DEL", ""}), Int(1));
  EXPECT_EQ(Err({"SCAN", "x"}), "ERR invalid cursor");
  EXPECT_EQ(Err({"SCAN", "0", "COUNT", "0"}), "ERR syntax error");
  EXPECT_EQ(Err({"SCAN", "0", "MATCH"}), "ERR syntax error");
  EXPECT_EQ(Err({"SCAN", "0", "COUNT", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"RENAME", "a", "d"}), "+OK\r\n");
  EXPECT_EQ(Err({"RENAME", "a", "e"}), "ERR no such key");
  EXPECT_EQ(Run({"RENAMENX", "d", "b"}), Int(0));
  EXPECT_EQ(Run({"RENAMENX", "d", "a"}), Int(1));
  EXPECT_EQ(Run({"DEL", "a", "a", "b", "zz"}), Int(2));
  EXPECT_EQ(Run({"DEL", "c"}), Int(1));
  EXPECT_EQ(Run({"RANDOMKEY"}), "$-1\r\n");
  Run({"SET", "x", "1"});
  EXPECT_EQ(Run({"RANDOMKEY"}), Bulk("x"));
  EXPECT_EQ(Err({"FLUSHDB", "NOW"}), "ERR syntax error");
  EXPECT_EQ(Run({"FLUSHALL", "ASYNC"}), "+OK\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), Int(0));
}

TEST_F(CommandsTest, Connection) {
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Run({"PING", "hi"}), Bulk("hi"));
  EXPECT_EQ(Err({"PING", "a", "b"}), "ERR wrong number of arguments for 'ping' command");
  EXPECT_EQ(Run({"ECHO", "e"}), Bulk("e"));
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(Err({"SELECT", "1"}), "ERR DB index is out of range");
  EXPECT_EQ(Err({"SELECT", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"AUTH", "x"}),
            "ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?");
  EXPECT_EQ(Err({"HELLO", "4"}), "NOPROTO unsupported protocol version");
  EXPECT_EQ(Err({"HELLO", "x"}), "ERR Protocol version is not an integer or out of range");
  EXPECT_EQ(Err({"HELLO", "3", "FOO"}), "ERR Syntax error in HELLO option 'FOO'");
  EXPECT_EQ(Run({"HELLO", "3"}).substr(0, 4), "%8\r\n");
  EXPECT_EQ(Run({"GET", "none"}), "_\r\n");  // RESP3 null
  EXPECT_EQ(Run({"HELLO", "2"}).substr(0, 5), "*16\r\n");
  EXPECT_EQ(Run({"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(client_.close_after_reply);
}

TEST_F(CommandsTest, ClientSubcommands) {
  EXPECT_EQ(Run({"CLIENT", "ID"}), Int(7));
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(Run({"client", "setname", "worker-1"}), "+OK\r\n");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), Bulk("worker-1"));
  EXPECT_EQ(Err({"CLIENT", "SETNAME", "a b"}),
            "ERR Client names cannot contain spaces, newlines or special characters.");
  EXPECT_EQ(Run({"CLIENT", "SETINFO", "LIB-NAME", "x"}), "+OK\r\n");
  EXPECT_EQ(Err({"CLIENT", "SETINFO", "COLOR", "x"}), "ERR Unrecognized option 'COLOR'");
  EXPECT_NE(Run({"CLIENT", "INFO"}).find("id=7 "), std::string::npos);
  EXPECT_EQ(Err({"CLIENT", "LIST", "x"}), "ERR syntax error");
  EXPECT_EQ(Run({"CLIENT", "LIST"}), "$0\r\n\r\n");  // this client is not registered
}

TEST_F(CommandsTest, ServerCommands) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"SAVE"}), "+OK\r\n");
  EXPECT_GT(std::stoll(Run({"LASTSAVE"}).substr(1)), 0);
  EXPECT_EQ(Err({"BGSAVE", "NOW"}), "ERR syntax error");
  EXPECT_EQ(Run({"TIME"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(Err({"SHUTDOWN", "NOSAVE", "SAVE"}), "ERR syntax error");
  EXPECT_EQ(Err({"SHUTDOWN", "ABORT"}), "ERR No shutdown in progress.");
  const std::string info = Run({"INFO", "persistence"});
  EXPECT_NE(info.find("# Persistence\r\n"), std::string::npos);
  EXPECT_EQ(Run({"INFO", "nosuchsection"}), "$0\r\n\r\n");
}

// Statistics are counted per command and subcommand, as Redis 7 does;
// errors count as failed calls; arity errors are rejected before the call
// and not counted.
TEST_F(CommandsTest, Commandstats) {
  Run({"GET", "a"});
  Run({"INCR", "s"});
  Run({"SET", "s", "x"});
  Run({"INCR", "s"});
  Run({"GET"});
  Run({"CONFIG", "GET", "port"});
  const std::string info = Run({"INFO", "commandstats"});
  EXPECT_NE(info.find("cmdstat_get:calls=1,"), std::string::npos) << info;
  EXPECT_NE(info.find("cmdstat_incr:calls=2,"), std::string::npos) << info;
  EXPECT_NE(info.find("failed_calls=1"), std::string::npos) << info;
  EXPECT_NE(info.find("cmdstat_config|get:calls=1,"), std::string::npos) << info;
  EXPECT_EQ(info.find("cmdstat_config:"), std::string::npos) << info;
  Run({"CLIENT", "ID"});
  EXPECT_NE(Run({"CLIENT", "INFO"}).find(" cmd=client|info "), std::string::npos);
}

}  // namespace
}  // namespace kvstore::server
