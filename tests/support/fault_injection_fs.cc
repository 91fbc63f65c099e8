// Copyright (c) the kvstore developers.

#include "support/fault_injection_fs.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

#include "error.h"

namespace kvstore::testing {

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kOpen:
      return "open";
    case OpKind::kAppend:
      return "append";
    case OpKind::kSync:
      return "sync";
    case OpKind::kRead:
      return "read";
    case OpKind::kRename:
      return "rename";
    case OpKind::kRemove:
      return "remove";
    case OpKind::kSyncDir:
      return "syncdir";
    case OpKind::kFileExists:
      return "fileexists";
    case OpKind::kClose:
      return "close";
    case OpKind::kAny:
      return "any";
  }
  return "?";
}

namespace {

Error Stale(const std::string& path) {
  return Error(ErrorCode::kIoError, "use of '" + path + "' after a simulated crash: stale handle");
}

std::size_t RoundUp(std::size_t n, std::size_t chunk) { return (n + chunk - 1) / chunk * chunk; }

}  // namespace

// ---------------------------------------------------------------------------
// Handles

class FaultInjectionFs::Writable final : public WritableFile {
 public:
  Writable(FaultInjectionFs* fs, std::string path, std::shared_ptr<Inode> node, uint64_t epoch)
      : fs_(fs), path_(std::move(path)), node_(std::move(node)), epoch_(epoch) {}
  ~Writable() override {
    std::lock_guard lock(fs_->mu_);
    if (!closed_ && epoch_ == fs_->epoch_) --fs_->open_handles_;
    closed_ = true;
  }

  Result<void> Append(std::string_view data) override {
    fs_->RunHook(OpKind::kAppend, path_);
    std::lock_guard lock(fs_->mu_);
    if (closed_) return Error(ErrorCode::kClosed, "append to closed file '" + path_ + "'");
    if (epoch_ != fs_->epoch_) return Stale(path_);
    std::optional<std::size_t> partial;
    if (int err = fs_->Account(OpKind::kAppend, path_, &partial)) {
      if (partial) node_->data.append(data.substr(0, std::min(*partial, data.size())));
      return PosixError("write", path_, err);
    }
    node_->data.append(data);
    return {};
  }

  Result<void> Sync() override {
    fs_->RunHook(OpKind::kSync, path_);
    std::lock_guard lock(fs_->mu_);
    if (closed_) return Error(ErrorCode::kClosed, "sync of closed file '" + path_ + "'");
    if (epoch_ != fs_->epoch_) return Stale(path_);
    if (int err = fs_->Account(OpKind::kSync, path_)) return PosixError("fdatasync", path_, err);
    node_->synced = node_->data;
    return {};
  }

  Result<void> Close() override {
    {
      std::lock_guard lock(fs_->mu_);
      if (closed_) return {};
    }
    fs_->RunHook(OpKind::kClose, path_);
    std::lock_guard lock(fs_->mu_);
    if (closed_) return {};
    closed_ = true;
    if (epoch_ != fs_->epoch_) return {};
    --fs_->open_handles_;
    if (int err = fs_->Account(OpKind::kClose, path_)) return PosixError("close", path_, err);
    return {};
  }

 private:
  FaultInjectionFs* const fs_;
  const std::string path_;
  const std::shared_ptr<Inode> node_;
  const uint64_t epoch_;
  bool closed_ = false;  // GUARDED_BY(fs_->mu_)
};

class FaultInjectionFs::Log final : public LogFile {
 public:
  Log(FaultInjectionFs* fs, std::string path, std::shared_ptr<Inode> node, uint64_t epoch,
      uint64_t size)
      : fs_(fs), path_(std::move(path)), node_(std::move(node)), epoch_(epoch), size_(size) {}
  ~Log() override {
    std::lock_guard lock(fs_->mu_);
    if (!closed_ && epoch_ == fs_->epoch_) --fs_->open_handles_;
    closed_ = true;
  }

  Result<void> Append(std::string_view rec) override {
    fs_->RunHook(OpKind::kAppend, path_);
    std::lock_guard lock(fs_->mu_);
    if (closed_) return Error(ErrorCode::kClosed, "append to closed WAL '" + path_ + "'");
    if (epoch_ != fs_->epoch_) return Stale(path_);
    const uint64_t at = size_.load();
    if (rec.empty() || rec.size() % 8 != 0 || at % 8 != 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "LogFile::Append contract violated on '" + path_ + "': record of " +
                       std::to_string(rec.size()) + " bytes at offset " + std::to_string(at));
    }
    std::string& d = node_->data;
    std::optional<std::size_t> partial;
    if (int err = fs_->Account(OpKind::kAppend, path_, &partial)) {
      // A partial append leaves the record's first 8 bytes zero (invisible).
      const std::size_t k = partial ? std::min(*partial, rec.size()) : 0;
      if (k > 8) {
        if (d.size() < at + k) d.resize(at + k, '\0');
        std::memset(d.data() + at, 0, 8);
        std::memcpy(d.data() + at + 8, rec.data() + 8, k - 8);
      }
      return PosixError("fallocate", path_, err);
    }
    if (d.size() < at + rec.size()) d.resize(at + rec.size(), '\0');
    std::memcpy(d.data() + at, rec.data(), rec.size());
    size_.store(at + rec.size());
    if (fs_->prealloc_ > 0 && d.size() < RoundUp(at + rec.size(), fs_->prealloc_)) {
      d.resize(RoundUp(at + rec.size(), fs_->prealloc_), '\0');
    }
    return {};
  }

  Result<void> Sync() override {
    fs_->RunHook(OpKind::kSync, path_);
    std::lock_guard lock(fs_->mu_);
    if (closed_) return Error(ErrorCode::kClosed, "sync of closed WAL '" + path_ + "'");
    if (epoch_ != fs_->epoch_) return Stale(path_);
    if (int err = fs_->Account(OpKind::kSync, path_)) return PosixError("fdatasync", path_, err);
    node_->synced = node_->data;
    return {};
  }

  uint64_t Size() const override { return size_.load(); }

  Result<void> ReadAt(uint64_t offset, std::size_t n, char* out) const override {
    fs_->RunHook(OpKind::kRead, path_);
    std::lock_guard lock(fs_->mu_);
    if (epoch_ != fs_->epoch_) return Stale(path_);
    if (offset + n > size_.load()) {
      return Error(ErrorCode::kInvalidArgument, "read past end of WAL '" + path_ + "'");
    }
    if (int err = fs_->Account(OpKind::kRead, path_)) return PosixError("read", path_, err);
    const std::string& d = node_->data;
    for (std::size_t i = 0; i < n; ++i) out[i] = offset + i < d.size() ? d[offset + i] : '\0';
    return {};
  }

  Result<void> Close() override {
    {
      std::lock_guard lock(fs_->mu_);
      if (closed_) return {};
    }
    fs_->RunHook(OpKind::kClose, path_);
    std::lock_guard lock(fs_->mu_);
    if (closed_) return {};
    closed_ = true;
    if (epoch_ != fs_->epoch_) return {};
    --fs_->open_handles_;
    if (int err = fs_->Account(OpKind::kClose, path_)) return PosixError("ftruncate", path_, err);
    if (node_->data.size() > size_.load()) node_->data.resize(size_.load());  // trim prealloc
    return {};
  }

 private:
  FaultInjectionFs* const fs_;
  const std::string path_;
  const std::shared_ptr<Inode> node_;
  const uint64_t epoch_;
  std::atomic<uint64_t> size_;
  bool closed_ = false;  // GUARDED_BY(fs_->mu_)
};

// ---------------------------------------------------------------------------
// FaultInjectionFs

FaultInjectionFs::FaultInjectionFs(uint64_t seed) : rng_(seed) {
  dirs_.insert(".");
  dirs_.insert("/");
}

FaultInjectionFs::~FaultInjectionFs() = default;

std::string FaultInjectionFs::Parent(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool FaultInjectionFs::ParentExists(const std::string& path) const {
  return dirs_.count(Parent(path)) > 0;
}

void FaultInjectionFs::RunHook(OpKind kind, const std::string& path) {
  std::shared_ptr<std::function<void(OpKind, const std::string&)>> hook;
  {
    std::lock_guard lock(mu_);
    hook = hook_;
  }
  if (hook && *hook) (*hook)(kind, path);
}

int FaultInjectionFs::Account(OpKind kind, const std::string& path,
                              std::optional<std::size_t>* partial) {
  ++counts_[static_cast<int>(kind)];
  ++counts_[static_cast<int>(OpKind::kAny)];
  int err = 0;
  if (fault_ && (fault_->kind == OpKind::kAny || fault_->kind == kind) &&
      (fault_->path.empty() || fault_->path == path)) {
    ++fault_seen_;
    if (fault_seen_ == fault_->nth || (fault_->persistent && fault_seen_ > fault_->nth)) {
      err = fault_->err;
      ++injected_;
      if (!first_failure_) first_failure_ = OpRecord{kind, path, true};
      if (partial != nullptr && fault_seen_ == fault_->nth) *partial = fault_->partial_bytes;
    }
  }
  if (trace_on_) trace_.push_back(OpRecord{kind, path, err != 0});
  return err;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionFs::NewWritableFile(const std::string& path) {
  RunHook(OpKind::kOpen, path);
  std::lock_guard lock(mu_);
  if (int err = Account(OpKind::kOpen, path)) return PosixError("open", path, err);
  if (!ParentExists(path)) return PosixError("open", path, ENOENT);
  if (dirs_.count(path)) return PosixError("open", path, EISDIR);
  auto& node = files_[path];
  if (node) {
    node->data.clear();  // O_TRUNC; durable only after a sync
  } else {
    node = std::make_shared<Inode>();
  }
  ++open_handles_;
  return std::unique_ptr<WritableFile>(new Writable(this, path, node, epoch_));
}

Result<std::unique_ptr<LogFile>> FaultInjectionFs::OpenLogFile(const std::string& path,
                                                               uint64_t valid_size) {
  RunHook(OpKind::kOpen, path);
  std::lock_guard lock(mu_);
  if (int err = Account(OpKind::kOpen, path)) return PosixError("open", path, err);
  if (!ParentExists(path)) return PosixError("open", path, ENOENT);
  if (dirs_.count(path)) return PosixError("open", path, EISDIR);
  if (valid_size % 8 != 0) {
    return Error(ErrorCode::kInvalidArgument, "OpenLogFile('" + path + "') with valid_size " +
                                                  std::to_string(valid_size) +
                                                  " not a multiple of 8");
  }
  auto& node = files_[path];
  if (!node) node = std::make_shared<Inode>();
  node->data.resize(valid_size, '\0');  // ftruncate; durable only after a sync
  if (prealloc_ > 0) node->data.resize(RoundUp(valid_size + 1, prealloc_), '\0');
  ++open_handles_;
  return std::unique_ptr<LogFile>(new Log(this, path, node, epoch_, valid_size));
}

Result<void> FaultInjectionFs::ReadFile(const std::string& path, std::string* contents) {
  RunHook(OpKind::kRead, path);
  std::lock_guard lock(mu_);
  if (int err = Account(OpKind::kRead, path)) return PosixError("read", path, err);
  if (dirs_.count(path)) return PosixError("read", path, EISDIR);
  auto it = files_.find(path);
  if (it == files_.end()) return PosixError("open", path, ENOENT);
  contents->clear();
  contents->reserve(it->second->data.size() + kReadPadding);
  contents->append(it->second->data);
  return {};
}

Result<bool> FaultInjectionFs::FileExists(const std::string& path) {
  RunHook(OpKind::kFileExists, path);
  std::lock_guard lock(mu_);
  if (int err = Account(OpKind::kFileExists, path)) return PosixError("stat", path, err);
  return files_.count(path) > 0 || dirs_.count(path) > 0;
}

Result<void> FaultInjectionFs::RenameFile(const std::string& from, const std::string& to) {
  RunHook(OpKind::kRename, from);
  std::lock_guard lock(mu_);
  const std::string op = "rename to '" + to + "' from";
  if (int err = Account(OpKind::kRename, from)) return PosixError(op, from, err);
  auto it = files_.find(from);
  if (it == files_.end() || !ParentExists(to)) return PosixError(op, from, ENOENT);
  if (dirs_.count(to)) return PosixError(op, from, EISDIR);
  auto node = it->second;
  files_.erase(it);
  files_[to] = std::move(node);
  return {};
}

Result<void> FaultInjectionFs::RemoveFile(const std::string& path) {
  RunHook(OpKind::kRemove, path);
  std::lock_guard lock(mu_);
  if (int err = Account(OpKind::kRemove, path)) return PosixError("unlink", path, err);
  if (files_.erase(path) == 0) return PosixError("unlink", path, ENOENT);
  return {};
}

// Directories are created durably at once (the store creates its data
// directory before anything else and the tests do not crash it before that).
Result<void> FaultInjectionFs::MakeDir(const std::string& dir) {
  RunHook(OpKind::kOpen, dir);
  std::lock_guard lock(mu_);
  if (int err = Account(OpKind::kOpen, dir)) return PosixError("create directory", dir, err);
  if (files_.count(dir)) return PosixError("create directory", dir, ENOTDIR);
  if (!dirs_.count(Parent(dir)) && Parent(dir) != dir) {
    return PosixError("create directory", dir, ENOENT);
  }
  dirs_.insert(dir);
  return {};
}

Result<std::vector<std::string>> FaultInjectionFs::ListDir(const std::string& dir) {
  RunHook(OpKind::kRead, dir);
  std::lock_guard lock(mu_);
  if (int err = Account(OpKind::kRead, dir)) return PosixError("read directory", dir, err);
  if (!dirs_.count(dir)) return PosixError("open directory", dir, ENOENT);
  std::vector<std::string> names;
  for (const auto& [path, node] : files_) {
    if (Parent(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  for (const auto& d : dirs_) {
    if (d != dir && Parent(d) == dir) names.push_back(d.substr(dir.size() + 1));
  }
  return names;
}

Result<void> FaultInjectionFs::SyncDir(const std::string& dir) {
  RunHook(OpKind::kSyncDir, dir);
  std::lock_guard lock(mu_);
  if (int err = Account(OpKind::kSyncDir, dir)) return PosixError("fsync directory", dir, err);
  if (!dirs_.count(dir)) return PosixError("open directory", dir, ENOENT);
  for (auto it = durable_.begin(); it != durable_.end();) {
    if (Parent(it->first) == dir && !files_.count(it->first)) {
      it = durable_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [path, node] : files_) {
    if (Parent(path) == dir) durable_[path] = node;
  }
  return {};
}

void FaultInjectionFs::SimulateCrash(CrashMode mode) {
  std::lock_guard lock(mu_);
  ++epoch_;
  open_handles_ = 0;
  files_ = durable_;
  std::set<Inode*> done;
  for (auto& [path, node] : files_) {
    if (!done.insert(node.get()).second) continue;
    if (mode == CrashMode::kTornTail && node->data != node->synced) {
      // Keep the synced bytes overwritten by a random-length prefix of the
      // changes made since the last sync.
      const std::string& cur = node->data;
      const std::string& old = node->synced;
      std::size_t p = 0;
      while (p < cur.size() && p < old.size() && cur[p] == old[p]) ++p;
      const std::size_t extra = cur.size() > p ? cur.size() - p : 0;
      const std::size_t keep = std::uniform_int_distribution<std::size_t>(0, extra)(rng_);
      std::string out = cur.substr(0, p + keep);
      if (old.size() > out.size()) out.append(old, out.size(), std::string::npos);
      node->synced = std::move(out);
    }
    node->data = node->synced;
  }
}

void FaultInjectionFs::SimulateProcessCrash() {
  std::lock_guard lock(mu_);
  ++epoch_;
  open_handles_ = 0;
}

void FaultInjectionFs::InjectFault(const Fault& fault) {
  std::lock_guard lock(mu_);
  fault_ = fault;
  fault_seen_ = 0;
}

void FaultInjectionFs::FreezeAfter(uint64_t k) {
  Fault f;
  f.kind = OpKind::kAny;
  f.nth = k + 1;
  f.err = EIO;
  f.persistent = true;
  InjectFault(f);
}

void FaultInjectionFs::ClearFaults() {
  std::lock_guard lock(mu_);
  fault_.reset();
  fault_seen_ = 0;
}

uint64_t FaultInjectionFs::injected_failures() const {
  std::lock_guard lock(mu_);
  return injected_;
}

std::optional<OpRecord> FaultInjectionFs::first_injected_failure() const {
  std::lock_guard lock(mu_);
  return first_failure_;
}

uint64_t FaultInjectionFs::count(OpKind kind) const {
  std::lock_guard lock(mu_);
  return counts_[static_cast<int>(kind)];
}

void FaultInjectionFs::ResetCounters() {
  std::lock_guard lock(mu_);
  std::fill(std::begin(counts_), std::end(counts_), 0);
  trace_.clear();
  injected_ = 0;
  first_failure_.reset();
}

void FaultInjectionFs::set_trace(bool on) {
  std::lock_guard lock(mu_);
  trace_on_ = on;
}

std::vector<OpRecord> FaultInjectionFs::Trace() const {
  std::lock_guard lock(mu_);
  return trace_;
}

void FaultInjectionFs::CreateDir(const std::string& dir) {
  std::lock_guard lock(mu_);
  dirs_.insert(dir);
}

std::vector<std::string> FaultInjectionFs::ListFiles() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [path, node] : files_) out.push_back(path);
  return out;
}

std::vector<std::string> FaultInjectionFs::ListDurableFiles() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [path, node] : durable_) out.push_back(path);
  return out;
}

bool FaultInjectionFs::Exists(const std::string& path) const {
  std::lock_guard lock(mu_);
  return files_.count(path) > 0;
}

std::optional<std::string> FaultInjectionFs::Contents(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second->data;
}

std::optional<std::string> FaultInjectionFs::SyncedContents(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  return it->second->synced;
}

void FaultInjectionFs::PutFile(const std::string& path, const std::string& data) {
  std::lock_guard lock(mu_);
  dirs_.insert(Parent(path));
  auto node = std::make_shared<Inode>();
  node->data = data;
  node->synced = data;
  files_[path] = node;
  durable_[path] = node;
}

int FaultInjectionFs::open_handles() const {
  std::lock_guard lock(mu_);
  return open_handles_;
}

void FaultInjectionFs::set_log_preallocation(std::size_t chunk) {
  std::lock_guard lock(mu_);
  prealloc_ = chunk;
}

void FaultInjectionFs::set_hook(std::function<void(OpKind, const std::string&)> hook) {
  std::lock_guard lock(mu_);
  hook_ = hook ? std::make_shared<std::function<void(OpKind, const std::string&)>>(std::move(hook))
               : nullptr;
}

}  // namespace kvstore::testing
