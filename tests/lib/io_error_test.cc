// Copyright (c) the kvstore developers.
//
// An I/O error at every filesystem call of open, load, set, remove, clear and
// save, in every SyncMode, for EIO (one-shot), ENOSPC with a partial append
// (one-shot) and ENOSPC that persists (a full disk). For each call N:
//   * the failing operation returns an Error with the right code (kNoSpace
//     for ENOSPC, kIoError for EIO) naming the file; nothing aborts;
//   * the live store shows acknowledged writes and nothing that was never
//     attempted; after a failed WAL sync it refuses every later write;
//   * after the disk heals and the machine crashes (power loss for kAlways,
//     kill -9 otherwise: those modes promise only that), a reopen succeeds
//     and recovers every acknowledged write and nothing never written.

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <variant>

#include "kvstore/kvstore.h"
#include "support/fault_injection_fs.h"
#include "support/store_model.h"

namespace kvstore::testing {
namespace {

using Fault = FaultInjectionFs::Fault;

const std::string kDir = "/db";
const std::string kWal = "/db/wal";
const std::string kSnap = "/db/snap.json";

std::vector<std::string> Keys() {
  return {"k0", "k1", "k2", "k3", "k4", "k5", "x0", "x1", "post"};
}

struct Op {
  enum Type { kSet, kRemove, kClear, kSave } type;
  std::string key;
  std::string value;
};

void Apply(const Op& op, Model* m) {
  switch (op.type) {
    case Op::kSet:
      (*m)[op.key] = op.value;
      break;
    case Op::kRemove:
      m->erase(op.key);
      break;
    case Op::kClear:
      m->clear();
      break;
    case Op::kSave:
      break;
  }
}

struct Done {
  Op op;
  bool acked;
};

// True if `got` is the result of applying every acknowledged op and any
// subset of the failed ones, in order, to `base`.
bool Consistent(const Model& base, const std::vector<Done>& done, const Model& got) {
  std::vector<std::size_t> failed;
  for (std::size_t i = 0; i < done.size(); ++i) {
    if (!done[i].acked && done[i].op.type != Op::kSave) failed.push_back(i);
  }
  if (failed.size() > 12) failed.resize(12);  // (never reached by these tests)
  for (uint32_t mask = 0; mask < (1u << failed.size()); ++mask) {
    Model m = base;
    for (std::size_t i = 0, f = 0; i < done.size(); ++i) {
      bool apply = done[i].acked;
      if (f < failed.size() && failed[f] == i) apply = (mask >> f++) & 1;
      if (apply) Apply(done[i].op, &m);
    }
    if (m == got) return true;
  }
  return false;
}

std::string DescribeOps(const std::vector<Done>& done) {
  std::string s;
  const char* names[] = {"set", "remove", "clear", "save"};
  for (const auto& d : done) {
    s += std::string(names[d.op.type]) + "(" + d.op.key + ")" + (d.acked ? "ok " : "FAILED ");
  }
  return s;
}

enum class Action { kOpenReplay, kLoad, kSet, kRemove, kClear, kSave };

struct Variant {
  const char* name;
  int err;
  bool persistent;
  std::optional<std::size_t> partial;
};

const Variant kVariants[] = {
    {"EIO", EIO, false, std::nullopt},
    {"ENOSPC-partial", ENOSPC, false, std::size_t{12}},
    {"ENOSPC-disk-stays-full", ENOSPC, true, std::size_t{20}},
};

std::vector<Op> OpsFor(Action a) {
  switch (a) {
    case Action::kOpenReplay:
    case Action::kLoad:
      return {};
    case Action::kSet:
      return {{Op::kSet, "x0", "a"}, {Op::kSet, "k0", "b"}, {Op::kSet, "x1", "c"}};
    case Action::kRemove:
      return {{Op::kRemove, "k0", ""}, {Op::kRemove, "k2", ""}, {Op::kRemove, "k3", ""}};
    case Action::kClear:
      return {{Op::kClear, "", ""}, {Op::kSet, "x0", "a"}, {Op::kClear, "", ""}};
    case Action::kSave:
      return {{Op::kSave, "", ""}, {Op::kSet, "x0", "a"}, {Op::kSave, "", ""}};
  }
  return {};
}

// A durable starting point: k0..k5 written in kAlways, k1 removed; with a
// snapshot, k0..k4 are in it and the rest only in the WAL.
Model MakeBaseline(const std::shared_ptr<FaultInjectionFs>& fs, bool with_snapshot) {
  Model m;
  auto store = KvStore::open(kWal, MakeOptions(fs, SyncMode::kAlways)).value();
  for (int i = 0; i < 5; ++i) {
    store.set("k" + std::to_string(i), "v" + std::to_string(i)).value();
    m["k" + std::to_string(i)] = "v" + std::to_string(i);
  }
  if (with_snapshot) store.save_to_file(kSnap).value();
  store.set("k5", "v5").value();
  m["k5"] = "v5";
  (void)store.remove("k1").value();
  m.erase("k1");
  store.close().value();
  return m;
}

ErrorCode CodeFor(int err) { return err == ENOSPC ? ErrorCode::kNoSpace : ErrorCode::kIoError; }

// Runs one action with the fault at call n. Returns false once call n lies
// beyond the calls the action makes (no fault fired). Adds failures to the
// current test.
bool RunOne(Action action, SyncMode mode, const Variant& variant, uint64_t n) {
  auto fs = std::make_shared<FaultInjectionFs>(n * 31 + 7);
  fs->CreateDir(kDir);
  fs->set_log_preallocation(4096);
  const bool with_snapshot = action != Action::kOpenReplay;
  const Model base = MakeBaseline(fs, with_snapshot);
  const ErrorCode want_code = CodeFor(variant.err);

  Fault fault = Fault::At(OpKind::kAny, n, variant.err);
  fault.persistent = variant.persistent;
  fault.partial_bytes = variant.partial;
  auto check_error = [&](const Error& e, const std::string& what) {
    EXPECT_EQ(e.code(), want_code) << what << ": " << e.ToString();
    // Names the file or directory (all of them are /db or in it).
    EXPECT_NE(e.message().find("'" + kDir), std::string::npos)
        << what << ": message does not name the file: " << e.message();
  };

  std::optional<KvStore> store;
  if (action == Action::kOpenReplay || action == Action::kLoad) {
    fs->ResetCounters();
    fs->InjectFault(fault);
    auto r = OpenStore(fs, kSnap, kWal, mode);
    if (r) {
      store.emplace(std::move(*r));
    } else {
      EXPECT_GT(fs->injected_failures(), 0u) << "open failed without an injected fault";
      check_error(r.error(), "open");
    }
  } else {
    store.emplace(OpenStore(fs, kSnap, kWal, mode).value());
    fs->ResetCounters();
    fs->InjectFault(fault);
  }

  std::vector<Done> done;
  if (store) {
    for (const Op& op : OpsFor(action)) {
      Result<void> r;
      switch (op.type) {
        case Op::kSet:
          r = store->set(op.key, op.value);
          break;
        case Op::kRemove: {
          auto removed = store->remove(op.key);
          if (!removed) r = std::move(removed).error();
          break;
        }
        case Op::kClear:
          r = store->clear();
          break;
        case Op::kSave:
          r = store->save_to_file(kSnap);
          break;
      }
      if (!r) check_error(r.error(), "operation");
      done.push_back({op, r.has_value()});
    }
  }
  const bool fired = fs->injected_failures() > 0;
  const auto first = fs->first_injected_failure();
  fs->ClearFaults();  // the disk heals

  if (store) {
    // What a reader sees now: acknowledged writes, nothing never attempted.
    Model live = ReadAll(*store, Keys());
    EXPECT_TRUE(Consistent(base, done, live))
        << "live store " << Describe(live) << " after " << DescribeOps(done);
    // A failed WAL sync is sticky: the store refuses every later write.
    auto post = store->set("post", "1");
    const bool wal_sync_failed = first && first->kind == OpKind::kSync && first->path == kWal;
    if (wal_sync_failed) {
      EXPECT_FALSE(post) << "write accepted after a failed WAL sync";
      EXPECT_FALSE(store->clear()) << "clear accepted after a failed WAL sync";
    }
    if (!post) {
      EXPECT_TRUE(post.error().code() == want_code || post.error().code() == ErrorCode::kClosed)
          << post.error().ToString();
    }
    done.push_back({{Op::kSet, "post", "1"}, post.has_value()});
  }

  // Crash: power loss where the mode promises to survive it, else kill -9.
  if (mode == SyncMode::kAlways) {
    fs->SimulateCrash(FaultInjectionFs::CrashMode::kTornTail);
  } else {
    fs->SimulateProcessCrash();
  }
  store.reset();

  auto reopened = OpenStore(fs, kSnap, kWal, SyncMode::kAlways);
  if (!reopened) {
    ADD_FAILURE() << "reopen after the crash failed: " << reopened.error().ToString()
                  << "\nops: " << DescribeOps(done);
    return fired;
  }
  Model got = ReadAll(*reopened, Keys());
  EXPECT_TRUE(Consistent(base, done, got))
      << "recovered " << Describe(got) << "\nbaseline " << Describe(base)
      << "\nops: " << DescribeOps(done);
  // And the recovered store takes writes again.
  EXPECT_TRUE(reopened->set("x1", "again"));
  return fired;
}

struct IoErrorParam {
  Action action;
  SyncMode mode;
};

class IoErrorTest : public ::testing::TestWithParam<IoErrorParam> {};

TEST_P(IoErrorTest, FailureAtEveryCallIsReportedAndLosesNoAcknowledgedWrite) {
  const auto p = GetParam();
  uint64_t total = 0;
  for (const Variant& v : kVariants) {
    uint64_t n = 1;
    for (; n < 1000; ++n) {
      SCOPED_TRACE(std::string(v.name) + " at call " + std::to_string(n));
      const int before = ::testing::UnitTest::GetInstance()->current_test_info()->result()
                             ->total_part_count();
      const bool fired = RunOne(p.action, p.mode, v, n);
      const int after = ::testing::UnitTest::GetInstance()->current_test_info()->result()
                            ->total_part_count();
      if (after != before) return;  // report the first failing call only
      if (!fired) break;
    }
    EXPECT_GT(n, 1u) << "the action made no filesystem call";
    total += n;
  }
  std::printf("[   INFO   ] %llu fault points\n", static_cast<unsigned long long>(total));
}

std::string ActionName(Action a) {
  switch (a) {
    case Action::kOpenReplay:
      return "OpenReplay";
    case Action::kLoad:
      return "LoadFromFile";
    case Action::kSet:
      return "Set";
    case Action::kRemove:
      return "Remove";
    case Action::kClear:
      return "Clear";
    case Action::kSave:
      return "SaveToFile";
  }
  return "?";
}

std::vector<IoErrorParam> AllParams() {
  std::vector<IoErrorParam> out;
  for (Action a : {Action::kOpenReplay, Action::kLoad, Action::kSet, Action::kRemove,
                   Action::kClear, Action::kSave}) {
    for (SyncMode m : {SyncMode::kAlways, SyncMode::kEverySecond, SyncMode::kNever}) {
      out.push_back({a, m});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryCall, IoErrorTest, ::testing::ValuesIn(AllParams()),
                         [](const auto& info) {
                           return ActionName(info.param.action) +
                                  std::string(ModeName(info.param.mode)).substr(1);
                         });

// Specific cases whose failure is easy to misread in the loops above.

TEST(IoErrorStickyTest, FailedWalSyncInAlwaysModeRefusesAllLaterWrites) {
  auto fs = std::make_shared<FaultInjectionFs>();
  fs->CreateDir(kDir);
  auto store = KvStore::open(kWal, MakeOptions(fs, SyncMode::kAlways)).value();
  ASSERT_TRUE(store.set("k0", "v"));
  fs->InjectFault(Fault::At(OpKind::kSync, 1, EIO).OnPath(kWal));
  auto r = store.set("k1", "v");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kIoError);
  fs->ClearFaults();
  auto again = store.set("k2", "v");
  ASSERT_FALSE(again) << "write accepted after a failed fdatasync";
  EXPECT_EQ(again.error().code(), ErrorCode::kIoError);
  EXPECT_NE(again.error().message().find("/db/wal"), std::string::npos);
  EXPECT_FALSE(store.remove("k0"));
  EXPECT_FALSE(store.clear());
  EXPECT_FALSE(store.sync());
  EXPECT_EQ(store.get("k0"), "v");  // reads keep working
}

TEST(IoErrorStickyTest, FailedExplicitSyncInNeverModeRefusesAllLaterWrites) {
  auto fs = std::make_shared<FaultInjectionFs>();
  fs->CreateDir(kDir);
  auto store = KvStore::open(kWal, MakeOptions(fs, SyncMode::kNever)).value();
  ASSERT_TRUE(store.set("k0", "v"));
  fs->InjectFault(Fault::At(OpKind::kSync, 1, ENOSPC).OnPath(kWal));
  auto r = store.sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNoSpace);
  fs->ClearFaults();
  auto again = store.set("k1", "v");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kNoSpace);
}

TEST(IoErrorOpenTest, MissingParentDirectoryIsAnErrorNotACrash) {
  auto fs = std::make_shared<FaultInjectionFs>();
  auto r = KvStore::open("/nodir/wal", MakeOptions(fs, SyncMode::kAlways));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kIoError);
  EXPECT_NE(r.error().message().find("/nodir/wal"), std::string::npos) << r.error().message();
}

TEST(IoErrorOpenTest, DiskFullWhileCreatingTheWalIsNoSpace) {
  auto fs = std::make_shared<FaultInjectionFs>();
  fs->CreateDir(kDir);
  fs->InjectFault(Fault::At(OpKind::kAppend, 1, ENOSPC).Persistent());
  auto r = KvStore::open(kWal, MakeOptions(fs, SyncMode::kAlways));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNoSpace);
  fs->ClearFaults();
  EXPECT_TRUE(KvStore::open(kWal, MakeOptions(fs, SyncMode::kAlways)));
  EXPECT_EQ(fs->ListFiles(), std::vector<std::string>{kWal});  // no leftover .new
}

TEST(IoErrorSaveTest, FailedSaveLeavesNoTempFileAndStoreKeepsWorking) {
  auto fs = std::make_shared<FaultInjectionFs>();
  fs->CreateDir(kDir);
  auto store = KvStore::open(kWal, MakeOptions(fs, SyncMode::kAlways)).value();
  ASSERT_TRUE(store.set("k0", "v"));
  fs->InjectFault(Fault::At(OpKind::kAppend, 5, ENOSPC).OnPath(kSnap + ".tmp"));
  auto r = store.save_to_file(kSnap);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNoSpace);
  EXPECT_NE(r.error().message().find(kSnap + ".tmp"), std::string::npos) << r.error().message();
  EXPECT_EQ(fs->ListFiles(), std::vector<std::string>{kWal});
  fs->ClearFaults();
  EXPECT_TRUE(store.set("k1", "v"));
  EXPECT_TRUE(store.save_to_file(kSnap));
}

}  // namespace
}  // namespace kvstore::testing
