// Copyright (c) the kvstore developers.
//
// update_all(): one transaction over the whole keyspace (what MULTI/EXEC
// uses for FLUSHALL, DBSIZE, KEYS and SCAN). Its contract in kvstore.h: any
// key, clear/size/scan/random_key seeing the transaction's own writes,
// atomic for concurrent readers, one WAL record, all or nothing after a
// crash (a torn record at the tail applies nothing).

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "kvstore/kvstore.h"
#include "support/temp_dir.h"

namespace kvstore {
namespace {

using kvstore::testing::ReadFileBytes;
using kvstore::testing::TempDir;
using kvstore::testing::WriteFileBytes;

Options NoSync() {
  Options o;
  o.sync = SyncMode::kNever;
  return o;
}

std::map<std::string, std::string> Contents(const KvStore& s) {
  std::map<std::string, std::string> m;
  uint64_t c = 0;
  do {
    c = s.scan(c, 7, [&](std::string_view k, std::string_view v) {
      m.emplace(std::string(k), std::string(v));
    });
  } while (c != 0);
  return m;
}

class UpdateAllTest : public ::testing::Test {
 protected:
  KvStore Open() { return std::move(KvStore::open(wal_, NoSync())).value(); }
  TempDir dir_;
  std::string wal_ = dir_.File("all.wal");
};

TEST_F(UpdateAllTest, ReadsAndWritesAnyKeyAndSeesItsOwnWrites) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("a", "1"));
  ASSERT_TRUE(s.set("b", "2"));
  ASSERT_TRUE(s.update_all([](Transaction& t) {
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(t.get("a"), "1");
    t.set("c", "3");
    t.remove("a");
    EXPECT_EQ(t.size(), 2u);  // b, c
    std::set<std::string> seen;
    t.scan([&](std::string_view k, std::string_view) { seen.emplace(k); });
    EXPECT_EQ(seen, (std::set<std::string>{"b", "c"}));
    auto r = t.random_key();
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r == "b" || *r == "c") << *r;
    EXPECT_TRUE(t.wrote("a"));
    EXPECT_FALSE(t.wrote("b"));
    t.clear();
    EXPECT_EQ(t.size(), 0u);
    EXPECT_FALSE(t.get("b"));
    EXPECT_FALSE(t.random_key());
    t.set("d", "4");
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t.get("d"), "4");
  }));
  EXPECT_EQ(Contents(s), (std::map<std::string, std::string>{{"d", "4"}}));
  EXPECT_EQ(s.size(), 1u);
}

TEST_F(UpdateAllTest, ClearOutsideUpdateAllFailsAndWritesNothing) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("a", "1"));
  auto r = s.update({"a"}, [](Transaction& t) {
    t.set("a", "2");
    t.clear();
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.get("a"), "1");
}

TEST_F(UpdateAllTest, AllWritesAreOneWalRecordAndReplayWhole) {
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("old1", "x"));
    ASSERT_TRUE(s.set("old2", "y"));
    const uint64_t before = s.stats().wal_records;
    ASSERT_TRUE(s.update_all([](Transaction& t) {
      t.set("k1", "v1");
      t.clear();
      t.set("k2", "v2");
      t.set("k3", "v3");
      t.remove("k3");
    }));
    EXPECT_EQ(s.stats().wal_records, before + 1);
    ASSERT_TRUE(s.update_all([](Transaction& t) { EXPECT_EQ(t.size(), 1u); }));
    EXPECT_EQ(s.stats().wal_records, before + 1) << "a read-only update_all logs nothing";
    ASSERT_TRUE(s.close());
  }
  KvStore again = Open();
  EXPECT_EQ(Contents(again), (std::map<std::string, std::string>{{"k2", "v2"}}));
}

// A batch record holding a clear, cut anywhere, is a torn tail: the keys it
// would have cleared are all still there and none of its sets happened.
TEST_F(UpdateAllTest, TornRecordWithClearAppliesNothing) {
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("before1", "1"));
    ASSERT_TRUE(s.set("before2", "2"));
    ASSERT_TRUE(s.close());
  }
  const std::string head = ReadFileBytes(wal_);
  {
    KvStore s = Open();
    ASSERT_TRUE(s.update_all([](Transaction& t) {
      t.clear();
      t.set("p", std::string(100, 'p'));
      t.set("q", std::string(100, 'q'));
    }));
    ASSERT_TRUE(s.close());
  }
  const std::string full = ReadFileBytes(wal_);
  ASSERT_EQ(full.compare(0, head.size(), head), 0);
  const std::size_t rec = head.size();
  ASSERT_GT(full.size(), rec + 200);
  for (std::size_t cut = rec + 1; cut < full.size(); cut += 11) {
    WriteFileBytes(wal_, full.substr(0, cut));
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s) << cut << ": " << s.error().message();
    EXPECT_EQ(s->get("before1"), "1") << "cut at " << cut;
    EXPECT_EQ(s->get("before2"), "2") << "cut at " << cut;
    EXPECT_EQ(s->get("p"), std::nullopt) << "cut at " << cut;
    EXPECT_EQ(s->size(), 2u) << "cut at " << cut;
  }
  WriteFileBytes(wal_, full);
  KvStore whole = Open();
  EXPECT_EQ(whole.size(), 2u);
  EXPECT_EQ(whole.get("p"), std::string(100, 'p'));
  EXPECT_EQ(whole.get("before1"), std::nullopt);
}

// Each round clears everything and sets x and y to the round number: a
// reader that ever sees x absent, or x and y differ, saw part of a round.
TEST_F(UpdateAllTest, ConcurrentReadersNeverSeePartOfIt) {
  KvStore s = Open();
  ASSERT_TRUE(s.update({"x", "y"}, [](Transaction& t) {
    t.set("x", "0");
    t.set("y", "0");
  }));
  std::atomic<bool> stop{false};
  std::atomic<long> torn{0}, reads{0};
  std::thread reader([&] {
    while (!stop.load()) {
      if (!s.get("x")) torn.fetch_add(1);
      ASSERT_TRUE(s.update({"x", "y"}, [&](Transaction& t) {
        auto x = t.get("x");
        auto y = t.get("y");
        if (!x || !y || *x != *y) torn.fetch_add(1);
      }));
      reads.fetch_add(1);
    }
  });
  for (int i = 1; i <= 2000; ++i) {
    ASSERT_TRUE(s.update_all([&](Transaction& t) {
      t.clear();
      t.set("x", std::to_string(i));
      t.set("filler" + std::to_string(i % 7), "f");
      t.set("y", std::to_string(i));
    }));
  }
  stop.store(true);
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(s.get("x"), "2000");
  EXPECT_EQ(s.size(), 3u);
}

}  // namespace
}  // namespace kvstore
