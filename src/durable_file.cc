// Copyright (c) the kvstore developers.

#include "durable_file.h"

#include "error.h"

namespace kvstore {

Result<void> WriteFileDurably(FileSystem& fs, const std::string& path, const WriteFn& write,
                              const std::function<Result<void>()>& before_rename,
                              const std::string& suffix) {
  const std::string tmp = path + suffix;
  Result<void> r;
  {
    auto file = fs.NewWritableFile(tmp);
    if (!file) return std::move(file).error();
    r = write(file->get());
    if (r) r = (*file)->Sync();
    auto closed = (*file)->Close();
    if (r && !closed) r = closed;
  }
  if (r && before_rename) r = before_rename();
  if (r) r = fs.RenameFile(tmp, path);
  if (!r) {
    (void)fs.RemoveFile(tmp);
    return r;
  }
  return fs.SyncDir(DirName(path));
}

std::string DirName(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<void> RemoveLeftover(FileSystem& fs, const std::string& path) {
  auto exists = fs.FileExists(path);
  if (!exists) return std::move(exists).error();
  if (*exists) return fs.RemoveFile(path);
  return {};
}

}  // namespace kvstore
