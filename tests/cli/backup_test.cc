// Copyright (c) the kvstore developers.
//
// `kvstore backup` and `kvstore restore`: exit codes, messages and the
// round trip (the library's guarantees are proven in tests/lib/backup_test.cc;
// the run beside a live kvstore-server in tests/cli/backup_online_test.py).

#include "backup.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli.h"
#include "kvstore/kvstore.h"
#include "support/temp_dir.h"

namespace kvstore::cli {
namespace {

using kvstore::testing::TempDir;

struct Outcome {
  int rc;
  std::string out;
};

template <typename Command>
Outcome Invoke(Command command, const GlobalFlags& flags, const BackupArgs& args) {
  std::FILE* out = std::tmpfile();
  const int rc = command(flags, args, out);
  std::fflush(out);
  std::rewind(out);
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, out)) > 0) text.append(buf, n);
  std::fclose(out);
  return {rc, text};
}

class BackupCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.log_level = LogLevel::kOff;
    auto store = KvStore::open_dir(tmp_.File("data"), o);
    ASSERT_TRUE(store);
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(store->set("k" + std::to_string(i), "v"));
    ASSERT_TRUE(store->checkpoint());
    ASSERT_TRUE(store->set("k0", "new"));
  }
  GlobalFlags Dir(const std::string& name) {
    GlobalFlags f;
    f.dir = tmp_.File(name);
    f.dir_given = true;
    return f;
  }
  TempDir tmp_;
};

TEST_F(BackupCliTest, BackupThenRestoreRoundTrips) {
  BackupArgs a;
  a.to = tmp_.File("b");
  auto b = Invoke(BackupCommand, Dir("data"), a);
  ASSERT_EQ(b.rc, kExitOk);
  EXPECT_NE(b.out.find("sequence 31, 30 keys"), std::string::npos) << b.out;
  EXPECT_TRUE(std::filesystem::exists(tmp_.File("b/BACKUP-MANIFEST")));
  a.from = tmp_.File("b");
  auto r = Invoke(RestoreCommand, Dir("restored"), a);
  ASSERT_EQ(r.rc, kExitOk);
  EXPECT_NE(r.out.find("restored"), std::string::npos);
  Options o;
  o.log_level = LogLevel::kOff;
  auto store = KvStore::open_dir(tmp_.File("restored"), o);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->size(), 30u);
  EXPECT_EQ(store->get("k0"), "new");
}

TEST_F(BackupCliTest, NonEmptyTargetIsExit2) {
  std::filesystem::create_directory(tmp_.File("b"));
  std::ofstream(tmp_.File("b/x")) << "x";
  BackupArgs a;
  a.to = tmp_.File("b");
  EXPECT_EQ(Invoke(BackupCommand, Dir("data"), a).rc, kExitError);
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("b/MANIFEST")));
}

TEST_F(BackupCliTest, SourceNotADataDirectoryIsExit2) {
  std::filesystem::create_directory(tmp_.File("empty"));
  BackupArgs a;
  a.to = tmp_.File("b");
  EXPECT_EQ(Invoke(BackupCommand, Dir("empty"), a).rc, kExitError);
  EXPECT_EQ(Invoke(BackupCommand, Dir("missing"), a).rc, kExitError);
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("b")));
}

TEST_F(BackupCliTest, RestoreRefusesNonEmptyDirUnlessForcedAndAnIncompleteBackup) {
  BackupArgs a;
  a.to = tmp_.File("b");
  ASSERT_EQ(Invoke(BackupCommand, Dir("data"), a).rc, kExitOk);
  a.from = tmp_.File("b");
  EXPECT_EQ(Invoke(RestoreCommand, Dir("data"), a).rc, kExitError);
  a.force = true;
  EXPECT_EQ(Invoke(RestoreCommand, Dir("data"), a).rc, kExitOk);
  std::filesystem::remove(tmp_.File("b/BACKUP-MANIFEST"));
  EXPECT_EQ(Invoke(RestoreCommand, Dir("other"), a).rc, kExitError);
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("other/MANIFEST")));
}

}  // namespace
}  // namespace kvstore::cli
