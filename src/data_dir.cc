// Copyright (c) the kvstore developers.

#include "data_dir.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <tuple>

#include "coding.h"
#include "durable_file.h"
#include "error.h"

namespace kvstore::datadir {
namespace {

constexpr std::string_view kSnapshotPrefix = "snapshot-";
constexpr std::string_view kSnapshotSuffix = ".json";
constexpr std::string_view kSegmentPrefix = "wal-";
constexpr std::string_view kSegmentSuffix = ".log";
constexpr std::string_view kManifestHeader = "kvstore-manifest 1\n";

std::string Numbered(std::string_view prefix, uint64_t n, std::string_view suffix) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020" PRIu64, n);
  std::string s(prefix);
  s += digits;
  s += suffix;
  return s;
}

std::optional<uint64_t> ParseNumbered(std::string_view name, std::string_view prefix,
                                      std::string_view suffix) {
  if (name.size() != prefix.size() + 20 + suffix.size()) return std::nullopt;
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  if (name.substr(name.size() - suffix.size()) != suffix) return std::nullopt;
  const std::string_view digits = name.substr(prefix.size(), 20);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string SnapshotName(uint64_t sequence) {
  return Numbered(kSnapshotPrefix, sequence, kSnapshotSuffix);
}
std::string SegmentName(uint64_t number) {
  return Numbered(kSegmentPrefix, number, kSegmentSuffix);
}
std::optional<uint64_t> ParseSnapshotName(std::string_view name) {
  return ParseNumbered(name, kSnapshotPrefix, kSnapshotSuffix);
}
std::optional<uint64_t> ParseSegmentName(std::string_view name) {
  return ParseNumbered(name, kSegmentPrefix, kSegmentSuffix);
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

std::string WithChecksumLine(std::string text) {
  text += "checksum " + Hex64(Hash64(text)) + "\n";
  return text;
}

Result<void> ForEachCheckedLine(
    std::string_view text, std::string_view header, const std::string& what,
    const std::string& path,
    const std::function<std::string(std::string_view key, std::string_view value)>& fn) {
  auto bad = [&](const std::string& why) {
    return Corruption(what + " '" + path + "' is damaged: " + why);
  };
  const auto sum_at = text.rfind("checksum ");
  if (sum_at == std::string_view::npos || (sum_at > 0 && text[sum_at - 1] != '\n')) {
    return bad("no checksum line");
  }
  const std::string_view body = text.substr(0, sum_at);
  if (text.substr(sum_at) != "checksum " + Hex64(Hash64(body)) + "\n") {
    return bad("checksum mismatch");
  }
  if (body.substr(0, header.size()) != header) {
    return bad("unknown header (expected '" + std::string(header.substr(0, header.size() - 1)) +
               "')");
  }
  std::string_view rest = body.substr(header.size());
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    if (nl == std::string_view::npos) return bad("unterminated line");
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) return bad("malformed line");
    if (std::string why = fn(line.substr(0, sp), line.substr(sp + 1)); !why.empty()) {
      return bad(why);
    }
  }
  return {};
}

std::string EncodeManifest(const Manifest& m) {
  std::string s(kManifestHeader);
  s += "snapshot " + (m.snapshot.empty() ? std::string("-") : m.snapshot) + "\n";
  s += "sequence " + std::to_string(m.sequence) + "\n";
  s += "wal_segment " + std::to_string(m.wal_segment) + "\n";
  return WithChecksumLine(std::move(s));
}

Result<Manifest> DecodeManifest(std::string_view text, const std::string& path) {
  Manifest m;
  bool have_snapshot = false, have_seq = false, have_segment = false;
  auto lines = ForEachCheckedLine(
      text, kManifestHeader, "manifest", path,
      [&](std::string_view key, std::string_view value) -> std::string {
        auto number = [&](uint64_t* out) {
          auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), *out);
          return ec == std::errc() && end == value.data() + value.size();
        };
        if (key == "snapshot") {
          if (value != "-") {
            if (!ParseSnapshotName(value)) return "bad snapshot name";
            m.snapshot = std::string(value);
          }
          have_snapshot = true;
        } else if (key == "sequence") {
          if (!number(&m.sequence)) return "bad sequence";
          have_seq = true;
        } else if (key == "wal_segment") {
          if (!number(&m.wal_segment) || m.wal_segment == 0) return "bad wal_segment";
          have_segment = true;
        }  // unknown keys: added by a later minor version; ignored
        return "";
      });
  if (!lines) return std::move(lines).error();
  auto bad = [&](const std::string& why) {
    return Corruption("manifest '" + path + "' is damaged: " + why);
  };
  if (!have_snapshot || !have_seq || !have_segment) return bad("missing field");
  if (!m.snapshot.empty() && *ParseSnapshotName(m.snapshot) != m.sequence) {
    return bad("snapshot name and sequence disagree");
  }
  return m;
}

Result<void> WriteManifest(FileSystem& fs, const std::string& dir, const Manifest& m) {
  return WriteFileDurably(fs, dir + "/" + kManifestName,
                          [&](WritableFile* f) { return f->Append(EncodeManifest(m)); });
}

DirEntry Classify(std::string_view name) {
  DirEntry e;
  e.name = std::string(name);
  if (name == kManifestName) {
    e.kind = FileKind::kManifest;
  } else if (name == kLockName) {
    e.kind = FileKind::kLock;
  } else if (auto seg = ParseSegmentName(name)) {
    e.kind = FileKind::kWalSegment;
    e.number = *seg;
  } else if (auto seq = ParseSnapshotName(name)) {
    e.kind = FileKind::kSnapshot;
    e.number = *seq;
  } else if (EndsWith(name, ".tmp") || EndsWith(name, ".log.new")) {
    e.kind = FileKind::kLeftover;
  }
  return e;
}

Result<std::vector<DirEntry>> ListEntries(FileSystem& fs, const std::string& dir) {
  auto names = fs.ListDir(dir);
  if (!names) return std::move(names).error();
  std::vector<DirEntry> entries;
  entries.reserve(names->size());
  for (const std::string& n : *names) entries.push_back(Classify(n));
  std::sort(entries.begin(), entries.end(), [](const DirEntry& a, const DirEntry& b) {
    return std::tie(a.kind, a.number, a.name) < std::tie(b.kind, b.number, b.name);
  });
  return entries;
}

Result<Listing> List(FileSystem& fs, const std::string& dir) {
  auto entries = ListEntries(fs, dir);
  if (!entries) return std::move(entries).error();
  Listing l;
  for (DirEntry& e : *entries) {
    switch (e.kind) {
      case FileKind::kManifest:
        l.has_manifest = true;
        break;
      case FileKind::kWalSegment:
        l.segments.push_back(e.number);
        break;
      case FileKind::kSnapshot:
        l.snapshots.push_back(std::move(e.name));
        break;
      case FileKind::kLeftover:
        l.leftovers.push_back(std::move(e.name));
        break;
      case FileKind::kLock:
      case FileKind::kOther:
        break;
    }
  }
  return l;
}

}  // namespace kvstore::datadir
