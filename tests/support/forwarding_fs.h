// Copyright (c) the kvstore developers.
//
// ForwardingFs: the POSIX file system with every call passed through, for
// tests that change one thing about it (a log whose Sync is skipped or slow)
// and keep the rest real. A subclass overrides WrapLog to wrap each opened
// log (ForwardingLogFile passes every call through too) and any other call
// it changes.

#ifndef KVSTORE_TESTS_SUPPORT_FORWARDING_FS_H_
#define KVSTORE_TESTS_SUPPORT_FORWARDING_FS_H_

#include <kvstore/filesystem.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kvstore {

class ForwardingLogFile : public LogFile {
 public:
  explicit ForwardingLogFile(std::unique_ptr<LogFile> f) : f_(std::move(f)) {}
  Result<void> Append(std::string_view record) override { return f_->Append(record); }
  Result<void> Sync() override { return f_->Sync(); }
  uint64_t Size() const override { return f_->Size(); }
  Result<void> ReadAt(uint64_t offset, std::size_t n, char* out) const override {
    return f_->ReadAt(offset, n, out);
  }
  Result<void> Close() override { return f_->Close(); }
  void SetSyncEachAppend(bool on) override { f_->SetSyncEachAppend(on); }

 private:
  std::unique_ptr<LogFile> f_;
};

class ForwardingFs : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return base_->NewWritableFile(path);
  }
  Result<std::unique_ptr<LogFile>> OpenLogFile(const std::string& path,
                                               uint64_t valid_size) override {
    auto f = base_->OpenLogFile(path, valid_size);
    if (!f) return std::move(f).error();
    return WrapLog(std::move(*f));
  }
  Result<void> ReadFile(const std::string& path, std::string* contents) override {
    return base_->ReadFile(path, contents);
  }
  Result<bool> FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<void> RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  Result<void> RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Result<void> SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  Result<void> MakeDir(const std::string& dir) override { return base_->MakeDir(dir); }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_->ListDir(dir);
  }

 protected:
  // The log OpenLogFile returns, given the real one.
  virtual std::unique_ptr<LogFile> WrapLog(std::unique_ptr<LogFile> log) { return log; }

 private:
  std::shared_ptr<FileSystem> base_ = FileSystem::Default();
};

}  // namespace kvstore

#endif  // KVSTORE_TESTS_SUPPORT_FORWARDING_FS_H_
