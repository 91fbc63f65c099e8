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

}  // namespace
}  // namespace kvstore::server
