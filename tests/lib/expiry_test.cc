// Copyright (c) the kvstore developers.
//
// Expiry: deadlines as absolute Unix milliseconds (kvstore.h, "Expiry"),
// invisible expired keys for every read, the active expiry cycle that logs
// their removal, and durability of deadlines through the WAL, snapshots and
// data directories. Time comes from a fake clock (Options::clock), so no test
// sleeps to make a key expire.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/kvstore.h"
#include "support/temp_dir.h"

namespace kvstore {
namespace {

using kvstore::testing::ReadFileBytes;
using kvstore::testing::TempDir;

constexpr int64_t kT0 = 1'800'000'000'000;  // a Unix time in ms (2027)

class ExpiryTest : public ::testing::Test {
 protected:
  Options Opts(bool cycle = false) {
    Options o;
    o.sync = SyncMode::kNever;
    o.clock = [this] { return now_.load(); };
    o.expire_cycle_period = cycle ? std::chrono::milliseconds(2) : std::chrono::milliseconds(0);
    o.checkpoint.on_close = false;
    return o;
  }
  KvStore Open(bool cycle = false) { return std::move(KvStore::open(wal_, Opts(cycle))).value(); }
  KvStore OpenDir(bool cycle = false) {
    return std::move(KvStore::open_dir(dir_.File("d"), Opts(cycle))).value();
  }
  static std::set<std::string> Keys(const KvStore& s) {
    std::set<std::string> keys;
    uint64_t c = 0;
    do {
      c = s.scan(c, 3, [&](std::string_view k, std::string_view) { keys.emplace(k); });
    } while (c != 0);
    return keys;
  }
  // Waits (bounded) until the active cycle has reclaimed `n` keys in all.
  static bool WaitReclaimed(const KvStore& s, uint64_t n) {
    for (int i = 0; i < 5000; ++i) {
      if (s.stats().expired_keys >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }

  std::atomic<int64_t> now_{kT0};
  TempDir dir_;
  std::string wal_ = dir_.File("e.wal");
};

TEST_F(ExpiryTest, KeyLivesThroughItsDeadlineMillisecondAndIsGoneAfter) {
  KvStore s = Open();
  ASSERT_TRUE(s.set_expiring("k", "v", kT0 + 100));
  EXPECT_EQ(s.expire_time("k"), kT0 + 100);
  now_ = kT0 + 100;  // Redis: still there at its deadline
  EXPECT_EQ(s.get("k"), "v");
  EXPECT_EQ(s.size(), 1u);
  now_ = kT0 + 101;
  EXPECT_EQ(s.get("k"), std::nullopt);
  EXPECT_EQ(s.expire_time("k"), kKeyAbsent);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.random_key(), std::nullopt);
  EXPECT_TRUE(Keys(s).empty());
  // Removing an expired key finds nothing and logs nothing.
  const uint64_t seq = s.last_sequence();
  auto r = s.remove("k");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, std::nullopt);
  EXPECT_EQ(s.last_sequence(), seq);
}

TEST_F(ExpiryTest, SetClearsTheDeadlineAndExpireAtPersistChangeIt) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("plain", "1"));
  EXPECT_EQ(s.expire_time("plain"), kNoExpiry);
  EXPECT_EQ(s.expire_time("absent"), kKeyAbsent);

  ASSERT_TRUE(s.set_expiring("k", "v", kT0 + 50));
  ASSERT_TRUE(s.set("k", "w"));  // SET semantics: the deadline goes
  EXPECT_EQ(s.expire_time("k"), kNoExpiry);

  auto r = s.expire_at("k", kT0 + 500);
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  EXPECT_EQ(s.expire_time("k"), kT0 + 500);
  r = s.expire_at("k", kT0 + 900);  // change it
  ASSERT_TRUE(r);
  EXPECT_EQ(s.expire_time("k"), kT0 + 900);

  auto p = s.persist("k");
  ASSERT_TRUE(p);
  EXPECT_TRUE(*p);
  EXPECT_EQ(s.expire_time("k"), kNoExpiry);
  p = s.persist("k");  // nothing to clear: false, nothing logged
  const uint64_t seq = s.last_sequence();
  ASSERT_TRUE(p);
  EXPECT_FALSE(*p);
  EXPECT_EQ(s.last_sequence(), seq);

  r = s.expire_at("absent", kT0 + 10);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_EQ(s.last_sequence(), seq);

  // A deadline not after now removes the key at once.
  r = s.expire_at("k", kT0);
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  EXPECT_EQ(s.get("k"), std::nullopt);
  EXPECT_EQ(s.stats().keys, 1u);  // "plain"

  EXPECT_FALSE(s.set_expiring("bad", "v", 0));
  EXPECT_FALSE(s.set_expiring("bad", "v", -5));
}

TEST_F(ExpiryTest, UpdateSeesExpiredKeysAsAbsentAndCanSetAndKeepDeadlines) {
  KvStore s = Open();
  ASSERT_TRUE(s.set_expiring("gone", "old", kT0 + 10));
  ASSERT_TRUE(s.set_expiring("ttl", "5", kT0 + 1000));
  now_ = kT0 + 11;
  ASSERT_TRUE(s.update({"gone", "ttl", "new"}, [&](Transaction& t) {
    EXPECT_EQ(t.get("gone"), std::nullopt);
    EXPECT_EQ(t.expire_time("gone"), kKeyAbsent);
    EXPECT_EQ(t.now_ms(), kT0 + 11);
    // INCR keeps the TTL: set with the current deadline.
    t.set("ttl", "6", t.expire_time("ttl"));
    EXPECT_EQ(t.expire_time("ttl"), kT0 + 1000);
    t.set("new", "x", kT0 + 2000);
    EXPECT_EQ(t.expire_time("new"), kT0 + 2000);
    t.expire_at("new", kT0 + 3000);  // a later change of the same key wins
    EXPECT_EQ(t.get("new"), "x");
    EXPECT_EQ(t.expire_time("new"), kT0 + 3000);
    t.persist("ttl");
    EXPECT_EQ(t.expire_time("ttl"), kNoExpiry);
    EXPECT_EQ(t.get("ttl"), "6");
    t.expire_at("gone", kT0 + 5000);  // absent: nothing
    EXPECT_EQ(t.expire_time("gone"), kKeyAbsent);
  }));
  EXPECT_EQ(s.get("ttl"), "6");
  EXPECT_EQ(s.expire_time("ttl"), kNoExpiry);
  EXPECT_EQ(s.expire_time("new"), kT0 + 3000);
  EXPECT_EQ(s.get("gone"), std::nullopt);
}

TEST_F(ExpiryTest, DeadlinesSurviveReplayAndAreNeverExtended) {
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set_expiring("a", "1", kT0 + 100));
    ASSERT_TRUE(s.set_expiring("b", "2", kT0 + 5000));
    ASSERT_TRUE(s.set("c", "3"));
    ASSERT_TRUE(s.expire_at("c", kT0 + 7000));
    ASSERT_TRUE(s.set_expiring("d", "4", kT0 + 9000));
    ASSERT_TRUE(s.persist("d"));
    ASSERT_TRUE(s.update({"e", "f"}, [](Transaction& t) {
      t.set("e", "5", kT0 + 200);
      t.set("f", "6");
      t.expire_at("f", kT0 + 300);
    }));
    ASSERT_TRUE(s.close());
  }
  now_ = kT0 + 150;  // "a" expired while closed
  KvStore s = Open();
  EXPECT_EQ(s.get("a"), std::nullopt);
  EXPECT_EQ(s.stats().expired_keys, 1u);  // reclaimed at open
  EXPECT_EQ(s.expire_time("b"), kT0 + 5000);
  EXPECT_EQ(s.expire_time("c"), kT0 + 7000);
  EXPECT_EQ(s.expire_time("d"), kNoExpiry);
  EXPECT_EQ(s.expire_time("e"), kT0 + 200);
  EXPECT_EQ(s.expire_time("f"), kT0 + 300);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(s.stats().keys_with_expiry, 4u);
  ASSERT_TRUE(s.close());

  // The reclaim at open was logged: a later replay finds "a" removed even
  // with a clock before its deadline.
  now_ = kT0;
  KvStore again = Open();
  EXPECT_EQ(again.get("a"), std::nullopt);
  EXPECT_EQ(again.get("b"), "2");
}

TEST_F(ExpiryTest, KeyPersistedBeforeItsDeadlineSurvivesReplayAfterIt) {
  // The deadline passes before reopen, but a later record cleared it: the
  // key must not be dropped while the snapshot or early records are read.
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set_expiring("k", "v", kT0 + 10));
    ASSERT_TRUE(s.persist("k"));
    ASSERT_TRUE(s.close());
  }
  now_ = kT0 + 1000;
  KvStore s = Open();
  EXPECT_EQ(s.get("k"), "v");
  EXPECT_EQ(s.expire_time("k"), kNoExpiry);
}

TEST_F(ExpiryTest, SnapshotCarriesDeadlinesInASeparateObject) {
  const std::string snap = dir_.File("s.json");
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("plain", "p"));
    ASSERT_TRUE(s.set_expiring("soon", "s", kT0 + 10));
    ASSERT_TRUE(s.set_expiring("later", "l", kT0 + 100000));
    now_ = kT0 + 20;  // "soon" has expired (not yet reclaimed: no cycle)
    ASSERT_TRUE(s.save_to_file(snap));
    ASSERT_TRUE(s.close());
  }
  const std::string text = ReadFileBytes(snap);
  EXPECT_NE(text.find("\"expires\": {"), std::string::npos) << text;
  EXPECT_NE(text.find("\"later\": " + std::to_string(kT0 + 100000)), std::string::npos) << text;
  EXPECT_EQ(text.find("soon"), std::string::npos) << "expired keys are left out: " << text;
  // The map keeps its plain form: key -> string.
  EXPECT_NE(text.find("\"plain\": \"p\""), std::string::npos) << text;

  std::filesystem::remove(wal_);
  auto s = KvStore::load_from_file(snap, wal_, Opts());
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->expire_time("later"), kT0 + 100000);
  EXPECT_EQ(s->expire_time("plain"), kNoExpiry);
  EXPECT_EQ(s->get("soon"), std::nullopt);
  EXPECT_EQ(s->size(), 2u);
}

TEST_F(ExpiryTest, SnapshotExpiresNamingAnAbsentKeyIsCorruption) {
  const std::string snap = dir_.File("bad.json");
  kvstore::testing::WriteFileBytes(
      snap, R"({"format": "kvstore-snapshot", "version": 2, "sequence": 0,)"
            R"( "map": {"a": "1"}, "expires": {"b": 1900000000000}})");
  auto s = KvStore::load_from_file(snap, wal_, Opts());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(s.error().message().find("\"b\""), std::string::npos) << s.error().message();

  kvstore::testing::WriteFileBytes(
      snap, R"({"format": "kvstore-snapshot", "version": 2, "sequence": 0,)"
            R"( "map": {"a": "1"}, "expires": {"a": "soon"}})");
  s = KvStore::load_from_file(snap, wal_, Opts());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kCorruption);
}

TEST_F(ExpiryTest, DataDirectoryCheckpointKeepsDeadlines) {
  {
    KvStore s = OpenDir();
    ASSERT_TRUE(s.set_expiring("k", "v", kT0 + 60000));
    ASSERT_TRUE(s.set("p", "q"));
    ASSERT_TRUE(s.checkpoint());
    ASSERT_TRUE(s.set_expiring("after", "a", kT0 + 70000));
    ASSERT_TRUE(s.close());
  }
  KvStore s = OpenDir();
  EXPECT_EQ(s.expire_time("k"), kT0 + 60000);
  EXPECT_EQ(s.expire_time("after"), kT0 + 70000);
  EXPECT_EQ(s.expire_time("p"), kNoExpiry);
}

TEST_F(ExpiryTest, ActiveCycleReclaimsAndLogsRemoves) {
  constexpr int kKeys = 1000;
  {
    KvStore s = Open(/*cycle=*/true);
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(s.set_expiring("k" + std::to_string(i), "v", kT0 + 10 + i % 7));
    }
    ASSERT_TRUE(s.set("keep", "1"));
    EXPECT_EQ(s.stats().keys_with_expiry, static_cast<uint64_t>(kKeys));
    const uint64_t before = s.last_sequence();
    now_ = kT0 + 1000;
    EXPECT_EQ(s.size(), 1u);  // invisible at once, whatever the cycle did
    ASSERT_TRUE(WaitReclaimed(s, kKeys)) << s.stats().expired_keys;
    const Stats st = s.stats();
    EXPECT_EQ(st.expired_keys, static_cast<uint64_t>(kKeys));
    EXPECT_EQ(st.keys_with_expiry, 0u);
    EXPECT_EQ(st.expired_stale_perc, 0.0);
    EXPECT_EQ(st.expire_lag_seconds.count, static_cast<uint64_t>(kKeys));
    EXPECT_GT(st.expire_cycles, 0u);
    // Removes were logged (batched: fewer records than keys).
    EXPECT_GT(s.last_sequence(), before);
    EXPECT_LT(s.last_sequence() - before, static_cast<uint64_t>(kKeys));
    EXPECT_EQ(s.stats().keys, 1u);
    ASSERT_TRUE(s.close());
  }
  // Replay with a clock before the deadlines: the logged removes win.
  now_ = kT0;
  KvStore s = Open();
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.get("k5"), std::nullopt);
}

TEST_F(ExpiryTest, StaleShareIsReportedWhileTheCycleIsOff) {
  KvStore s = Open(/*cycle=*/false);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(s.set_expiring("k" + std::to_string(i), "v", kT0 + (i < 3 ? 5 : 100000)));
  }
  now_ = kT0 + 10;
  const Stats st = s.stats();
  EXPECT_DOUBLE_EQ(st.expired_stale_perc, 30.0);
  EXPECT_EQ(st.keys_with_expiry, 7u);
  EXPECT_EQ(st.keys, 7u);
  EXPECT_EQ(st.expired_keys, 0u);
  const std::string prom = FormatPrometheus(st);
  EXPECT_NE(prom.find("kvstore_keys_with_expiry 7"), std::string::npos) << prom;
  EXPECT_NE(prom.find("kvstore_expired_stale_percent 30"), std::string::npos) << prom;
}

TEST_F(ExpiryTest, ReclaimRacingASetOfTheSameKeyNeverLosesTheSet) {
  KvStore s = Open(/*cycle=*/true);
  constexpr int kRounds = 300;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "r" + std::to_string(round % 5);
    ASSERT_TRUE(s.set_expiring(key, "old", now_.load() + 1));
    now_ += 2;  // expired: the cycle may reclaim it any moment now
    std::thread writer([&] { ASSERT_TRUE(s.set(key, "new" + std::to_string(round))); });
    writer.join();
    ASSERT_EQ(s.get(key), "new" + std::to_string(round)) << "round " << round;
    ASSERT_EQ(s.expire_time(key), kNoExpiry);
  }
  ASSERT_TRUE(s.close());
  KvStore again = Open();
  for (int r = kRounds - 5; r < kRounds; ++r) {
    EXPECT_EQ(again.get("r" + std::to_string(r % 5)), "new" + std::to_string(r));
  }
}

TEST_F(ExpiryTest, KeysExpiringDuringAScanAreNotReturnedAfterTheirDeadline) {
  KvStore s = Open();
  for (int i = 0; i < 200; ++i) {
    const std::string k = "k" + std::to_string(i);
    if (i % 2 == 0) {
      ASSERT_TRUE(s.set(k, "v"));
    } else {
      ASSERT_TRUE(s.set_expiring(k, "v", kT0 + 100));
    }
  }
  std::set<std::string> seen;
  uint64_t c = s.scan(0, 10, [&](std::string_view k, std::string_view) { seen.emplace(k); });
  now_ = kT0 + 101;  // the odd keys expire mid-iteration
  std::set<std::string> after;
  while (c != 0) {
    c = s.scan(c, 10, [&](std::string_view k, std::string_view) { after.emplace(k); });
  }
  for (const auto& k : after) {
    EXPECT_EQ((k.back() - '0') % 2, 0) << "expired key returned after its deadline: " << k;
  }
  for (int i = 0; i < 200; i += 2) {  // stable keys: each exactly once
    const std::string k = "k" + std::to_string(i);
    EXPECT_TRUE(seen.count(k) + after.count(k) == 1) << k;
  }
}

TEST_F(ExpiryTest, KeysWithoutDeadlineCostNoMemory) {
  KvStore a = Open();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(a.set("key" + std::to_string(i), "0123456789"));
  const uint64_t plain = a.stats().memory_bytes;
  ASSERT_TRUE(a.close());
  std::filesystem::remove(wal_);
  KvStore b = Open();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(b.set_expiring("key" + std::to_string(i), "0123456789", kT0 + 1000));
    ASSERT_TRUE(b.persist("key" + std::to_string(i)));
  }
  // Same keys, deadlines given and cleared again: the same bytes.
  EXPECT_EQ(b.stats().memory_bytes, plain);
}

}  // namespace
}  // namespace kvstore
