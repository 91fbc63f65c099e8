// Copyright (c) the kvstore developers.
//
// Import parses with the library's own snapshot loader (simdjson, both forms,
// base64 decoding, "expires", "objects") into a scratch map, then sets the
// pairs (with their deadlines) and rebuilds each hash, list, set and sorted
// set through Transaction::apply; export writes with the snapshot writer's
// own helpers (snapshot::WriteText, WriteObject, WriteExpires), so the two
// forms cannot drift apart.

#include "json_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "common/escape.h"
#include "error.h"
#include "file_map.h"
#include "mutex.h"
#include "progress.h"
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

// Bytes of arguments per op when an object is rebuilt: an object of any
// size becomes several ops (WAL records) of about this much each.
constexpr std::size_t kChunkBytes = 1 << 20;

// Makes key hold a copy of obj (read from the file), replacing whatever key
// holds, with deadline (0: none). Built as an absent key's first ops would
// build it (HSET, SADD, ZADD, RPUSH of its elements, in its order), through
// Transaction::apply, so the WAL logs ordinary typed ops. The first op
// removes the old value in the same update, the last sets the deadline.
Result<void> PutObject(KvStore& store, std::string_view key, const Object& obj, int64_t deadline) {
  OpCode code = OpCode::kHashSet;
  std::vector<std::string> args;  // one op's arguments
  std::size_t bytes = 0;
  bool first = true;
  Result<void> r;
  const auto flush = [&](bool last) {
    if (!r) return;
    std::vector<std::string_view> views(args.begin(), args.end());
    r = store.update({key}, [&](Transaction& tx) {
      if (first && tx.type(key) != Type::kNone) tx.remove(key);
      tx.apply(key, code, views);
      if (last && deadline > 0) tx.expire_at(key, deadline);
    });
    first = false;
    args.clear();
    bytes = 0;
    if (code == OpCode::kListPush) args.emplace_back("R");
  };
  const auto add = [&](std::string_view a) {
    args.emplace_back(a);
    bytes += a.size();
  };
  const auto full = [&] { return bytes >= kChunkBytes; };
  switch (obj.type()) {
    case Type::kHash:
      code = OpCode::kHashSet;
      static_cast<const HashValue&>(obj).for_each([&](std::string_view f, std::string_view v) {
        add(f);
        add(v);
        if (full()) flush(false);
        return r.has_value();
      });
      break;
    case Type::kSet:
      code = OpCode::kSetAdd;
      static_cast<const SetValue&>(obj).for_each([&](std::string_view m) {
        add(m);
        if (full()) flush(false);
        return r.has_value();
      });
      break;
    case Type::kZSet: {
      code = OpCode::kZSetAdd;
      const auto member = [&](std::string_view m, double score) {
        add(EncodeScore(score));
        add(m);
        if (full()) flush(false);
        return r.has_value();
      };
      static_cast<const ZSetValue&>(obj).for_each_from_rank(0, false, member);
      break;
    }
    case Type::kList:
      code = OpCode::kListPush;
      args.emplace_back("R");
      static_cast<const ListValue&>(obj).for_each_from(0, false, [&](std::string_view v) {
        add(v);
        if (full()) flush(false);
        return r.has_value();
      });
      break;
    default:
      return Error(ErrorCode::kInvalidArgument,
                   "key '" + common::EscapeBytes(key) + "' holds an object of unknown type");
  }
  // The rest (the loader never keeps an empty object, so the first update
  // always has elements; a full last chunk leaves only a list's side here).
  const bool rest = code == OpCode::kListPush ? args.size() > 1 : !args.empty();
  if (rest) {
    flush(true);
  } else if (r && deadline > 0) {
    auto set = store.expire_at(key, deadline);
    if (!set) return std::move(set).error();
  }
  return r;
}

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
      std::string key(Entry::Key(e));
      Result<void> r;
      if (Entry::HasDeadline(e) && !Entry::Live(e, store->now_ms())) {
        ++expired;  // its deadline passed since the export: absent, as in the store
        progress.Update(done + expired);
        continue;
      }
      if (Entry::IsObject(e)) {
        r = PutObject(*store, key, *Entry::GetObject(e), Entry::Deadline(e));
      } else if (!Entry::HasDeadline(e)) {
        r = store->set(std::move(key), std::string(Entry::Value(e)));
      } else {
        r = store->set_expiring(std::move(key), std::string(Entry::Value(e)), Entry::Deadline(e));
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
  std::vector<std::string> page;     // the string keys of one scan page
  std::vector<std::string> empty;    // its keys with an empty value: "" or an object
  std::vector<std::string> objects;  // keys holding a hash, list, set or sorted set
  snapshot::KeyDeadlines expires;
  uint64_t cursor = 0;
  do {
    // The callback runs under a shard's read lock; it only formats (and it
    // must not call the store, so deadlines and types are read after it).
    // scan() passes an object's value as "": such keys are sorted out after.
    page.clear();
    empty.clear();
    cursor = store->scan(cursor, 1000, [&](std::string_view key, std::string_view value) {
      if (value.empty()) {
        empty.emplace_back(key);
        return;
      }
      snapshot::WriteText(w, key, true, &scratch);
      snapshot::WriteText(w, value, false, &scratch);
      page.emplace_back(key);
    });
    for (std::string& key : empty) {
      if (store->type(key) != Type::kString) {
        objects.push_back(std::move(key));
        continue;
      }
      snapshot::WriteText(w, key, true, &scratch);
      snapshot::WriteText(w, "", false, &scratch);
      page.push_back(std::move(key));
    }
    done += page.size();
    for (std::string& key : page) {
      const int64_t deadline = store->expire_time(key);
      if (deadline > 0) expires.emplace_back(std::move(key), deadline);
    }
    out.Write(std::string_view(sb.GetString(), sb.GetSize()));
    sb.Clear();
    progress.Update(done);
  } while (cursor != 0);
  w.EndObject();
  if (!objects.empty()) {
    // As a snapshot's "objects"; "seq" is the last write the store holds
    // (the directory is locked, so nothing writes meanwhile): the floor a
    // replay of this store's WAL onto the export would need.
    const uint64_t seq = store->last_sequence();
    w.Key("objects");
    w.StartObject();
    for (const std::string& key : objects) {
      const int64_t deadline = std::max<int64_t>(store->expire_time(key), 0);
      store->view(key, [&](const Object& obj) {
        snapshot::WriteObject(w, key, obj, deadline, seq, &scratch);
      });
      out.Write(std::string_view(sb.GetString(), sb.GetSize()));
      sb.Clear();
      progress.Update(++done);
    }
    w.EndObject();
  }
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
