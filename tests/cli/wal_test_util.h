// Copyright (c) the kvstore developers.
//
// Builds WAL images byte for byte for the check and dump tests, with the
// library's own encoder (so the tests follow any change of format).

#ifndef KVSTORE_TOOLS_CLI_WAL_TEST_UTIL_H_
#define KVSTORE_TOOLS_CLI_WAL_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "object.h"
#include "wal_format.h"

namespace kvstore::cli::testing {

struct TestRecord {
  wal::RecordType type;
  std::string key, value;
  int64_t deadline = 0;  // setx, expire
};

// A log continuing after base_seq; *offsets (if given) receives each
// record's offset.
inline std::string BuildWal(uint64_t base_seq, const std::vector<TestRecord>& records,
                            std::vector<uint64_t>* offsets = nullptr) {
  std::string out = wal::EncodeFileHeader(base_seq);
  std::string rec;
  uint64_t seq = base_seq;
  for (const TestRecord& r : records) {
    const uint64_t hash = wal::EncodeRecord(r.type, r.key, r.value, &rec, r.deadline);
    wal::FinishRecord(++seq, hash, &rec);
    if (offsets) offsets->push_back(out.size());
    out += rec;
  }
  return out;
}

// A log after base_seq holding one batch record of ops.
inline std::string BuildBatchWal(uint64_t base_seq, const std::vector<wal::BatchOp>& ops) {
  std::string rec;
  wal::FinishRecord(base_seq + 1, wal::EncodeBatchRecord(ops.data(), ops.size(), &rec), &rec);
  return wal::EncodeFileHeader(base_seq) + rec;
}

// A typed op's bytes (the value of a kTyped record or batch op).
inline std::string TypedOp(OpCode code, const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string out;
  EncodeOp(code, views, &out);
  return out;
}

// n set records "k<i>" = "value <i>".
inline std::string BuildSets(uint64_t base_seq, int n, std::vector<uint64_t>* offsets = nullptr) {
  std::vector<TestRecord> recs;
  for (int i = 0; i < n; ++i) {
    recs.push_back({wal::RecordType::kSet, "k" + std::to_string(i), "value " + std::to_string(i)});
  }
  return BuildWal(base_seq, recs, offsets);
}

}  // namespace kvstore::cli::testing

#endif  // KVSTORE_TOOLS_CLI_WAL_TEST_UTIL_H_
