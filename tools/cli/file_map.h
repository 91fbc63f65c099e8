// Copyright (c) the kvstore developers.
//
// Whole files for the tool's commands, through the library's FileSystem (so
// the same I/O, error texts and durability steps as the store's own): a
// read-only mapping for the inspection commands, and the steps of a durable
// write.

#ifndef KVSTORE_TOOLS_CLI_FILE_MAP_H_
#define KVSTORE_TOOLS_CLI_FILE_MAP_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "kvstore/filesystem.h"

namespace kvstore::cli {

class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path) {
    auto view = FileSystem::Default()->OpenView(path);
    if (!view) return std::move(view).error();
    return MappedFile(std::move(*view));
  }
  std::string_view data() const { return view_->data(); }

 private:
  explicit MappedFile(std::unique_ptr<FileView> view) : view_(std::move(view)) {}
  std::unique_ptr<FileView> view_;
};

// The directory holding path ("." for a bare file name), for SyncDir.
inline std::string ParentDir(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Syncs, then closes, a WritableFile or LogFile; the first error wins.
template <typename File>
Result<void> SyncAndClose(File& file) {
  auto r = file.Sync();
  auto closed = file.Close();
  if (r && !closed) r = closed;
  return r;
}

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_FILE_MAP_H_
