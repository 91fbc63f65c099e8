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

// One escape at a time, as kvstore-server decodes a quoted inline argument:
// the text, how many bytes it uses (0: not an escape it knows), the byte.
struct EscapeCase {
  std::string_view text;
  std::size_t used;
  char byte;
};
const EscapeCase kEscapes[] = {
    {"\\nrest", 2, '\n'}, {"\\b", 2, '\b'},     {"\\a", 2, '\a'}, {"\\\"", 2, '"'},
    {"\\x4142", 4, 'A'},  {"\\xfF", 4, '\xff'}, {"\\q", 0, 0},    {"\\x4", 0, 0},
    {"\\xg1", 0, 0},      {"\\", 0, 0},         {"n", 0, 0},
};

TEST(DecodeEscape, KnownEscapesOnly) {
  for (const EscapeCase& e : kEscapes) {
    char c = 'z';
    EXPECT_EQ(DecodeEscape(e.text, &c), e.used) << e.text;
    EXPECT_EQ(c, e.used ? e.byte : 'z') << e.text;  // untouched when unused
  }
}

}  // namespace
}  // namespace kvstore::common
