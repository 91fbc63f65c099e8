// Copyright (c) the kvstore developers.

#include "dump.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "common/escape.h"
#include "dir_layout.h"
#include "file_map.h"
#include "object.h"
#include "progress.h"
#include "snapshot.h"

namespace kvstore::cli {
namespace {

const char* TypeName(wal::RecordType t) {
  switch (t) {
    case wal::RecordType::kSet:
      return "set";
    case wal::RecordType::kRemove:
      return "remove";
    case wal::RecordType::kClear:
      return "clear";
    case wal::RecordType::kBatch:
      return "batch";
    case wal::RecordType::kSetExpiring:
      return "setx";
    case wal::RecordType::kExpire:
      return "expire";
    case wal::RecordType::kTyped:
      return "typed";
  }
  return "unknown";
}

// The name `dump` prints for a typed op (types.h OpCode).
const char* OpName(OpCode code) {
  switch (code) {
    case OpCode::kHashSet:
      return "hset";
    case OpCode::kHashDel:
      return "hdel";
    case OpCode::kSetAdd:
      return "sadd";
    case OpCode::kSetRem:
      return "srem";
    case OpCode::kZSetAdd:
      return "zadd";
    case OpCode::kZSetRem:
      return "zrem";
    case OpCode::kListPush:
      return "push";
    case OpCode::kListPop:
      return "pop";
    case OpCode::kListSet:
      return "lset";
    case OpCode::kListInsert:
      return "linsert";
    case OpCode::kListRem:
      return "lrem";
    case OpCode::kListTrim:
      return "ltrim";
  }
  return "unknown";
}

// A typed op's name and arguments as text: scores as decimal numbers, the
// rest as escaped strings. Validated by the reader, so DecodeOp succeeds.
struct OpView {
  OpCode code = OpCode::kHashSet;
  std::vector<std::string_view> args;
  // Argument i as dump prints it (a sorted set's score: its number).
  std::string Arg(std::size_t i) const {
    if (code == OpCode::kZSetAdd && i % 2 == 0 && args[i].size() == 8) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", DecodeScore(args[i]));
      return buf;
    }
    return std::string(args[i]);
  }
};
OpView ParseOp(std::string_view value) {
  OpView v;
  (void)DecodeOp(value, &v.code, &v.args);
  return v;
}

// " set \"key\" \"value\"", " setx \"key\" \"value\" <deadline ms>",
// " expire \"key\" <deadline ms, 0: none>", " remove \"key\"" or " clear".
std::string OpText(wal::RecordType type, std::string_view key, std::string_view value,
                   int64_t deadline) {
  std::string s = std::string(" ") + TypeName(type);
  if (type != wal::RecordType::kClear) s += " \"" + common::EscapeBytes(key) + "\"";
  if (type == wal::RecordType::kTyped) {
    const OpView op = ParseOp(value);
    s += std::string(" ") + OpName(op.code);
    for (std::size_t i = 0; i < op.args.size(); ++i) {
      s += " \"" + common::EscapeBytes(op.Arg(i)) + "\"";
    }
    return s;
  }
  if (wal::HasValue(type)) s += " \"" + common::EscapeBytes(value) + "\"";
  if (wal::HasDeadline(type)) s += " " + std::to_string(deadline);
  return s;
}

void PutOpJson(rapidjson::Writer<rapidjson::StringBuffer>& w, wal::RecordType type,
               std::string_view key, std::string_view value, int64_t deadline) {
  std::string text;
  const auto put = [&](const char* name, std::string_view bytes) {
    text.clear();
    snapshot::EncodeText(bytes, &text);
    w.Key(name);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  w.Key("type");
  w.String(TypeName(type));
  if (type != wal::RecordType::kClear) put("key", key);
  if (type == wal::RecordType::kTyped) {
    const OpView op = ParseOp(value);
    w.Key("op");
    w.String(OpName(op.code));
    w.Key("args");
    w.StartArray();
    for (std::size_t i = 0; i < op.args.size(); ++i) {
      text.clear();
      snapshot::EncodeText(op.Arg(i), &text);
      w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    w.EndArray();
    return;
  }
  if (wal::HasValue(type)) put("value", value);
  if (wal::HasDeadline(type)) {
    w.Key("expire_at_ms");  // 0: the key's deadline is cleared
    w.Int64(deadline);
  }
}

}  // namespace

std::string FormatRecordText(const wal::RecordView& rec) {
  const std::string seq = std::to_string(rec.seq);
  if (rec.type != wal::RecordType::kBatch) {
    return seq + OpText(rec.type, rec.key, rec.value, rec.deadline) + "\n";
  }
  // One line per op, all with the batch's sequence number.
  std::string lines, why;
  wal::ForEachBatchOp(rec.value, &why, [&](const wal::BatchOp& op) {
    lines += seq + " batch" + OpText(op.type, op.key, op.value, op.deadline) + "\n";
  });
  return lines;
}

std::string FormatRecordJson(const wal::RecordView& rec) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("seq");
  w.Uint64(rec.seq);
  if (rec.type != wal::RecordType::kBatch) {
    PutOpJson(w, rec.type, rec.key, rec.value, rec.deadline);
  } else {
    w.Key("type");
    w.String("batch");
    w.Key("ops");
    w.StartArray();
    std::string why;
    wal::ForEachBatchOp(rec.value, &why, [&](const wal::BatchOp& op) {
      w.StartObject();
      PutOpJson(w, op.type, op.key, op.value, op.deadline);
      w.EndObject();
    });
    w.EndArray();
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

int DumpWalFile(const std::string& path, const DumpOptions& options, std::FILE* out) {
  auto file = MappedFile::Open(path);
  if (!file) return Fail(file.error());
  const std::string_view data = file->data();
  if (options.headers && !options.json) std::fprintf(out, "# %s\n", path.c_str());
  ProgressBar progress("dump " + path, data.size(), "bytes");
  auto scan = wal::ScanLog(data, path, [&](const wal::RecordView& rec) {
    const std::string line = options.json ? FormatRecordJson(rec) : FormatRecordText(rec);
    std::fwrite(line.data(), 1, line.size(), out);
    progress.Update(rec.offset);
  });
  progress.Finish();
  if (!scan) {
    Fail(scan.error());
    return kExitNo;  // a damaged header is damage, not a failure of the tool
  }
  if (scan->end == wal::End::kTornTail) {
    std::fprintf(stderr, "kvstore: note: '%s' ends in a torn tail at byte %llu (%s)\n",
                 path.c_str(), static_cast<unsigned long long>(scan->valid_end),
                 scan->problem.c_str());
  } else if (scan->end == wal::End::kCorrupt) {
    Fail("'" + path + "' is corrupt at byte " + std::to_string(scan->valid_end) + ": " +
         scan->problem);
    return kExitNo;
  }
  return std::ferror(out) ? Fail("cannot write the output") : kExitOk;
}

int DumpDataDir(const std::string& dir, const DumpOptions& options, std::FILE* out) {
  auto listing = ListDataDir(dir);
  if (!listing) return Fail(listing.error());
  if (listing->wal_segments.empty()) {
    return Fail("no WAL segments in '" + dir + "'");
  }
  int worst = kExitOk;
  for (const DirFile& segment : listing->wal_segments) {
    worst = std::max(worst, DumpWalFile(segment.path, options, out));
    if (worst == kExitError) break;
  }
  return worst;
}

}  // namespace kvstore::cli
