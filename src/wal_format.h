// Copyright (c) the kvstore developers.
//
// The WAL's byte layout; docs/FORMATS.md is the prose version.
//
//   file   := header record* zero-padding*
//   header := magic[8] "KVSTWAL\x01" | version u32 | flags u32 | base_seq u64
//             | checksum u32 (XXH3-64 of bytes 0..23, low 32 bits) | zero u32
//   record := length u32 | checksum u32 | body[length] | zero pad to 8 bytes
//   body   := seq u64 | type u8 | payload
//   set    := varint32 key_len | key | value        (value runs to body end)
//   remove := key
//   clear  := (empty)
//
// Integers are little-endian. The record checksum is
//   fold32(XXH3_64bits(body[8..length]) ^ (seq * kSeqMul))
// where fold32(x) = low32(x) ^ high32(x); it covers type, payload and, through
// the odd multiplier, every bit of seq. Records start at 8-byte aligned
// offsets. A record's first 8 bytes are written last (see LogFile::Append), so
// an all-zero length+checksum word marks the end of the written log.

#ifndef KVSTORE_SRC_WAL_FORMAT_H_
#define KVSTORE_SRC_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coding.h"

namespace kvstore::wal {

inline constexpr char kMagic[8] = {'K', 'V', 'S', 'T', 'W', 'A', 'L', '\x01'};
inline constexpr uint32_t kVersion = 1;
inline constexpr std::size_t kFileHeaderSize = 32;
inline constexpr std::size_t kRecordHeaderSize = 8;    // length + checksum
inline constexpr std::size_t kBodyPrefixSize = 9;      // seq + type
inline constexpr uint32_t kMaxBodySize = 0xF0000000u;  // < 4 GiB, fits u32
inline constexpr uint64_t kSeqMul = 0x9E3779B97F4A7C15ull;
// Sequence numbers never exceed this (2^62 writes), so base_seq + 1 never
// wraps; a file or snapshot claiming more is corrupt.
inline constexpr uint64_t kMaxSequence = uint64_t{1} << 62;

enum class RecordType : uint8_t { kSet = 1, kRemove = 2, kClear = 3 };

inline constexpr std::size_t Padded(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

inline uint32_t RecordChecksum(uint64_t payload_hash, uint64_t seq) {
  uint64_t x = payload_hash ^ (seq * kSeqMul);
  return static_cast<uint32_t>(x) ^ static_cast<uint32_t>(x >> 32);
}

// Builds the 32-byte file header for a log that continues after base_seq.
std::string EncodeFileHeader(uint64_t base_seq);

// Encodes a record into *out (replacing its contents) with seq left as zero
// and returns XXH3 of the part the checksum covers besides seq; FinishRecord
// then stamps seq and checksum. Splitting lets the hashing run outside the
// WAL lock while seq is assigned under it.
uint64_t EncodeRecord(RecordType type, std::string_view key, std::string_view value,
                      std::string* out);
void FinishRecord(uint64_t seq, uint64_t payload_hash, std::string* rec);

}  // namespace kvstore::wal

#endif  // KVSTORE_SRC_WAL_FORMAT_H_
