// Copyright (c) the kvstore developers.
//
// Unusable paths given to open/load/save: each is a clear kIoError naming the
// path, never a crash, and a store whose save failed keeps working.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "support/temp_dir.h"
#include "kvstore/kvstore.h"

namespace kvstore {
namespace {

using kvstore::testing::TempDir;
using kvstore::testing::WriteFileBytes;

namespace fs = std::filesystem;

Options NoSync() {
  Options o;
  o.sync = SyncMode::kNever;
  return o;
}

// The error is kIoError and its message contains `path`.
template <class R>
void ExpectIoErrorNaming(const R& r, const std::string& path) {
  ASSERT_FALSE(r) << "expected an error for " << path;
  EXPECT_EQ(r.error().code(), ErrorCode::kIoError) << r.error().message();
  EXPECT_NE(r.error().message().find(path), std::string::npos)
      << "the message must name the path '" << path << "': " << r.error().message();
}

bool RunningAsRoot() { return ::geteuid() == 0; }

class BadInputTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

// ---- open ----

TEST_F(BadInputTest, OpenWithMissingParentDirectoryIsIoError) {
  const std::string missing_dir = dir_.File("no/such/dir");
  const std::string wal = missing_dir + "/data.wal";
  auto r = KvStore::open(wal, NoSync());
  ExpectIoErrorNaming(r, missing_dir);
  EXPECT_NE(r.error().message().find("No such file or directory"), std::string::npos)
      << "the OS error text: " << r.error().message();
  EXPECT_FALSE(fs::exists(dir_.File("no"))) << "open must not create directories";
}

TEST_F(BadInputTest, OpenWithPathUnderARegularFileIsIoError) {
  const std::string file = dir_.File("plain-file");
  WriteFileBytes(file, "I am not a directory");
  const std::string wal = file + "/data.wal";
  auto r = KvStore::open(wal, NoSync());
  ExpectIoErrorNaming(r, file);
  EXPECT_NE(r.error().message().find("Not a directory"), std::string::npos) << r.error().message();
}

TEST_F(BadInputTest, OpenWithDirectoryAsWalPathIsIoError) {
  const std::string d = dir_.File("a-directory");
  fs::create_directory(d);
  auto r = KvStore::open(d, NoSync());
  ExpectIoErrorNaming(r, d);
  EXPECT_TRUE(fs::is_directory(d)) << "the directory must be left alone";
}

TEST_F(BadInputTest, OpenWithEmptyPathIsInvalidArgumentAndLeavesNothingBehind) {
  // Relative temporary names derive from the path: run in our own directory.
  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir_.path());
  auto r = KvStore::open("", NoSync());
  fs::current_path(old_cwd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << r.error().message();
  EXPECT_TRUE(fs::is_empty(dir_.path()))
      << "a failed open must not leave files behind, found: "
      << fs::directory_iterator(dir_.path())->path().filename();
}

TEST_F(BadInputTest, OpenInUnwritableDirectoryIsIoError) {
  if (RunningAsRoot()) GTEST_SKIP() << "permission bits do not restrict root";
  const std::string ro = dir_.File("read-only");
  fs::create_directory(ro);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  auto r = KvStore::open(ro + "/data.wal", NoSync());
  ExpectIoErrorNaming(r, ro);
  EXPECT_NE(r.error().message().find("Permission denied"), std::string::npos) << r.error().message();
}

TEST_F(BadInputTest, OpenOfUnreadableWalIsIoError) {
  if (RunningAsRoot()) GTEST_SKIP() << "permission bits do not restrict root";
  const std::string wal = dir_.File("data.wal");
  {
    auto s = KvStore::open(wal, NoSync());
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->set("k", "v"));
  }
  fs::permissions(wal, fs::perms::none);
  auto r = KvStore::open(wal, NoSync());
  ExpectIoErrorNaming(r, wal);
}

// ---- load_from_file ----

TEST_F(BadInputTest, LoadWithDirectoryAsSnapshotPathIsIoError) {
  const std::string d = dir_.File("snapshot-dir");
  fs::create_directory(d);
  auto r = KvStore::load_from_file(d, dir_.File("data.wal"), NoSync());
  ExpectIoErrorNaming(r, d);
  EXPECT_NE(r.error().message().find("Is a directory"), std::string::npos) << r.error().message();
}

TEST_F(BadInputTest, LoadWithDirectoryAsWalPathIsIoError) {
  const std::string snap = dir_.File("s.json");
  WriteFileBytes(snap, R"({"map": {"a": "1"}})");
  const std::string d = dir_.File("wal-dir");
  fs::create_directory(d);
  auto r = KvStore::load_from_file(snap, d, NoSync());
  ExpectIoErrorNaming(r, d);
}

TEST_F(BadInputTest, LoadWithWalInMissingDirectoryIsIoError) {
  const std::string snap = dir_.File("s.json");
  WriteFileBytes(snap, R"({"map": {"a": "1"}})");
  const std::string missing_dir = dir_.File("gone");
  auto r = KvStore::load_from_file(snap, missing_dir + "/data.wal", NoSync());
  ExpectIoErrorNaming(r, missing_dir);
}

TEST_F(BadInputTest, LoadWithSnapshotUnderARegularFileIsIoError) {
  const std::string file = dir_.File("plain-file");
  WriteFileBytes(file, "x");
  auto r = KvStore::load_from_file(file + "/s.json", dir_.File("data.wal"), NoSync());
  ExpectIoErrorNaming(r, file + "/s.json");
}

// ---- save_to_file ----

class SaveFailureTest : public BadInputTest {
 protected:
  void SetUp() override {
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s) << s.error().message();
    store_.emplace(std::move(*s));
    ASSERT_TRUE(store_->set("a", "1"));
    ASSERT_TRUE(store_->set("b", "2"));
  }

  // After a failed save the store accepts writes, saves to a good path, and
  // everything (including the writes after the failure) loads back.
  void ExpectStoreKeepsWorking() {
    KvStore& s = *store_;
    EXPECT_EQ(s.get("a"), "1");
    ASSERT_TRUE(s.set("after-failure", "x")) << "a failed save must not stop writes";
    ASSERT_TRUE(s.remove("b"));
    const std::string good = dir_.File("good.json");
    ASSERT_TRUE(s.save_to_file(good));
    ASSERT_TRUE(s.set("after-good-save", "y"));
    ASSERT_TRUE(s.close());
    auto t = KvStore::load_from_file(good, wal_, NoSync());
    ASSERT_TRUE(t) << t.error().message();
    EXPECT_EQ(t->get("a"), "1");
    EXPECT_EQ(t->get("b"), std::nullopt);
    EXPECT_EQ(t->get("after-failure"), "x");
    EXPECT_EQ(t->get("after-good-save"), "y");
    EXPECT_EQ(t->size(), 3u);
    auto w = KvStore::open(dir_.File("check.wal"), NoSync());  // unrelated: fs still fine
    ASSERT_TRUE(w);
  }

  void ExpectNoLeftovers(const std::string& dir) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      EXPECT_FALSE(name.ends_with(".tmp")) << "temporary snapshot left behind: " << name;
      EXPECT_FALSE(name.ends_with(".new")) << "temporary WAL left behind: " << name;
    }
  }

  std::string wal_ = dir_.File("data.wal");
  std::optional<KvStore> store_;
};

TEST_F(SaveFailureTest, SaveIntoMissingDirectoryIsIoErrorAndStoreKeepsWorking) {
  const std::string missing_dir = dir_.File("missing");
  auto r = store_->save_to_file(missing_dir + "/snap.json");
  ExpectIoErrorNaming(r, missing_dir);
  EXPECT_FALSE(fs::exists(missing_dir));
  ExpectStoreKeepsWorking();
}

TEST_F(SaveFailureTest, SaveOntoADirectoryIsIoErrorAndStoreKeepsWorking) {
  const std::string d = dir_.File("existing-dir");
  fs::create_directory(d);
  fs::create_directory(d + "/child");  // a non-empty directory
  auto r = store_->save_to_file(d);
  ExpectIoErrorNaming(r, d);
  EXPECT_TRUE(fs::is_directory(d + "/child")) << "the directory must be left alone";
  ExpectNoLeftovers(dir_.path());
  ExpectStoreKeepsWorking();
}

TEST_F(SaveFailureTest, SaveOntoAnEmptyDirectoryIsIoError) {
  const std::string d = dir_.File("empty-dir");
  fs::create_directory(d);
  auto r = store_->save_to_file(d);
  ExpectIoErrorNaming(r, d);
  EXPECT_TRUE(fs::is_directory(d));
  ExpectNoLeftovers(dir_.path());
  ExpectStoreKeepsWorking();
}

TEST_F(SaveFailureTest, SaveUnderARegularFileIsIoError) {
  const std::string file = dir_.File("plain-file");
  WriteFileBytes(file, "x");
  auto r = store_->save_to_file(file + "/snap.json");
  ExpectIoErrorNaming(r, file);
  ExpectStoreKeepsWorking();
}

TEST_F(SaveFailureTest, FailedSaveKeepsTheWalIntact) {
  ASSERT_FALSE(store_->save_to_file(dir_.File("missing/snap.json")));
  ASSERT_TRUE(store_->close());
  // Nothing was checkpointed: the WAL alone still has every write.
  auto s = KvStore::open(wal_, NoSync());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->get("a"), "1");
  EXPECT_EQ(s->get("b"), "2");
  EXPECT_EQ(s->recovery_stats().records_replayed, 2u);
}

TEST_F(SaveFailureTest, SaveIntoUnwritableDirectoryIsIoError) {
  if (RunningAsRoot()) GTEST_SKIP() << "permission bits do not restrict root";
  const std::string ro = dir_.File("read-only");
  fs::create_directory(ro);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  auto r = store_->save_to_file(ro + "/snap.json");
  ExpectIoErrorNaming(r, ro);
  ExpectStoreKeepsWorking();
}

}  // namespace
}  // namespace kvstore
