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
//   batch  := varint32 count | op{count}             (one atomic update())
//   setx   := deadline u64 | varint32 key_len | key | value   (version 2)
//   expire := deadline u64 | key                     (version 2; 0 clears)
//   typed  := varint32 key_len | key | typed_op      (version 3)
//   typed_op := code u8 | varint32 argc | (varint32 len | bytes){argc}
//             (a change to a hash, list, set or sorted set; object.h,
//             types.h OpCode)
//   op     := op_type u8 (1 set, 2 remove, 3 clear, 5 setx, 6 expire, 7 typed)
//             | [deadline u64]                       (setx, expire)
//             | [varint32 key_len | key]             (all but clear)
//             | [varint32 value_len | value]         (set, setx; typed: typed_op)
//
// A deadline is a Unix time in milliseconds (an int64 stored as u64). Each
// version only adds record types: a version 1 or 2 log is a valid version 3
// log, and readers accept every header version from 1 to 3.
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
inline constexpr uint32_t kVersion = 3;
inline constexpr uint32_t kMinVersion = 1;  // the oldest this build reads
inline constexpr std::size_t kFileHeaderSize = 32;
// Where the header's fields start (the layout above); the checksum covers the
// bytes before kHeaderChecksumOffset.
inline constexpr std::size_t kHeaderVersionOffset = 8;
inline constexpr std::size_t kHeaderFlagsOffset = 12;
inline constexpr std::size_t kHeaderBaseSeqOffset = 16;
inline constexpr std::size_t kHeaderChecksumOffset = 24;
inline constexpr std::size_t kRecordHeaderSize = 8;    // length + checksum
inline constexpr std::size_t kBodyPrefixSize = 9;      // seq + type
inline constexpr uint32_t kMaxBodySize = 0xF0000000u;  // < 4 GiB, fits u32
inline constexpr uint64_t kSeqMul = 0x9E3779B97F4A7C15ull;
// Sequence numbers never exceed this (2^62 writes), so base_seq + 1 never
// wraps; a file or snapshot claiming more is corrupt.
inline constexpr uint64_t kMaxSequence = uint64_t{1} << 62;

enum class RecordType : uint8_t {
  kSet = 1,
  kRemove = 2,
  kClear = 3,
  kBatch = 4,
  kSetExpiring = 5,  // "setx": a set with a deadline
  kExpire = 6,       // a new deadline for a present key (0: none)
  kTyped = 7,        // an op on a key's object (types.h OpCode), in the value
};

inline bool HasDeadline(RecordType t) {
  return t == RecordType::kSetExpiring || t == RecordType::kExpire;
}
inline bool HasValue(RecordType t) {
  return t == RecordType::kSet || t == RecordType::kSetExpiring || t == RecordType::kTyped;
}
// Whether an op's value bytes are a well-formed typed op (object.h DecodeOp).
bool ValidTypedOp(std::string_view value);

// One write of a batch record: kSet, kRemove, kClear (every key; no key),
// kSetExpiring, kExpire or kTyped (value: the encoded op).
struct BatchOp {
  RecordType type;
  std::string_view key;
  std::string_view value;  // kSet, kSetExpiring
  int64_t deadline = 0;    // kSetExpiring, kExpire
};

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
// deadline: for kSetExpiring and kExpire.
uint64_t EncodeRecord(RecordType type, std::string_view key, std::string_view value,
                      std::string* out, int64_t deadline = 0);
void FinishRecord(uint64_t seq, uint64_t payload_hash, std::string* rec);

// As EncodeRecord, for a kBatch record holding ops in order.
uint64_t EncodeBatchRecord(const BatchOp* ops, std::size_t n, std::string* out);

// Decodes a kBatch payload, calling fn for each op in order (fn may be empty
// to only validate). Returns false, with *why set, if the payload does not
// follow the grammar; fn may have been called for the ops before the fault.
template <typename Fn>
bool ForEachBatchOp(std::string_view payload, std::string* why, Fn&& fn) {
  const char* p = payload.data();
  const char* end = p + payload.size();
  uint32_t count;
  p = GetVarint32(p, end, &count);
  if (p == nullptr || count == 0) {
    *why = "bad op count in batch record";
    return false;
  }
  for (uint32_t i = 0; i < count; ++i) {
    if (p == end) {
      *why = "batch record ends before op " + std::to_string(i);
      return false;
    }
    BatchOp op;
    op.type = static_cast<RecordType>(*p++);
    if (op.type == RecordType::kClear) {
      fn(op);
      continue;
    }
    if (op.type != RecordType::kSet && op.type != RecordType::kRemove &&
        op.type != RecordType::kSetExpiring && op.type != RecordType::kExpire &&
        op.type != RecordType::kTyped) {
      *why = "bad op type in batch record";
      return false;
    }
    if (HasDeadline(op.type)) {
      if (end - p < 8) {
        *why = "batch record ends inside a deadline";
        return false;
      }
      op.deadline = static_cast<int64_t>(GetFixed64(p));
      p += 8;
    }
    uint32_t klen;
    p = GetVarint32(p, end, &klen);
    if (p == nullptr || static_cast<std::size_t>(end - p) < klen) {
      *why = "bad key length in batch record";
      return false;
    }
    op.key = {p, klen};
    p += klen;
    if (HasValue(op.type)) {
      uint32_t vlen;
      p = GetVarint32(p, end, &vlen);
      if (p == nullptr || static_cast<std::size_t>(end - p) < vlen) {
        *why = "bad value length in batch record";
        return false;
      }
      op.value = {p, vlen};
      p += vlen;
      if (op.type == RecordType::kTyped && !ValidTypedOp(op.value)) {
        *why = "malformed typed op in batch record";
        return false;
      }
    }
    fn(op);
  }
  if (p != end) {
    *why = "trailing bytes in batch record";
    return false;
  }
  return true;
}

}  // namespace kvstore::wal

#endif  // KVSTORE_SRC_WAL_FORMAT_H_
