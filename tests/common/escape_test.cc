// Copyright (c) the kvstore developers.
//
// The escaped text form of the kvstore tool and the escapes of
// kvstore-server's inline commands (common/escape.h).

#include "common/escape.h"

#include <gtest/gtest.h>

namespace kvstore::common {
namespace {

using namespace std::string_literals;

TEST(EscapeBytes, PrintableAsciiIsUnchanged) {
  EXPECT_EQ(EscapeBytes("hello world ~!@#$%^&*()"), "hello world ~!@#$%^&*()");
}

TEST(EscapeBytes, QuoteAndBackslashAreEscaped) { EXPECT_EQ(EscapeBytes("a\"b\\c"), "a\\\"b\\\\c"); }

TEST(EscapeBytes, ControlBytesBecomeEscapes) {
  EXPECT_EQ(EscapeBytes("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(EscapeBytes("\0\x01\x1f\x7f"s), "\\x00\\x01\\x1f\\x7f");
}

TEST(EscapeBytes, ValidUtf8TextStaysReadable) {
  EXPECT_EQ(EscapeBytes("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(EscapeBytes, InvalidUtf8IsEscapedBytewise) {
  EXPECT_EQ(EscapeBytes("\xFF\xFE"), "\\xff\\xfe");
  EXPECT_EQ(EscapeBytes("\xC0\x80"), "\\xc0\\x80");           // overlong NUL
  EXPECT_EQ(EscapeBytes("\xED\xA0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(EscapeBytes("\xC3"), "\\xc3");                    // cut short
  EXPECT_EQ(EscapeBytes("\xC2\x85"), "\\xc2\\x85");           // C1 control NEL
}

TEST(EscapeBytes, EveryByteRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  all += "\xC3\xA9 text";
  const std::string text = EscapeBytes(all);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  std::string back;
  ASSERT_TRUE(UnescapeBytes(text, &back));
  EXPECT_EQ(back, all);
}

TEST(UnescapeBytes, RejectsMalformedEscapes) {
  std::string out;
  EXPECT_FALSE(UnescapeBytes("\\", &out));
  EXPECT_FALSE(UnescapeBytes("\\x4", &out));
  EXPECT_FALSE(UnescapeBytes("\\xZZ", &out));
  EXPECT_FALSE(UnescapeBytes("\\q", &out));
}

// One escape at a time, as kvstore-server decodes a quoted inline argument.
TEST(DecodeEscape, KnownEscapesAndTheirLength) {
  char c = 0;
  EXPECT_EQ(DecodeEscape("\\nrest", &c), 2u);
  EXPECT_EQ(c, '\n');
  EXPECT_EQ(DecodeEscape("\\b", &c), 2u);
  EXPECT_EQ(c, '\b');
  EXPECT_EQ(DecodeEscape("\\a", &c), 2u);
  EXPECT_EQ(c, '\a');
  EXPECT_EQ(DecodeEscape("\\\"", &c), 2u);
  EXPECT_EQ(c, '"');
  EXPECT_EQ(DecodeEscape("\\x4142", &c), 4u);
  EXPECT_EQ(c, 'A');
  EXPECT_EQ(DecodeEscape("\\xfF", &c), 4u);
  EXPECT_EQ(c, '\xff');
}

TEST(DecodeEscape, UnknownOrShortEscapesUseNothing) {
  char c = 'z';
  EXPECT_EQ(DecodeEscape("\\q", &c), 0u);
  EXPECT_EQ(DecodeEscape("\\x4", &c), 0u);
  EXPECT_EQ(DecodeEscape("\\xg1", &c), 0u);
  EXPECT_EQ(DecodeEscape("\\", &c), 0u);
  EXPECT_EQ(DecodeEscape("n", &c), 0u);
  EXPECT_EQ(c, 'z');  // untouched
}

}  // namespace
}  // namespace kvstore::common
