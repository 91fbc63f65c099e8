// Copyright (c) the kvstore developers.

#include "dump.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "cli.h"
#include "common/escape.h"
#include "dir_layout.h"
#include "file_map.h"
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
  }
  return "unknown";
}

// " set \"key\" \"value\"", " setx \"key\" \"value\" <deadline ms>",
// " expire \"key\" <deadline ms, 0: none>", " remove \"key\"" or " clear".
std::string OpText(wal::RecordType type, std::string_view key, std::string_view value,
                   int64_t deadline) {
  std::string s = std::string(" ") + TypeName(type);
  if (type != wal::RecordType::kClear) s += " \"" + common::EscapeBytes(key) + "\"";
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
