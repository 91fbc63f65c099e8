// Copyright (c) the kvstore developers.
//
// Torn tail versus corruption. Appends publish a record's first 8 bytes last,
// one record at a time, so a process killed mid-append leaves: valid records,
// then at most one partly written record whose header word is still zero (or,
// for a torn write seen through a filesystem that tears writes, a record cut
// short), then zeros. So the log may stop at a bad record only if no valid
// record follows it anywhere; a valid record after the stop point proves the
// damage is not an interrupted append but corruption.

#include "wal_reader.h"

#include <algorithm>

#include "error.h"

namespace kvstore::wal {
namespace {

// Searching for a valid record after the stop point hashes candidate bodies;
// past this budget the search gives up and calls the damage corruption (the
// safe answer: it refuses instead of silently dropping data).
constexpr uint64_t kSearchHashBudget = uint64_t{256} << 20;

// After a crash the log usually ends in megabytes of preallocated zeros:
// skip them a word at a time, then find the last non-zero byte.
uint64_t EndOfData(std::string_view data) {
  std::size_t n = data.size();
  while (n >= 8 && GetFixed64(data.data() + n - 8) == 0) n -= 8;
  while (n > 0 && data[n - 1] == '\0') --n;
  return n;
}

bool AnyValidRecordAfter(std::string_view data, uint64_t from, uint64_t data_end) {
  uint64_t budget = kSearchHashBudget;
  for (uint64_t off = (from + 8 + 7) & ~uint64_t{7}; off + kRecordHeaderSize < data_end; off += 8) {
    uint32_t len = GetFixed32(data.data() + off);
    if (len < kBodyPrefixSize || len > kMaxBodySize) continue;
    if (off + kRecordHeaderSize + len > data.size()) continue;
    if (budget < len) return true;
    budget -= len;
    RecordView rec;
    uint64_t next;
    std::string why;
    if (DecodeRecord(data, off, 0, &rec, &next, &why)) return true;
  }
  return false;
}

Result<void> CheckHeader(std::string_view data, const std::string& path, ScanResult* r) {
  if (std::memcmp(data.data(), kMagic, 8) != 0) {
    return Corruption("'" + path + "' is not a kvstore WAL (bad magic at offset 0)");
  }
  uint32_t want = static_cast<uint32_t>(XXH3_64bits(data.data(), 24));
  if (GetFixed32(data.data() + 24) != want) {
    return Corruption("WAL '" + path + "': header checksum mismatch at offset 24");
  }
  uint32_t version = GetFixed32(data.data() + 8);
  if (version < kMinVersion || version > kVersion) {
    return Corruption("WAL '" + path + "': unsupported format version " + std::to_string(version) +
                      " (this build reads versions " + std::to_string(kMinVersion) + " to " +
                      std::to_string(kVersion) + ")");
  }
  r->has_header = true;
  r->base_seq = GetFixed64(data.data() + 16);
  if (r->base_seq >= kMaxSequence) {
    return Corruption("WAL '" + path + "': base sequence " + std::to_string(r->base_seq) +
                      " at offset 16 is out of range");
  }
  return {};
}

}  // namespace

bool ChecksumHolds(std::string_view data, uint64_t off) {
  if (off + kRecordHeaderSize > data.size()) return false;
  const char* p = data.data() + off;
  const uint32_t len = GetFixed32(p);
  if (len < kBodyPrefixSize || len > kMaxBodySize || data.size() - off - kRecordHeaderSize < len) {
    return false;
  }
  const char* body = p + kRecordHeaderSize;
  return RecordChecksum(XXH3_64bits(body + 8, len - 8), GetFixed64(body)) == GetFixed32(p + 4);
}

bool DecodeRecord(std::string_view data, uint64_t off, uint64_t expected_seq, RecordView* rec,
                  uint64_t* next, std::string* why) {
  if (data.size() - off < kRecordHeaderSize) {
    *why = "incomplete record header";
    return false;
  }
  const char* p = data.data() + off;
  uint32_t len = GetFixed32(p);
  uint32_t crc = GetFixed32(p + 4);
  if (len == 0 && crc == 0) {
    *why = "unwritten record header";
    return false;
  }
  if (len < kBodyPrefixSize || len > kMaxBodySize) {
    *why = "bad record length " + std::to_string(len);
    return false;
  }
  if (data.size() - off - kRecordHeaderSize < len) {
    *why = "record of length " + std::to_string(len) + " runs past end of file";
    return false;
  }
  const char* body = p + kRecordHeaderSize;
  uint64_t seq = GetFixed64(body);
  if (RecordChecksum(XXH3_64bits(body + 8, len - 8), seq) != crc) {
    *why = "checksum mismatch";
    return false;
  }
  if (expected_seq != 0 && seq != expected_seq) {
    *why = "sequence gap: expected " + std::to_string(expected_seq) + ", found " +
           std::to_string(seq);
    return false;
  }
  rec->seq = seq;
  rec->offset = off;
  rec->type = static_cast<RecordType>(body[8]);
  const char* q = body + kBodyPrefixSize;
  const char* end = body + len;
  rec->key = {};
  rec->value = {};
  rec->deadline = 0;
  if (HasDeadline(rec->type)) {
    if (end - q < 8) {
      *why = "record ends inside its deadline";
      return false;
    }
    rec->deadline = static_cast<int64_t>(GetFixed64(q));
    q += 8;
  }
  switch (rec->type) {
    case RecordType::kSet:
    case RecordType::kSetExpiring:
    case RecordType::kTyped: {
      uint32_t klen;
      q = GetVarint32(q, end, &klen);
      if (q == nullptr || static_cast<std::size_t>(end - q) < klen) {
        *why = "bad key length in set record";
        return false;
      }
      rec->key = {q, klen};
      rec->value = {q + klen, static_cast<std::size_t>(end - q - klen)};
      if (rec->type == RecordType::kTyped && !ValidTypedOp(rec->value)) {
        *why = "malformed typed op record";
        return false;
      }
      break;
    }
    case RecordType::kRemove:
    case RecordType::kExpire:
      rec->key = {q, static_cast<std::size_t>(end - q)};
      break;
    case RecordType::kClear:
      if (q != end) {
        *why = "clear record with a payload";
        return false;
      }
      break;
    case RecordType::kBatch:
      rec->value = {q, static_cast<std::size_t>(end - q)};
      if (!ForEachBatchOp(rec->value, why, [](const BatchOp&) {})) return false;
      break;
    default:
      *why = "unknown record type " + std::to_string(static_cast<int>(body[8]));
      return false;
  }
  *next = off + kRecordHeaderSize + Padded(len);
  return true;
}

uint64_t CountFramedRecords(std::string_view data) {
  uint64_t n = 0;
  for (uint64_t off = kFileHeaderSize; off + kRecordHeaderSize <= data.size(); ++n) {
    const uint32_t len = GetFixed32(data.data() + off);
    if (len < kBodyPrefixSize || len > kMaxBodySize) break;
    off += kRecordHeaderSize + Padded(len);
  }
  return n;
}

Result<ScanResult> ScanLog(std::string_view data, const std::string& path,
                           const std::function<void(const RecordView&)>& fn) {
  ScanResult r;
  r.data_end = EndOfData(data);
  // A header that was never completed (a crash while creating the file) reads
  // as zeros in its first word: treat the log as empty.
  if (data.size() < kFileHeaderSize || GetFixed64(data.data()) == 0) {
    if (r.data_end > kFileHeaderSize) {
      return Corruption("WAL '" + path + "': missing header but data at offset " +
                        std::to_string(kFileHeaderSize));
    }
    r.end = r.data_end > 0 ? End::kTornTail : End::kClean;
    if (r.data_end > 0) r.problem = "incomplete file header";
    return r;
  }
  KV_RETURN_IF_ERROR(CheckHeader(data, path, &r));
  r.last_seq = r.base_seq;
  uint64_t off = kFileHeaderSize;
  RecordView rec;
  std::string why;
  for (;;) {
    uint64_t next;
    if (off >= r.data_end || !DecodeRecord(data, off, r.last_seq + 1, &rec, &next, &why)) break;
    fn(rec);
    r.last_seq = rec.seq;
    ++r.records;
    off = next;
  }
  r.valid_end = off;
  if (off >= r.data_end) {
    r.end = End::kClean;
  } else if (why.rfind("sequence gap", 0) == 0 || ChecksumHolds(data, off) ||
             AnyValidRecordAfter(data, off, r.data_end)) {
    // A record whose checksum holds was written whole: content this build
    // refuses (a newer format's record, or a bug) is not a torn tail, and
    // dropping it would lose an acknowledged write.
    r.end = End::kCorrupt;
    r.problem = why;
  } else {
    r.end = End::kTornTail;
    r.problem = why;
  }
  return r;
}

}  // namespace kvstore::wal
