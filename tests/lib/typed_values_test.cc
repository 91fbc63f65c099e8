// Copyright (c) the kvstore developers.
//
// Hashes, lists, sets and sorted sets in the engine (kvstore/types.h): ops
// through transactions, what a transaction sees of its own writes, the WAL
// records (one op logged, not the object), replay, snapshots with objects,
// the replay floor that keeps a snapshot's capture from being replayed twice,
// deadlines, and type checks.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "kvstore/kvstore.h"
#include "snapshot.h"
#include "support/temp_dir.h"

namespace kvstore {
namespace {

using kvstore::testing::TempDir;

std::vector<std::string_view> Args(std::initializer_list<std::string_view> a) { return a; }

// Every element of an object, as text, for comparisons.
std::vector<std::string> Contents(const Object* obj) {
  std::vector<std::string> out;
  if (obj == nullptr) return out;
  switch (obj->type()) {
    case Type::kHash: {
      std::map<std::string, std::string> sorted;
      static_cast<const HashValue*>(obj)->for_each([&](std::string_view f, std::string_view v) {
        sorted.emplace(f, v);
        return true;
      });
      for (const auto& [f, v] : sorted) out.push_back(f + "=" + v);
      break;
    }
    case Type::kSet: {
      std::map<std::string, int> sorted;
      static_cast<const SetValue*>(obj)->for_each([&](std::string_view m) {
        sorted.emplace(m, 0);
        return true;
      });
      for (const auto& [m, _] : sorted) out.push_back(m);
      break;
    }
    case Type::kList:
      static_cast<const ListValue*>(obj)->for_each_from(0, false, [&](std::string_view e) {
        out.emplace_back(e);
        return true;
      });
      break;
    case Type::kZSet:
      static_cast<const ZSetValue*>(obj)->for_each_from_rank(0, false,
                                                             [&](std::string_view m, double s) {
                                                               out.push_back(std::string(m) + "@" +
                                                                             std::to_string(s));
                                                               return true;
                                                             });
      break;
    default:
      break;
  }
  return out;
}

std::vector<std::string> ContentsOf(const KvStore& s, std::string_view key) {
  std::vector<std::string> out;
  s.view(key, [&](const Object& obj) { out = Contents(&obj); });
  return out;
}

class TypedValuesTest : public ::testing::Test {
 protected:
  Options Opts() {
    Options o;
    o.sync = SyncMode::kNever;
    o.checkpoint.on_close = false;
    return o;
  }
  KvStore Open() { return std::move(KvStore::open(wal_, Opts())).value(); }

  // A store with one key of each type (and a string).
  void Fill(KvStore& s) {
    ASSERT_TRUE(s.apply("h", OpCode::kHashSet, Args({"f1", "v1", "f2", "v2"})));
    ASSERT_TRUE(s.apply("l", OpCode::kListPush, Args({"R", "a", "b", "c"})));
    ASSERT_TRUE(s.apply("s", OpCode::kSetAdd, Args({"x", "y", "1"})));
    const std::string one = EncodeScore(1.5), two = EncodeScore(-2);
    ASSERT_TRUE(s.apply("z", OpCode::kZSetAdd, Args({one, "m1", two, "m2"})));
    ASSERT_TRUE(s.set("str", "plain"));
  }
  void ExpectFilled(const KvStore& s) {
    EXPECT_EQ(s.type("h"), Type::kHash);
    EXPECT_EQ(s.type("l"), Type::kList);
    EXPECT_EQ(s.type("s"), Type::kSet);
    EXPECT_EQ(s.type("z"), Type::kZSet);
    EXPECT_EQ(s.type("str"), Type::kString);
    EXPECT_EQ(ContentsOf(s, "h"), (std::vector<std::string>{"f1=v1", "f2=v2"}));
    EXPECT_EQ(ContentsOf(s, "l"), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(ContentsOf(s, "s"), (std::vector<std::string>{"1", "x", "y"}));
    EXPECT_EQ(ContentsOf(s, "z"),
              (std::vector<std::string>{"m2@" + std::to_string(-2.0),
                                        "m1@" + std::to_string(1.5)}));
    EXPECT_EQ(s.get("str"), "plain");
  }

  TempDir dir_;
  std::string wal_ = dir_.File("store.wal");
  std::string snap_ = dir_.File("store.json");
};

TEST_F(TypedValuesTest, OpsCreateObjectsAndEmptyObjectsRemoveTheirKey) {
  KvStore s = Open();
  Fill(s);
  ExpectFilled(s);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_FALSE(s.get("h")) << "get() answers nullopt for a hash";
  ASSERT_TRUE(s.apply("h", OpCode::kHashDel, Args({"f1", "f2", "absent"})));
  EXPECT_EQ(s.type("h"), Type::kNone) << "an emptied hash removes its key";
  ASSERT_TRUE(s.apply("nothing", OpCode::kSetRem, Args({"x"})));
  EXPECT_EQ(s.type("nothing"), Type::kNone) << "a removal from an absent key creates nothing";
  EXPECT_EQ(s.size(), 4u);
}

TEST_F(TypedValuesTest, AnOpOnAKeyOfAnotherTypeFailsTheUpdateAndWritesNothing) {
  KvStore s = Open();
  Fill(s);
  const uint64_t seq = s.last_sequence();
  auto r = s.apply("str", OpCode::kHashSet, Args({"f", "v"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  r = s.update({"l", "h"}, [](Transaction& tx) {
    tx.apply("h", OpCode::kHashSet, Args({"f9", "v9"}));
    tx.apply("l", OpCode::kSetAdd, Args({"m"}));  // a list, not a set
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(s.last_sequence(), seq) << "nothing logged";
  ExpectFilled(s);
}

TEST_F(TypedValuesTest, ATransactionSeesItsOwnTypedWritesInOrder) {
  KvStore s = Open();
  Fill(s);
  ASSERT_TRUE(s.update({"l", "h", "new"}, [](Transaction& tx) {
    EXPECT_EQ(tx.type("l"), Type::kList);
    tx.apply("l", OpCode::kListPush, Args({"L", "first"}));
    EXPECT_EQ(Contents(tx.object("l")), (std::vector<std::string>{"first", "a", "b", "c"}));
    tx.apply("l", OpCode::kListPop, Args({"R", "2"}));
    EXPECT_EQ(Contents(tx.object("l")), (std::vector<std::string>{"first", "a"}));
    tx.apply("h", OpCode::kHashDel, Args({"f1", "f2"}));
    EXPECT_EQ(tx.type("h"), Type::kNone) << "emptied inside the transaction";
    EXPECT_EQ(tx.object("h"), nullptr);
    tx.apply("h", OpCode::kSetAdd, Args({"now-a-set"}));  // the key is free again
    EXPECT_EQ(tx.type("h"), Type::kSet);
    tx.set("new", "string first");
    tx.remove("new");
    tx.apply("new", OpCode::kHashSet, Args({"f", "v"}));
    EXPECT_EQ(Contents(tx.object("new")), (std::vector<std::string>{"f=v"}));
  }));
  EXPECT_EQ(ContentsOf(s, "l"), (std::vector<std::string>{"first", "a"}));
  EXPECT_EQ(s.type("h"), Type::kSet);
  EXPECT_EQ(ContentsOf(s, "new"), (std::vector<std::string>{"f=v"}));
}

TEST_F(TypedValuesTest, AFailedTransactionLeavesObjectsUntouched) {
  KvStore s = Open();
  Fill(s);
  auto r = s.update({"l"}, [](Transaction& tx) {
    tx.apply("l", OpCode::kListPop, Args({"L", "3"}));
    tx.set("undeclared", "x");  // fails the update
  });
  ASSERT_FALSE(r);
  ExpectFilled(s);
}

TEST_F(TypedValuesTest, EveryTypeSurvivesReplayOfItsOps) {
  {
    KvStore s = Open();
    Fill(s);
    ASSERT_TRUE(s.apply("l", OpCode::kListInsert, Args({"1", "ins"})));
    ASSERT_TRUE(s.apply("l", OpCode::kListRem, Args({"1", "ins"})));
    ASSERT_TRUE(s.update({"h", "s"}, [](Transaction& tx) {  // one batch record
      tx.apply("h", OpCode::kHashSet, Args({"f3", "v3"}));
      tx.apply("h", OpCode::kHashDel, Args({"f3"}));
      tx.apply("s", OpCode::kSetRem, Args({"absent"}));
    }));
    ASSERT_TRUE(s.close());
  }
  KvStore s = Open();
  ExpectFilled(s);
}

TEST_F(TypedValuesTest, TheWalLogsTheChangeNotTheObject) {
  KvStore s = Open();
  std::vector<std::string> fields;
  std::vector<std::string_view> args;
  for (int i = 0; i < 20000; ++i) fields.push_back("field-" + std::to_string(i));
  for (const auto& f : fields) {
    args.push_back(f);
    args.push_back("value-of-some-length");
  }
  ASSERT_TRUE(s.apply("big", OpCode::kHashSet, args));
  const uint64_t before = s.stats().wal_bytes;
  ASSERT_TRUE(s.apply("big", OpCode::kHashSet, Args({"one-more", "v"})));
  const uint64_t record = s.stats().wal_bytes - before;
  EXPECT_LT(record, 64u) << "one field's record, not the 20000-field hash";
}

TEST_F(TypedValuesTest, SnapshotsCarryEveryTypeWithDeadlinesAndBinaryData) {
  const std::string bin("\0\xff\x01", 3);
  {
    KvStore s = Open();
    Fill(s);
    ASSERT_TRUE(s.apply("bin", OpCode::kHashSet, Args({bin, bin})));
    const int64_t later = s.now_ms() + 3'600'000;
    ASSERT_TRUE(s.expire_at("z", later));
    const std::string inf = EncodeScore(std::numeric_limits<double>::infinity());
    ASSERT_TRUE(s.apply("zinf", OpCode::kZSetAdd, Args({inf, "top"})));
    ASSERT_TRUE(s.save_to_file(snap_));
    ASSERT_TRUE(s.close());
  }
  auto loaded = KvStore::load_from_file(snap_, dir_.File("empty.wal"), Opts());
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  ExpectFilled(*loaded);
  EXPECT_GT(loaded->expire_time("z"), loaded->now_ms());
  EXPECT_EQ(loaded->expire_time("h"), kNoExpiry);
  EXPECT_EQ(ContentsOf(*loaded, "bin"), (std::vector<std::string>{bin + "=" + bin}));
  bool top_is_inf = false;
  loaded->view("zinf", [&](const Object& o) {
    top_is_inf = static_cast<const ZSetValue&>(o).score("top") ==
                 std::numeric_limits<double>::infinity();
  });
  EXPECT_TRUE(top_is_inf);
}

// A snapshot captures objects after its sequence number was fixed: a push
// made meanwhile is in the snapshot and in the WAL after it. Replay must
// not apply it a second time.
TEST_F(TypedValuesTest, ReplayDoesNotRepeatOpsTheSnapshotAlreadyHolds) {
  const std::string dir = dir_.File("d");
  {
    auto s = std::move(KvStore::open_dir(dir, Opts())).value();
    ASSERT_TRUE(s.apply("l", OpCode::kListPush, Args({"R", "before"})));
    ASSERT_TRUE(s.set("k", "v"));
    KvStore* store = &s;
    bool pushed = false;
    snapshot::SetShardHookForTesting([&](std::size_t) {
      if (pushed) return;
      pushed = true;  // after the cut, before the objects are captured
      ASSERT_TRUE(store->apply("l", OpCode::kListPush, Args({"R", "during"})));
      ASSERT_TRUE(store->apply("l2", OpCode::kListPush, Args({"R", "new"})));
      ASSERT_TRUE(store->update({"gone"}, [](Transaction& tx) {
        tx.apply("gone", OpCode::kListPush, Args({"R", "x"}));
        tx.remove("gone");
      }));
    });
    auto r = s.checkpoint();
    snapshot::SetShardHookForTesting({});
    ASSERT_TRUE(r) << r.error().ToString();
    ASSERT_TRUE(pushed);
    ASSERT_TRUE(s.apply("l", OpCode::kListPush, Args({"R", "after"})));
    ASSERT_TRUE(s.close());
  }
  auto s = std::move(KvStore::open_dir(dir, Opts())).value();
  EXPECT_GT(s.recovery_stats().records_replayed, 0u) << "the push during the save was replayed";
  EXPECT_EQ(ContentsOf(s, "l"), (std::vector<std::string>{"before", "during", "after"}));
  EXPECT_EQ(ContentsOf(s, "l2"), (std::vector<std::string>{"new"}));
  EXPECT_EQ(s.type("gone"), Type::kNone);
  // The floors are for recovery only: later ops apply normally.
  ASSERT_TRUE(s.apply("l2", OpCode::kListPush, Args({"R", "more"})));
  EXPECT_EQ(ContentsOf(s, "l2"), (std::vector<std::string>{"new", "more"}));
}

TEST_F(TypedValuesTest, DeadlinesApplyToObjects) {
  std::atomic<int64_t> now{1'800'000'000'000};
  Options o = Opts();
  o.clock = [&] { return now.load(); };
  o.expire_cycle_period = std::chrono::milliseconds(0);
  auto s = std::move(KvStore::open(wal_, o)).value();
  ASSERT_TRUE(s.apply("h", OpCode::kHashSet, Args({"f", "v"})));
  ASSERT_TRUE(s.expire_at("h", now + 10));
  ASSERT_TRUE(s.apply("h", OpCode::kHashSet, Args({"g", "w"})));
  EXPECT_EQ(s.expire_time("h"), now + 10) << "an op keeps the deadline";
  now += 11;
  EXPECT_EQ(s.type("h"), Type::kNone);
  ASSERT_TRUE(s.apply("h", OpCode::kHashSet, Args({"fresh", "1"})));
  EXPECT_EQ(ContentsOf(s, "h"), (std::vector<std::string>{"fresh=1"}))
      << "an op on an expired key starts a new object";
  EXPECT_EQ(s.expire_time("h"), kNoExpiry);
}

TEST_F(TypedValuesTest, SetReplacesAnObjectAndUpdateAllSeesEveryType) {
  KvStore s = Open();
  Fill(s);
  ASSERT_TRUE(s.set("h", "now a string"));
  EXPECT_EQ(s.type("h"), Type::kString);
  ASSERT_TRUE(s.update_all([](Transaction& tx) {
    EXPECT_EQ(tx.size(), 5u);
    std::map<std::string, std::string> seen;
    tx.scan([&](std::string_view k, std::string_view v) { seen.emplace(k, v); });
    EXPECT_EQ(seen.size(), 5u);
    EXPECT_EQ(seen["l"], "") << "an object scans with an empty value";
    tx.apply("l", OpCode::kListPop, Args({"L", "3"}));
    EXPECT_EQ(tx.size(), 4u);
  }));
  EXPECT_EQ(s.type("l"), Type::kNone);
}

TEST_F(TypedValuesTest, HashAndSortedSetCallsCopyOutAndRefuseOtherTypes) {
  KvStore s = Open();
  auto n = s.hset("h", {{"a", "1"}, {"b", "2"}, {"a", "3"}});
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u) << "two new fields (a named twice)";
  EXPECT_EQ(*s.hget("h", "a"), "3") << "later pairs win, as in HSET";
  EXPECT_EQ(*s.hget("h", "zz"), std::nullopt);
  EXPECT_EQ(s.hgetall("h")->size(), 2u);
  EXPECT_EQ(*s.hdel("h", {"a", "a", "nope"}), 1u);
  EXPECT_EQ(*s.hget("absent", "f"), std::nullopt);

  EXPECT_EQ(*s.zadd("z", {{2.0, "b"}, {1.0, "a"}, {3.0, "c"}}), 3u);
  EXPECT_EQ(*s.zadd("z", {{0.5, "c"}}), 0u) << "a rescore is not new";
  EXPECT_EQ(*s.zscore("z", "c"), 0.5);
  const auto range = *s.zrange("z", 0, 1);
  ASSERT_EQ(range.size(), 2u);
  EXPECT_EQ(range[0], (std::pair<std::string, double>("c", 0.5)));
  EXPECT_EQ(range[1], (std::pair<std::string, double>("a", 1.0)));
  EXPECT_EQ(s.zrange("z", 1, 99)->size(), 2u);
  EXPECT_TRUE(s.zrange("z", 5, 9)->empty());
  EXPECT_EQ(*s.zrem("z", {"a", "zz"}), 1u);
  EXPECT_FALSE(s.zadd("z", {{std::nan(""), "x"}}));

  ASSERT_TRUE(s.set("str", "v"));
  auto wrong = s.hget("str", "f");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("WRONGTYPE"), std::string::npos);
  auto wrong_write = s.zadd("h", {{1.0, "m"}});
  ASSERT_FALSE(wrong_write);
  EXPECT_EQ(wrong_write.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.type("h"), Type::kHash) << "nothing written";
}

}  // namespace
}  // namespace kvstore
