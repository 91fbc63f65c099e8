// Copyright (c) the kvstore developers.
//
// Online backup, verification and restore of data directories. See
// backup_cut.h for the two sources of a plan and docs/BACKUP.md for the format.

#include "backup_cut.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>

#include "coding.h"
#include "durable_file.h"
#include "error.h"
#include "kvstore/kvstore.h"
#include "unique_fd.h"
#include "wal_format.h"
#include "wal_reader.h"

namespace kvstore {
namespace backup {
namespace {

constexpr std::string_view kHeader = "kvstore-backup 1\n";
constexpr uint64_t kCopyChunk = 1 << 20;
constexpr int kAttempts = 20;  // plans from outside a running store

using Clock = std::chrono::steady_clock;

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string StripSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

bool IsPosix(const FileSystem& fs) { return &fs == FileSystem::Default().get(); }

// link(2) errors that mean "copy instead": another file system, or one
// without hard links.
bool LinkUnsupported(int err) {
  return err == EXDEV || err == EPERM || err == EMLINK || err == ENOTSUP || err == EOPNOTSUPP;
}

// The store's own files in a data directory.
bool IsStoreFile(const std::string& name) {
  return name == datadir::kManifestName || datadir::ParseSnapshotName(name) ||
         datadir::ParseSegmentName(name);
}

// What a restore replaces and a backup may not hold unlisted: the store's
// files and the companion files (data_dir.h).
bool IsDataFile(const std::string& name) {
  return IsStoreFile(name) || datadir::IsCompanionFile(name);
}

// Reads bytes [offset, offset + n) of a source into out.
using ReadFn = std::function<Result<void>(uint64_t offset, std::size_t n, char* out)>;

// The files being written into one directory; Abandon() removes them, so
// that a failed backup or restore leaves nothing that looks complete.
class Target {
 public:
  Target(FileSystem& fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Writes size bytes from read into name and syncs them.
  Result<void> Copy(const std::string& name, uint64_t size, const ReadFn& read) {
    // Never write through an early link: that would change the source.
    if (prelinked_.erase(name) != 0) KV_RETURN_IF_ERROR(fs_.RemoveFile(Path(name)));
    auto file = fs_.NewWritableFile(Path(name));
    if (!file) return std::move(file).error();
    created_.push_back(name);
    std::string buf;
    Result<void> r;
    for (uint64_t off = 0; r && off < size; off += kCopyChunk) {
      buf.resize(static_cast<std::size_t>(std::min(kCopyChunk, size - off)));
      r = read(off, buf.size(), buf.data());
      if (r) r = (*file)->Append(buf);
    }
    if (r) r = (*file)->Sync();
    auto closed = (*file)->Close();
    if (r && !closed) r = closed;
    return r;
  }

  Result<void> CopyBytes(const std::string& name, std::string_view data) {
    return Copy(name, data.size(), [data](uint64_t off, std::size_t n, char* out) {
      std::copy_n(data.data() + off, n, out);
      return Result<void>();
    });
  }

  // A hard link to src where the file system allows it (the data is then
  // shared: src must never change again), else a copy. Returns whether it
  // linked. Either way the result is durable.
  Result<bool> LinkOrCopy(const std::string& src, const std::string& name) {
    if (IsPosix(fs_)) {
      const std::string dst = Path(name);
      const bool early = prelinked_.erase(name) != 0;
      if (early || ::link(src.c_str(), dst.c_str()) == 0) {
        if (!early) created_.push_back(name);
        // The source may not have synced it yet (everysec, a fresh snapshot).
        UniqueFd fd(::open(dst.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd.valid()) return PosixError("open", dst, errno);
        if (::fsync(fd.get()) != 0) return PosixError("fsync", dst, errno);
        return true;
      }
      const int err = errno;
      if (!LinkUnsupported(err)) return PosixError("link to '" + dst + "' from", src, err);
    }
    std::string data;
    KV_RETURN_IF_ERROR(fs_.ReadFile(src, &data));
    KV_RETURN_IF_ERROR(CopyBytes(name, data));
    return false;
  }

  Result<void> Sync() { return fs_.SyncDir(dir_); }

  // POSIX only: links src as name at once, without syncing, so that a
  // checkpoint deleting src right after cannot take it away; a later
  // LinkOrCopy of name keeps (and syncs) the link, a Copy replaces it.
  enum class Early { kLinked, kGone, kUnsupported };
  Result<Early> LinkEarly(const std::string& src, const std::string& name) {
    const std::string dst = Path(name);
    if (::link(src.c_str(), dst.c_str()) != 0) {
      if (errno == ENOENT) return Early::kGone;
      if (LinkUnsupported(errno)) return Early::kUnsupported;
      return PosixError("link to '" + dst + "' from", src, errno);
    }
    created_.push_back(name);
    prelinked_.insert(name);
    return Early::kLinked;
  }

  // Removes the early links nothing claimed.
  Result<void> DropUnclaimed() {
    for (const std::string& n : prelinked_) KV_RETURN_IF_ERROR(fs_.RemoveFile(Path(n)));
    prelinked_.clear();
    return {};
  }

  // Replaces name durably (temporary file, sync, rename, directory sync).
  Result<void> WriteAtomically(const std::string& name, std::string_view contents);

  void Abandon() {
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
      (void)fs_.RemoveFile(Path(*it));
    }
    created_.clear();
    prelinked_.clear();
    (void)fs_.SyncDir(dir_);
  }

 private:
  FileSystem& fs_;
  const std::string dir_;
  std::vector<std::string> created_;
  std::set<std::string> prelinked_;
};

// Where a backup's WAL segments come from.
struct SegmentSource {
  uint64_t number = 0;
  std::string path;     // sealed segments: the file
  std::string content;  // sealed segments: as read (ReadFile: safe against a
                        // concurrent trim, unlike a mapping)
};

// A plan: the state after `sequence`.
struct Plan {
  datadir::Manifest manifest;
  std::string snapshot_path;           // empty: none
  std::vector<SegmentSource> sealed;   // complete segments, in order
  uint64_t last_number = 0;            // the final segment
  uint64_t last_size = 0;              // its bytes to copy
  ReadFn read_last;                    // reads them
  uint64_t sequence = 0;
  std::string from_dir;  // where the companion files are read
};

// Writes a sealed segment: a hard link if its file is already trimmed to its
// last record (then nothing ever changes it again), else a copy of the
// records (the preallocated tail of a segment retired moments ago is trimmed
// later by its writer, and a link would see its size change).
Result<bool> PlaceSealed(Target& t, const SegmentSource& s) {
  const std::string name = datadir::SegmentName(s.number);
  auto scan = wal::ScanLog(s.content, s.path, [](const wal::RecordView&) {});
  if (!scan) return std::move(scan).error();
  if (!scan->has_header || scan->end != wal::End::kClean) {
    return Corruption("WAL segment '" + s.path + "' is damaged at offset " +
                      std::to_string(scan->valid_end) + " (" + scan->problem +
                      ") but a later segment continues it");
  }
  if (s.content.size() == scan->valid_end) return t.LinkOrCopy(s.path, name);
  KV_RETURN_IF_ERROR(t.CopyBytes(name, std::string_view(s.content).substr(0, scan->valid_end)));
  return false;
}

std::string EncodeBackupManifest(const BackupInfo& info) {
  std::string s(kHeader);
  s += "sequence " + std::to_string(info.sequence) + "\n";
  s += "keys " + std::to_string(info.keys) + "\n";
  s += "created_unix " + std::to_string(info.created_unix) + "\n";
  for (const BackupFile& f : info.files) {
    s += "file " + f.name + " " + std::to_string(f.size) + " " + datadir::Hex64(f.checksum) + "\n";
  }
  return datadir::WithChecksumLine(std::move(s));
}

Result<BackupInfo> DecodeBackupManifest(std::string_view text, const std::string& path) {
  BackupInfo info;
  auto number = [](std::string_view v, uint64_t* out, int base = 10) {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out, base);
    return ec == std::errc() && end == v.data() + v.size();
  };
  bool have_seq = false;
  auto lines = datadir::ForEachCheckedLine(
      text, kHeader, "backup manifest", path,
      [&](std::string_view key, std::string_view value) -> std::string {
        uint64_t n = 0;
        if (key == "sequence") {
          if (!number(value, &info.sequence)) return "bad sequence";
          have_seq = true;
        } else if (key == "keys") {
          if (!number(value, &info.keys)) return "bad keys";
        } else if (key == "created_unix") {
          if (!number(value, &n)) return "bad created_unix";
          info.created_unix = static_cast<int64_t>(n);
        } else if (key == "file") {
          BackupFile f;
          const auto a = value.find(' '), b = value.rfind(' ');
          if (a == std::string_view::npos || a == b) return "malformed file line";
          f.name = std::string(value.substr(0, a));
          if (!IsDataFile(f.name)) return "unexpected file name '" + f.name + "'";
          if (!number(value.substr(a + 1, b - a - 1), &f.size) ||
              !number(value.substr(b + 1), &f.checksum, 16)) {
            return "malformed file line";
          }
          info.bytes += f.size;
          info.files.push_back(std::move(f));
        }  // unknown keys: added by a later minor version; ignored
        return "";
      });
  if (!lines) return std::move(lines).error();
  auto bad = [&](const std::string& why) {
    return Corruption("backup manifest '" + path + "' is damaged: " + why);
  };
  if (!have_seq) return bad("missing sequence");
  if (std::none_of(info.files.begin(), info.files.end(),
                   [](const BackupFile& f) { return f.name == datadir::kManifestName; })) {
    return bad("lists no MANIFEST");
  }
  return info;
}

Result<void> Target::WriteAtomically(const std::string& name, std::string_view contents) {
  created_.push_back(name);
  return WriteFileDurably(fs_, dir_ + "/" + name,
                          [&](WritableFile* f) { return f->Append(contents); });
}

// Options for opening a scratch or restored copy: no checkpoints, no log.
Options QuietOptions(const std::shared_ptr<FileSystem>& fs) {
  Options o;
  o.fs = fs;
  o.sync = SyncMode::kNever;
  o.checkpoint.wal_bytes = 0;
  o.checkpoint.after_changes.clear();
  o.checkpoint.on_close = false;
  o.log_level = LogLevel::kOff;
  o.count_operations = false;
  return o;
}

// Places a data directory's files (from `from`, named by `files`) into t: the
// highest-numbered segment is copied (whoever opens the result appends to
// it), the others and the snapshot linked where possible, the MANIFEST last.
Result<uint64_t> PlaceDataDir(FileSystem& fs, const std::string& from,
                              const std::vector<BackupFile>& files, Target& t) {
  std::optional<uint64_t> last;
  for (const BackupFile& f : files) {
    if (auto n = datadir::ParseSegmentName(f.name)) last = std::max(last.value_or(0), *n);
  }
  uint64_t linked = 0;
  for (const BackupFile& f : files) {
    if (f.name == datadir::kManifestName) continue;
    const std::string src = from + "/" + f.name;
    if (datadir::ParseSegmentName(f.name) == last) {
      std::string data;
      KV_RETURN_IF_ERROR(fs.ReadFile(src, &data));
      KV_RETURN_IF_ERROR(t.CopyBytes(f.name, data));
    } else {
      auto l = t.LinkOrCopy(src, f.name);
      if (!l) return std::move(l).error();
      if (*l) linked += f.size;
    }
  }
  KV_RETURN_IF_ERROR(t.Sync());
  std::string manifest;
  KV_RETURN_IF_ERROR(fs.ReadFile(from + "/" + datadir::kManifestName, &manifest));
  KV_RETURN_IF_ERROR(t.WriteAtomically(datadir::kManifestName, manifest));
  return linked;
}

void RemoveDirectory(FileSystem& fs, const std::string& dir) {
  if (auto names = fs.ListDir(dir)) {
    for (const std::string& n : *names) (void)fs.RemoveFile(dir + "/" + n);
  }
  if (IsPosix(fs)) (void)::rmdir(dir.c_str());
}

// Opens the data directory dir and reports its last sequence number and keys.
Result<std::pair<uint64_t, uint64_t>> OpenAndCount(const std::shared_ptr<FileSystem>& fs,
                                                   const std::string& dir) {
  auto store = KvStore::open_dir(dir, QuietOptions(fs));
  if (!store) return std::move(store).error();
  std::pair<uint64_t, uint64_t> r{store->last_sequence(), store->size()};
  KV_RETURN_IF_ERROR(store->close());
  return r;
}

// Proves that the backup in t opens as a data directory holding exactly
// `sequence`: opens a scratch copy of it (links, the last segment copied)
// and returns its key count.
Result<uint64_t> VerifyByOpening(const std::shared_ptr<FileSystem>& fs, const std::string& dir,
                                 const std::vector<BackupFile>& files, uint64_t sequence) {
  const std::string scratch = dir + "/.verify";
  KV_RETURN_IF_ERROR(fs->MakeDir(scratch));
  Target t(*fs, scratch);
  auto placed = PlaceDataDir(*fs, dir, files, t);
  Result<std::pair<uint64_t, uint64_t>> opened =
      placed ? OpenAndCount(fs, scratch) : Result<std::pair<uint64_t, uint64_t>>(placed.error());
  RemoveDirectory(*fs, scratch);
  if (!opened) {
    return Error(opened.error().code(),
                 "the backup does not open as a data directory: " + opened.error().message());
  }
  if (opened->first != sequence) {
    return Corruption("the backup opens at sequence " + std::to_string(opened->first) +
                      " instead of " + std::to_string(sequence));
  }
  return opened->second;
}

// Lists the files of t's directory with sizes and checksums.
Result<std::vector<BackupFile>> Describe(FileSystem& fs, const std::string& dir,
                                         const std::vector<std::string>& names,
                                         const std::vector<std::string>& linked) {
  std::vector<BackupFile> out;
  for (const std::string& n : names) {
    std::string data;
    KV_RETURN_IF_ERROR(fs.ReadFile(dir + "/" + n, &data));
    BackupFile f;
    f.name = n;
    f.size = data.size();
    f.checksum = Hash64(data);
    f.linked = std::find(linked.begin(), linked.end(), n) != linked.end();
    out.push_back(std::move(f));
  }
  return out;
}

// Builds the backup in `to` from a plan. On failure removes what it wrote.
Result<BackupInfo> Execute(const std::shared_ptr<FileSystem>& fs, const Plan& plan, Target& t,
                           Clock::time_point start) {
  const std::string& to = t.dir();
  auto run = [&]() -> Result<BackupInfo> {
    std::vector<std::string> names, linked;
    if (!plan.snapshot_path.empty()) {
      auto l = t.LinkOrCopy(plan.snapshot_path, plan.manifest.snapshot);
      if (!l) return std::move(l).error();
      names.push_back(plan.manifest.snapshot);
      if (*l) linked.push_back(plan.manifest.snapshot);
    }
    for (const SegmentSource& s : plan.sealed) {
      auto l = PlaceSealed(t, s);
      if (!l) return std::move(l).error();
      names.push_back(datadir::SegmentName(s.number));
      if (*l) linked.push_back(names.back());
    }
    const std::string last = datadir::SegmentName(plan.last_number);
    KV_RETURN_IF_ERROR(t.Copy(last, plan.last_size, plan.read_last));
    names.push_back(last);
    for (std::string_view c : datadir::kCompanionFiles) {
      const std::string name(c), path = plan.from_dir + "/" + name;
      auto exists = fs->FileExists(path);
      if (!exists) return std::move(exists).error();
      if (!*exists) continue;
      std::string data;
      KV_RETURN_IF_ERROR(fs->ReadFile(path, &data));
      KV_RETURN_IF_ERROR(t.CopyBytes(name, data));
      names.push_back(name);
    }
    KV_RETURN_IF_ERROR(t.DropUnclaimed());
    KV_RETURN_IF_ERROR(t.Sync());
    KV_RETURN_IF_ERROR(
        t.WriteAtomically(datadir::kManifestName, datadir::EncodeManifest(plan.manifest)));
    names.push_back(datadir::kManifestName);

    BackupInfo info;
    info.dir = to;
    info.sequence = plan.sequence;
    auto files = Describe(*fs, to, names, linked);
    if (!files) return std::move(files).error();
    info.files = std::move(*files);
    auto keys = VerifyByOpening(fs, to, info.files, plan.sequence);
    if (!keys) return std::move(keys).error();
    info.keys = *keys;
    for (const BackupFile& f : info.files) {
      info.bytes += f.size;
      if (f.linked) info.linked_bytes += f.size;
    }
    info.created_unix = UnixNow();
    // Last: only now does the directory claim to be a complete backup.
    KV_RETURN_IF_ERROR(
        WriteFileDurably(*fs, to + "/" + kBackupManifestName, [&](WritableFile* f) {
          return f->Append(EncodeBackupManifest(info));
        }));
    info.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    return info;
  };
  auto r = run();
  if (!r) t.Abandon();
  return r;
}

// The target must be absent (it is created: returns true) or an empty
// directory.
Result<bool> PrepareTarget(FileSystem& fs, const std::string& to) {
  if (to.empty()) return InvalidArgument("empty backup target path");
  auto exists = fs.FileExists(to);
  if (!exists) return std::move(exists).error();
  if (*exists) {
    auto names = fs.ListDir(to);
    if (!names) {
      return Error(names.error().code(),
                   "backup target '" + to + "' is not a usable directory: " +
                       names.error().message());
    }
    if (!names->empty()) {
      return InvalidArgument("backup target '" + to +
                             "' exists and is not empty: back up into a new directory");
    }
    return false;
  }
  KV_RETURN_IF_ERROR(fs.MakeDir(to));
  return true;
}

// After a failed backup: the directory it created goes too.
template <typename T>
Result<T> DropCreated(FileSystem& fs, const std::string& to, bool created, Result<T> r) {
  if (!r && created && IsPosix(fs)) (void)::rmdir(to.c_str());
  return r;
}

std::shared_ptr<FileSystem> FsOf(const Options& options) {
  return options.fs ? options.fs : FileSystem::Default();
}

// One attempt at a plan for a directory that another process may be writing
// and checkpointing. Returns nullopt when a checkpoint got in the way (a file
// vanished, segments are not contiguous yet): try again.
Result<std::optional<Plan>> PlanFromOutside(FileSystem& fs, const std::string& from,
                                            Target& t) {
  auto vanished = [&](const std::string& path, const Error& e) -> Result<std::optional<Plan>> {
    auto exists = fs.FileExists(path);
    if (exists && !*exists) return std::optional<Plan>();
    return e;
  };
  Plan plan;
  plan.from_dir = from;
  const std::string manifest_path = from + "/" + datadir::kManifestName;
  auto has_manifest = fs.FileExists(manifest_path);
  if (!has_manifest) return std::move(has_manifest).error();
  if (*has_manifest) {
    std::string text;
    if (auto r = fs.ReadFile(manifest_path, &text); !r) return vanished(manifest_path, r.error());
    auto m = datadir::DecodeManifest(text, manifest_path);
    if (!m) return std::move(m).error();
    plan.manifest = *m;
  }
  auto listing = datadir::List(fs, from);
  if (!listing) return std::move(listing).error();
  std::vector<uint64_t> segs;
  for (uint64_t n : listing->segments) {
    if (n >= plan.manifest.wal_segment) segs.push_back(n);
  }
  if (!*has_manifest && segs.empty()) {
    return InvalidArgument("'" + from +
                           "' is not a kvstore data directory (no MANIFEST, no WAL segment)");
  }
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (segs[i] != plan.manifest.wal_segment + i) return std::optional<Plan>();  // mid-checkpoint
  }
  // Link every file at once (POSIX): a checkpoint that deletes one after
  // this cannot take it away, and the window in which one can is short.
  // Then read through the links.
  std::string src_dir = from;
  if (IsPosix(fs)) {
    std::vector<std::string> names;
    if (!plan.manifest.snapshot.empty()) names.push_back(plan.manifest.snapshot);
    for (uint64_t n : segs) names.push_back(datadir::SegmentName(n));
    bool all_linked = true;
    for (const std::string& name : names) {
      auto linked = t.LinkEarly(from + "/" + name, name);
      if (!linked) return std::move(linked).error();
      if (*linked == Target::Early::kGone) {
        t.Abandon();
        return std::optional<Plan>();
      }
      if (*linked == Target::Early::kUnsupported) {
        // Another file system: everything is copied, read from the source.
        t.Abandon();
        all_linked = false;
        break;
      }
    }
    if (all_linked) src_dir = t.dir();
  }
  // Read from the newest segment down: a segment whose successor already had
  // its header when we looked is sealed (the writer switched appends under
  // its append lock before writing anything else there), so its bytes read
  // afterwards are final.
  std::vector<std::string> content(segs.size());
  std::vector<bool> has_header(segs.size(), false);
  for (std::size_t i = segs.size(); i-- > 0;) {
    const std::string path = src_dir + "/" + datadir::SegmentName(segs[i]);
    if (auto r = fs.ReadFile(path, &content[i]); !r) return vanished(path, r.error());
    auto head = wal::ScanLog(std::string_view(content[i]).substr(
                                 0, std::min(content[i].size(), wal::kFileHeaderSize)),
                             path, [](const wal::RecordView&) {});
    has_header[i] = head && head->has_header;
  }
  if (!plan.manifest.snapshot.empty()) {
    plan.snapshot_path = src_dir + "/" + plan.manifest.snapshot;
    auto exists = fs.FileExists(plan.snapshot_path);
    if (!exists) return std::move(exists).error();
    if (!*exists) return std::optional<Plan>();
  }
  plan.sequence = plan.manifest.sequence;
  if (segs.empty()) {
    // Only a snapshot: the final segment is an empty one that continues it.
    auto header = std::make_shared<std::string>(wal::EncodeFileHeader(plan.manifest.sequence));
    plan.last_number = plan.manifest.wal_segment;
    plan.last_size = header->size();
    plan.read_last = [header](uint64_t off, std::size_t n, char* out) {
      std::copy_n(header->data() + off, n, out);
      return Result<void>();
    };
    return std::optional<Plan>(std::move(plan));
  }
  std::size_t i = 0;
  for (; i + 1 < segs.size() && has_header[i + 1]; ++i) {
    plan.sealed.push_back({segs[i], src_dir + "/" + datadir::SegmentName(segs[i]),
                           std::move(content[i])});
  }
  // The final segment: the records it held when read (the one being appended
  // to may end in a record still being written; it is left out).
  const std::string path = src_dir + "/" + datadir::SegmentName(segs[i]);
  uint64_t last_seq = 0;
  auto scan = wal::ScanLog(content[i], path,
                           [&](const wal::RecordView& rec) { last_seq = rec.seq; });
  if (!scan) return std::move(scan).error();
  if (!scan->has_header) {
    // A segment with no header yet: the first of a fresh directory (it reads
    // as an empty log), or one a checkpoint is about to switch to (then the
    // segment before it stopped the loop above).
    if (i != 0) return std::optional<Plan>();
    auto header = std::make_shared<std::string>(wal::EncodeFileHeader(plan.manifest.sequence));
    plan.last_number = segs[0];
    plan.last_size = header->size();
    plan.read_last = [header](uint64_t off, std::size_t n, char* out) {
      std::copy_n(header->data() + off, n, out);
      return Result<void>();
    };
    return std::optional<Plan>(std::move(plan));
  }
  auto last = std::make_shared<std::string>(std::move(content[i]));
  last->resize(scan->valid_end);
  plan.last_number = segs[i];
  plan.last_size = last->size();
  plan.read_last = [last](uint64_t off, std::size_t n, char* out) {
    std::copy_n(last->data() + off, n, out);
    return Result<void>();
  };
  plan.sequence = scan->records > 0 ? last_seq : scan->base_seq;
  return std::optional<Plan>(std::move(plan));
}

}  // namespace

std::vector<std::string> FilesNeeded(const datadir::Manifest& manifest, uint64_t last_segment) {
  std::vector<std::string> names;
  if (!manifest.snapshot.empty()) names.push_back(manifest.snapshot);
  for (uint64_t n = manifest.wal_segment; n <= last_segment; ++n) {
    names.push_back(datadir::SegmentName(n));
  }
  return names;
}

Result<BackupInfo> FromStoreCut(const StoreCut& cut, const std::string& to_dir) {
  const auto start = Clock::now();
  const std::string to = StripSlashes(to_dir);
  auto created = PrepareTarget(*cut.fs, to);
  if (!created) return std::move(created).error();
  Plan plan;
  plan.from_dir = cut.dir;
  plan.manifest = cut.manifest;
  if (!cut.manifest.snapshot.empty()) plan.snapshot_path = cut.dir + "/" + cut.manifest.snapshot;
  for (uint64_t n = cut.manifest.wal_segment; n < cut.last_segment; ++n) {
    SegmentSource s{n, cut.dir + "/" + datadir::SegmentName(n), {}};
    auto r = cut.fs->ReadFile(s.path, &s.content);  // pinned: cannot vanish
    if (!r) return DropCreated<BackupInfo>(*cut.fs, to, *created, r.error());
    plan.sealed.push_back(std::move(s));
  }
  plan.last_number = cut.last_segment;
  plan.last_size = cut.active_size;
  plan.read_last = [file = cut.active](uint64_t off, std::size_t n, char* out) {
    return file->ReadAt(off, n, out);
  };
  plan.sequence = cut.sequence;
  Target t(*cut.fs, to);
  return DropCreated(*cut.fs, to, *created, Execute(cut.fs, plan, t, start));
}

}  // namespace backup

Result<BackupInfo> BackupDataDir(const std::string& from_dir, const std::string& to_dir,
                                 const Options& options) {
  const auto start = backup::Clock::now();
  auto fs = backup::FsOf(options);
  const std::string from = backup::StripSlashes(from_dir), to = backup::StripSlashes(to_dir);
  if (from.empty()) return InvalidArgument("empty data directory path");
  auto exists = fs->FileExists(from);
  if (!exists) return std::move(exists).error();
  if (!*exists) return InvalidArgument("data directory '" + from + "' does not exist");
  auto names = fs->ListDir(from);
  if (!names) return std::move(names).error();
  if (std::none_of(names->begin(), names->end(), backup::IsStoreFile)) {
    return InvalidArgument("'" + from +
                           "' is not a kvstore data directory (no MANIFEST, no WAL segment)");
  }
  // Not held by anyone: hold it, so that no store opens (and recovers, which
  // may truncate the last segment) while the files are read.
  auto lock = fs->LockFile(from + "/" + datadir::kLockName);
  if (!lock && lock.error().code() != ErrorCode::kBusy) return std::move(lock).error();
  auto created = backup::PrepareTarget(*fs, to);
  if (!created) return std::move(created).error();
  auto done = [&](Result<BackupInfo> r) { return backup::DropCreated(*fs, to, *created, r); };
  for (int attempt = 0; attempt < backup::kAttempts; ++attempt) {
    backup::Target t(*fs, to);
    auto plan = backup::PlanFromOutside(*fs, from, t);
    if (!plan || !*plan) t.Abandon();
    if (!plan) return done(plan.error());
    if (!*plan) {
      ::usleep(static_cast<useconds_t>(1000 << std::min(attempt, 7)));
      continue;
    }
    auto r = backup::Execute(fs, **plan, t, start);
    if (r || r.error().code() == ErrorCode::kNoSpace) return done(r);
    // A file linked or read after its checkpoint deleted it: start over if
    // the source moved on, else report.
    std::string text;
    auto m = fs->ReadFile(from + "/" + datadir::kManifestName, &text)
                 ? datadir::DecodeManifest(text, from)
                 : Result<datadir::Manifest>(datadir::Manifest{});
    if (m && m->snapshot == (*plan)->manifest.snapshot &&
        m->wal_segment == (*plan)->manifest.wal_segment) {
      return done(r);
    }
  }
  return done(Error(ErrorCode::kBusy, "'" + from +
                                     "' kept changing under the backup (checkpoints faster "
                                     "than it could link their files); try again"));
}

Result<BackupInfo> BackupDataDir(const std::string& from_dir, const std::string& to_dir) {
  return BackupDataDir(from_dir, to_dir, Options{});
}

Result<BackupInfo> VerifyBackup(const std::string& dir_in, const Options& options) {
  auto fs = backup::FsOf(options);
  const std::string dir = backup::StripSlashes(dir_in);
  const std::string path = dir + "/" + backup::kBackupManifestName;
  auto exists = fs->FileExists(path);
  if (!exists) return std::move(exists).error();
  if (!*exists) {
    return InvalidArgument("'" + dir + "' is not a complete backup (no " +
                           backup::kBackupManifestName + ")");
  }
  std::string text;
  KV_RETURN_IF_ERROR(fs->ReadFile(path, &text));
  auto info = backup::DecodeBackupManifest(text, path);
  if (!info) return std::move(info).error();
  info->dir = dir;
  for (const BackupFile& f : info->files) {
    std::string data;
    KV_RETURN_IF_ERROR(fs->ReadFile(dir + "/" + f.name, &data));
    if (data.size() != f.size || Hash64(data) != f.checksum) {
      return Corruption("backup file '" + dir + "/" + f.name + "' does not match " +
                        backup::kBackupManifestName + " (" + std::to_string(data.size()) +
                        " bytes, listed " + std::to_string(f.size) + ")");
    }
  }
  auto names = fs->ListDir(dir);
  if (!names) return std::move(names).error();
  for (const std::string& n : *names) {
    if (!backup::IsDataFile(n)) continue;
    if (std::none_of(info->files.begin(), info->files.end(),
                     [&](const BackupFile& f) { return f.name == n; })) {
      return Corruption("backup '" + dir + "' holds '" + n + "', which " +
                        backup::kBackupManifestName + " does not list");
    }
  }
  return info;
}

Result<BackupInfo> VerifyBackup(const std::string& dir) { return VerifyBackup(dir, Options{}); }

Result<BackupInfo> RestoreBackup(const std::string& from_dir, const std::string& to_dir,
                                 bool force, const Options& options) {
  const auto start = backup::Clock::now();
  auto fs = backup::FsOf(options);
  const std::string from = backup::StripSlashes(from_dir), to = backup::StripSlashes(to_dir);
  if (to.empty()) return InvalidArgument("empty data directory path");
  auto info = VerifyBackup(from, options);
  if (!info) return std::move(info).error();
  KV_RETURN_IF_ERROR(fs->MakeDir(to));
  {
    auto lock = fs->LockFile(to + "/" + datadir::kLockName);
    if (!lock) {
      return Error(lock.error().code(), "cannot restore into '" + to + "': " +
                                            lock.error().message());
    }
    auto names = fs->ListDir(to);
    if (!names) return std::move(names).error();
    std::vector<std::string> present;
    for (const std::string& n : *names) {
      if (n != datadir::kLockName) present.push_back(n);
    }
    if (!present.empty() && !force) {
      return InvalidArgument("'" + to + "' is not empty (it holds '" + present.front() +
                             "'); restore into an empty directory, or pass --force to "
                             "replace its data");
    }
    for (const std::string& n : present) {
      if (backup::IsDataFile(n) || n.ends_with(".tmp") || n.ends_with(".log.new")) {
        KV_RETURN_IF_ERROR(fs->RemoveFile(to + "/" + n));
      }
    }
    KV_RETURN_IF_ERROR(fs->SyncDir(to));
    backup::Target t(*fs, to);
    auto linked = backup::PlaceDataDir(*fs, from, info->files, t);
    if (!linked) {
      t.Abandon();
      return std::move(linked).error();
    }
    info->linked_bytes = *linked;
  }
  auto opened = backup::OpenAndCount(fs, to);
  if (!opened) return std::move(opened).error();
  if (opened->first != info->sequence || opened->second != info->keys) {
    return Corruption("restored '" + to + "' opens at sequence " + std::to_string(opened->first) +
                      " with " + std::to_string(opened->second) + " keys; the backup says " +
                      std::to_string(info->sequence) + " and " + std::to_string(info->keys));
  }
  info->dir = to;
  info->duration =
      std::chrono::duration_cast<std::chrono::microseconds>(backup::Clock::now() - start);
  return info;
}

Result<BackupInfo> RestoreBackup(const std::string& from_dir, const std::string& to_dir,
                                 bool force) {
  return RestoreBackup(from_dir, to_dir, force, Options{});
}

}  // namespace kvstore
