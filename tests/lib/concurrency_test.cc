// Copyright (c) the kvstore developers.
//
// Many threads on one store: readers only ever see values that were written
// for the key they read, saves running during writes lose no acknowledged
// write, clear() racing with sets leaves a state that replay reproduces.
// Synchronisation is by joins and atomics only (no sleeps); fixed sizes.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/forwarding_fs.h"
#include "support/temp_dir.h"
#include "kvstore/kvstore.h"

namespace kvstore {
namespace {

using kvstore::testing::TempDir;

namespace fs = std::filesystem;

Options Opts(SyncMode mode = SyncMode::kNever) {
  Options o;
  o.sync = mode;
  return o;
}

using Model = std::map<std::string, std::string>;

// Values are "<key>|<writer>|<counter>" so a reader can tell whether a value
// could have been written for the key it read.
std::string MakeValue(const std::string& key, int writer, int counter) {
  return key + "|" + std::to_string(writer) + "|" + std::to_string(counter);
}

struct Parsed {
  std::string key;
  int writer = -1;
  int counter = -1;
};

std::optional<Parsed> ParseValue(const std::string& v) {
  const auto b = v.rfind('|');
  if (b == std::string::npos || b == 0) return std::nullopt;
  const auto a = v.rfind('|', b - 1);
  if (a == std::string::npos) return std::nullopt;
  Parsed p;
  p.key = v.substr(0, a);
  auto r1 = std::from_chars(v.data() + a + 1, v.data() + b, p.writer);
  auto r2 = std::from_chars(v.data() + b + 1, v.data() + v.size(), p.counter);
  if (r1.ec != std::errc() || r1.ptr != v.data() + b) return std::nullopt;
  if (r2.ec != std::errc() || r2.ptr != v.data() + v.size()) return std::nullopt;
  return p;
}

Model Snapshot(const KvStore& s, const std::vector<std::string>& keys) {
  Model m;
  for (const std::string& k : keys) {
    if (auto v = s.get(k)) m[k] = *v;
  }
  return m;
}

// Failures found on worker threads are collected and reported by the main
// thread (gtest assertions are thread-safe, but fatal ones cannot stop a
// worker; this keeps the first messages readable).
class Failures {
 public:
  void Add(std::string what) {
    std::lock_guard lock(mu_);
    if (list_.size() < 20) list_.push_back(std::move(what));
    ++count_;
  }
  void Check() {
    std::lock_guard lock(mu_);
    EXPECT_EQ(count_, 0u) << "first failures:\n" << Join();
  }

 private:
  std::string Join() const {
    std::string s;
    for (const auto& f : list_) s += "  " + f + "\n";
    return s;
  }
  std::mutex mu_;
  std::vector<std::string> list_;
  std::size_t count_ = 0;
};

TEST(ConcurrencyTest, ReadersSeeOnlyValuesWrittenForTheKeyAndReplayMatches) {
  TempDir dir;
  const std::string wal = dir.File("c.wal");
  constexpr int kWriters = 4;
  constexpr int kReaders = 3;
  constexpr int kOps = 25000;
  constexpr int kOwnKeys = 16;
  constexpr int kSharedKeys = 8;
  auto opened = KvStore::open(wal, Opts());
  ASSERT_TRUE(opened);
  KvStore& s = *opened;

  auto own_key = [](int w, int k) { return "w" + std::to_string(w) + "-k" + std::to_string(k); };
  auto shared_key = [](int k) { return "shared-" + std::to_string(k); };
  std::vector<std::string> all_keys;
  for (int w = 0; w < kWriters; ++w) {
    for (int k = 0; k < kOwnKeys; ++k) all_keys.push_back(own_key(w, k));
  }
  for (int k = 0; k < kSharedKeys; ++k) all_keys.push_back(shared_key(k));

  Failures failures;
  std::atomic<int> writers_done{0};
  std::atomic<uint64_t> logged{0};
  std::vector<Model> expected_own(kWriters);

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      Model& mine = expected_own[static_cast<std::size_t>(w)];
      for (int i = 0; i < kOps; ++i) {
        const std::string k = own_key(w, i % kOwnKeys);
        if (i % 11 == 10) {
          auto r = s.remove(k);
          if (!r) {
            failures.Add("remove failed: " + r.error().message());
          } else if (r->has_value() != (mine.count(k) == 1)) {
            failures.Add("remove of " + k + " disagrees about its presence");
          } else if (r->has_value()) {
            if (**r != mine[k]) failures.Add("remove of " + k + " returned " + **r + ", not " + mine[k]);
            logged.fetch_add(1);
          }
          mine.erase(k);
        } else {
          std::string v = MakeValue(k, w, i);
          if (auto r = s.set(k, v); !r) failures.Add("set failed: " + r.error().message());
          mine[k] = v;
          logged.fetch_add(1);
        }
        const std::string sk = shared_key(i % kSharedKeys);
        if (auto r = s.set(sk, MakeValue(sk, w, i)); !r) failures.Add("shared set failed");
        logged.fetch_add(1);
      }
      writers_done.fetch_add(1);
    });
  }
  std::atomic<long> reads{0};
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937 rng(1000 + static_cast<unsigned>(r));
      // The highest counter seen per own key: a single writer writes
      // increasing counters, so a later read never shows a smaller one.
      std::map<std::string, int> seen;
      long n = 0;
      while (writers_done.load() < kWriters || n < 1000) {
        const std::string& k = all_keys[rng() % all_keys.size()];
        auto v = s.get(k);
        ++n;
        if (!v) continue;
        auto p = ParseValue(*v);
        if (!p || p->key != k || p->writer < 0 || p->writer >= kWriters || p->counter < 0 ||
            p->counter >= kOps) {
          failures.Add("key " + k + " has a value never written for it: " + *v);
          continue;
        }
        if (k.starts_with("shared-")) {
          if (p->counter % kSharedKeys != std::stoi(k.substr(7))) {
            failures.Add("shared key " + k + " has a value of another key: " + *v);
          }
          continue;
        }
        if (k != own_key(p->writer, p->counter % kOwnKeys)) {
          failures.Add("key " + k + " has a value never written for it: " + *v);
        }
        int& last = seen[k];
        if (p->counter < last) {
          failures.Add("key " + k + " went back in time: " + std::to_string(p->counter) + " after " +
                       std::to_string(last));
        }
        last = std::max(last, p->counter);
        if (s.size() > all_keys.size()) failures.Add("size() larger than the key space");
      }
      reads.fetch_add(n);
    });
  }
  for (auto& t : threads) t.join();
  failures.Check();
  EXPECT_GE(reads.load(), 3000);

  // Final state: each own key holds its writer's last value; each shared key
  // holds the last value some writer wrote to it.
  Model live = Snapshot(s, all_keys);
  EXPECT_EQ(s.size(), live.size());
  for (int w = 0; w < kWriters; ++w) {
    for (int k = 0; k < kOwnKeys; ++k) {
      const std::string key = own_key(w, k);
      auto it = expected_own[static_cast<std::size_t>(w)].find(key);
      if (it == expected_own[static_cast<std::size_t>(w)].end()) {
        EXPECT_EQ(live.count(key), 0u) << key;
      } else {
        EXPECT_EQ(live[key], it->second) << key;
      }
    }
  }
  for (int k = 0; k < kSharedKeys; ++k) {
    const std::string key = shared_key(k);
    ASSERT_EQ(live.count(key), 1u);
    auto p = ParseValue(live[key]);
    ASSERT_TRUE(p);
    int last_i = kOps - 1;
    while (last_i % kSharedKeys != k) --last_i;
    EXPECT_EQ(p->counter, last_i) << "the last write of some writer wins: " << live[key];
  }
  EXPECT_EQ(s.last_sequence(), logged.load()) << "every set and effective remove is logged once";

  // Replay reproduces exactly what readers saw, including the shared keys
  // whose winner was decided by the race.
  ASSERT_TRUE(s.close());
  auto again = KvStore::open(wal, Opts());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(Snapshot(*again, all_keys), live);
  EXPECT_EQ(again->size(), live.size());
}

TEST(ConcurrencyTest, SaveWhileFourThreadsWriteKeepsEveryAcknowledgedWrite) {
  TempDir dir;
  const std::string wal = dir.File("c.wal");
  const std::string snap = dir.File("c.json");
  constexpr int kWriters = 4;
  constexpr int kKeysPerWriter = 200;
  constexpr int kMinOps = 5000;    // per writer, and writers keep going until
  constexpr int kMinSaves = 3;     // this many saves completed during writes
  constexpr int kMaxOps = 400000;  // (a bound for a very slow machine)
  auto opened = KvStore::open(wal, Opts());
  ASSERT_TRUE(opened);
  KvStore& s = *opened;

  Failures failures;
  std::vector<Model> expected(kWriters);
  std::atomic<int> writers_done{0};
  std::atomic<int> progress{0};
  std::atomic<int> saves_done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(77 + static_cast<unsigned>(w));
      Model& mine = expected[static_cast<std::size_t>(w)];
      for (int i = 0; i < kMaxOps && (i < kMinOps || saves_done.load() < kMinSaves); ++i) {
        const std::string k = "t" + std::to_string(w) + "-" + std::to_string(rng() % kKeysPerWriter);
        if (rng() % 8 == 0) {
          auto r = s.remove(k);
          if (!r) {
            failures.Add("remove failed: " + r.error().message());
            continue;
          }
          if (r->has_value() != (mine.count(k) == 1)) failures.Add("remove saw wrong presence for " + k);
          mine.erase(k);
        } else {
          std::string v = MakeValue(k, w, i) + std::string(rng() % 64, 'p');
          auto r = s.set(k, v);
          if (!r) {
            failures.Add("set failed: " + r.error().message());
            continue;
          }
          mine[k] = v;  // acknowledged
        }
        progress.fetch_add(1, std::memory_order_relaxed);
      }
      writers_done.fetch_add(1);
    });
  }
  // Save repeatedly while the writers run; they keep writing until at least
  // kMinSaves saves have completed, so every one of those overlapped writes.
  int saves = 0;
  while (progress.load() == 0) std::this_thread::yield();
  while (writers_done.load() < kWriters) {
    auto r = s.save_to_file(snap);
    if (!r) {
      ADD_FAILURE() << r.error().message();
      saves_done.store(kMinSaves);  // let the writers finish
      break;
    }
    saves_done.store(++saves);
  }
  for (auto& t : writers) t.join();
  failures.Check();

  Model want;
  for (const Model& m : expected) want.insert(m.begin(), m.end());
  std::vector<std::string> keys;
  for (int w = 0; w < kWriters; ++w) {
    for (int k = 0; k < kKeysPerWriter; ++k) keys.push_back("t" + std::to_string(w) + "-" + std::to_string(k));
  }
  EXPECT_EQ(Snapshot(s, keys), want);
  const uint64_t last_seq = s.last_sequence();
  ASSERT_TRUE(s.close());

  auto loaded = KvStore::load_from_file(snap, wal, Opts());
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->size(), want.size());
  EXPECT_EQ(Snapshot(*loaded, keys), want) << "after " << saves << " saves during writes";
  EXPECT_EQ(loaded->last_sequence(), last_seq);
  EXPECT_EQ(loaded->recovery_stats().records_skipped, 0u)
      << "the checkpoint keeps only records newer than the snapshot";
  EXPECT_GE(saves, kMinSaves);
  RecordProperty("saves_during_writes", saves);
}

TEST(ConcurrencyTest, ConcurrentSavesToOnePathAreSerialisedAndLoseNothing) {
  TempDir dir;
  const std::string wal = dir.File("c.wal");
  const std::string snap = dir.File("c.json");
  auto opened = KvStore::open(wal, Opts());
  ASSERT_TRUE(opened);
  KvStore& s = *opened;
  Failures failures;
  std::atomic<bool> stop{false};
  Model want;
  std::thread writer([&] {
    for (int i = 0; i < 20000 || !stop.load(); ++i) {
      const std::string k = "k" + std::to_string(i % 500);
      std::string v = MakeValue(k, 0, i);
      if (auto r = s.set(k, v); !r) {
        failures.Add("set failed: " + r.error().message());
        break;
      }
      want[k] = v;
      if (i > 20000 * 4) break;
    }
  });
  std::vector<std::thread> savers;
  for (int t = 0; t < 2; ++t) {
    savers.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (auto r = s.save_to_file(snap); !r) failures.Add("save failed: " + r.error().message());
      }
    });
  }
  for (auto& t : savers) t.join();
  stop.store(true);
  writer.join();
  failures.Check();
  ASSERT_TRUE(s.close());
  auto loaded = KvStore::load_from_file(snap, wal, Opts());
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->size(), want.size());
  for (const auto& [k, v] : want) EXPECT_EQ(loaded->get(k), v) << k;
}

TEST(ConcurrencyTest, ClearRacingWithSetsLeavesAStateThatReplayReproduces) {
  TempDir dir;
  const std::string wal = dir.File("c.wal");
  constexpr int kSetters = 3;
  constexpr int kOps = 20000;
  constexpr int kKeys = 50;
  auto opened = KvStore::open(wal, Opts());
  ASSERT_TRUE(opened);
  KvStore& s = *opened;
  Failures failures;
  std::atomic<int> setters_done{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kSetters; ++w) {
    threads.emplace_back([&, w] {
      std::vector<int> last(kKeys, -1);
      for (int i = 0; i < kOps; ++i) {
        const int ki = i % kKeys;
        const std::string k = "s" + std::to_string(w) + "-" + std::to_string(ki);
        const std::string v = MakeValue(k, w, i);
        if (auto r = s.set(k, v); !r) {
          failures.Add("set failed: " + r.error().message());
          continue;
        }
        // Sole writer of k: reading it back gives this value, or nothing if
        // a clear came in between; never an older value.
        auto got = s.get(k);
        if (got && *got != v) failures.Add("read-your-write violated on " + k + ": " + *got + " after " + v);
        last[static_cast<std::size_t>(ki)] = i;
      }
      setters_done.fetch_add(1);
    });
  }
  int clears = 0;
  threads.emplace_back([&] {
    while (setters_done.load() < kSetters || clears < 20) {
      if (auto r = s.clear(); !r) failures.Add("clear failed: " + r.error().message());
      ++clears;
      if (clears > 5000) break;  // bound the log size on a slow machine
    }
  });
  for (auto& t : threads) t.join();
  failures.Check();

  std::vector<std::string> keys;
  for (int w = 0; w < kSetters; ++w) {
    for (int k = 0; k < kKeys; ++k) keys.push_back("s" + std::to_string(w) + "-" + std::to_string(k));
  }
  Model live = Snapshot(s, keys);
  EXPECT_EQ(s.size(), live.size());
  for (const auto& [k, v] : live) {
    auto p = ParseValue(v);
    ASSERT_TRUE(p) << v;
    EXPECT_EQ(p->key, k);
  }
  EXPECT_GE(clears, 20);
  RecordProperty("clears", clears);
  EXPECT_EQ(s.last_sequence(), static_cast<uint64_t>(kSetters) * kOps + static_cast<uint64_t>(clears));
  ASSERT_TRUE(s.close());
  auto again = KvStore::open(wal, Opts());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(Snapshot(*again, keys), live) << "replay order must equal the order readers saw";
  EXPECT_EQ(again->size(), live.size());
}

TEST(ConcurrencyTest, GroupCommitAcknowledgesEveryWriteDurably) {
  TempDir dir;
  const std::string wal = dir.File("c.wal");
  constexpr int kWriters = 4;
  constexpr int kOps = 60;
  Model want;
  std::mutex want_mu;
  Failures failures;
  {
    auto opened = KvStore::open(wal, Opts(SyncMode::kAlways));
    ASSERT_TRUE(opened);
    KvStore& s = *opened;
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w] {
        for (int i = 0; i < kOps; ++i) {
          const std::string k = "g" + std::to_string(w) + "-" + std::to_string(i);
          if (auto r = s.set(k, MakeValue(k, w, i)); !r) {
            failures.Add("set failed: " + r.error().message());
            continue;
          }
          std::lock_guard lock(want_mu);
          want[k] = MakeValue(k, w, i);
        }
      });
    }
    for (auto& t : threads) t.join();
    failures.Check();
    const Stats st = s.stats();
    EXPECT_EQ(st.wal_records, static_cast<uint64_t>(kWriters) * kOps);
    EXPECT_GE(st.wal_syncs, 1u);
    EXPECT_LE(st.wal_syncs, st.wal_records) << "at most one sync per write";
  }
  auto again = KvStore::open(wal, Opts());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), want.size());
  for (const auto& [k, v] : want) EXPECT_EQ(again->get(k), v);
}

// The POSIX filesystem with a log whose Sync() takes `sync_delay` longer: a
// slow disk, so that every writer is back long before a sync ends.
class SlowSyncFs final : public ForwardingFs {
 public:
  explicit SlowSyncFs(std::chrono::microseconds sync_delay) : delay_(sync_delay) {}

 protected:
  std::unique_ptr<LogFile> WrapLog(std::unique_ptr<LogFile> log) override {
    class SlowLog final : public ForwardingLogFile {
     public:
      SlowLog(std::unique_ptr<LogFile> f, std::chrono::microseconds delay)
          : ForwardingLogFile(std::move(f)), delay_(delay) {}
      Result<void> Sync() override {
        std::this_thread::sleep_for(delay_);
        return ForwardingLogFile::Sync();
      }

     private:
      std::chrono::microseconds delay_;
    };
    return std::make_unique<SlowLog>(std::move(log), delay_);
  }

 private:
  std::chrono::microseconds delay_;
};

// Writers in a loop of durable writes: the writers one sync released are about
// to write again, and the next leader waits for them, so a batch holds every
// writer rather than only those that appended during the previous sync (which
// made batches alternate between a few writers and the rest).
TEST(ConcurrencyTest, GroupCommitBatchHoldsTheWritersThePreviousSyncReleased) {
  TempDir dir;
  constexpr int kWriters = 8;
  constexpr int kOps = 30;
  Options o = Opts(SyncMode::kAlways);
  o.fs = std::make_shared<SlowSyncFs>(std::chrono::milliseconds(2));
  auto opened = KvStore::open(dir.File("b.wal"), o);
  ASSERT_TRUE(opened);
  KvStore& s = *opened;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kOps; ++i) {
        EXPECT_TRUE(s.set("b" + std::to_string(w) + "-" + std::to_string(i), "v"));
      }
    });
  }
  for (auto& t : threads) t.join();
  const Stats st = s.stats();
  ASSERT_EQ(st.wal_records, static_cast<uint64_t>(kWriters) * kOps);
  const double per_sync = static_cast<double>(st.wal_records) /
                          static_cast<double>(std::max<uint64_t>(st.wal_syncs, 1));
  EXPECT_GE(per_sync, 0.75 * kWriters) << st.wal_syncs << " syncs";
  EXPECT_TRUE(s.close());
}

// close() is documented as safe to call while other threads use the store. A
// save whose checkpoint is copying the records appended during the save must
// not touch the WAL file after close() released it. Run in a child process
// (threadsafe death-test style) so that a crash fails only this test.
TEST(ConcurrencyTest, CloseDuringSaveWithActiveWritersDoesNotCrash) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The child re-runs this body: it uses the parent's directory (passed in the
  // environment), so that the parent alone creates and removes it.
  constexpr const char* kDirVar = "KVSTORE_TEST_CLOSE_RACE_DIR";
  std::optional<TempDir> own;
  std::string base;
  if (const char* inherited = std::getenv(kDirVar)) {
    base = inherited;
  } else {
    own.emplace();
    base = own->File("");
    ::setenv(kDirVar, base.c_str(), 1);
  }
  const std::string wal = base + "c.wal";
  const std::string snap = base + "c.json";
  EXPECT_EXIT(
      {
        auto opened = KvStore::open(wal, Opts());
        if (!opened) std::_Exit(2);
        KvStore& s = *opened;
        // Enough keys that writing the snapshot takes a while, during which
        // the writer appends records that the checkpoint must then copy.
        for (int i = 0; i < 150000; ++i) {
          if (!s.set("k" + std::to_string(i), "value")) std::_Exit(3);
        }
        if (!s.sync()) std::_Exit(4);
        std::atomic<bool> stop{false};
        std::thread writer([&] {
          const std::string v(4000, 'x');
          for (int i = 0; !stop.load(); ++i) {
            if (!s.set("w" + std::to_string(i % 1000), v)) break;  // kClosed after close()
          }
        });
        std::thread saver([&] { (void)s.save_to_file(snap); });  // may fail with kClosed
        // The checkpoint has begun once its temporary log exists.
        while (!fs::exists(wal + ".new") && !fs::exists(snap)) std::this_thread::yield();
        (void)s.close();
        stop.store(true);
        saver.join();
        writer.join();
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  ::unsetenv(kDirVar);
}

}  // namespace
}  // namespace kvstore
