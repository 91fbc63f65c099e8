// Copyright (c) the kvstore developers.
//
// The bit commands, SUBSTR and LCS through the command layer in process
// (command_fixture.h): exact RESP replies, with the values and error texts
// redis-server 7.0 answers. Runs under the sanitizers with the other
// kvstore_server_tests; tests/server/test_bits.py covers the same commands
// over a socket.

#include <gtest/gtest.h>

#include "command_fixture.h"

namespace kvstore::server {
namespace {

using BitsCommandsTest = CommandFixture;

constexpr char kBadOffset[] = "ERR bit offset is not an integer or out of range";

TEST_F(BitsCommandsTest, SetbitGetbit) {
  EXPECT_EQ(Run({"SETBIT", "k", "9", "1"}), Int(0));
  EXPECT_EQ(Run({"GET", "k"}), Bulk(std::string("\x00\x40", 2)));
  EXPECT_EQ(Run({"SETBIT", "k", "9", "0"}), Int(1));
  EXPECT_EQ(Run({"GETBIT", "k", "9"}), Int(0));
  EXPECT_EQ(Run({"GETBIT", "k", "4294967295"}), Int(0));
  EXPECT_EQ(Err({"GETBIT", "k", "4294967296"}), kBadOffset);
  EXPECT_EQ(Err({"SETBIT", "k", "-1", "1"}), kBadOffset);
  EXPECT_EQ(Err({"SETBIT", "k", "0", "2"}), "ERR bit is not an integer or out of range");
  EXPECT_EQ(Err({"SETBIT", "k", "0"}), "ERR wrong number of arguments for 'setbit' command");
}

TEST_F(BitsCommandsTest, BitcountBitpos) {
  Run({"SET", "s", "foobar"});
  EXPECT_EQ(Run({"BITCOUNT", "s"}), Int(26));
  EXPECT_EQ(Run({"BITCOUNT", "s", "1", "-2"}), Int(18));
  EXPECT_EQ(Run({"BITCOUNT", "s", "5", "30", "BIT"}), Int(17));
  EXPECT_EQ(Run({"BITCOUNT", "s", "-6", "-7"}), Int(0));
  EXPECT_EQ(Run({"BITCOUNT", "none", "x", "y"}), Int(0));
  EXPECT_EQ(Err({"BITCOUNT", "s", "0"}), "ERR syntax error");
  EXPECT_EQ(Err({"BITCOUNT", "s", "0", "1", "bits"}), "ERR syntax error");
  Run({"SET", "ff", "\xff\xff\xff"});
  EXPECT_EQ(Run({"BITPOS", "ff", "0"}), Int(24));
  EXPECT_EQ(Run({"BITPOS", "ff", "0", "0", "-1"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "s", "1", "-100", "-50"}), Int(1));
  EXPECT_EQ(Run({"BITPOS", "none", "0"}), Int(0));
  EXPECT_EQ(Run({"BITPOS", "none", "1"}), Int(-1));
  EXPECT_EQ(Err({"BITPOS", "s", "2"}), "ERR The bit argument must be 1 or 0.");
  EXPECT_EQ(Err({"BITPOS", "s", "1", "0", "a", "bogus"}), "ERR syntax error");
}

TEST_F(BitsCommandsTest, Bitop) {
  Run({"SET", "a", std::string("\x01\x02\xff\xff", 4)});
  Run({"SET", "b", std::string("\x01\x02\xff", 3)});
  EXPECT_EQ(Run({"BITOP", "XOR", "d", "a", "b"}), Int(4));
  EXPECT_EQ(Run({"GET", "d"}), Bulk(std::string("\x00\x00\x00\xff", 4)));
  EXPECT_EQ(Run({"BITOP", "not", "a", "a"}), Int(4));
  EXPECT_EQ(Run({"GET", "a"}), Bulk(std::string("\xfe\xfd\x00\x00", 4)));
  EXPECT_EQ(Run({"BITOP", "AND", "d", "none"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "d"}), Int(0));
  EXPECT_EQ(Err({"BITOP", "NOT", "d", "a", "b"}),
            "ERR BITOP NOT must be called with a single source key.");
  EXPECT_EQ(Err({"BITOP", "NAND", "d", "a"}), "ERR syntax error");
}

TEST_F(BitsCommandsTest, Bitfield) {
  EXPECT_EQ(Run({"BITFIELD", "k", "SET", "u8", "#0", "255", "INCRBY", "u8", "#0", "100", "GET",
                 "i8", "0"}),
            "*3\r\n:0\r\n:99\r\n:99\r\n");
  EXPECT_EQ(Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "200", "OVERFLOW",
                 "SAT", "INCRBY", "u8", "0", "200"}),
            "*2\r\n$-1\r\n:255\r\n");
  EXPECT_EQ(Run({"BITFIELD", "k"}), "*0\r\n");
  EXPECT_EQ(Run({"BITFIELD_RO", "k", "GET", "u4", "#1"}), "*1\r\n:15\r\n");
  EXPECT_EQ(Err({"BITFIELD_RO", "k", "SET", "u8", "0", "1"}),
            "ERR BITFIELD_RO only supports the GET subcommand");
  EXPECT_EQ(Err({"BITFIELD", "k", "GET", "u64", "0"}),
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
            "supported but i64 is.");
  EXPECT_EQ(Err({"BITFIELD", "k", "OVERFLOW", "x"}), "ERR Invalid OVERFLOW type specified");
  EXPECT_EQ(Err({"BITFIELD", "k", "GET", "i8"}), "ERR syntax error");
}

TEST_F(BitsCommandsTest, SubstrAndLcs) {
  Run({"SET", "s", "foobar"});
  EXPECT_EQ(Run({"SUBSTR", "s", "1", "3"}), Bulk("oob"));
  EXPECT_EQ(Err({"SUBSTR", "s", "1"}), "ERR wrong number of arguments for 'substr' command");
  Run({"MSET", "a", "ohmytext", "b", "mynewtext"});
  EXPECT_EQ(Run({"LCS", "a", "b"}), Bulk("mytext"));
  EXPECT_EQ(Run({"LCS", "a", "b", "LEN"}), Int(6));
  EXPECT_EQ(Run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}),
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
            "$3\r\nlen\r\n:6\r\n");
  client_.protocol.store(3);
  EXPECT_EQ(Run({"LCS", "a", "b", "IDX"}),
            "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
            "*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(Err({"LCS", "a", "b", "IDX", "LEN"}),
            "ERR If you want both the length and indexes, please just use IDX.");
}

}  // namespace
}  // namespace kvstore::server
