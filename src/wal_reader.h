// Copyright (c) the kvstore developers.
//
// Decodes a WAL image and classifies where and why it stops.

#ifndef KVSTORE_SRC_WAL_READER_H_
#define KVSTORE_SRC_WAL_READER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "kvstore/result.h"
#include "wal_format.h"

namespace kvstore::wal {

struct RecordView {
  uint64_t seq;
  RecordType type;
  std::string_view key;    // set, remove, setx, expire
  std::string_view value;  // set, setx; batch: the payload (see wal::ForEachBatchOp)
  int64_t deadline;        // setx, expire (Unix ms; expire: 0 clears)
  uint64_t offset;         // of the record's first byte in the file
};

// How the log ends.
enum class End {
  kClean,      // after the last record only zeros (or nothing) follow
  kTornTail,   // an incomplete final record: an interrupted append
  kCorrupt,    // damage with intact records after it, or a sequence gap
};

struct ScanResult {
  bool has_header = false;  // false: empty, or a header that was never completed
  uint64_t base_seq = 0;    // the log continues after this sequence number
  uint64_t last_seq = 0;    // of the last valid record (base_seq if none)
  uint64_t records = 0;     // valid records delivered
  uint64_t valid_end = 0;   // offset just past the last valid record (or header)
  uint64_t data_end = 0;    // offset just past the last non-zero byte
  End end = End::kClean;
  std::string problem;      // for kTornTail / kCorrupt: what was found at valid_end
};

// Walks the log image `data` (the whole file) and calls fn for each valid
// record in order. Stops at the first record that fails its framing,
// checksum, grammar or sequence order and classifies the stop. Only a header
// that is present but wrong (bad magic, version or checksum) is an Error; path
// is used in its message.
Result<ScanResult> ScanLog(std::string_view data, const std::string& path,
                           const std::function<void(const RecordView&)>& fn);

// Counts the records that the framing (lengths only, no checksums) suggests:
// a cheap upper bound used to size tables before replay.
uint64_t CountFramedRecords(std::string_view data);

// True if data[off] frames a whole record whose checksum holds (whatever
// its content): such a record was written completely, so a fault in its
// content is not an interrupted append.
bool ChecksumHolds(std::string_view data, uint64_t off);

// Decodes one record at data[off]; returns false if it is not a valid record
// with sequence number expected_seq (0 accepts any; real expectations are >= 1
// because sequence numbers stay below kMaxSequence). On success sets *next to
// the offset after it. On failure *why says what is wrong.
bool DecodeRecord(std::string_view data, uint64_t off, uint64_t expected_seq, RecordView* rec,
                  uint64_t* next, std::string* why);

}  // namespace kvstore::wal

#endif  // KVSTORE_SRC_WAL_READER_H_
