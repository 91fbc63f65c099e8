// Copyright (c) the kvstore developers.
//
// Import parses with the library's own snapshot loader (simdjson, both forms,
// base64 decoding) into a scratch map, then sets the pairs; export writes with
// RapidJSON and the library's EncodeText, as snapshot.cc does.

#include "json_io.h"

#include <fcntl.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "progress.h"
#include "shard_map.h"
#include "snapshot.h"
#include "store_commands.h"

namespace kvstore::cli {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void PutText(Writer& w, std::string_view bytes, bool is_key, std::string* scratch) {
  scratch->clear();
  snapshot::EncodeText(bytes, scratch);
  const auto n = static_cast<rapidjson::SizeType>(scratch->size());
  is_key ? w.Key(scratch->data(), n) : w.String(scratch->data(), n);
}

// Where the export goes: stdout, or a temporary file renamed into place.
class Output {
 public:
  Result<void> Open(const std::string& file) {
    if (file.empty() || file == "-") {
      out_ = stdout;
      return {};
    }
    final_ = file;
    tmp_ = file + ".tmp";
    out_ = std::fopen(tmp_.c_str(), "wb");
    if (out_ == nullptr) return Error(ErrorCode::kIoError, "open '" + tmp_ + "': " + Errno());
    return {};
  }
  void Write(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), out_); }
  Result<void> Commit() {
    if (final_.empty()) {
      if (std::fflush(stdout) != 0) return Error(ErrorCode::kIoError, "write stdout: " + Errno());
      return {};
    }
    const bool ok = std::fflush(out_) == 0 && !std::ferror(out_) && ::fsync(fileno(out_)) == 0;
    const std::string why = ok ? "" : Errno();
    std::fclose(out_);
    out_ = nullptr;
    if (!ok) return Error(ErrorCode::kIoError, "write '" + tmp_ + "': " + why);
    if (std::rename(tmp_.c_str(), final_.c_str()) != 0) {
      return Error(ErrorCode::kIoError, "rename '" + tmp_ + "': " + Errno());
    }
    return {};
  }
  ~Output() {
    if (out_ != nullptr && out_ != stdout) {  // not committed: leave no debris
      std::fclose(out_);
      std::remove(tmp_.c_str());
    }
  }

 private:
  static std::string Errno() { return std::strerror(errno); }
  std::FILE* out_ = nullptr;
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
  uint64_t done = 0;
  for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
    for (const char* e : pairs.shard(i).set) {  // not shared: no lock needed
      auto r = store->set(std::string(Entry::Key(e)), std::string(Entry::Value(e)));
      if (!r) return Fail(r.error());
      progress.Update(++done);
    }
  }
  progress.Finish();
  if (auto r = store->checkpoint(); !r) return Fail(r.error());
  auto closed = store->close();
  if (!closed) return Fail(closed.error());
  std::fprintf(stderr, "imported %llu keys from %s\n", static_cast<unsigned long long>(done),
               args.file.c_str());
  return kExitOk;
}

int ExportCommand(const GlobalFlags& flags, const std::string& file) {
  auto store = OpenStore(flags, false);
  if (!store) return Fail(store.error());
  Output out;
  if (auto r = out.Open(file); !r) return Fail(r.error());
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("map");
  w.StartObject();
  ProgressBar progress("export", store->size(), "keys");
  uint64_t done = 0;
  std::string scratch;
  uint64_t cursor = 0;
  do {
    // The callback runs under a shard's read lock; it only formats.
    cursor = store->scan(cursor, 1000, [&](std::string_view key, std::string_view value) {
      PutText(w, key, true, &scratch);
      PutText(w, value, false, &scratch);
      ++done;
    });
    out.Write(std::string_view(sb.GetString(), sb.GetSize()));
    sb.Clear();
    progress.Update(done);
  } while (cursor != 0);
  w.EndObject();
  w.EndObject();
  sb.Put('\n');
  out.Write(std::string_view(sb.GetString(), sb.GetSize()));
  progress.Finish();
  if (auto r = out.Commit(); !r) return Fail(r.error());
  auto closed = store->close();
  return closed ? kExitOk : Fail(closed.error());
}

}  // namespace kvstore::cli
