// Copyright (c) the kvstore developers.
//
// update() (atomic multi-key read-modify-write, logged as one record),
// update_all() (the same over the whole keyspace, with clear/size/scan),
// scan() (cursor iteration that visits stable keys exactly once) and
// random_key(): their contracts in kvstore.h, including crash behaviour of
// the batch record and behaviour under concurrent writers.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/kvstore.h"
#include "support/temp_dir.h"
#include "support/test_scale.h"

namespace kvstore {
namespace {

using kvstore::testing::ReadFileBytes;
using kvstore::testing::Scaled;
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
      EXPECT_TRUE(m.emplace(std::string(k), std::string(v)).second) << "visited twice: " << k;
    });
  } while (c != 0);
  return m;
}

class UpdateTest : public ::testing::Test {
 protected:
  KvStore Open() { return std::move(KvStore::open(wal_, NoSync())).value(); }
  TempDir dir_;
  std::string wal_ = dir_.File("u.wal");
};

TEST_F(UpdateTest, ReadModifyWriteSeesCurrentValueAndOwnWrites) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("a", "1"));
  ASSERT_TRUE(s.update({"a", "b"}, [](Transaction& t) {
    EXPECT_EQ(t.get("a"), std::optional<std::string_view>("1"));
    EXPECT_EQ(t.get("b"), std::nullopt);
    t.set("b", std::string(*t.get("a")) + "2");
    EXPECT_EQ(t.get("b"), std::optional<std::string_view>("12"));
    t.remove("a");
    EXPECT_EQ(t.get("a"), std::nullopt);
  }));
  EXPECT_EQ(s.get("a"), std::nullopt);
  EXPECT_EQ(s.get("b"), "12");
  EXPECT_EQ(s.last_sequence(), 2u) << "a multi-key update is one WAL record";
}

TEST_F(UpdateTest, NoWritesLogsNothing) {
  KvStore s = Open();
  ASSERT_TRUE(s.update({"x"}, [](Transaction& t) { EXPECT_FALSE(t.get("x")); }));
  EXPECT_EQ(s.last_sequence(), 0u);
}

TEST_F(UpdateTest, UndeclaredKeyFailsAndWritesNothing) {
  KvStore s = Open();
  auto r = s.update({"a"}, [](Transaction& t) {
    t.set("a", "1");
    t.set("zzz", "2");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.last_sequence(), 0u);
}

TEST_F(UpdateTest, DuplicateDeclaredKeysAndSharedShardsDoNotDeadlock) {
  KvStore s = Open();
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("k" + std::to_string(i));  // > 96 shards
  std::vector<std::string_view> views(keys.begin(), keys.end());
  views.push_back(keys[0]);
  ASSERT_TRUE(s.update(views, [&](Transaction& t) {
    for (const auto& k : keys) t.set(k, k);
  }));
  EXPECT_EQ(s.size(), 300u);
}

TEST_F(UpdateTest, ConcurrentIncrementsAreNotLost) {
  KvStore s = Open();
  const int per_thread = Scaled(2000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        ASSERT_TRUE(s.update({"counter"}, [](Transaction& txn) {
          auto v = txn.get("counter");
          txn.set("counter", std::to_string(v ? std::stoll(std::string(*v)) + 1 : 1));
        }));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(s.get("counter"), std::to_string(4 * per_thread));
}

// Transfers between accounts keep the total constant for every reader that
// reads through update(), and after reopening (batch records replay whole).
TEST_F(UpdateTest, TransfersKeepTheInvariantLiveAndAfterReplay) {
  constexpr int kAccounts = 20;
  std::vector<std::string> names;
  for (int i = 0; i < kAccounts; ++i) names.push_back("acct" + std::to_string(i));
  {
    KvStore s = Open();
    for (const auto& n : names) ASSERT_TRUE(s.set(n, "100"));
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::thread auditor([&] {
      std::vector<std::string_view> all(names.begin(), names.end());
      while (!stop.load()) {
        long total = 0;
        ASSERT_TRUE(s.update(all, [&](Transaction& t) {
          for (const auto& n : names) total += std::stol(std::string(*t.get(n)));
        }));
        if (total != 100 * kAccounts) bad.fetch_add(1);
      }
    });
    std::vector<std::thread> movers;
    for (int m = 0; m < 3; ++m) {
      movers.emplace_back([&, m] {
        for (int i = 0; i < Scaled(3000); ++i) {
          const std::string& from = names[(i * 7 + m) % kAccounts];
          const std::string& to = names[(i * 13 + m + 1) % kAccounts];
          if (from == to) continue;
          ASSERT_TRUE(s.update({from, to}, [&](Transaction& t) {
            long a = std::stol(std::string(*t.get(from)));
            long b = std::stol(std::string(*t.get(to)));
            t.set(from, std::to_string(a - 1));
            t.set(to, std::to_string(b + 1));
          }));
        }
      });
    }
    for (auto& t : movers) t.join();
    stop = true;
    auditor.join();
    EXPECT_EQ(bad.load(), 0);
  }
  KvStore again = Open();
  long total = 0;
  for (const auto& n : names) total += std::stol(*again.get(n));
  EXPECT_EQ(total, 100 * kAccounts);
}

// A batch record cut anywhere is a torn tail: none of its writes survive.
TEST_F(UpdateTest, TornBatchRecordAppliesNothing) {
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("before", "1"));
    ASSERT_TRUE(s.close());
  }
  const std::string head = ReadFileBytes(wal_);  // close() trims the log to its records
  {
    KvStore s = Open();
    ASSERT_TRUE(s.update({"p", "q"}, [](Transaction& t) {
      t.set("p", std::string(100, 'p'));
      t.set("q", std::string(100, 'q'));
    }));
    ASSERT_TRUE(s.close());
  }
  const std::string full = ReadFileBytes(wal_);
  ASSERT_EQ(full.compare(0, head.size(), head), 0);
  const std::size_t rec = head.size();  // the batch record starts here
  ASSERT_GT(full.size(), rec + 200);
  for (std::size_t cut = rec + 1; cut < rec + 200 && cut < full.size(); cut += 13) {
    WriteFileBytes(wal_, full.substr(0, cut));
    auto s = KvStore::open(wal_, NoSync());
    ASSERT_TRUE(s) << cut << ": " << s.error().message();
    EXPECT_EQ(s->get("before"), "1");
    EXPECT_EQ(s->get("p"), std::nullopt) << "cut at " << cut;
    EXPECT_EQ(s->get("q"), std::nullopt) << "cut at " << cut;
  }
}

TEST_F(UpdateTest, BatchSurvivesSaveAndLoad) {
  const std::string snap = dir_.File("u.json");
  {
    KvStore s = Open();
    ASSERT_TRUE(s.update({"a", "b", "c"}, [](Transaction& t) {
      t.set("a", "1");
      t.set("b", std::string("\0\xff", 2));
      t.remove("c");
    }));
    ASSERT_TRUE(s.save_to_file(snap));
    ASSERT_TRUE(s.update({"a", "b"}, [](Transaction& t) {
      t.remove("a");
      t.set("b", "2");
    }));
  }
  auto s = KvStore::load_from_file(snap, wal_, NoSync());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->get("a"), std::nullopt);
  EXPECT_EQ(s->get("b"), "2");
  EXPECT_EQ(s->size(), 1u);
}

// ---- scan ----

TEST_F(UpdateTest, ScanVisitsEveryKeyOnceWhateverTheCount) {
  KvStore s = Open();
  std::map<std::string, std::string> want;
  for (int i = 0; i < 5000; ++i) {
    std::string k = "key" + std::to_string(i), v = std::to_string(i * 3);
    ASSERT_TRUE(s.set(k, v));
    want[k] = v;
  }
  EXPECT_EQ(Contents(s), want);
  for (std::size_t count : {1u, 10u, 1000u, 100000u}) {
    std::set<std::string> seen;
    uint64_t c = 0;
    int calls = 0;
    do {
      c = s.scan(c, count, [&](std::string_view k, std::string_view) {
        EXPECT_TRUE(seen.insert(std::string(k)).second);
      });
      ++calls;
    } while (c != 0);
    EXPECT_EQ(seen.size(), want.size()) << "count " << count;
    if (count >= 100000) {
      EXPECT_EQ(calls, 1);
    }
  }
}

TEST_F(UpdateTest, ScanOfEmptyStoreEndsAtOnce) {
  KvStore s = Open();
  int n = 0;
  EXPECT_EQ(s.scan(0, 10, [&](std::string_view, std::string_view) { ++n; }), 0u);
  EXPECT_EQ(n, 0);
  EXPECT_EQ(s.random_key(), std::nullopt);
}

// Keys present for the whole iteration are seen exactly once even while
// other keys are inserted and removed (forcing rehashes).
TEST_F(UpdateTest, ScanUnderConcurrentWritesSeesStableKeysOnce) {
  KvStore s = Open();
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(s.set("stable" + std::to_string(i), "v"));
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    for (int i = 0; !stop.load(); ++i) {
      ASSERT_TRUE(s.set("churn" + std::to_string(i), "x"));
      if (i % 3 == 0) {
        ASSERT_TRUE(s.remove("churn" + std::to_string(i / 2)));
      }
    }
  });
  for (int round = 0; round < 5; ++round) {
    std::map<std::string, int> seen;
    uint64_t c = 0;
    do {
      c = s.scan(c, 17, [&](std::string_view k, std::string_view) { ++seen[std::string(k)]; });
    } while (c != 0);
    for (int i = 0; i < 3000; ++i) {
      ASSERT_EQ(seen["stable" + std::to_string(i)], 1) << "stable" << i << " round " << round;
    }
    for (const auto& [k, n] : seen) {
      ASSERT_EQ(n, 1) << k;
    }
  }
  stop = true;
  churn.join();
}

TEST_F(UpdateTest, RandomKeyReturnsPresentKeysAndCoversThem) {
  KvStore s = Open();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(s.set("r" + std::to_string(i), "v"));
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    auto k = s.random_key();
    ASSERT_TRUE(k);
    ASSERT_TRUE(s.get(*k)) << *k;
    seen.insert(*k);
  }
  EXPECT_GT(seen.size(), 45u) << "random_key should reach nearly every key";
}

// update_all(): one transaction over the whole keyspace (what MULTI/EXEC
// uses for FLUSHALL, DBSIZE, KEYS and SCAN).
using UpdateAllTest = UpdateTest;

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

// A long transaction (hundreds of writes over few keys, past the point where
// lookups switch from scanning the writes to an index) reads what a model of
// its own writes says, after every write: value, deadline, wrote(), size();
// and commits and replays to the same state. Run for update() with many
// declared keys and for update_all() with clears.
TEST_F(UpdateAllTest, LongTransactionsReadTheirOwnWritesAsAModelDoes) {
  constexpr int64_t kNow = 1'800'000'000'000;
  Options o = NoSync();
  o.clock = [] { return kNow; };
  struct Val {
    std::string value;
    int64_t deadline = 0;  // 0: none
  };
  using Model = std::map<std::string, Val>;
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back("key" + std::to_string(i));
  for (bool all : {false, true}) {
    SCOPED_TRACE(all ? "update_all" : "update");
    std::filesystem::remove(wal_);
    auto opened = KvStore::open(wal_, o);
    ASSERT_TRUE(opened) << opened.error().ToString();
    KvStore s = std::move(*opened);
    Model model;
    for (int i = 0; i < 40; i += 2) {  // half the keys present before, some expiring
      const int64_t d = i % 4 == 0 ? kNow + 1000 * i + 1 : 0;
      ASSERT_TRUE(d ? s.set_expiring(keys[i], "old" + std::to_string(i), d)
                    : s.set(keys[i], "old" + std::to_string(i)));
      model[keys[i]] = {"old" + std::to_string(i), d};
    }
    std::mt19937 rng(all ? 7 : 11);
    std::set<std::string> written;
    bool cleared = false;
    auto body = [&](Transaction& t) {
      for (int step = 0; step < 400; ++step) {
        const std::string& k = keys[rng() % keys.size()];
        const unsigned op = rng() % (all ? 8 : 7);
        const bool present = model.contains(k);
        if (op <= 2) {
          const std::string v = "v" + std::to_string(step);
          const int64_t d = op == 0 ? kNow + 5000 + step : (op == 1 ? 0 : kNow - 1);
          t.set(k, v, d == 0 ? kNoExpiry : d);
          if (d == kNow - 1) {
            model.erase(k);  // set already expired: absent at once
          } else {
            model[k] = {v, d};
          }
          written.insert(k);
        } else if (op == 3) {
          t.remove(k);
          model.erase(k);
          written.insert(k);
        } else if (op == 4) {
          const int64_t d = rng() % 3 == 0 ? kNow - 5 : kNow + 7000 + step;
          t.expire_at(k, d);
          if (present) {
            if (d <= kNow) {
              model.erase(k);
            } else {
              model[k].deadline = d;
            }
            written.insert(k);
          }
        } else if (op == 5) {
          t.persist(k);
          if (present && model[k].deadline != 0) {
            model[k].deadline = 0;
            written.insert(k);
          }
        } else if (op == 6) {
          // reads only
        } else {
          t.clear();
          model.clear();
          cleared = true;
        }
        for (const std::string& q : keys) {
          auto it = model.find(q);
          const auto got = t.get(q);
          if (it == model.end()) {
            ASSERT_FALSE(got) << "step " << step << " key " << q;
            ASSERT_EQ(t.expire_time(q), kKeyAbsent) << "step " << step << " key " << q;
          } else {
            ASSERT_EQ(got, std::optional<std::string_view>(it->second.value))
                << "step " << step << " key " << q;
            ASSERT_EQ(t.expire_time(q), it->second.deadline ? it->second.deadline : kNoExpiry)
                << "step " << step << " key " << q;
          }
          if (!cleared) {
            ASSERT_EQ(t.wrote(q), written.contains(q)) << "step " << step << " key " << q;
          }
        }
        if (all) {
          ASSERT_EQ(t.size(), model.size()) << "step " << step;
        }
      }
    };
    if (all) {
      ASSERT_TRUE(s.update_all(body));
    } else {
      std::vector<std::string_view> declared(keys.begin(), keys.end());
      ASSERT_TRUE(s.update(declared, body));
    }
    auto check = [&](const KvStore& store, const char* when) {
      SCOPED_TRACE(when);
      EXPECT_EQ(store.size(), model.size());
      for (const std::string& q : keys) {
        auto it = model.find(q);
        if (it == model.end()) {
          EXPECT_FALSE(store.get(q)) << q;
        } else {
          EXPECT_EQ(store.get(q), it->second.value) << q;
          EXPECT_EQ(store.expire_time(q), it->second.deadline ? it->second.deadline : kNoExpiry)
              << q;
        }
      }
    };
    check(s, "committed");
    ASSERT_TRUE(s.close());
    auto again = KvStore::open(wal_, o);
    ASSERT_TRUE(again) << again.error().ToString();
    check(*again, "replayed");
  }
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
