// Copyright (c) the kvstore developers.
//
// WAL replay with applier threads (ReplayApplier) ends in the state the
// sequential replay makes, for a log that interleaves single-key records,
// multi-key batches across shards, typed ops, deadlines and clears, in both
// layouts, and with a torn tail or damage in the middle.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kvstore/kvstore.h"
#include "object.h"
#include "replay_applier.h"
#include "support/object_text.h"
#include "support/temp_dir.h"

namespace kvstore::testing {
namespace {

constexpr int64_t kFar = int64_t{4} << 40;  // a deadline in 2109

std::vector<std::string_view> Args(std::initializer_list<std::string_view> a) { return a; }

// Resets the applier count when a test ends.
struct Appliers {
  explicit Appliers(std::optional<std::size_t> n) { ReplayApplier::SetAppliersForTesting(n); }
  ~Appliers() { ReplayApplier::SetAppliersForTesting(std::nullopt); }
};

std::string Key(int i) { return "k" + std::to_string(i); }
constexpr int kKeys = 400;

// Writes a log of about 3500 records touching kKeys keys (every shard).
void Workload(KvStore& s, bool with_clear) {
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < kKeys; ++i) {
      const std::string k = Key(i), v = "v" + std::to_string(round) + "-" + std::to_string(i);
      switch ((i + round) % 8) {
        case 0:
          ASSERT_TRUE(s.set(k, v));
          break;
        case 1:
          ASSERT_TRUE(s.set_expiring(k, v, kFar + round));
          break;
        case 2:
          (void)s.remove(k);
          break;
        case 3:
          ASSERT_TRUE(s.set(k, v));
          (void)s.expire_at(k, kFar + i);
          break;
        case 4: {
          // A batch across shards: move k's value to its neighbour, as a
          // rename does.
          const std::string other = Key((i * 7 + 13) % kKeys);
          if (other == k) break;
          ASSERT_TRUE(s.update({k, other}, [&](Transaction& tx) {
            auto cur = tx.get(k);
            tx.set(other, cur ? std::string(*cur) : v);
            tx.remove(k);
          }));
          break;
        }
        default: {
          // Typed ops, on keys of their own.
          const std::string l = "list" + std::to_string(i % 50);
          const std::string h = "hash" + std::to_string(i % 30);
          ASSERT_TRUE(s.apply(l, OpCode::kListPush, Args({"R", v})));
          ASSERT_TRUE(s.apply(h, OpCode::kHashSet, Args({k, v})));
          break;
        }
      }
    }
    if (with_clear && round == 2) {
      ASSERT_TRUE(s.clear());
    }
  }
}

std::map<std::string, std::string> Dump(const KvStore& s) {
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(Key(i));
  for (int i = 0; i < 50; ++i) keys.push_back("list" + std::to_string(i));
  for (int i = 0; i < 30; ++i) keys.push_back("hash" + std::to_string(i));
  std::map<std::string, std::string> m;
  for (const auto& k : keys) {
    std::string text;
    if (auto v = s.get(k)) {
      text = "string:" + *v;
    } else {
      s.view(k, [&](const Object& o) { text = ObjectText(o); });
    }
    if (!text.empty()) m[k] = text + "@" + std::to_string(s.expire_time(k));
  }
  m["<size>"] = std::to_string(s.size());
  return m;
}

struct Opened {
  std::map<std::string, std::string> dump;
  RecoveryStats stats;
};

// No checkpoints: the records stay in the log for the next open.
Options NoCheckpoints() {
  Options o;
  o.sync = SyncMode::kNever;
  o.checkpoint.after_changes.clear();
  o.checkpoint.wal_bytes = 0;
  o.checkpoint.on_close = false;
  return o;
}

Opened OpenWith(std::optional<std::size_t> appliers, const std::string& wal, bool dir) {
  Appliers a(appliers);
  const Options o = NoCheckpoints();
  auto s = dir ? KvStore::open_dir(wal, o) : KvStore::open(wal, o);
  EXPECT_TRUE(s) << s.error().ToString();
  if (!s) return {};
  Opened out{Dump(*s), s->recovery_stats()};
  EXPECT_TRUE(s->close());
  return out;
}

void ExpectSameAsSequential(const std::string& wal, bool dir) {
  const Opened seq = OpenWith(0, wal, dir);
  EXPECT_GT(seq.stats.records_replayed, 3000u);
  for (std::size_t n : {1, 2, 3, 5}) {
    const Opened par = OpenWith(n, wal, dir);
    EXPECT_TRUE(par.dump == seq.dump) << n << " appliers: the state differs";
    EXPECT_EQ(par.stats.records_replayed, seq.stats.records_replayed) << n;
    EXPECT_EQ(par.stats.records_skipped, seq.stats.records_skipped) << n;
    EXPECT_EQ(par.stats.last_sequence, seq.stats.last_sequence) << n;
    EXPECT_EQ(par.stats.torn_tail, seq.stats.torn_tail) << n;
    EXPECT_EQ(par.stats.bytes_dropped, seq.stats.bytes_dropped) << n;
  }
}

// Copies a file (a store is reopened from a fresh copy each time, since an
// open may rewrite its log).
void Copy(const std::string& from, const std::string& to) {
  std::filesystem::copy(
      from, to,
      std::filesystem::copy_options::overwrite_existing | std::filesystem::copy_options::recursive);
}

TEST(ParallelReplayTest, SingleFileLogReplaysToTheSequentialState) {
  TempDir dir;
  const std::string wal = dir.File("wal");
  {
    auto s = KvStore::open(wal, NoCheckpoints()).value();
    Workload(s, /*with_clear=*/true);
    ASSERT_TRUE(s.close());
  }
  ExpectSameAsSequential(wal, false);
}

TEST(ParallelReplayTest, DataDirSegmentsReplayToTheSequentialState) {
  TempDir dir;
  const std::string d = dir.File("data");
  {
    auto s = KvStore::open_dir(d, NoCheckpoints()).value();
    Workload(s, /*with_clear=*/false);
    ASSERT_TRUE(s.close());
  }
  ExpectSameAsSequential(d, true);
}

TEST(ParallelReplayTest, TornTailReplaysToTheSequentialState) {
  TempDir dir;
  const std::string wal = dir.File("wal");
  {
    auto s = KvStore::open(wal, NoCheckpoints()).value();
    Workload(s, /*with_clear=*/true);
    ASSERT_TRUE(s.close());
  }
  // Cut the log inside its last records.
  const auto size = std::filesystem::file_size(wal);
  std::string bytes(size, '\0');
  {
    std::ifstream in(wal, std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(size));
  }
  const std::size_t end = bytes.find_last_not_of('\0');
  ASSERT_NE(end, std::string::npos);
  bytes.resize(end + 1 - 5);
  const std::string torn = dir.File("torn");
  std::ofstream(torn, std::ios::binary) << bytes;
  // Each open drops the torn record from its copy: open fresh copies.
  const std::string a = dir.File("a"), b = dir.File("b");
  Copy(torn, a);
  const Opened seq = OpenWith(0, a, false);
  EXPECT_TRUE(seq.stats.torn_tail);
  for (std::size_t n : {1, 2}) {
    Copy(torn, b);
    const Opened par = OpenWith(n, b, false);
    EXPECT_TRUE(par.dump == seq.dump) << n << " appliers";
    EXPECT_EQ(par.stats.records_replayed, seq.stats.records_replayed);
    EXPECT_TRUE(par.stats.torn_tail);
    EXPECT_EQ(par.stats.bytes_dropped, seq.stats.bytes_dropped);
  }
}

}  // namespace
}  // namespace kvstore::testing
