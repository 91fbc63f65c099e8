// Copyright (c) the kvstore developers.
//
// Regression (found by fuzz_wal_reader): a WAL or snapshot claiming sequence
// 2^64-1 made the next record's sequence wrap to 0, which the reader took as
// "any sequence"; the acknowledged write was then skipped at the next open.
// Sequence numbers now stay below wal::kMaxSequence and larger claims are
// kCorruption.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "kvstore/kvstore.h"
#include "wal_format.h"

namespace kvstore {
namespace {

class SequenceRangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("seqrange-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(SequenceRangeTest, WalWithMaximalBaseSequenceIsCorruption) {
  Write("w.wal", wal::EncodeFileHeader(std::numeric_limits<uint64_t>::max()));
  auto s = KvStore::open(Path("w.wal"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(s.error().message().find("out of range"), std::string::npos) << s.error().message();
}

TEST_F(SequenceRangeTest, SnapshotWithMaximalSequenceIsCorruption) {
  Write("s.json", R"({"sequence": 18446744073709551615, "map": {}})");
  auto s = KvStore::load_from_file(Path("s.json"), Path("w.wal"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption);
}

TEST_F(SequenceRangeTest, WritesJustBelowTheLimitSurviveReopen) {
  Write("w.wal", wal::EncodeFileHeader(wal::kMaxSequence - 2));
  {
    auto s = KvStore::open(Path("w.wal"));
    ASSERT_TRUE(s) << s.error().message();
    ASSERT_TRUE(s->set("k", "v"));
    auto refused = s->set("k", "w");  // would take kMaxSequence
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  }
  auto s = KvStore::open(Path("w.wal"));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->get("k"), "v");
}

}  // namespace
}  // namespace kvstore
