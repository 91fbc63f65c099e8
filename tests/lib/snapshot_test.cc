// Copyright (c) the kvstore developers.
//
// Damaged or foreign snapshot files: each is a clear Error naming the file
// (kCorruption for bad contents, kIoError when it cannot be read), never a
// crash, and a failed load leaves the WAL usable.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.h"
#include "kvstore/kvstore.h"
#include "snapshot.h"

namespace kvstore {
namespace {

using kvstore::testing::TempDir;
using kvstore::testing::ReadFileBytes;
using kvstore::testing::WriteFileBytes;

namespace fs = std::filesystem;
using namespace std::string_literals;

Options NoSync() {
  Options o;
  o.sync = SyncMode::kNever;
  return o;
}

class SnapshotLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A WAL with data, to show that a failed load neither uses nor harms it.
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->set("wal-key", "wal-value"));
    ASSERT_TRUE(s->close());
    wal_image_ = ReadFileBytes(wal_);
  }

  // Loads `contents` as a snapshot; expects a kCorruption error naming the
  // file; returns its message.
  std::string ExpectCorrupt(const std::string& contents) {
    WriteFileBytes(snap_, contents);
    auto r = KvStore::load_from_file(snap_, wal_, NoSync());
    EXPECT_FALSE(r) << "loaded: " << ::testing::PrintToString(contents);
    if (r) return "";
    EXPECT_EQ(r.error().code(), ErrorCode::kCorruption) << r.error().message();
    EXPECT_NE(r.error().message().find(snap_), std::string::npos)
        << "the message must name the file: " << r.error().message();
    ExpectWalUntouchedAndStoreWorks();
    return r.error().message();
  }

  void ExpectWalUntouchedAndStoreWorks() {
    EXPECT_EQ(ReadFileBytes(wal_), wal_image_) << "a failed load must not modify the WAL";
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_EQ(s->get("wal-key"), "wal-value");
    EXPECT_EQ(s->size(), 1u);
    ASSERT_TRUE(s->set("later", "write"));
    ASSERT_TRUE(s->remove("later"));
    ASSERT_TRUE(s->close());
    wal_image_ = ReadFileBytes(wal_);
  }

  TempDir dir_;
  std::string wal_ = dir_.File("s.wal");
  std::string snap_ = dir_.File("snapshot.json");
  std::string wal_image_;
};

TEST_F(SnapshotLoadTest, MalformedJsonIsCorruption) {
  ExpectCorrupt(R"({"map": {"a": "1", "b": )");
  ExpectCorrupt(R"({"map": {"a": "1" "b": "2"}})");
  ExpectCorrupt(R"({"map": {"a": "1",}})");
  ExpectCorrupt(R"({"map": {"a": "unterminated}})");
  ExpectCorrupt(R"({map: {}})");
  ExpectCorrupt("{\"map\": {\"a\": \"bad escape \\x\"}}");
  ExpectCorrupt("{\"map\": {\"a\": \"invalid utf8 \xff\"}}");
  ExpectCorrupt("not json at all");
  ExpectCorrupt("{");
}

TEST_F(SnapshotLoadTest, TruncatedSnapshotIsCorruption) {
  std::string good;
  {
    TempDir d;
    auto s = KvStore::open(d.File("w.wal"), NoSync());
    ASSERT_TRUE(s);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(s->set("key" + std::to_string(i), "value"));
    ASSERT_TRUE(s->save_to_file(d.File("s.json")));
    good = ReadFileBytes(d.File("s.json"));
  }
  ASSERT_GT(good.size(), 100u);
  for (std::size_t cut : {good.size() / 4, good.size() / 2, good.size() - 3}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    ExpectCorrupt(good.substr(0, cut));
  }
}

TEST_F(SnapshotLoadTest, NumberAsValueIsCorruptionNamingTheKey) {
  const std::string msg = ExpectCorrupt(R"({"map": {"ok": "1", "counter": 42}})");
  EXPECT_NE(msg.find("counter"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a string"), std::string::npos) << msg;
}

TEST_F(SnapshotLoadTest, NullAsValueIsCorruption) {
  const std::string msg = ExpectCorrupt(R"({"map": {"gone": null}})");
  EXPECT_NE(msg.find("gone"), std::string::npos) << msg;
}

TEST_F(SnapshotLoadTest, BooleanAndArrayAsValueAreCorruption) {
  ExpectCorrupt(R"({"map": {"flag": true}})");
  ExpectCorrupt(R"({"map": {"list": ["a", "b"]}})");
}

TEST_F(SnapshotLoadTest, NestedObjectAsValueIsCorruption) {
  const std::string msg = ExpectCorrupt(R"({"map": {"outer": {"inner": "x"}}})");
  EXPECT_NE(msg.find("outer"), std::string::npos) << msg;
}

TEST_F(SnapshotLoadTest, NonStringValueInFlatFormIsCorruption) {
  ExpectCorrupt(R"({"a": "1", "b": 2})");
  ExpectCorrupt(R"({"a": {"b": "c"}})");
}

TEST_F(SnapshotLoadTest, EmptyFileIsCorruption) {
  const std::string msg = ExpectCorrupt("");
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  ExpectCorrupt("   \n\t  \n");
}

TEST_F(SnapshotLoadTest, TopLevelArrayIsCorruption) {
  ExpectCorrupt(R"([{"map": {"a": "1"}}])");
  ExpectCorrupt("[]");
}

TEST_F(SnapshotLoadTest, TopLevelScalarIsCorruption) {
  ExpectCorrupt(R"("just a string")");
  ExpectCorrupt("42");
  ExpectCorrupt("null");
}

TEST_F(SnapshotLoadTest, TrailingGarbageAfterTheObjectIsCorruption) {
  ExpectCorrupt("{\"map\": {\"a\": \"1\"}} garbage");
  ExpectCorrupt("{\"map\": {\"a\": \"1\"}}\n{\"map\": {}}\n");
  ExpectCorrupt("{\"a\": \"1\"}}");
}

TEST_F(SnapshotLoadTest, TrailingWhitespaceIsFine) {
  WriteFileBytes(snap_, "{\"map\": {\"a\": \"1\"}}\n\n  \t\n");
  auto r = KvStore::load_from_file(snap_, wal_, NoSync());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->get("a"), "1");
}

TEST_F(SnapshotLoadTest, BadBase64AfterTheBinaryMarkerIsCorruption) {
  const std::string msg = ExpectCorrupt(R"({"map": {"k": "\u0000b64:!!not base64!!"}})");
  EXPECT_NE(msg.find("base64"), std::string::npos) << msg;
  ExpectCorrupt(R"({"map": {"\u0000b64:@@@": "v"}})");
  ExpectCorrupt(R"({"map": {"k": "\u0000b64:A"}})");  // one base64 char cannot encode a byte
}

TEST_F(SnapshotLoadTest, UnsupportedVersionIsCorruptionNamingTheVersion) {
  const std::string next = std::to_string(snapshot::kVersion + 1);
  const std::string msg = ExpectCorrupt(R"({"format": "kvstore-snapshot", "version": )" + next +
                                        R"(, "sequence": 0, "map": {}})");
  EXPECT_NE(msg.find("version " + next), std::string::npos) << msg;
  ExpectCorrupt(R"({"version": 99, "map": {"a": "1"}})");
}

TEST_F(SnapshotLoadTest, MalformedMetadataIsCorruption) {
  ExpectCorrupt(R"({"sequence": "five", "map": {}})");
  ExpectCorrupt(R"({"sequence": -1, "map": {}})");
  ExpectCorrupt(R"({"version": "1", "map": {}})");
}

TEST_F(SnapshotLoadTest, MissingSnapshotFileIsIoErrorNamingTheFile) {
  const std::string missing = dir_.File("does-not-exist.json");
  auto r = KvStore::load_from_file(missing, wal_, NoSync());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kIoError) << r.error().message();
  EXPECT_NE(r.error().message().find(missing), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("No such file"), std::string::npos)
      << "the OS error text: " << r.error().message();
  ExpectWalUntouchedAndStoreWorks();
}

TEST_F(SnapshotLoadTest, FailedLoadThenGoodLoadWorks) {
  ExpectCorrupt(R"({"map": {"a": 1}})");
  WriteFileBytes(snap_, R"({"map": {"a": "1"}})");
  auto r = KvStore::load_from_file(snap_, wal_, NoSync());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->get("a"), "1");
  EXPECT_EQ(r->get("wal-key"), "wal-value") << "the WAL is replayed on top";
}

TEST_F(SnapshotLoadTest, FreshStoreWorksAfterFailedLoad) {
  ExpectCorrupt("{broken");
  TempDir other;
  auto s = KvStore::open(other.File("fresh.wal"), NoSync());
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_TRUE(s->set("k", "v"));
  ASSERT_TRUE(s->save_to_file(other.File("fresh.json")));
  ASSERT_TRUE(s->close());
  auto t = KvStore::load_from_file(other.File("fresh.json"), other.File("fresh.wal"), NoSync());
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->get("k"), "v");
}

TEST_F(SnapshotLoadTest, SaveReplacesADamagedSnapshot) {
  WriteFileBytes(snap_, "{broken");
  auto s = KvStore::open(wal_, NoSync());
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->save_to_file(snap_)) << "a damaged old snapshot must not block a new one";
  ASSERT_TRUE(s->close());
  auto t = KvStore::load_from_file(snap_, wal_, NoSync());
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->get("wal-key"), "wal-value");
}

}  // namespace
}  // namespace kvstore
