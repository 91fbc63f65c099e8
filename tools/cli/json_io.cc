// Copyright (c) the kvstore developers.
//
// Import parses with the library's own snapshot loader (simdjson, both forms,
// base64 decoding, "expires") into a scratch map, then sets the pairs (with
// their deadlines); export writes with the snapshot writer's own helpers
// (snapshot::WriteText, WriteExpires), so the two forms cannot drift apart.

#include "json_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "error.h"
#include "file_map.h"
#include "progress.h"
#include "mutex.h"
#include "shard_map.h"
#include "snapshot.h"
#include "store_commands.h"

namespace kvstore::cli {
namespace {

// Where the export goes: stdout, or a temporary file that is synced and
// renamed into place (then the directory synced), so that FILE is never seen
// half written and survives a crash once export returns.
class Output {
 public:
  Result<void> Open(const std::string& file) {
    if (file.empty() || file == "-") return {};
    final_ = file;
    tmp_ = file + ".tmp";
    auto opened = fs_.NewWritableFile(tmp_);
    if (!opened) return std::move(opened).error();
    file_ = std::move(*opened);
    return {};
  }
  void Write(std::string_view bytes) {
    if (!file_) {
      std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    } else if (written_) {
      written_ = file_->Append(bytes);  // the first error is reported by Commit
    }
  }
  Result<void> Commit() {
    if (!file_) {
      if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        return Error(ErrorCode::kIoError, std::string("write stdout: ") + std::strerror(errno));
      }
      return {};
    }
    KV_RETURN_IF_ERROR(written_);
    KV_RETURN_IF_ERROR(SyncAndClose(*file_));
    KV_RETURN_IF_ERROR(fs_.RenameFile(tmp_, final_));
    committed_ = true;
    return fs_.SyncDir(ParentDir(final_));
  }
  ~Output() {
    if (file_ && !committed_) {  // not committed: leave no debris
      (void)file_->Close();
      (void)fs_.RemoveFile(tmp_);
    }
  }

 private:
  FileSystem& fs_ = *FileSystem::Default();
  std::unique_ptr<WritableFile> file_;  // null: standard output
  Result<void> written_;
  bool committed_ = false;
  std::string final_, tmp_;
};

// The snapshot loader maps a file by path, so standard input is first
// copied to a temporary file (removed again on destruction).
class StdinCopy {
 public:
  Result<std::string> Make() {
    auto data = ReadAll("-");
    if (!data) return std::move(data).error();
    std::error_code ec;  // temp_directory_path honours TMPDIR
    std::string name = std::filesystem::temp_directory_path(ec) / "kvstore-import-XXXXXX";
    if (ec) return Error(ErrorCode::kIoError, "no temporary directory: " + ec.message());
    const int fd = ::mkstemp(name.data());
    if (fd < 0) return Error(ErrorCode::kIoError, std::string("mkstemp: ") + std::strerror(errno));
    path_ = name;
    const bool ok = ::write(fd, data->data(), data->size()) == static_cast<ssize_t>(data->size());
    ::close(fd);
    if (!ok) return Error(ErrorCode::kIoError, "write '" + path_ + "': " + std::strerror(errno));
    return path_;
  }
  ~StdinCopy() {
    if (!path_.empty()) std::remove(path_.c_str());
  }

 private:
  std::string path_;
};

}  // namespace

int ImportCommand(const GlobalFlags& flags, const ImportArgs& args) {
  StdinCopy stdin_copy;
  std::string path = args.file;
  if (path == "-") {
    auto made = stdin_copy.Make();
    if (!made) return Fail(made.error());
    path = *made;
  }
  ShardMap pairs;
  auto loaded = snapshot::Load(*FileSystem::Default(), path, &pairs);
  if (!loaded) return Fail(loaded.error());
  auto store = OpenStore(flags, true);
  if (!store) return Fail(store.error());
  if (args.clear) {
    if (auto r = store->clear(); !r) return Fail(r.error());
  }
  ProgressBar progress("import " + args.file, loaded->keys, "keys");
  uint64_t done = 0, expired = 0;
  for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
    // Not shared with any thread; the (uncontended) lock satisfies the
    // lock analysis, which checks every reader of a shard's table.
    ReaderLock lock(&pairs.shard(i).mu);
    for (const char* e : pairs.shard(i).set) {
      std::string key(Entry::Key(e)), value(Entry::Value(e));
      Result<void> r;
      if (!Entry::HasDeadline(e)) {
        r = store->set(std::move(key), std::move(value));
      } else if (Entry::Live(e, store->now_ms())) {
        r = store->set_expiring(std::move(key), std::move(value), Entry::Deadline(e));
      } else {
        ++expired;  // its deadline passed since the export: absent, as in the store
        progress.Update(done + expired);
        continue;
      }
      if (!r) return Fail(r.error());
      progress.Update(++done + expired);
    }
  }
  progress.Finish();
  if (auto r = store->checkpoint(); !r) return Fail(r.error());
  auto closed = store->close();
  if (!closed) return Fail(closed.error());
  std::fprintf(stderr, "imported %llu keys from %s", static_cast<unsigned long long>(done),
               args.file.c_str());
  if (expired > 0) {
    std::fprintf(stderr, " (skipped %llu whose deadline has passed)",
                 static_cast<unsigned long long>(expired));
  }
  std::fprintf(stderr, "\n");
  return kExitOk;
}

int ExportCommand(const GlobalFlags& flags, const std::string& file) {
  // The clock stands still at the start: the export is the store at that
  // instant, and a key written into "map" keeps the deadline read for it.
  auto store = OpenStore(flags, false, FrozenNow());
  if (!store) return Fail(store.error());
  Output out;
  if (auto r = out.Open(file); !r) return Fail(r.error());
  rapidjson::StringBuffer sb;
  snapshot::JsonWriter w(sb);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("map");
  w.StartObject();
  ProgressBar progress("export", store->size(), "keys");
  uint64_t done = 0;
  std::string scratch;
  std::vector<std::string> page;  // the keys of one scan page
  snapshot::KeyDeadlines expires;
  uint64_t cursor = 0;
  do {
    // The callback runs under a shard's read lock; it only formats (and it
    // must not call the store, so deadlines are read after it).
    page.clear();
    cursor = store->scan(cursor, 1000, [&](std::string_view key, std::string_view value) {
      snapshot::WriteText(w, key, true, &scratch);
      snapshot::WriteText(w, value, false, &scratch);
      page.emplace_back(key);
      ++done;
    });
    for (std::string& key : page) {
      const int64_t deadline = store->expire_time(key);
      if (deadline > 0) expires.emplace_back(std::move(key), deadline);
    }
    out.Write(std::string_view(sb.GetString(), sb.GetSize()));
    sb.Clear();
    progress.Update(done);
  } while (cursor != 0);
  w.EndObject();
  snapshot::WriteExpires(w, expires, &scratch);  // as in a snapshot (docs/FORMATS.md)
  w.EndObject();
  sb.Put('\n');
  out.Write(std::string_view(sb.GetString(), sb.GetSize()));
  progress.Finish();
  if (auto r = out.Commit(); !r) return Fail(r.error());
  auto closed = store->close();
  return closed ? kExitOk : Fail(closed.error());
}

}  // namespace kvstore::cli
