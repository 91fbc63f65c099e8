// Copyright (c) the kvstore developers.
//
// A checkpoint holds a shard's lock only while it copies the shard's entries,
// not while it encodes them as JSON: writers of a shard the checkpoint is
// serialising go on, and the snapshot still holds each shard as it was when
// copied (docs/DESIGN.md, "Snapshots and the checkpoint protocol").

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data_dir.h"
#include "kvstore/kvstore.h"
#include "shard_map.h"
#include "snapshot.h"
#include "support/temp_dir.h"

namespace kvstore {
namespace {

using std::chrono::seconds;

// Long enough for a loaded machine; a hang is a failure, never a stuck test.
constexpr seconds kWait{30};
// The gate opens by itself only after this, so that a writer stuck behind
// it times out first.
constexpr seconds kGateTimeout = 2 * kWait;

// A key in each shard: keys[i] hashes to shard i.
std::vector<std::string> KeyPerShard() {
  auto map = std::make_unique<ShardMap>();
  std::vector<std::string> keys(ShardMap::kShards);
  std::size_t found = 0;
  for (int n = 0; found < keys.size(); ++n) {
    std::string k = "key-" + std::to_string(n);
    const auto i = static_cast<std::size_t>(&map->ShardFor(ShardMap::HashKey(k)) - &map->shard(0));
    if (keys[i].empty()) {
      keys[i] = std::move(k);
      ++found;
    }
  }
  return keys;
}

// Stops the saving thread at one shard, after the shard was copied, until
// released (or kWait passes).
class ShardGate {
 public:
  explicit ShardGate(std::size_t shard) : shard_(shard) {
    snapshot::SetShardHookForTesting([this](std::size_t i) {
      if (i != shard_) return;
      std::unique_lock<std::mutex> l(mu_);
      reached_ = true;
      cv_.notify_all();
      cv_.wait_for(l, kGateTimeout, [this] { return released_; });
    });
  }
  ~ShardGate() {
    Release();
    snapshot::SetShardHookForTesting({});
  }
  bool WaitReached() {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, kWait, [this] { return reached_; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  const std::size_t shard_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool reached_ = false;
  bool released_ = false;
};

std::string SnapshotPath(const std::string& dir) {
  std::string found;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (datadir::ParseSnapshotName(name)) found = e.path().string();
  }
  return found;
}

TEST(CheckpointLockingTest, WritersOfEveryShardProceedWhileAShardIsEncoded) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("data");
  const std::vector<std::string> keys = KeyPerShard();
  constexpr std::size_t kHeld = 50;           // the shard the checkpoint stops at
  const int64_t deadline = int64_t{4} << 40;  // year 2109

  Options o;
  o.sync = SyncMode::kNever;
  o.checkpoint.after_changes.clear();  // only the checkpoint() below
  o.checkpoint.wal_bytes = 0;
  {
    auto store = KvStore::open_dir(dir, o);
    ASSERT_TRUE(store) << store.error().ToString();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      // Some keys carry a deadline, to check "expires" across the copy.
      auto r = i % 3 == 0 ? store->set_expiring(keys[i], "before", deadline)
                          : store->set(keys[i], "before");
      ASSERT_TRUE(r) << r.error().ToString();
    }

    ShardGate gate(kHeld);
    auto checkpoint = std::async(std::launch::async, [&] { return store->checkpoint(); });
    ASSERT_TRUE(gate.WaitReached()) << "the checkpoint never reached shard " << kHeld;

    // The checkpoint is now between copying shard kHeld and encoding it. A
    // shard lock held across the encoding would block this writer at shard
    // kHeld until the gate opens.
    auto writer = std::async(std::launch::async, [&] {
      for (const std::string& k : keys) {
        if (auto r = store->set(k, "after"); !r) return r;
      }
      return Result<void>();
    });
    const bool done = writer.wait_for(kWait) == std::future_status::ready;
    gate.Release();  // so that a failure below cannot leave the checkpoint stuck
    ASSERT_TRUE(done) << "a write waited for the checkpoint's encoding of shard " << kHeld;
    auto w = writer.get();
    ASSERT_TRUE(w) << w.error().ToString();
    auto c = checkpoint.get();
    ASSERT_TRUE(c) << c.error().ToString();

    // Each shard is in the snapshot as it was copied: shards up to kHeld
    // before the writes, the later ones after them.
    ShardMap snap;
    auto loaded = snapshot::Load(*FileSystem::Default(), SnapshotPath(dir), &snap);
    ASSERT_TRUE(loaded) << loaded.error().ToString();
    EXPECT_EQ(loaded->keys, keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const bool copied_before = i <= kHeld;
      const std::string value = copied_before ? "before" : "after";
      EXPECT_EQ(snap.Get(keys[i]), value) << "shard " << i;
      // set() clears a deadline: only the shards copied before the writes keep theirs.
      const int64_t want = copied_before && i % 3 == 0 ? deadline : kNoExpiry;
      EXPECT_EQ(snap.ExpireTime(keys[i]), want) << "shard " << i;
    }
    ASSERT_TRUE(store->close());
  }
  // The WAL after the snapshot's sequence brings every shard up to date.
  auto reopened = KvStore::open_dir(dir, o);
  ASSERT_TRUE(reopened) << reopened.error().ToString();
  for (const std::string& k : keys) {
    EXPECT_EQ(reopened->get(k), "after") << k;
    EXPECT_EQ(reopened->expire_time(k), kNoExpiry) << k;
  }
}

}  // namespace
}  // namespace kvstore
