// Copyright (c) the kvstore developers.

#include "dump.h"

#include <gtest/gtest.h>

#include "cli.h"
#include "support/temp_dir.h"
#include "wal_test_util.h"

namespace kvstore::cli {
namespace {

using namespace std::string_literals;
using testing::BuildWal;

std::string Dump(const std::string& path, bool json, int* rc) {
  std::FILE* out = std::tmpfile();
  *rc = DumpWalFile(path, DumpOptions{json, false}, out);
  std::string text(static_cast<std::size_t>(std::ftell(out)), '\0');
  std::rewind(out);
  EXPECT_EQ(std::fread(text.data(), 1, text.size(), out), text.size());
  std::fclose(out);
  return text;
}

class DumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kvstore::testing::WriteFileBytes(
        path_, BuildWal(41, {{wal::RecordType::kSet, "greeting", "hello \"world\"\n"},
                             {wal::RecordType::kSet, "bin\0key"s, "\xFF\x00"s},
                             {wal::RecordType::kRemove, "greeting", ""},
                             {wal::RecordType::kClear, "", ""}}));
  }
  kvstore::testing::TempDir dir_;
  std::string path_ = dir_.File("log.wal");
};

TEST_F(DumpTest, TextEscapesBytes) {
  int rc;
  EXPECT_EQ(Dump(path_, false, &rc),
            "42 set \"greeting\" \"hello \\\"world\\\"\\n\"\n"
            "43 set \"bin\\x00key\" \"\\xff\\x00\"\n"
            "44 remove \"greeting\"\n"
            "45 clear\n");
  EXPECT_EQ(rc, kExitOk);
}

TEST_F(DumpTest, JsonUsesTheSnapshotEncoding) {
  int rc;
  EXPECT_EQ(Dump(path_, true, &rc),
            "{\"seq\":42,\"type\":\"set\",\"key\":\"greeting\",\"value\":\"hello "
            "\\\"world\\\"\\n\"}\n"
            // NUL is valid UTF-8, so the key stays text; 0xFF is not.
            "{\"seq\":43,\"type\":\"set\",\"key\":\"bin\\u0000key\",\"value\":"
            "\"\\u0000b64:/wA=\"}\n"
            "{\"seq\":44,\"type\":\"remove\",\"key\":\"greeting\"}\n"
            "{\"seq\":45,\"type\":\"clear\"}\n");
  EXPECT_EQ(rc, kExitOk);
}

TEST_F(DumpTest, CorruptionStopsWithExitOneAfterTheValidRecords) {
  std::string wal = kvstore::testing::ReadFileBytes(path_);
  std::vector<uint64_t> offsets;
  BuildWal(41,
           {{wal::RecordType::kSet, "greeting", "hello \"world\"\n"},
            {wal::RecordType::kSet, "bin\0key"s, "\xFF\x00"s}},
           &offsets);
  wal[offsets[1] + 18] ^= 1;
  kvstore::testing::WriteFileBytes(path_, wal);
  int rc;
  ::testing::internal::CaptureStderr();
  const std::string text = Dump(path_, false, &rc);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kExitNo);
  EXPECT_EQ(text, "42 set \"greeting\" \"hello \\\"world\\\"\\n\"\n");
  EXPECT_NE(err.find("byte " + std::to_string(offsets[1])), std::string::npos) << err;
}

TEST(Dump, BatchRecordsListTheirOps) {
  kvstore::testing::TempDir dir;
  std::string wal_bytes = wal::EncodeFileHeader(0), rec;
  const wal::BatchOp ops[] = {{wal::RecordType::kSet, "a", "1"},
                              {wal::RecordType::kRemove, "b\n", ""}};
  wal::FinishRecord(1, wal::EncodeBatchRecord(ops, 2, &rec), &rec);
  kvstore::testing::WriteFileBytes(dir.File("b.wal"), wal_bytes + rec);
  int rc;
  EXPECT_EQ(Dump(dir.File("b.wal"), false, &rc),
            "1 batch set \"a\" \"1\"\n1 batch remove \"b\\n\"\n");
  EXPECT_EQ(Dump(dir.File("b.wal"), true, &rc),
            "{\"seq\":1,\"type\":\"batch\",\"ops\":[{\"type\":\"set\",\"key\":\"a\","
            "\"value\":\"1\"},{\"type\":\"remove\",\"key\":\"b\\n\"}]}\n");
  EXPECT_EQ(rc, kExitOk);
}

TEST(Dump, ExpiryRecordsShowTheirDeadlines) {
  kvstore::testing::TempDir dir;
  kvstore::testing::WriteFileBytes(
      dir.File("x.wal"),
      BuildWal(0, {{wal::RecordType::kSetExpiring, "session", "token", 1700000000123},
                   {wal::RecordType::kExpire, "session", "", 1800000000000},
                   {wal::RecordType::kExpire, "session", "", 0}}));
  int rc;
  EXPECT_EQ(Dump(dir.File("x.wal"), false, &rc),
            "1 setx \"session\" \"token\" 1700000000123\n"
            "2 expire \"session\" 1800000000000\n"
            "3 expire \"session\" 0\n");
  EXPECT_EQ(rc, kExitOk);
  EXPECT_EQ(Dump(dir.File("x.wal"), true, &rc),
            "{\"seq\":1,\"type\":\"setx\",\"key\":\"session\",\"value\":\"token\","
            "\"expire_at_ms\":1700000000123}\n"
            "{\"seq\":2,\"type\":\"expire\",\"key\":\"session\",\"expire_at_ms\":1800000000000}\n"
            "{\"seq\":3,\"type\":\"expire\",\"key\":\"session\",\"expire_at_ms\":0}\n");
  EXPECT_EQ(rc, kExitOk);
}

TEST(Dump, BatchOpsWithDeadlines) {
  kvstore::testing::TempDir dir;
  wal::BatchOp setx{wal::RecordType::kSetExpiring, "a", "1"};
  setx.deadline = 1700000000000;
  wal::BatchOp expire{wal::RecordType::kExpire, "b", ""};
  expire.deadline = 1700000000500;
  kvstore::testing::WriteFileBytes(dir.File("b.wal"), testing::BuildBatchWal(6, {setx, expire}));
  int rc;
  EXPECT_EQ(Dump(dir.File("b.wal"), false, &rc),
            "7 batch setx \"a\" \"1\" 1700000000000\n7 batch expire \"b\" 1700000000500\n");
  EXPECT_EQ(Dump(dir.File("b.wal"), true, &rc),
            "{\"seq\":7,\"type\":\"batch\",\"ops\":[{\"type\":\"setx\",\"key\":\"a\","
            "\"value\":\"1\",\"expire_at_ms\":1700000000000},{\"type\":\"expire\",\"key\":\"b\","
            "\"expire_at_ms\":1700000000500}]}\n");
  EXPECT_EQ(rc, kExitOk);
}

TEST_F(DumpTest, MissingFileIsAnError) {
  int rc;
  ::testing::internal::CaptureStderr();
  Dump(dir_.File("absent.wal"), false, &rc);
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kExitError);
}

}  // namespace
}  // namespace kvstore::cli
