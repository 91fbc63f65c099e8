// Copyright (c) the kvstore developers.
//
// ReplyWriter: exact RESP2 and RESP3 bytes.

#include "reply.h"

#include <gtest/gtest.h>

namespace kvstore::server {
namespace {

TEST(ReplyWriter, Resp2) {
  std::string out;
  ReplyWriter w(&out, 2);
  w.Ok();
  w.Error("ERR bad\r\nthing");
  w.Integer(-42);
  w.Bulk(std::string("a\0b", 3));
  w.Null();
  w.NullArray();
  w.MapHeader(2);
  w.Double(1.5);
  w.Verbatim("x");
  EXPECT_EQ(out, std::string("+OK\r\n-ERR bad  thing\r\n:-42\r\n$3\r\na\0b\r\n$-1\r\n*-1\r\n"
                             "*4\r\n$3\r\n1.5\r\n$1\r\nx\r\n",
                             67));
  EXPECT_EQ(w.errors(), 1u);
}

TEST(ReplyWriter, Resp3) {
  std::string out;
  ReplyWriter w(&out, 3);
  w.Null();
  w.NullArray();
  w.MapHeader(2);
  w.Double(1.5);
  w.Verbatim("x");
  w.ArrayHeader(0);
  EXPECT_EQ(out, "_\r\n_\r\n%2\r\n,1.5\r\n=5\r\ntxt:x\r\n*0\r\n");
}

TEST(ReplyWriter, IntegerExtremes) {
  std::string out;
  ReplyWriter w(&out);
  w.Integer(INT64_MIN);
  w.Integer(INT64_MAX);
  EXPECT_EQ(out, ":-9223372036854775808\r\n:9223372036854775807\r\n");
}

// client-output-buffer-limit's hard limit inside one reply: the buffer stops
// at the cap, later replies (and the rest of this one) go nowhere, and
// Resume() after the command does not bring the buffer back.
TEST(ReplyWriter, CapStopsTheBufferGrowing) {
  std::string out;
  ReplyWriter w(&out);
  w.set_cap(1000);
  w.ArrayHeader(100000);
  const std::string element(100, 'e');
  for (int i = 0; i < 100000; ++i) w.Bulk(element);
  EXPECT_TRUE(w.over_cap());
  EXPECT_GT(out.size(), 1000u);
  EXPECT_LT(out.size(), 1000u + element.size() + 16);  // one element past the cap at most
  const std::size_t cut = out.size();
  w.Resume();
  w.Ok();
  EXPECT_EQ(out.size(), cut);

  std::string uncapped;
  ReplyWriter u(&uncapped);
  u.set_cap(0);  // 0: no cap
  for (int i = 0; i < 100; ++i) u.Bulk(element);
  EXPECT_FALSE(u.over_cap());
  EXPECT_EQ(uncapped.size(), 100 * (element.size() + 8));  // "$100\r\n" ... "\r\n"
}

}  // namespace
}  // namespace kvstore::server
