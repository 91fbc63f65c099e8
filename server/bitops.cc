// Copyright (c) the kvstore developers.
//
// Bit and LCS algorithms; see bitops.h.

#include "bitops.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace kvstore::server::bitops {

namespace {

uint64_t LoadWord(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  return w;
}

uint8_t ByteAt(std::string_view s, std::size_t i) { return static_cast<uint8_t>(s[i]); }

// The bits of a byte at positions [from, to] (0 = most significant) kept,
// the others cleared.
uint8_t KeepBits(uint8_t b, int from, int to) {
  const unsigned high = 0xFFu >> from;          // clears bits left of `from`
  const unsigned low = (0xFFu << (7 - to)) & 0xFFu;  // clears bits right of `to`
  return static_cast<uint8_t>(b & high & low);
}

}  // namespace

uint64_t PopCount(std::string_view bytes) {
  uint64_t n = 0;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) n += std::popcount(LoadWord(bytes.data() + i));
  for (; i < bytes.size(); ++i) n += std::popcount(ByteAt(bytes, i));
  return n;
}

BitRange ResolveRange(int64_t len, int64_t start, int64_t end, bool bit_units) {
  const int64_t total = bit_units ? len * 8 : len;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return BitRange{};
  if (bit_units) return BitRange{start, end};
  return BitRange{start * 8, end * 8 + 7};
}

uint64_t CountBits(std::string_view s, BitRange r) {
  if (r.empty()) return 0;
  const auto first_byte = static_cast<std::size_t>(r.first >> 3);
  const auto last_byte = static_cast<std::size_t>(r.last >> 3);
  uint64_t n = PopCount(s.substr(first_byte, last_byte - first_byte + 1));
  // Take back the bits of the edge bytes that lie outside the range.
  n -= std::popcount(KeepBits(ByteAt(s, first_byte), 0, static_cast<int>(r.first & 7) - 1));
  if ((r.last & 7) != 7) {
    n -= std::popcount(KeepBits(ByteAt(s, last_byte), static_cast<int>(r.last & 7) + 1, 7));
  }
  return n;
}

int64_t FindBit(std::string_view s, bool bit, BitRange r, bool end_given) {
  if (r.empty()) return -1;
  const uint8_t flip = bit ? 0x00 : 0xFF;  // searching a 0 is searching a 1 in ~byte
  const auto first_byte = static_cast<std::size_t>(r.first >> 3);
  const auto last_byte = static_cast<std::size_t>(r.last >> 3);
  std::size_t i = first_byte;
  while (i <= last_byte) {
    const bool edge = i == first_byte || i == last_byte;
    if (!edge && i + 8 <= last_byte) {
      // Whole words in the middle: skip those without a wanted bit.
      const uint64_t skip = bit ? 0 : ~uint64_t{0};
      if (LoadWord(s.data() + i) == skip) {
        i += 8;
        continue;
      }
    }
    const int from = i == first_byte ? static_cast<int>(r.first & 7) : 0;
    const int to = i == last_byte ? static_cast<int>(r.last & 7) : 7;
    const uint8_t b = KeepBits(static_cast<uint8_t>(ByteAt(s, i) ^ flip), from, to);
    if (b != 0) return static_cast<int64_t>(i) * 8 + std::countl_zero(b);
    ++i;
  }
  // No such bit. Without an explicit end, BITPOS sees the string as padded
  // with clear bits on the right.
  if (!bit && !end_given) return r.last + 1;
  return -1;
}

std::string BitOp(BitOpKind op, std::span<const std::string_view> sources) {
  std::size_t max_len = 0;
  for (auto s : sources) max_len = std::max(max_len, s.size());
  std::string out(max_len, '\0');
  if (sources.empty()) return out;
  // std::copy, not memcpy: an empty view may have a null data().
  std::copy(sources[0].begin(), sources[0].end(), out.begin());
  if (op == BitOpKind::kNot) {
    for (char& c : out) c = static_cast<char>(~c);
    return out;
  }
  for (std::size_t k = 1; k < sources.size(); ++k) {
    const std::string_view s = sources[k];
    switch (op) {
      case BitOpKind::kAnd:
        for (std::size_t i = 0; i < s.size(); ++i) out[i] = static_cast<char>(out[i] & s[i]);
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(s.size()), out.end(), '\0');
        break;
      case BitOpKind::kOr:
        for (std::size_t i = 0; i < s.size(); ++i) out[i] = static_cast<char>(out[i] | s[i]);
        break;
      case BitOpKind::kXor:
        for (std::size_t i = 0; i < s.size(); ++i) out[i] = static_cast<char>(out[i] ^ s[i]);
        break;
      case BitOpKind::kNot:
        break;
    }
  }
  return out;
}

uint64_t GetUnsignedField(std::string_view s, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; ++i) {
    const uint64_t pos = offset + static_cast<uint64_t>(i);
    const uint64_t byte = pos >> 3;
    const unsigned b = byte < s.size() ? (ByteAt(s, byte) >> (7 - (pos & 7))) & 1u : 0u;
    v = (v << 1) | b;
  }
  return v;
}

int64_t GetSignedField(std::string_view s, uint64_t offset, int bits) {
  uint64_t v = GetUnsignedField(s, offset, bits);
  if (bits < 64 && (v >> (bits - 1)) & 1) v |= ~uint64_t{0} << bits;  // sign-extend
  return static_cast<int64_t>(v);
}

void SetField(std::string& s, uint64_t offset, int bits, uint64_t value) {
  for (int i = 0; i < bits; ++i) {
    const uint64_t pos = offset + static_cast<uint64_t>(i);
    const unsigned mask = 1u << (7 - (pos & 7));
    char& c = s[pos >> 3];
    if ((value >> (bits - 1 - i)) & 1) {
      c = static_cast<char>(static_cast<uint8_t>(c) | mask);
    } else {
      c = static_cast<char>(static_cast<uint8_t>(c) & ~mask);
    }
  }
}

// The overflow checks follow Redis's exactly, including its differences
// computed modulo 2^64 (max - value for a SET value far outside the field):
// the same arguments give the same field as on Redis.
bool SignedOverflows(int64_t value, int64_t incr, int bits, Overflow mode, int64_t* limit) {
  const int64_t max = bits == 64 ? std::numeric_limits<int64_t>::max()
                                 : static_cast<int64_t>((uint64_t{1} << (bits - 1)) - 1);
  const int64_t min = -max - 1;
  const auto wrapping_sub = [](int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
  };
  const int64_t max_incr = wrapping_sub(max, value);
  const int64_t min_incr = wrapping_sub(min, value);
  int64_t saturated;
  if (value > max || (bits != 64 && incr > max_incr) ||
      (value >= 0 && incr > 0 && incr > max_incr)) {
    saturated = max;
  } else if (value < min || (bits != 64 && incr < min_incr) ||
             (value < 0 && incr < 0 && incr < min_incr)) {
    saturated = min;
  } else {
    return false;
  }
  if (mode == Overflow::kSat) {
    *limit = saturated;
  } else if (mode == Overflow::kWrap) {
    uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      const uint64_t high = ~uint64_t{0} << bits;
      c = ((c >> (bits - 1)) & 1) ? (c | high) : (c & ~high);
    }
    *limit = static_cast<int64_t>(c);
  }
  return true;
}

bool UnsignedOverflows(uint64_t value, int64_t incr, int bits, Overflow mode, uint64_t* limit) {
  const uint64_t max = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const auto max_incr = static_cast<int64_t>(max - value);
  const auto min_incr = static_cast<int64_t>(uint64_t{0} - value);
  uint64_t saturated;
  if (value > max || (incr > 0 && incr > max_incr)) {
    saturated = max;
  } else if (incr < 0 && incr < min_incr) {
    saturated = 0;
  } else {
    return false;
  }
  if (mode == Overflow::kSat) {
    *limit = saturated;
  } else if (mode == Overflow::kWrap) {
    uint64_t c = value + static_cast<uint64_t>(incr);
    if (bits < 64) c &= ~(~uint64_t{0} << bits);
    *limit = c;
  }
  return true;
}

uint64_t LcsTableBytes(std::size_t a_len, std::size_t b_len) {
  uint64_t cells = 0, bytes = 0;
  if (__builtin_mul_overflow(uint64_t{a_len} + 1, uint64_t{b_len} + 1, &cells) ||
      __builtin_mul_overflow(cells, uint64_t{sizeof(uint32_t)}, &bytes)) {
    return std::numeric_limits<uint64_t>::max();
  }
  return bytes;
}

LcsResult Lcs(std::string_view a, std::string_view b, bool want_sequence, bool want_matches,
              uint64_t min_match_len) {
  const auto alen = static_cast<uint32_t>(a.size());
  const auto blen = static_cast<uint32_t>(b.size());
  const std::size_t stride = std::size_t{blen} + 1;
  // table[i * stride + j]: the LCS length of a[0, i) and b[0, j).
  std::vector<uint32_t> table((std::size_t{alen} + 1) * stride, 0);
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& { return table[i * stride + j]; };
  for (uint32_t i = 1; i <= alen; ++i) {
    for (uint32_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  LcsResult out;
  out.length = at(alen, blen);
  if (!want_sequence && !want_matches) return out;
  if (want_sequence) out.sequence.assign(out.length, '\0');

  // Walk back from the end, as Redis does (ties move along b), collecting
  // the sequence right to left and each run of consecutive matches.
  uint32_t i = alen, j = blen, idx = out.length;
  bool in_match = false;
  LcsMatch cur{};
  auto emit = [&] {
    if (want_matches && (min_match_len == 0 || cur.length() >= min_match_len)) {
      out.matches.push_back(cur);
    }
    in_match = false;
  };
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      if (want_sequence) out.sequence[idx - 1] = a[i - 1];
      if (!in_match) {
        cur = LcsMatch{i - 1, i - 1, j - 1, j - 1};
        in_match = true;
      } else {
        cur.a_start = i - 1;  // the run grows to the left
        cur.b_start = j - 1;
      }
      --idx;
      --i;
      --j;
      if (cur.a_start == 0 || cur.b_start == 0) emit();
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (in_match) emit();
    }
  }
  return out;
}

}  // namespace kvstore::server::bitops
