// Copyright (c) the kvstore developers.
//
// Test helpers for suites that use the real POSIX filesystem: a fresh
// temporary directory per test, and whole-file reads and writes.

#ifndef KVSTORE_TESTS_SUPPORT_TEMP_DIR_H_
#define KVSTORE_TESTS_SUPPORT_TEMP_DIR_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace kvstore::testing {

// A fresh directory under the gtest temporary directory, removed afterwards
// (after restoring the owner's permissions, which some tests take away).
class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "kvstore_XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl.data()), nullptr) << "mkdtemp failed for " << tmpl;
    path_ = tmpl;
  }
  ~TempDir() {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::string data(static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
  in.seekg(0);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  return data;
}

inline void WriteFileBytes(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

}  // namespace kvstore::testing

#endif  // KVSTORE_TESTS_SUPPORT_TEMP_DIR_H_
