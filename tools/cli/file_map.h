// Copyright (c) the kvstore developers.
//
// Read-only access to a whole file for the inspection commands: a mapping
// through the library's FileSystem (no copy, whatever the file's size).

#ifndef KVSTORE_TOOLS_CLI_FILE_MAP_H_
#define KVSTORE_TOOLS_CLI_FILE_MAP_H_

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

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_FILE_MAP_H_
