// Copyright (c) the kvstore developers.
//
// server/bitops: bit counting and search over ranges, BITOP, BITFIELD's
// fields and overflow rules, and LCS, each against a plain bit-by-bit
// reference or against values redis-server 7.0 answers.

#include "bitops.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace kvstore::server::bitops {
namespace {

bool BitAt(std::string_view s, int64_t pos) {
  return (static_cast<uint8_t>(s[static_cast<std::size_t>(pos >> 3)]) >> (7 - (pos & 7))) & 1;
}

// Bit-by-bit references.
uint64_t NaiveCount(std::string_view s, BitRange r) {
  uint64_t n = 0;
  for (int64_t p = r.first; p <= r.last; ++p) n += BitAt(s, p);
  return n;
}
int64_t NaiveFind(std::string_view s, bool bit, BitRange r, bool end_given) {
  for (int64_t p = r.first; p <= r.last; ++p) {
    if (BitAt(s, p) == bit) return p;
  }
  if (r.empty()) return -1;
  return (!bit && !end_given) ? r.last + 1 : -1;
}

std::string RandomBytes(std::mt19937_64& rng, std::size_t n, int density) {
  std::string s(n, '\0');
  for (auto& c : s) {
    unsigned b = 0;
    for (int i = 0; i < 8; ++i) b = (b << 1) | ((rng() % 100) < static_cast<unsigned>(density));
    c = static_cast<char>(b);
  }
  return s;
}

TEST(BitopsTest, PopCount) {
  EXPECT_EQ(PopCount(""), 0u);
  EXPECT_EQ(PopCount("foobar"), 26u);  // BITCOUNT of "foobar" on redis-server
  EXPECT_EQ(PopCount(std::string("\xff\x00\xaa\x55\xf0\x0f\x33\xcc\x01", 9)), 33u);
  EXPECT_EQ(PopCount(std::string(1000, '\xff')), 8000u);
}

TEST(BitopsTest, ResolveRangeFollowsRedisIndexRules) {
  // 6 bytes, byte units.
  EXPECT_EQ(ResolveRange(6, 0, -1, false).first, 0);
  EXPECT_EQ(ResolveRange(6, 0, -1, false).last, 47);
  EXPECT_EQ(ResolveRange(6, 1, -2, false).first, 8);
  EXPECT_EQ(ResolveRange(6, 1, -2, false).last, 39);
  EXPECT_TRUE(ResolveRange(6, -2, 1, false).empty());
  EXPECT_EQ(ResolveRange(6, 0, 1000, false).last, 47);           // end clamped
  EXPECT_EQ(ResolveRange(6, -100, -50, false).last, 7);          // both clamp to byte 0
  EXPECT_TRUE(ResolveRange(6, 10, 20, false).empty());           // past the end
  EXPECT_TRUE(ResolveRange(0, 0, -1, false).empty());            // empty string
  // Bit units.
  EXPECT_EQ(ResolveRange(6, 10, -34, true).first, 10);
  EXPECT_EQ(ResolveRange(6, 10, -34, true).last, 14);
  EXPECT_EQ(ResolveRange(6, 0, 1000, true).last, 47);
  const auto extreme = ResolveRange(6, std::numeric_limits<int64_t>::min(),
                                    std::numeric_limits<int64_t>::max(), true);
  EXPECT_EQ(extreme.first, 0);
  EXPECT_EQ(extreme.last, 47);
}

TEST(BitopsTest, CountAndFindMatchBitByBitReference) {
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 400; ++iter) {
    const std::size_t len = rng() % 40;
    const int density = iter % 3 == 0 ? 0 : iter % 3 == 1 ? 100 : 50;  // all-0, all-1, mixed
    std::string s = RandomBytes(rng, len, density);
    if (len > 0 && iter % 5 == 0) s[rng() % len] ^= static_cast<char>(1 << (rng() % 8));
    const int64_t bits = static_cast<int64_t>(len) * 8;
    for (int k = 0; k < 20; ++k) {
      const bool bit_units = rng() & 1;
      const int64_t span = bit_units ? bits : static_cast<int64_t>(len);
      const int64_t start = static_cast<int64_t>(rng() % (2 * span + 3)) - span - 1;
      const int64_t end = static_cast<int64_t>(rng() % (2 * span + 3)) - span - 1;
      const BitRange r = ResolveRange(static_cast<int64_t>(len), start, end, bit_units);
      ASSERT_EQ(CountBits(s, r), NaiveCount(s, r)) << len << " " << start << " " << end;
      for (bool bit : {false, true}) {
        for (bool end_given : {false, true}) {
          ASSERT_EQ(FindBit(s, bit, r, end_given), NaiveFind(s, bit, r, end_given))
              << "len " << len << " range " << r.first << ".." << r.last << " bit " << bit;
        }
      }
    }
  }
}

TEST(BitopsTest, FindBitEdgeCases) {
  const std::string ff("\xff\xff\xff", 3);
  // BITPOS ff 0 -> 24 (the clear bit right of the string); with an end -> -1.
  EXPECT_EQ(FindBit(ff, false, ResolveRange(3, 0, -1, false), false), 24);
  EXPECT_EQ(FindBit(ff, false, ResolveRange(3, 0, -1, false), true), -1);
  const std::string z(27, '\0');
  std::string s = z + "\xf0";
  EXPECT_EQ(FindBit(s, true, ResolveRange(28, 1, -1, false), false), 216);
  EXPECT_EQ(FindBit(s, true, ResolveRange(28, 65, -1, true), true), 216);
}

TEST(BitopsTest, BitOpPadsShorterSourcesWithZeros) {
  const std::string a("\x01\x02\xff\xff", 4), b("\x01\x02\xff", 3);
  const std::vector<std::string_view> ab{a, b};
  EXPECT_EQ(BitOp(BitOpKind::kAnd, ab), std::string("\x01\x02\xff\x00", 4));
  EXPECT_EQ(BitOp(BitOpKind::kOr, ab), std::string("\x01\x02\xff\xff", 4));
  EXPECT_EQ(BitOp(BitOpKind::kXor, ab), std::string("\x00\x00\x00\xff", 4));
  const std::string n("\xaa\x00\xff\x55", 4);
  const std::vector<std::string_view> one{n};
  EXPECT_EQ(BitOp(BitOpKind::kNot, one), std::string("\x55\xff\x00\xaa", 4));
  // A missing key is an empty source: AND with it is all zeros.
  const std::vector<std::string_view> with_empty{"", a};
  EXPECT_EQ(BitOp(BitOpKind::kAnd, with_empty), std::string(4, '\0'));
  const std::vector<std::string_view> empties{"", ""};
  EXPECT_EQ(BitOp(BitOpKind::kOr, empties), "");
}

TEST(BitopsTest, FieldsReadAndWriteMostSignificantBitFirst) {
  std::string s(3, '\0');
  SetField(s, 0, 8, 65);
  SetField(s, 8, 8, 66);
  SetField(s, 16, 8, 67);
  EXPECT_EQ(s, "ABC");
  EXPECT_EQ(GetUnsignedField(s, 0, 8), 65u);
  EXPECT_EQ(GetUnsignedField(s, 4, 8), 0x14u);  // low nibble of 'A', high nibble of 'B'
  EXPECT_EQ(GetSignedField(std::string("\xff", 1), 0, 8), -1);
  EXPECT_EQ(GetSignedField(std::string("\xff", 1), 0, 4), -1);
  EXPECT_EQ(GetUnsignedField(std::string("\xff", 1), 0, 4), 15u);
  // Past the end reads zeros: "1" is 0x31, so u1 at 0 is 0, u8 at 4 is 0x10.
  EXPECT_EQ(GetUnsignedField("1", 0, 1), 0u);
  EXPECT_EQ(GetUnsignedField("1", 4, 8), 0x10u);
  EXPECT_EQ(GetSignedField("", 1000, 64), 0);
  // A 64-bit field at an unaligned offset spans 9 bytes.
  std::string w(9, '\0');
  SetField(w, 3, 64, 0x8000000000000001ull);
  EXPECT_EQ(GetSignedField(w, 3, 64), std::numeric_limits<int64_t>::min() + 1);
  EXPECT_EQ(w[0], '\x10');
  EXPECT_EQ(w[8], '\x20');
}

TEST(BitopsTest, SignedOverflow) {
  int64_t limit = 0;
  // i8: 100 + 257 -> wraps to 101, saturates to 127.
  EXPECT_TRUE(SignedOverflows(100, 257, 8, Overflow::kWrap, &limit));
  EXPECT_EQ(limit, 101);
  EXPECT_TRUE(SignedOverflows(100, 257, 8, Overflow::kSat, &limit));
  EXPECT_EQ(limit, 127);
  EXPECT_TRUE(SignedOverflows(100, -255, 8, Overflow::kSat, &limit));
  EXPECT_EQ(limit, -128);
  EXPECT_FALSE(SignedOverflows(100, 27, 8, Overflow::kFail, &limit));
  EXPECT_TRUE(SignedOverflows(100, 28, 8, Overflow::kFail, &limit));
  // SET checks the value alone: 255 into i8 wraps to -1.
  EXPECT_TRUE(SignedOverflows(255, 0, 8, Overflow::kWrap, &limit));
  EXPECT_EQ(limit, -1);
  // i64 at the edges.
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_TRUE(SignedOverflows(max - 1, max, 64, Overflow::kSat, &limit));
  EXPECT_EQ(limit, max);
  EXPECT_TRUE(SignedOverflows(max - 1, max, 64, Overflow::kWrap, &limit));
  EXPECT_EQ(limit, -3);
  EXPECT_FALSE(SignedOverflows(0, std::numeric_limits<int64_t>::min(), 64, Overflow::kFail,
                               &limit));
  EXPECT_TRUE(SignedOverflows(-2, std::numeric_limits<int64_t>::min(), 64, Overflow::kSat, &limit));
  EXPECT_EQ(limit, std::numeric_limits<int64_t>::min());
  // Redis 7.0 answers max for i63 SAT SET of INT64_MIN (its max - value
  // wraps): so do we.
  EXPECT_TRUE(SignedOverflows(std::numeric_limits<int64_t>::min(), 0, 63, Overflow::kSat, &limit));
  EXPECT_EQ(limit, (int64_t{1} << 62) - 1);
}

TEST(BitopsTest, UnsignedOverflow) {
  uint64_t limit = 0;
  EXPECT_TRUE(UnsignedOverflows(100, 257, 8, Overflow::kWrap, &limit));
  EXPECT_EQ(limit, 101u);
  EXPECT_TRUE(UnsignedOverflows(100, 257, 8, Overflow::kSat, &limit));
  EXPECT_EQ(limit, 255u);
  EXPECT_TRUE(UnsignedOverflows(100, -255, 8, Overflow::kSat, &limit));
  EXPECT_EQ(limit, 0u);
  EXPECT_FALSE(UnsignedOverflows(100, -100, 8, Overflow::kFail, &limit));
  EXPECT_TRUE(UnsignedOverflows(100, -101, 8, Overflow::kFail, &limit));
  // SET -1 into u8: the argument as uint64 is huge, so SAT stores 255 and
  // WRAP stores its low 8 bits, 255 too.
  EXPECT_TRUE(UnsignedOverflows(~uint64_t{0}, 0, 8, Overflow::kSat, &limit));
  EXPECT_EQ(limit, 255u);
  EXPECT_TRUE(UnsignedOverflows(~uint64_t{0}, 0, 63, Overflow::kWrap, &limit));
  EXPECT_EQ(limit, (uint64_t{1} << 63) - 1);
}

TEST(BitopsTest, WrapMatchesModularArithmetic) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    const int bits = 1 + static_cast<int>(rng() % 63);
    const int64_t min = -(int64_t{1} << (bits - 1)), max = (int64_t{1} << (bits - 1)) - 1;
    const int64_t value = min + static_cast<int64_t>(rng() % (uint64_t{1} << bits));
    const auto incr = static_cast<int64_t>(rng()) >> (rng() % 64);
    int64_t limit = 0;
    const __int128 sum = static_cast<__int128>(value) + incr;
    const bool overflows = SignedOverflows(value, incr, bits, Overflow::kWrap, &limit);
    ASSERT_EQ(overflows, sum > max || sum < min) << bits << " " << value << " " << incr;
    if (overflows) {
      const uint64_t mod = static_cast<uint64_t>(static_cast<__int128>(sum) - min) &
                           ((uint64_t{1} << bits) - 1);
      ASSERT_EQ(limit, static_cast<int64_t>(mod) + min) << bits << " " << value << " " << incr;
    }
  }
}

TEST(BitopsTest, LcsSequenceLengthAndMatches) {
  // The values redis-server 7.0 answers for LCS ohmytext mynewtext.
  auto r = Lcs("ohmytext", "mynewtext", true, true, 0);
  EXPECT_EQ(r.length, 6u);
  EXPECT_EQ(r.sequence, "mytext");
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(r.matches[0].a_start, 4u);
  EXPECT_EQ(r.matches[0].a_end, 7u);
  EXPECT_EQ(r.matches[0].b_start, 5u);
  EXPECT_EQ(r.matches[0].b_end, 8u);
  EXPECT_EQ(r.matches[1].a_start, 2u);
  EXPECT_EQ(r.matches[1].a_end, 3u);
  EXPECT_EQ(r.matches[1].b_start, 0u);
  EXPECT_EQ(r.matches[1].b_end, 1u);
  EXPECT_EQ(r.matches[1].length(), 2u);
  // MINMATCHLEN drops the short run; the length stays.
  r = Lcs("ohmytext", "mynewtext", false, true, 4);
  EXPECT_EQ(r.length, 6u);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].length(), 4u);
  EXPECT_EQ(Lcs("", "abc", true, true, 0).sequence, "");
  EXPECT_TRUE(Lcs("abc", "xyz", true, true, 0).matches.empty());
  EXPECT_EQ(Lcs("abc", "abc", true, true, 0).matches.size(), 1u);
}

TEST(BitopsTest, LcsTableBytes) {
  EXPECT_EQ(LcsTableBytes(0, 0), 4u);
  EXPECT_EQ(LcsTableBytes(599, 599), 600u * 600u * 4u);
  EXPECT_EQ(LcsTableBytes(std::numeric_limits<std::size_t>::max() - 1, 3),
            std::numeric_limits<uint64_t>::max());
}

}  // namespace
}  // namespace kvstore::server::bitops
