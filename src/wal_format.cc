// Copyright (c) the kvstore developers.

#include "wal_format.h"

#include <vector>

#include "object.h"

namespace kvstore::wal {

std::string EncodeFileHeader(uint64_t base_seq) {
  std::string h(kFileHeaderSize, '\0');
  std::memcpy(h.data(), kMagic, 8);
  PutFixed32(h.data() + 8, kVersion);
  PutFixed32(h.data() + 12, 0);
  PutFixed64(h.data() + 16, base_seq);
  PutFixed32(h.data() + 24, static_cast<uint32_t>(XXH3_64bits(h.data(), 24)));
  return h;
}

uint64_t EncodeRecord(RecordType type, std::string_view key, std::string_view value,
                      std::string* out, int64_t deadline) {
  std::size_t body = kBodyPrefixSize + (HasDeadline(type) ? 8 : 0);
  if (HasValue(type)) {
    body += static_cast<std::size_t>(VarintLength(static_cast<uint32_t>(key.size()))) + key.size() +
            value.size();
  } else if (type != RecordType::kClear) {
    body += key.size();
  }
  out->assign(kRecordHeaderSize + Padded(body), '\0');
  char* p = out->data() + kRecordHeaderSize;
  PutFixed32(out->data(), static_cast<uint32_t>(body));
  p[8] = static_cast<char>(type);
  char* q = p + kBodyPrefixSize;
  if (HasDeadline(type)) {
    PutFixed64(q, static_cast<uint64_t>(deadline));
    q += 8;
  }
  if (HasValue(type)) q = PutVarint32(q, static_cast<uint32_t>(key.size()));
  if (type != RecordType::kClear) {
    std::memcpy(q, key.data(), key.size());
    q += key.size();
  }
  if (HasValue(type)) std::memcpy(q, value.data(), value.size());
  return XXH3_64bits(p + 8, body - 8);
}

uint64_t EncodeBatchRecord(const BatchOp* ops, std::size_t n, std::string* out) {
  auto vlen = [](std::size_t v) {
    return static_cast<std::size_t>(VarintLength(static_cast<uint32_t>(v)));
  };
  std::size_t body = kBodyPrefixSize + vlen(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (ops[i].type == RecordType::kClear) {
      body += 1;  // the type byte alone
      continue;
    }
    body += 1 + vlen(ops[i].key.size()) + ops[i].key.size() + (HasDeadline(ops[i].type) ? 8 : 0);
    if (HasValue(ops[i].type)) body += vlen(ops[i].value.size()) + ops[i].value.size();
  }
  out->assign(kRecordHeaderSize + Padded(body), '\0');
  char* p = out->data() + kRecordHeaderSize;
  PutFixed32(out->data(), static_cast<uint32_t>(body));
  p[8] = static_cast<char>(RecordType::kBatch);
  char* q = PutVarint32(p + kBodyPrefixSize, static_cast<uint32_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const BatchOp& op = ops[i];
    *q++ = static_cast<char>(op.type);
    if (op.type == RecordType::kClear) continue;
    if (HasDeadline(op.type)) {
      PutFixed64(q, static_cast<uint64_t>(op.deadline));
      q += 8;
    }
    q = PutVarint32(q, static_cast<uint32_t>(op.key.size()));
    std::memcpy(q, op.key.data(), op.key.size());
    q += op.key.size();
    if (HasValue(op.type)) {
      q = PutVarint32(q, static_cast<uint32_t>(op.value.size()));
      std::memcpy(q, op.value.data(), op.value.size());
      q += op.value.size();
    }
  }
  return XXH3_64bits(p + 8, body - 8);
}

bool ValidTypedOp(std::string_view value) {
  OpCode code;
  std::vector<std::string_view> args;
  return DecodeOp(value, &code, &args);
}

void FinishRecord(uint64_t seq, uint64_t payload_hash, std::string* rec) {
  PutFixed64(rec->data() + kRecordHeaderSize, seq);
  PutFixed32(rec->data() + 4, RecordChecksum(payload_hash, seq));
}

}  // namespace kvstore::wal
