// Copyright (c) the kvstore developers.
//
// `kvstore check` on files damaged byte by byte: one test per damage shape.

#include "check.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <iterator>

#include "cli.h"
#include "data_dir.h"
#include "support/temp_dir.h"
#include "wal_test_util.h"

namespace kvstore::cli {
namespace {

using kvstore::testing::ReadFileBytes;
using kvstore::testing::TempDir;
using kvstore::testing::WriteFileBytes;
using testing::BuildSets;

struct Outcome {
  int rc;
  std::string out;
};

Outcome RunDir(const std::string& dir, CheckOptions o = {}) {
  ::testing::internal::CaptureStdout();
  const int rc = CheckDataDir(dir, o);
  return {rc, ::testing::internal::GetCapturedStdout()};
}

Outcome RunFile(const std::string& file, CheckOptions o = {}) {
  ::testing::internal::CaptureStdout();
  const int rc = CheckSingleFile(file, o);
  return {rc, ::testing::internal::GetCapturedStdout()};
}

std::vector<std::string> Backups(const TempDir& dir) {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().filename().string().find(".bak-") != std::string::npos) {
      out.push_back(e.path().string());
    }
  }
  return out;
}

TEST(Check, CleanDirectoryExitsZero) {
  TempDir dir;
  WriteFileBytes(dir.File(datadir::SegmentName(1)), BuildSets(0, 5));
  WriteFileBytes(dir.File(datadir::SegmentName(6)), BuildSets(5, 5));
  WriteFileBytes(
      dir.File(datadir::SnapshotName(3)),
      R"({"format": "kvstore-snapshot", "version": 1, "sequence": 3, "map": {"a": "b"}})");
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  EXPECT_NE(r.out.find("clean: 3 files checked"), std::string::npos) << r.out;
}

TEST(Check, FlippedByteIsCorruptionWithFileAndOffset) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  std::string wal = BuildSets(0, 10, &offsets);
  wal[offsets[4] + 20] ^= 0x40;  // inside record 5's body
  const std::string path = dir.File(datadir::SegmentName(1));
  WriteFileBytes(path, wal);
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find(path + ": byte " + std::to_string(offsets[4]) + ": corruption"),
            std::string::npos)
      << r.out;
}

TEST(Check, TruncatedTailIsReportedAsTorn) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  std::string wal = BuildSets(0, 10, &offsets);
  wal.resize(wal.size() - 10);  // past the 5 padding bytes, into the value
  const std::string path = dir.File(datadir::SegmentName(1));
  WriteFileBytes(path, wal);
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find(path + ": byte " + std::to_string(offsets[9]) + ": torn tail"),
            std::string::npos)
      << r.out;
}

TEST(Check, RepairCutsTornTailAndKeepsBackup) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  const std::string full = BuildSets(0, 10, &offsets);
  const std::string torn = full.substr(0, full.size() - 10);
  const std::string path = dir.File(datadir::SegmentName(1));
  WriteFileBytes(path, torn);
  auto r = RunDir(dir.path(), {.repair = true});
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  EXPECT_EQ(ReadFileBytes(path), full.substr(0, offsets[9]));
  auto baks = Backups(dir);
  ASSERT_EQ(baks.size(), 1u);
  EXPECT_EQ(baks[0].rfind(path + ".bak-", 0), 0u);
  EXPECT_EQ(ReadFileBytes(baks[0]), torn);
  EXPECT_EQ(RunDir(dir.path()).rc, kExitOk);
}

TEST(Check, RepairRefusesCorruptionBeforeTheTail) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  std::string wal = BuildSets(0, 10, &offsets);
  wal[offsets[2] + 20] ^= 1;
  const std::string path = dir.File(datadir::SegmentName(1));
  WriteFileBytes(path, wal);
  auto r = RunDir(dir.path(), {.repair = true});
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find("not repaired"), std::string::npos) << r.out;
  EXPECT_EQ(ReadFileBytes(path), wal);
  EXPECT_TRUE(Backups(dir).empty());
}

TEST(Check, PointInTimeKeepsValidPrefixAndSetsLaterSegmentsAside) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  std::string first = BuildSets(0, 10, &offsets);
  first[offsets[6] + 20] ^= 1;
  WriteFileBytes(dir.File(datadir::SegmentName(1)), first);
  WriteFileBytes(dir.File(datadir::SegmentName(11)), BuildSets(10, 3));
  auto r = RunDir(dir.path(), {.repair = true, .point_in_time = true});
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  EXPECT_EQ(ReadFileBytes(dir.File(datadir::SegmentName(1))), first.substr(0, offsets[6]));
  EXPECT_FALSE(std::filesystem::exists(dir.File(datadir::SegmentName(11))));
  EXPECT_EQ(Backups(dir).size(), 2u);
}

TEST(Check, SequenceGapBetweenSegmentsIsCorruption) {
  TempDir dir;
  WriteFileBytes(dir.File(datadir::SegmentName(1)), BuildSets(0, 5));
  const std::string second = dir.File(datadir::SegmentName(8));
  WriteFileBytes(second, BuildSets(7, 2));  // records 6 and 7 are missing
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find(second + ": byte 16: corruption: sequence gap"), std::string::npos) << r.out;
}

TEST(Check, LogStartingAfterTheSnapshotIsCorruption) {
  TempDir dir;
  WriteFileBytes(dir.File(datadir::SnapshotName(3)), R"({"version": 1, "sequence": 3, "map": {}})");
  const std::string wal = dir.File(datadir::SegmentName(6));
  WriteFileBytes(wal, BuildSets(5, 2));  // records 4 and 5 are nowhere
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find(wal + ": byte 16: corruption: records 4..5 are missing"), std::string::npos)
      << r.out;
  WriteFileBytes(dir.File(datadir::SnapshotName(5)), R"({"version": 1, "sequence": 5, "map": {}})");
  EXPECT_EQ(RunDir(dir.path()).rc, kExitOk);
}

// A directory as open_dir leaves it after a checkpoint at sequence 5: the
// snapshot, the manifest naming it and segment 2, and an obsolete segment 1.
void WriteCheckpointedDir(const TempDir& dir) {
  WriteFileBytes(dir.File(datadir::SnapshotName(5)),
                 R"({"version": 1, "sequence": 5, "map": {"k": "v"}})");
  WriteFileBytes(dir.File(datadir::SegmentName(1)), BuildSets(0, 3));
  WriteFileBytes(dir.File(datadir::SegmentName(2)), BuildSets(5, 4));
  datadir::Manifest m{datadir::SnapshotName(5), 5, 2};
  WriteFileBytes(dir.File("MANIFEST"), datadir::EncodeManifest(m));
}

TEST(Check, ManifestDirectoryIsCleanAndObsoleteSegmentsAreSkipped) {
  TempDir dir;
  WriteCheckpointedDir(dir);
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  EXPECT_NE(r.out.find(datadir::SegmentName(1) + " is obsolete"), std::string::npos) << r.out;
}

TEST(Check, DamagedManifestIsCorruption) {
  TempDir dir;
  WriteCheckpointedDir(dir);
  std::string text = ReadFileBytes(dir.File("MANIFEST"));
  text[text.find("sequence 5") + 9] = '4';
  WriteFileBytes(dir.File("MANIFEST"), text);
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find(dir.File("MANIFEST") + ": corruption: manifest"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("checksum mismatch"), std::string::npos) << r.out;
  EXPECT_EQ(RunFile(dir.File("MANIFEST")).rc, kExitNo);
}

TEST(Check, ManifestNamingMissingFilesIsCorruption) {
  TempDir dir;
  WriteCheckpointedDir(dir);
  std::filesystem::remove(dir.File(datadir::SnapshotName(5)));
  std::filesystem::remove(dir.File(datadir::SegmentName(2)));
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find("names snapshot " + datadir::SnapshotName(5) + ", which is missing"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("names first WAL segment " + datadir::SegmentName(2) + ", which is missing"),
            std::string::npos)
      << r.out;
  // Nothing for --repair to do: the damage is not in a WAL segment.
  EXPECT_EQ(RunDir(dir.path(), {.repair = true}).rc, kExitNo);
}

TEST(Check, PointInTimeNeverSetsTheFirstSegmentAside) {
  TempDir dir;
  std::string wal = BuildSets(0, 3);
  wal[17] ^= 1;  // base_seq: the header checksum fails
  const std::string path = dir.File(datadir::SegmentName(1));
  WriteFileBytes(path, wal);
  auto r = RunDir(dir.path(), {.repair = true, .point_in_time = true});
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find("restore it from a backup"), std::string::npos) << r.out;
  EXPECT_EQ(ReadFileBytes(path), wal);
}

TEST(Check, BadHeaderIsCorruption) {
  TempDir dir;
  std::string wal = BuildSets(0, 2);
  wal[17] ^= 1;  // base_seq, covered by the header checksum
  WriteFileBytes(dir.File("x.wal"), wal);
  auto r = RunFile(dir.File("x.wal"));
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find("header checksum"), std::string::npos) << r.out;
}

TEST(Check, MalformedSnapshotIsReported) {
  TempDir dir;
  const std::string path = dir.File(datadir::SnapshotName(1));
  WriteFileBytes(path, R"({"map": {"a": "b", "c": 5}})");
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo);
  EXPECT_NE(r.out.find(path + ": corruption"), std::string::npos) << r.out;
  WriteFileBytes(path, R"({"map": {"a": "b")");
  EXPECT_EQ(RunFile(path).rc, kExitNo);
  WriteFileBytes(path, R"({"a": "\u0000b64:AAE="})");  // flat form, binary value
  EXPECT_EQ(RunFile(path).rc, kExitOk);
}

TEST(Check, SingleFileRepairOfTornWal) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  const std::string full = BuildSets(0, 4, &offsets);
  WriteFileBytes(dir.File("kvstore.wal"), full.substr(0, full.size() - 12));
  auto r = RunFile(dir.File("kvstore.wal"), {.repair = true});
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  EXPECT_EQ(ReadFileBytes(dir.File("kvstore.wal")), full.substr(0, offsets[3]));
}

TEST(Check, ExpiryRecordsWithGoodDeadlinesAreClean) {
  TempDir dir;
  wal::BatchOp setx{wal::RecordType::kSetExpiring, "b", "2"};
  setx.deadline = 1700000000000;
  wal::BatchOp clear_ttl{wal::RecordType::kExpire, "b", ""};  // 0: persist
  WriteFileBytes(dir.File(datadir::SegmentName(1)),
                 testing::BuildWal(0, {{wal::RecordType::kSetExpiring, "a", "1", 1},
                                       {wal::RecordType::kExpire, "a", "", 1700000000000},
                                       {wal::RecordType::kExpire, "a", "", 0}}));
  WriteFileBytes(dir.File(datadir::SegmentName(4)), testing::BuildBatchWal(3, {setx, clear_ttl}));
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  EXPECT_NE(r.out.find("clean: 2 files checked"), std::string::npos) << r.out;
}

TEST(Check, BadDeadlinesAreCorruptionWithSeqAndOffset) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  std::string wal = testing::BuildWal(0,
                                      {{wal::RecordType::kSet, "ok", "1"},
                                       {wal::RecordType::kSetExpiring, "a", "1", 0},
                                       {wal::RecordType::kExpire, "a", "", -5}},
                                      &offsets);
  const std::string path = dir.File(datadir::SegmentName(1));
  WriteFileBytes(path, wal);
  wal::BatchOp setx{wal::RecordType::kSetExpiring, "b", "2"};
  setx.deadline = -1;
  const std::string batch_path = dir.File(datadir::SegmentName(4));
  WriteFileBytes(batch_path, testing::BuildBatchWal(3, {setx}));
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo) << r.out;
  EXPECT_NE(r.out.find(path + ": byte " + std::to_string(offsets[1]) +
                       ": corruption: seq 2: setx with deadline 0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(path + ": byte " + std::to_string(offsets[2]) +
                       ": corruption: seq 3: expire with deadline -5"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find(batch_path + ": byte 32: corruption: seq 4: batch op 0: setx with deadline -1"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("damaged: 3 problems in 2 files checked"), std::string::npos) << r.out;
}

TEST(Check, ManyBadDeadlinesAreCountedAfterTheFirstTen) {
  TempDir dir;
  std::vector<testing::TestRecord> recs;
  for (int i = 0; i < 25; ++i) recs.push_back({wal::RecordType::kSetExpiring, "k", "v", 0});
  WriteFileBytes(dir.File(datadir::SegmentName(1)), testing::BuildWal(0, recs));
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo) << r.out;
  EXPECT_NE(r.out.find("corruption: 15 more records with a bad deadline or typed op"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("damaged: 11 problems"), std::string::npos) << r.out;
}

TEST(Check, SnapshotExpiresAreChecked) {
  TempDir dir;
  const std::string good = dir.File("good.json");
  WriteFileBytes(good,
                 R"({"version": 2, "sequence": 0, "map": {"a": "1", "b": "2"},)"
                 R"( "expires": {"a": 1700000000000}})");
  auto r = RunFile(good);
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  const struct {
    const char* expires;
    const char* message;
  } cases[] = {
      {R"({"a": 0})", R"(deadline of key "a" in "expires" is not a positive integer)"},
      {R"({"a": -3})", R"(deadline of key "a" in "expires" is not a positive integer)"},
      {R"({"a": "soon"})", R"(deadline of key "a" in "expires" is not a positive integer)"},
      {R"({"zz": 1700000000000})", R"(key "zz" in "expires" is not in "map")"},
      {R"([1])", R"(malformed JSON in "expires")"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.File("bad.json");
    WriteFileBytes(path, std::string(R"({"version": 2, "map": {"a": "1"}, "expires": )") +
                             c.expires + "}");
    r = RunFile(path);
    EXPECT_EQ(r.rc, kExitNo) << c.expires << ": " << r.out;
    EXPECT_NE(r.out.find(path + ": corruption: snapshot '" + path + "': " + c.message),
              std::string::npos)
        << c.expires << ": " << r.out;
  }
}

// ---- hashes, lists, sets and sorted sets (typed op records) ----

using testing::TypedOp;

TEST(Check, TypedRecordsAreClean) {
  TempDir dir;
  wal::BatchOp hset{wal::RecordType::kTyped, "h", ""};
  const std::string hset_op = TypedOp(OpCode::kHashSet, {"f", "v"});
  hset.value = hset_op;
  wal::BatchOp expire{wal::RecordType::kExpire, "h", ""};
  expire.deadline = 1700000000000;
  WriteFileBytes(
      dir.File(datadir::SegmentName(1)),
      testing::BuildWal(
          0, {{wal::RecordType::kTyped, "h", TypedOp(OpCode::kHashSet, {"f", "\xff", "g", ""})},
              {wal::RecordType::kTyped, "h", TypedOp(OpCode::kHashDel, {"g", "absent"})},
              {wal::RecordType::kTyped, "s", TypedOp(OpCode::kSetAdd, {"1", "x"})},
              {wal::RecordType::kTyped, "s", TypedOp(OpCode::kSetRem, {"x"})},
              {wal::RecordType::kTyped, "z",
               TypedOp(OpCode::kZSetAdd, {EncodeScore(1.5), "m", EncodeScore(-INFINITY), "n"})},
              {wal::RecordType::kTyped, "z", TypedOp(OpCode::kZSetRem, {"n"})},
              {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListPush, {"R", "a", "b", "c"})},
              {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListPop, {"L", "1"})},
              // Indexes past the list's end: only replay knows the list, so
              // the check accepts any decimal >= 0 here.
              {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListSet, {"7", "x"})},
              {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListInsert, {"0", "y"})},
              {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListRem, {"-2", "a"})},
              {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListTrim, {"0", "10"})}}));
  WriteFileBytes(dir.File(datadir::SegmentName(13)), testing::BuildBatchWal(12, {hset, expire}));
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  EXPECT_NE(r.out.find("clean: 2 files checked"), std::string::npos) << r.out;
}

TEST(Check, TypedOpsWithBadArgumentsAreCorruptionWithSeq) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  const std::string path = dir.File(datadir::SegmentName(1));
  WriteFileBytes(
      path, testing::BuildWal(
                0,
                {{wal::RecordType::kTyped, "h", TypedOp(OpCode::kHashSet, {"field-without-value"})},
                 {wal::RecordType::kTyped, "z", TypedOp(OpCode::kZSetAdd, {"1.5", "m"})},
                 {wal::RecordType::kTyped, "z", TypedOp(OpCode::kZSetAdd, {EncodeScore(NAN), "m"})},
                 {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListPush, {"X", "a"})},
                 {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListSet, {"-1", "a"})},
                 {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListTrim, {"0"})},
                 {wal::RecordType::kTyped, "s", TypedOp(OpCode::kSetAdd, {})}},
                &offsets));
  wal::BatchOp good{wal::RecordType::kSet, "k", "v"};
  wal::BatchOp bad{wal::RecordType::kTyped, "l", ""};
  const std::string pop = TypedOp(OpCode::kListPop, {"L", "01"});
  bad.value = pop;
  const std::string batch_path = dir.File(datadir::SegmentName(8));
  WriteFileBytes(batch_path, testing::BuildBatchWal(7, {good, bad}));
  auto r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo) << r.out;
  const char* expected[] = {
      "corruption: seq 1: typed op: HashSet needs field, value pairs",
      "corruption: seq 2: typed op: ZSetAdd score is not 8 bytes",
      "corruption: seq 3: typed op: ZSetAdd score is NaN",
      "corruption: seq 4: typed op: ListPush side is not L or R",
      "corruption: seq 5: typed op with a list index that is not a decimal >= 0",
      "corruption: seq 6: typed op: ListTrim needs start and stop",
      "corruption: seq 7: typed op: SetAdd and SetRem need a member",
  };
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_NE(r.out.find(path + ": byte " + std::to_string(offsets[i]) + ": " + expected[i]),
              std::string::npos)
        << expected[i] << "\n"
        << r.out;
  }
  EXPECT_NE(r.out.find(batch_path +
                       ": byte 32: corruption: seq 8: batch op 1: typed op: ListPop count is "
                       "not a decimal >= 0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("damaged: 8 problems in 2 files checked"), std::string::npos) << r.out;
}

// An op the reader cannot decode, in a record whose checksum holds: the
// bytes are as written (a newer kvstore's op code, or a bug), so it is
// corruption even as the last record, and --repair leaves it alone.
TEST(Check, UndecodableTypedOpIsCorruptionEvenAtTheTail) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  std::string unknown_code = TypedOp(OpCode::kSetAdd, {"m"});
  unknown_code[0] = static_cast<char>(kMaxOpCode + 1);
  const std::string path = dir.File(datadir::SegmentName(1));
  const std::string wal = testing::BuildWal(
      0, {{wal::RecordType::kSet, "a", "1"}, {wal::RecordType::kTyped, "s", unknown_code}},
      &offsets);
  WriteFileBytes(path, wal);
  auto r = RunDir(dir.path(), {.repair = true});
  EXPECT_EQ(r.rc, kExitNo) << r.out;
  EXPECT_NE(r.out.find(path + ": byte " + std::to_string(offsets[1]) +
                       ": corruption: seq 2: malformed typed op record: a typed op with unknown "
                       "op code " +
                       std::to_string(kMaxOpCode + 1)),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("checksum holds"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not repaired"), std::string::npos) << r.out;
  EXPECT_EQ(ReadFileBytes(path), wal);
  EXPECT_TRUE(Backups(dir).empty());

  // Trailing bytes after the last argument, with a good record after it.
  std::string trailing = TypedOp(OpCode::kHashDel, {"f"}) + "x";
  WriteFileBytes(path, testing::BuildWal(0, {{wal::RecordType::kTyped, "h", trailing},
                                             {wal::RecordType::kSet, "a", "1"}}));
  r = RunDir(dir.path());
  EXPECT_EQ(r.rc, kExitNo) << r.out;
  EXPECT_NE(r.out.find(": byte 32: corruption: seq 1: malformed typed op record: a typed op "
                       "whose argument list is truncated or has trailing bytes"),
            std::string::npos)
      << r.out;
}

TEST(Check, TornTypedRecordIsATornTail) {
  TempDir dir;
  std::vector<uint64_t> offsets;
  const std::string full = testing::BuildWal(
      0,
      {{wal::RecordType::kTyped, "l", TypedOp(OpCode::kListPush, {"R", "a"})},
       {wal::RecordType::kTyped, "l", TypedOp(OpCode::kListPush, {"R", std::string(100, 'b')})}},
      &offsets);
  const std::string path = dir.File(datadir::SegmentName(1));
  WriteFileBytes(path, full.substr(0, full.size() - 30));
  auto r = RunDir(dir.path(), {.repair = true});
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  EXPECT_NE(r.out.find(path + ": byte " + std::to_string(offsets[1]) + ": torn tail"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(ReadFileBytes(path), full.substr(0, offsets[1]));
}

TEST(Check, SnapshotObjectsAreChecked) {
  TempDir dir;
  const std::string good = dir.File("good.json");
  WriteFileBytes(good,
                 R"({"version": 3, "sequence": 5, "map": {"a": "1"}, "objects": {)"
                 R"("h": {"type": "hash", "seq": 4, "value": {"f": "\u0000b64:/w=="}},)"
                 R"("l": {"type": "list", "seq": 5, "deadline": 1700000000000,)"
                 R"( "value": ["x", "y"]},)"
                 R"("s": {"type": "set", "seq": 3, "value": ["1", "2"]},)"
                 R"("z": {"type": "zset", "seq": 5, "value": [["m", "-inf"], ["n", 2.5]]}}})");
  auto r = RunFile(good);
  EXPECT_EQ(r.rc, kExitOk) << r.out;
  const struct {
    const char* object;
    const char* message;
  } cases[] = {
      {R"({"type": "stream", "seq": 1, "value": []})", R"(object "k": unknown type "stream")"},
      {R"({"type": "set", "seq": 1, "value": []})", R"(object "k": empty value)"},
      {R"({"type": "set", "seq": 1})", R"(object "k": no "value")"},
      {R"({"value": ["a"], "type": "set", "seq": 1})", R"(object "k": "value" before "type")"},
      {R"({"type": "zset", "seq": 1, "value": [["m", "much"]]})",
       R"(object "k": score "much" is not a number)"},
      {R"({"type": "zset", "seq": 1, "value": [["m"]]})",
       R"(object "k": a sorted set entry is not [member, score])"},
      {R"({"type": "list", "seq": 1, "deadline": -4, "value": ["a"]})",
       R"(object "k": deadline is not a positive integer)"},
      {R"({"type": "hash", "seq": 1, "value": {"f": 3}})", R"(malformed JSON in hash value)"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.File("bad.json");
    WriteFileBytes(path,
                   std::string(R"({"version": 3, "map": {}, "objects": {"k": )") + c.object + "}}");
    r = RunFile(path);
    EXPECT_EQ(r.rc, kExitNo) << c.object << ": " << r.out;
    EXPECT_NE(r.out.find(path + ": corruption: snapshot '" + path + "': " + c.message),
              std::string::npos)
        << c.object << ": " << r.out;
  }
}

TEST(Check, UnknownFileKindIsAnError) {
  TempDir dir;
  WriteFileBytes(dir.File("notes.txt"), "hello, this is not a store file");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunFile(dir.File("notes.txt")).rc, kExitError);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("notes.txt"), std::string::npos);
}

TEST(Check, RefusesWhileTheDirectoryIsLocked) {
  TempDir dir;
  WriteFileBytes(dir.File(datadir::SegmentName(1)), BuildSets(0, 2));
  // Another open file description, as another process would hold.
  int fd = ::open((dir.path() + "/" + datadir::kLockName).c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunDir(dir.path()).rc, kExitError);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("locked"), std::string::npos);
  ::close(fd);
  EXPECT_EQ(RunDir(dir.path()).rc, kExitOk);
}

}  // namespace
}  // namespace kvstore::cli
