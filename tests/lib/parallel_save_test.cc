// Copyright (c) the kvstore developers.
//
// Snapshots encoded by several threads (snapshot::Write, RunOrdered): the
// file is the same, byte for byte, as one thread writes, follows the
// writer's pretty-printed grammar, loads to the store's content, and a save
// that fails partway leaves the previous snapshot.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/kvstore.h"
#include "object.h"
#include "ordered_chunks.h"
#include "snapshot.h"
#include "support/fault_injection_fs.h"
#include "support/object_text.h"
#include "support/store_model.h"
#include "support/temp_dir.h"

namespace kvstore::testing {
namespace {

using Fault = FaultInjectionFs::Fault;
constexpr int64_t kFar = int64_t{4} << 40;  // a deadline in 2109

std::vector<std::string_view> Args(std::initializer_list<std::string_view> a) { return a; }

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Resets the encoder count when a test ends.
struct Workers {
  explicit Workers(std::size_t n) { snapshot::SetEncodeWorkersForTesting(n); }
  ~Workers() { snapshot::SetEncodeWorkersForTesting(0); }
};

// Fills store with strings (some binary, some expiring), hashes, lists, sets
// and sorted sets (some expiring, scores with infinities), over every shard.
// Returns the keys written.
std::vector<std::string> Fill(KvStore& s, int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) {
    std::string k = "key-" + std::to_string(i);
    std::string v = "value-" + std::to_string(i * 7919);
    if (i % 11 == 0) v = std::string("\0\xff\xfe bin ", 9) + v;  // base64 form
    if (i % 13 == 0) k = std::string("\x01quote\"back\\slash\n", 18) + k;
    if (i % 5 == 0) {
      EXPECT_TRUE(s.set_expiring(k, v, kFar + i));
    } else {
      EXPECT_TRUE(s.set(k, v));
    }
    keys.push_back(k);
  }
  for (int i = 0; i < n / 20; ++i) {
    const std::string n_ = std::to_string(i);
    const std::string h = "hash-" + n_, l = "list-" + n_, st = "set-" + n_, z = "zset-" + n_;
    EXPECT_TRUE(s.apply(h, OpCode::kHashSet, Args({"f1", "v" + n_, "f2", "\xff"})));
    EXPECT_TRUE(s.apply(l, OpCode::kListPush, Args({"R", "a", n_, "c"})));
    EXPECT_TRUE(s.apply(st, OpCode::kSetAdd, Args({"m1", n_})));
    const std::string inf = EncodeScore(std::numeric_limits<double>::infinity());
    const std::string half = EncodeScore(i + 0.5);
    EXPECT_TRUE(s.apply(z, OpCode::kZSetAdd, Args({inf, "top", half, "mid"})));
    if (i % 3 == 0) {
      EXPECT_TRUE(s.expire_at(h, kFar + i).value());
      EXPECT_TRUE(s.expire_at(z, kFar).value());
    }
    keys.insert(keys.end(), {h, l, st, z});
  }
  return keys;
}

// Each key's type, content and deadline, as text.
std::map<std::string, std::string> Dump(const KvStore& s, const std::vector<std::string>& keys) {
  std::map<std::string, std::string> m;
  for (const auto& k : keys) {
    std::string text;
    if (auto v = s.get(k)) {
      text = "string:" + *v;
    } else {
      s.view(k, [&](const Object& o) { text = ObjectText(o); });
    }
    if (text.empty()) continue;
    m[k] = text + "@" + std::to_string(s.expire_time(k));
  }
  return m;
}

// Re-writes a snapshot's text through RapidJSON's DOM and PrettyWriter.
std::string Reprinted(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  EXPECT_FALSE(d.HasParseError());
  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
  w.SetIndent(' ', 2);
  d.Accept(w);
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

TEST(ParallelSaveTest, FileIsTheOneThreadsBytesAndLoadsToTheSameContent) {
  TempDir dir;
  Options o;
  o.sync = SyncMode::kNever;
  auto s = KvStore::open(dir.File("wal"), o).value();
  const std::vector<std::string> keys = Fill(s, 6000);
  const auto want = Dump(s, keys);
  ASSERT_EQ(want.size(), keys.size());

  std::string one;
  {
    Workers w(1);
    ASSERT_TRUE(s.save_to_file(dir.File("one.json")));
    one = ReadFileBytes(dir.File("one.json"));
  }
  EXPECT_EQ(Reprinted(one), one) << "the one-thread file is not PrettyWriter's text";
  for (std::size_t workers : {2, 3, 4}) {
    Workers w(workers);
    const std::string path = dir.File("par" + std::to_string(workers) + ".json");
    ASSERT_TRUE(s.save_to_file(path));
    const std::string par = ReadFileBytes(path);
    ASSERT_EQ(par.size(), one.size()) << workers << " threads";
    EXPECT_TRUE(par == one) << workers << " threads: the file differs from one thread's";
    EXPECT_EQ(Reprinted(par), par);
    auto loaded = KvStore::load_from_file(path, dir.File("load" + std::to_string(workers)), o);
    ASSERT_TRUE(loaded) << loaded.error().ToString();
    EXPECT_EQ(loaded->size(), keys.size());
    EXPECT_TRUE(Dump(*loaded, keys) == want) << workers << " threads: content differs";
  }
}

// A save encodes on up to min(cores, 4) threads; a checkpoint, which runs
// beside the writers, on half the cores (at least one: the calling thread).
TEST(ParallelSaveTest, CheckpointsEncodeOnHalfTheCoresAndSavesOnAll) {
  TempDir dir;
  Options o;
  o.sync = SyncMode::kNever;
  o.checkpoint.wal_bytes = 0;  // checkpoints only when asked
  o.checkpoint.after_changes.clear();
  o.checkpoint.on_close = false;
  auto s = KvStore::open_dir(dir.File("data"), o).value();
  for (int i = 0; i < 24000; ++i) ASSERT_TRUE(s.set("k" + std::to_string(i), "v"));
  std::mutex mu;
  std::set<std::thread::id> threads;
  snapshot::SetShardHookForTesting([&](std::size_t) {
    std::lock_guard l(mu);
    threads.insert(std::this_thread::get_id());
    // Slow enough that every encoder gets shards before the others finish.
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  });
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  ASSERT_TRUE(s.checkpoint());
  const std::size_t checkpoint_threads = threads.size();
  threads.clear();
  ASSERT_TRUE(s.save_to_file(dir.File("save.json")));
  const std::size_t save_threads = threads.size();
  snapshot::SetShardHookForTesting({});
  EXPECT_EQ(checkpoint_threads, std::clamp<std::size_t>(cores / 2, 1, 4)) << cores << " cores";
  EXPECT_EQ(save_threads, std::clamp<std::size_t>(cores, 1, 4)) << cores << " cores";
}

TEST(ParallelSaveTest, EmptyAndTinyMapsKeepTheirForm) {
  TempDir dir;
  for (int n : {0, 1, 2}) {
    std::string files[2];
    for (std::size_t workers : {1, 2}) {
      Workers w(workers);
      auto s = KvStore::open(dir.File("wal" + std::to_string(n) + std::to_string(workers))).value();
      for (int i = 0; i < n; ++i) ASSERT_TRUE(s.set("k" + std::to_string(i), "v"));
      const std::string path = dir.File("s" + std::to_string(workers) + ".json");
      ASSERT_TRUE(s.save_to_file(path));
      files[workers - 1] = ReadFileBytes(path);
      EXPECT_EQ(Reprinted(files[workers - 1]), files[workers - 1]) << n << " keys";
    }
    EXPECT_EQ(files[0], files[1]) << n << " keys";
  }
}

TEST(ParallelSaveTest, FailedWriteKeepsThePreviousSnapshot) {
  const std::string kDir = "/db", kWal = "/db/wal", kSnap = "/db/snap.json";
  for (std::size_t workers : {1, 2, 4}) {
    for (int nth : {1, 2, 3, 7, 40}) {
      Workers w(workers);
      auto fs = std::make_shared<FaultInjectionFs>();
      fs->CreateDir(kDir);
      auto s = KvStore::open(kWal, MakeOptions(fs, SyncMode::kNever)).value();
      const std::vector<std::string> keys = Fill(s, 3000);
      ASSERT_TRUE(s.save_to_file(kSnap));
      const auto before = fs->Contents(kSnap);
      ASSERT_TRUE(before);
      for (int i = 0; i < 3000; i += 2) ASSERT_TRUE(s.set(keys[i], "changed"));
      fs->InjectFault(Fault::At(OpKind::kAppend, nth, EIO).OnPath(kSnap + ".tmp"));
      auto r = s.save_to_file(kSnap);
      ASSERT_FALSE(r) << workers << " threads, append " << nth;
      EXPECT_EQ(r.error().code(), ErrorCode::kIoError);
      EXPECT_EQ(fs->Contents(kSnap), before) << workers << " threads, append " << nth;
      EXPECT_FALSE(fs->Exists(kSnap + ".tmp"));
      fs->ClearFaults();
      EXPECT_TRUE(s.save_to_file(kSnap)) << "the store saves again once the disk heals";
      EXPECT_NE(fs->Contents(kSnap), before);
    }
  }
}

// RunOrdered on its own: order, the memory bound and failures.

TEST(OrderedChunksTest, ChunksArriveInUnitOrderWithinTheBound) {
  constexpr std::size_t kUnits = 50, kChunk = 100, kMax = 1000;
  for (std::size_t workers : {1, 2, 3, 8}) {
    std::atomic<std::size_t> produced{0};
    std::size_t consumed = 0, worst = 0;
    std::string got;
    auto r = RunOrdered(
        kUnits, workers, kMax,
        [&](std::size_t, std::size_t unit, const EmitChunk& emit) -> Result<void> {
          for (std::size_t c = 0; c < unit % 7; ++c) {
            std::string chunk(kChunk, static_cast<char>('!' + unit));
            chunk[0] = static_cast<char>('0' + c);
            if (!emit(std::move(chunk))) return {};
            produced += kChunk;
          }
          return {};
        },
        [&](std::size_t unit, std::string_view chunk) -> Result<void> {
          EXPECT_EQ(chunk[1], static_cast<char>('!' + unit));
          got += std::string(1, chunk[0]) + chunk[1];
          consumed += chunk.size();
          worst = std::max(worst, produced.load() - std::min(consumed, produced.load()));
          return {};
        });
    ASSERT_TRUE(r);
    std::string want;
    for (std::size_t u = 0; u < kUnits; ++u) {
      for (std::size_t c = 0; c < u % 7; ++c) want += std::string(1, '0' + c) + char('!' + u);
    }
    EXPECT_EQ(got, want) << workers << " workers";
    // Queued text stays within the bound plus a chunk per worker.
    EXPECT_LE(worst, kMax + (workers + 1) * kChunk) << workers << " workers";
  }
}

TEST(OrderedChunksTest, AProducerErrorFailsTheRunAndStopsTheRest) {
  for (std::size_t workers : {1, 2, 4}) {
    std::atomic<int> started{0};
    std::size_t last_unit = 0;
    auto r = RunOrdered(
        1000, workers, 64,
        [&](std::size_t, std::size_t unit, const EmitChunk& emit) -> Result<void> {
          ++started;
          if (unit == 10) return Error(ErrorCode::kIoError, "unit 10 failed");
          for (int i = 0; i < 4; ++i) {
            if (!emit(std::string(32, 'x'))) return {};
          }
          return {};
        },
        [&](std::size_t unit, std::string_view) -> Result<void> {
          last_unit = unit;
          return {};
        });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "unit 10 failed");
    EXPECT_LT(last_unit, 10u);
    EXPECT_LT(started.load(), 1000) << "units kept starting after the failure";
  }
}

TEST(OrderedChunksTest, AConsumerErrorStopsTheProducers) {
  for (std::size_t workers : {1, 2, 4}) {
    std::atomic<int> started{0};
    int calls = 0;
    auto r = RunOrdered(
        1000, workers, 64,
        [&](std::size_t, std::size_t, const EmitChunk& emit) -> Result<void> {
          ++started;
          for (int i = 0; i < 4; ++i) {
            if (!emit(std::string(32, 'x'))) return {};
          }
          return {};
        },
        [&](std::size_t, std::string_view) -> Result<void> {
          if (++calls == 5) return Error(ErrorCode::kNoSpace, "disk full");
          return {};
        });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::kNoSpace);
    EXPECT_EQ(calls, 5);
    EXPECT_LT(started.load(), 1000);
  }
}

}  // namespace
}  // namespace kvstore::testing
