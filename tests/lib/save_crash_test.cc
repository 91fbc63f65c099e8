// Copyright (c) the kvstore developers.
//
// Power loss between every two filesystem steps of save_to_file (snapshot
// temp file, fsync, rename, directory fsync, WAL checkpoint). A save is
// replayed once to count its calls; then for every k the machine "stops"
// right after call k (FaultInjectionFs::FreezeAfter: every later call fails
// and changes nothing) and loses power. After each crash the store must
// reopen with every acknowledged (kAlways) write, the snapshot must be the old
// or the new one, and the next save must leave no temporary files behind.

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <optional>

#include "kvstore/kvstore.h"
#include "support/fault_injection_fs.h"
#include "support/store_model.h"

namespace kvstore::testing {
namespace {

using CrashMode = FaultInjectionFs::CrashMode;

const std::string kDir = "/db";
const std::string kWal = "/db/wal";
const std::string kSnap = "/db/snap.json";
const std::string kBinKey("bin\0\xff\n", 6);

std::vector<std::string> Keys() {
  std::vector<std::string> keys = {"a", "b", "c", "d", "after", kBinKey};
  for (int i = 0; i < 64; ++i) keys.push_back("h" + std::to_string(i));
  return keys;
}

struct Fixture {
  std::shared_ptr<FaultInjectionFs> fs;
  std::optional<KvStore> store;
  Model model;                         // every acknowledged write
  std::optional<std::string> old_snapshot;
};

// A store with acknowledged (kAlways) writes; with_old_snapshot: some of them
// are in a snapshot already, others only in the WAL.
Fixture Prepare(bool with_old_snapshot, SyncMode mode = SyncMode::kAlways) {
  Fixture f;
  f.fs = std::make_shared<FaultInjectionFs>(7);
  f.fs->CreateDir(kDir);
  f.fs->set_log_preallocation(4096);
  f.store.emplace(OpenStore(f.fs, kSnap, kWal, mode).value());
  auto set = [&](const std::string& k, const std::string& v) {
    f.store->set(k, v).value();
    f.model[k] = v;
  };
  set("a", "1");
  set("b", "2");
  set(kBinKey, std::string("x\0y", 3));
  if (with_old_snapshot) {
    f.store->save_to_file(kSnap).value();
    f.old_snapshot = f.fs->Contents(kSnap);
    set("c", "3");
    EXPECT_EQ(f.store->remove("a").value(), "1");
    f.model.erase("a");
  }
  set("d", "4");
  set("b", "22");
  if (mode != SyncMode::kAlways) f.store->sync().value();
  return f;
}

struct SaveCrashParam {
  bool with_old_snapshot;
  CrashMode crash;
};

class SaveCrashTest : public ::testing::TestWithParam<SaveCrashParam> {};

TEST_P(SaveCrashTest, PowerLossAfterEveryStepOfSaveLosesNoAcknowledgedWrite) {
  const auto param = GetParam();
  // Probe: count the calls one save makes, and keep the snapshot it writes.
  uint64_t calls;
  std::string new_snapshot;
  {
    Fixture f = Prepare(param.with_old_snapshot);
    f.fs->ResetCounters();
    f.fs->set_trace(true);
    ASSERT_TRUE(f.store->save_to_file(kSnap));
    calls = f.fs->count();
    new_snapshot = f.fs->Contents(kSnap).value();
    // A save is at least: open tmp, append, sync, close, rename, syncdir, and a
    // checkpoint (open, append, sync, rename, syncdir).
    ASSERT_GE(calls, 11u);
    ASSERT_GE(f.fs->count(OpKind::kSyncDir), 2u);
    ASSERT_GE(f.fs->count(OpKind::kRename), 2u);
  }
  int failures = 0;
  uint64_t crashes = 0;
  for (uint64_t k = 0; k <= calls && failures < 3; ++k, ++crashes) {
    SCOPED_TRACE("crash after call " + std::to_string(k) + " of " + std::to_string(calls));
    Fixture f = Prepare(param.with_old_snapshot);
    f.fs->ResetCounters();
    f.fs->FreezeAfter(k);
    auto saved = f.store->save_to_file(kSnap);
    if (k < calls) {
      // Call k+1 failed: the save must not report success.
      EXPECT_FALSE(saved) << "save returned success although call " << k + 1 << " failed";
      if (!saved) {
        EXPECT_EQ(saved.error().code(), ErrorCode::kIoError) << saved.error().message();
      }
    } else {
      EXPECT_TRUE(saved);
    }
    f.store.reset();  // its close fails too: the machine is stopped
    f.fs->SimulateCrash(param.crash);
    f.fs->ClearFaults();

    // The snapshot is the old or the new one, never a mix or a temp file.
    auto snap = f.fs->Contents(kSnap);
    if (f.old_snapshot) {
      ASSERT_TRUE(snap.has_value()) << "old snapshot lost";
      EXPECT_TRUE(*snap == *f.old_snapshot || *snap == new_snapshot) << *snap;
    } else if (snap) {
      EXPECT_EQ(*snap, new_snapshot);
    }
    if (k >= calls) {
      EXPECT_EQ(snap, new_snapshot) << "a completed save was not durable";
    }

    auto reopened = OpenStore(f.fs, kSnap, kWal, SyncMode::kAlways);
    ASSERT_TRUE(reopened) << reopened.error().ToString();
    Model got = ReadAll(*reopened, Keys());
    if (got != f.model) {
      ++failures;
      ADD_FAILURE() << "recovered " << Describe(got) << "\nexpected " << Describe(f.model);
    }
    // The next save works and leaves no temporary files behind.
    ASSERT_TRUE(reopened->set("after", "x"));
    ASSERT_TRUE(reopened->save_to_file(kSnap));
    EXPECT_EQ(f.fs->ListFiles(), (std::vector<std::string>{kSnap, kWal}));
    ASSERT_TRUE(reopened->close());
    reopened = OpenStore(f.fs, kSnap, kWal, SyncMode::kAlways);
    ASSERT_TRUE(reopened) << reopened.error().ToString();
    Model want = f.model;
    want["after"] = "x";
    EXPECT_EQ(ReadAll(*reopened, Keys()), want);
    // The checkpoint left nothing to replay.
    EXPECT_EQ(reopened->recovery_stats().records_replayed, 0u);
    EXPECT_EQ(reopened->recovery_stats().records_skipped, 0u);
  }
  EXPECT_EQ(crashes, calls + 1);
  std::printf("[   INFO   ] %llu crash points\n", static_cast<unsigned long long>(crashes));
}

INSTANTIATE_TEST_SUITE_P(
    AllCrashPoints, SaveCrashTest,
    ::testing::Values(SaveCrashParam{false, CrashMode::kDropUnsynced},
                      SaveCrashParam{false, CrashMode::kTornTail},
                      SaveCrashParam{true, CrashMode::kDropUnsynced},
                      SaveCrashParam{true, CrashMode::kTornTail}),
    [](const auto& info) {
      return std::string(info.param.with_old_snapshot ? "ReplaceSnapshot" : "FirstSnapshot") +
             (info.param.crash == CrashMode::kTornTail ? "TornTail" : "DropUnsynced");
    });

TEST(SaveCheckpointTest, RecordsCoveredBySnapshotLeaveTheWal) {
  auto fs = std::make_shared<FaultInjectionFs>();
  fs->CreateDir(kDir);
  {
    auto store = KvStore::open(kWal, MakeOptions(fs, SyncMode::kAlways)).value();
    for (int i = 0; i < 10; ++i) store.set("h" + std::to_string(i), "v").value();
    const auto wal_before = fs->Contents(kWal)->size();
    store.save_to_file(kSnap).value();
    // Only the 32-byte header is left (the LogFile may still hold zeros).
    std::string wal = fs->Contents(kWal).value();
    EXPECT_LT(wal.find_last_not_of('\0') + 1, wal_before);
    EXPECT_EQ(wal.find_last_not_of('\0') + 1 <= 32, true) << "WAL still holds records";
    store.set("h10", "v").value();
    store.set("h11", "v").value();
  }
  auto store = KvStore::load_from_file(kSnap, kWal, MakeOptions(fs, SyncMode::kAlways)).value();
  EXPECT_EQ(store.size(), 12u);
  EXPECT_EQ(store.recovery_stats().snapshot_keys, 10u);
  EXPECT_EQ(store.recovery_stats().snapshot_sequence, 10u);
  EXPECT_EQ(store.recovery_stats().records_skipped, 0u);
  EXPECT_EQ(store.recovery_stats().records_replayed, 2u);
  EXPECT_EQ(fs->ListFiles(), (std::vector<std::string>{kSnap, kWal}));
}

// Writers that run during a save (here: from the FS hook, at several points
// of the snapshot write and of the first, unlocked checkpoint phase) and are
// acknowledged in kAlways survive a power loss at every later step.
TEST(SaveConcurrentCrashTest, PowerLossDuringSaveWithConcurrentWritesLosesNoAcknowledgedWrite) {
  struct Run {
    uint64_t calls = 0;
    Model acked;
    std::vector<std::string> failed;  // in flight at the crash: may be either
  };
  auto run = [](Fixture& f, std::optional<uint64_t> freeze, Run* out) {
    int next = 0;
    bool in_hook = false;
    int tmp_appends = 0, wal_new_syncs = 0;
    KvStore* store = &*f.store;
    f.fs->set_hook([&](OpKind kind, const std::string& path) {
      if (in_hook) return;
      bool write = false;
      if (kind == OpKind::kAppend && path == kSnap + ".tmp") write = ++tmp_appends % 24 == 1;
      if (kind == OpKind::kOpen && path == kWal + ".new") write = true;
      if (kind == OpKind::kSync && path == kWal + ".new") write = ++wal_new_syncs == 1;
      if (!write) return;
      in_hook = true;
      for (int i = 0; i < 2; ++i) {
        const std::string key = "h" + std::to_string(next++);
        if (store->set(key, "w")) {
          out->acked[key] = "w";
        } else {
          out->failed.push_back(key);
        }
      }
      in_hook = false;
    });
    f.fs->ResetCounters();
    if (freeze) f.fs->FreezeAfter(*freeze);
    auto saved = store->save_to_file(kSnap);
    out->calls = f.fs->count();
    f.fs->set_hook(nullptr);
    return saved;
  };
  Run probe;
  {
    Fixture f = Prepare(true);
    ASSERT_TRUE(run(f, std::nullopt, &probe));
    ASSERT_GE(probe.acked.size(), 8u) << "the hook did not write during the save";
  }
  for (CrashMode mode : {CrashMode::kDropUnsynced, CrashMode::kTornTail}) {
    for (uint64_t k = 0; k <= probe.calls; ++k) {
      SCOPED_TRACE("crash after call " + std::to_string(k));
      Fixture f = Prepare(true);
      Run r;
      (void)run(f, k, &r);
      f.store.reset();
      f.fs->SimulateCrash(mode);
      f.fs->ClearFaults();
      auto reopened = OpenStore(f.fs, kSnap, kWal, SyncMode::kAlways);
      ASSERT_TRUE(reopened) << reopened.error().ToString();
      Model got = ReadAll(*reopened, Keys());
      for (const auto& key : r.failed) got.erase(key);  // either way is fine
      Model want = f.model;
      want.insert(r.acked.begin(), r.acked.end());
      ASSERT_EQ(got, want) << "recovered " << Describe(got) << "\nexpected " << Describe(want);
    }
  }
}

// kNever: writes acknowledged during a save are not durable yet, and a power
// loss may drop them, but it must drop a suffix: the store may not come back
// with a later write and without an earlier one (Redis' everysec/no modes keep
// a prefix too). The crash point is right after the snapshot's directory sync,
// before the checkpoint has synced the log.
TEST(SaveConcurrentCrashTest, PowerLossAfterSnapshotRenameKeepsAPrefixOfWritesInNeverMode) {
  for (SyncMode mode : {SyncMode::kNever, SyncMode::kEverySecond}) {
    SCOPED_TRACE(ModeName(mode));
    std::vector<std::string> order;  // acknowledged writes, in order
    Fixture f = Prepare(true, mode);
    int tmp_appends = 0;
    bool in_hook = false;
    KvStore* store = &*f.store;
    f.fs->set_hook([&](OpKind kind, const std::string& path) {
      // Halfway through the snapshot (after shard ~48 of 96 is written).
      if (in_hook || kind != OpKind::kAppend || path != kSnap + ".tmp" || ++tmp_appends != 48) {
        return;
      }
      in_hook = true;
      for (int i = 0; i < 40; ++i) {
        const std::string key = "h" + std::to_string(i);
        ASSERT_TRUE(store->set(key, "w"));
        order.push_back(key);
      }
      in_hook = false;
    });
    // Stop the machine right after the snapshot's directory sync.
    f.fs->set_trace(true);
    f.fs->ResetCounters();
    uint64_t freeze = 0;
    {
      Fixture probe = Prepare(true, mode);
      int probe_appends = 0;
      bool probe_in_hook = false;
      KvStore* ps = &*probe.store;
      probe.fs->set_hook([&](OpKind kind, const std::string& path) {
        if (probe_in_hook || kind != OpKind::kAppend || path != kSnap + ".tmp" ||
            ++probe_appends != 48) {
          return;
        }
        probe_in_hook = true;
        for (int i = 0; i < 40; ++i) (void)ps->set("h" + std::to_string(i), "w");
        probe_in_hook = false;
      });
      probe.fs->set_trace(true);
      probe.fs->ResetCounters();
      ASSERT_TRUE(probe.store->save_to_file(kSnap));
      auto trace = probe.fs->Trace();
      for (std::size_t i = 0; i < trace.size(); ++i) {
        if (trace[i].kind == OpKind::kSyncDir) {
          freeze = i + 1;
          break;
        }
      }
      ASSERT_GT(freeze, 0u);
      probe.fs->set_hook(nullptr);
    }
    f.fs->FreezeAfter(freeze);
    EXPECT_FALSE(store->save_to_file(kSnap));
    f.fs->set_hook(nullptr);
    ASSERT_EQ(order.size(), 40u);
    f.store.reset();
    f.fs->SimulateCrash(CrashMode::kDropUnsynced);
    f.fs->ClearFaults();
    auto reopened = OpenStore(f.fs, kSnap, kWal, mode);
    ASSERT_TRUE(reopened) << reopened.error().ToString();
    // The recovered h-keys must be h0..h(j-1) for some j.
    std::string present;
    std::size_t j = 0;
    while (j < order.size() && reopened->get(order[j])) ++j;
    bool prefix = true;
    for (std::size_t i = 0; i < order.size(); ++i) {
      const bool has = reopened->get(order[i]).has_value();
      present += has ? '1' : '0';
      if (i >= j && has) prefix = false;
    }
    EXPECT_TRUE(prefix) << "recovered writes h0..h39 (1 = present): " << present
                        << "\nA later write survived while an earlier one was lost.";
    // Writes acknowledged before the save were synced: they must all be there.
    Model got = ReadAll(*reopened, Keys());
    for (const auto& k : order) got.erase(k);
    EXPECT_EQ(got, f.model);
  }
}

// The checkpoint renames the new log over the old one and then syncs the
// directory. If the process dies between the two (kill -9, or the directory
// sync fails and the application restarts the store as the error tells it
// to), the new log's name is not durable yet. The reopened store must make it
// durable before it acknowledges writes, or a power loss brings back the old
// log and loses writes that were fsync'ed and acknowledged in kAlways.
TEST(SaveCheckpointTest, WritesAfterRestartFollowingUnsyncedCheckpointRenameSurvivePowerLoss) {
  Fixture f = Prepare(true);
  // Find the checkpoint's final directory sync.
  uint64_t last_syncdir = 0;
  {
    Fixture probe = Prepare(true);
    probe.fs->set_trace(true);
    probe.fs->ResetCounters();
    ASSERT_TRUE(probe.store->save_to_file(kSnap));
    auto trace = probe.fs->Trace();
    for (std::size_t i = 0; i < trace.size(); ++i) {
      if (trace[i].kind == OpKind::kSyncDir) last_syncdir = i;
    }
    ASSERT_EQ(trace[last_syncdir - 1].kind, OpKind::kRename);
  }
  f.fs->ResetCounters();
  f.fs->FreezeAfter(last_syncdir);  // the rename happens, its directory sync fails
  ASSERT_FALSE(f.store->save_to_file(kSnap));
  f.fs->SimulateProcessCrash();
  f.store.reset();
  f.fs->ClearFaults();

  auto store = OpenStore(f.fs, kSnap, kWal, SyncMode::kAlways);
  ASSERT_TRUE(store) << store.error().ToString();
  ASSERT_EQ(ReadAll(*store, Keys()), f.model);
  ASSERT_TRUE(store->set("after", "acknowledged"));  // fsync'ed before it returned
  f.fs->SimulateCrash(CrashMode::kDropUnsynced);
  store = OpenStore(f.fs, kSnap, kWal, SyncMode::kAlways);
  ASSERT_TRUE(store) << store.error().ToString();
  EXPECT_EQ(store->get("after"), "acknowledged")
      << "an acknowledged kAlways write was lost: the reopened store wrote to a log whose "
         "directory entry was never made durable";
  Model want = f.model;
  want["after"] = "acknowledged";
  EXPECT_EQ(ReadAll(*store, Keys()), want);
}

}  // namespace
}  // namespace kvstore::testing
