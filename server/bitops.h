// Copyright (c) the kvstore developers.
//
// The algorithms behind the bit and LCS commands, on plain byte strings and
// without the server: bit counting and bit search over a range, BITOP's
// byte-wise combination, BITFIELD's integer fields with Redis's overflow
// rules, and the longest common subsequence with its matching ranges. Bits
// are numbered as Redis numbers them: bit 0 is the most significant bit of
// byte 0. The range rules (negative indexes, clamping, BYTE or BIT units) are
// Redis 7.0's (bitops.c, t_string.c).

#ifndef KVSTORE_SERVER_BITOPS_H_
#define KVSTORE_SERVER_BITOPS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kvstore::server::bitops {

// The number of bits set in `bytes`.
uint64_t PopCount(std::string_view bytes);

// A range of bits [first, last] inside a string, resolved from BITCOUNT's or
// BITPOS's start/end arguments; empty when first > last.
struct BitRange {
  int64_t first = 0;
  int64_t last = -1;
  bool empty() const { return first > last; }
};

// Redis's rules for start/end over a string of `len` bytes: negative indexes
// count from the end, both ends are clamped into the string, and the units
// are bytes (bit_units false) or bits.
BitRange ResolveRange(int64_t len, int64_t start, int64_t end, bool bit_units);

// The number of set bits of `s` inside `r` (r must lie inside s).
uint64_t CountBits(std::string_view s, BitRange r);

// The position of the first bit equal to `bit` inside `r`, or -1. When
// looking for a clear bit and the range has none, the bits right of the
// range count as clear unless `end_given` (BITPOS's rule): the answer is
// then r.last + 1.
int64_t FindBit(std::string_view s, bool bit, BitRange r, bool end_given);

// BITOP: the sources combined byte by byte, the shorter ones padded with
// zero bytes up to the longest. NOT takes exactly one source.
enum class BitOpKind { kAnd, kOr, kXor, kNot };
std::string BitOp(BitOpKind op, std::span<const std::string_view> sources);

// BITFIELD: a field of `bits` (1..64) bits starting at bit `offset`. Reads
// past the end of `s` see zero bits; writes need s to be long enough.
uint64_t GetUnsignedField(std::string_view s, uint64_t offset, int bits);
int64_t GetSignedField(std::string_view s, uint64_t offset, int bits);
void SetField(std::string& s, uint64_t offset, int bits, uint64_t value);

enum class Overflow { kWrap, kSat, kFail };

// Whether value + incr overflows a signed (i<bits>) or unsigned (u<bits>)
// field; if so, *limit is what WRAP or SAT stores instead. A SET is checked
// as value + 0; an unsigned SET passes the int64 argument reinterpreted as
// uint64, as Redis does (so -1 stored SAT into a u8 is 255).
bool SignedOverflows(int64_t value, int64_t incr, int bits, Overflow mode, int64_t* limit);
bool UnsignedOverflows(uint64_t value, int64_t incr, int bits, Overflow mode, uint64_t* limit);

// LCS: the longest common subsequence of a and b, found with the classic
// dynamic-programming table (which needs LcsTableBytes of memory).
struct LcsMatch {
  uint32_t a_start, a_end, b_start, b_end;  // inclusive byte ranges
  uint32_t length() const { return a_end - a_start + 1; }
};
struct LcsResult {
  uint32_t length = 0;
  std::string sequence;            // filled when asked for
  std::vector<LcsMatch> matches;   // filled when asked for; last match first, as Redis lists them
};
uint64_t LcsTableBytes(std::size_t a_len, std::size_t b_len);
// `min_match_len`: matches shorter than this are left out of `matches`.
LcsResult Lcs(std::string_view a, std::string_view b, bool want_sequence, bool want_matches,
              uint64_t min_match_len);

}  // namespace kvstore::server::bitops

#endif  // KVSTORE_SERVER_BITOPS_H_
