// Copyright (c) the kvstore developers.
//
// Online backup and restore (include/kvstore/backup.h, docs/BACKUP.md).
//
// The central proof: writer threads log every write with the sequence
// number the store gave it; a backup is taken while they run (and while
// checkpoints run, forced or automatic); the backup is restored and opened.
// Its state must equal the replay of exactly the logged writes numbered up
// to BackupInfo::sequence (so: a prefix of the acknowledged writes, nothing
// never written), and every write acknowledged before the backup began must
// be numbered at or below it. Both ways of backing up are checked: from the
// store itself (KvStore::backup, an exact cut) and from outside the process
// that holds the directory (BackupDataDir, the lock-free protocol the CLI uses).

#include "kvstore/backup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/kvstore.h"
#include "support/fault_injection_fs.h"
#include "support/temp_dir.h"
#include "support/test_scale.h"

namespace kvstore {
namespace {

using testing::FaultInjectionFs;
using testing::OpKind;
using testing::TempDir;

// One logged write.
struct Op {
  uint64_t seq;
  std::string key;
  std::optional<std::string> value;  // nullopt: remove
};

Options Quiet() {
  Options o;
  o.sync = SyncMode::kNever;
  o.log_level = LogLevel::kOff;
  o.checkpoint.after_changes.clear();
  o.checkpoint.wal_bytes = 128 << 10;  // automatic checkpoints every 128 KiB
  o.checkpoint.on_close = false;
  return o;
}

std::map<std::string, std::string> Contents(const KvStore& store) {
  std::map<std::string, std::string> m;
  uint64_t cursor = 0;
  do {
    cursor = store.scan(cursor, 1000, [&](std::string_view k, std::string_view v) {
      m.emplace(std::string(k), std::string(v));
    });
  } while (cursor != 0);
  return m;
}

// Writers that set and remove their own keys and log each write's sequence
// number; last_acked() is the highest sequence number any of them has seen
// returned so far.
class Writers {
 public:
  Writers(KvStore& store, int threads) : store_(store) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t] { Run(t); });
    }
  }
  ~Writers() { Stop(); }

  void Stop() {
    stop_ = true;
    for (auto& th : threads_) {
      if (th.joinable()) th.join();
    }
  }
  uint64_t last_acked() const { return last_acked_.load(); }
  uint64_t writes() const { return writes_.load(); }
  std::string error() const {
    std::lock_guard lock(mu_);
    return error_;
  }

  // The state after replaying every logged write numbered <= seq, in order.
  // Fails the test if a number <= seq is missing from the log.
  std::map<std::string, std::string> StateAt(uint64_t seq,
                                             std::map<std::string, std::string> base,
                                             uint64_t base_seq) const {
    std::lock_guard lock(mu_);
    std::vector<Op> ops;
    for (const Op& op : log_) {
      if (op.seq > base_seq && op.seq <= seq) ops.push_back(op);
    }
    std::sort(ops.begin(), ops.end(), [](const Op& a, const Op& b) { return a.seq < b.seq; });
    EXPECT_EQ(ops.size(), seq - base_seq) << "writes missing from the log";
    for (const Op& op : ops) {
      if (op.value) {
        base[op.key] = *op.value;
      } else {
        base.erase(op.key);
      }
    }
    return base;
  }

 private:
  void Run(int t) {
    uint64_t n = 0;
    std::vector<Op> mine;
    while (!stop_) {
      const std::string key = "t" + std::to_string(t) + ":k" + std::to_string(n % 97);
      uint64_t seq = 0;
      WriteOptions wo;
      wo.sequence = &seq;
      Op op{0, key, std::nullopt};
      if (n % 5 == 4) {
        auto r = store_.remove(key, wo);
        if (!r) return Fail(r.error().ToString());
      } else {
        op.value = "v" + std::to_string(t) + "-" + std::to_string(n) + std::string(n % 50, 'x');
        auto r = store_.set(key, *op.value, wo);
        if (!r) return Fail(r.error().ToString());
      }
      ++n;
      if (seq == 0) continue;  // removed an absent key: nothing logged
      op.seq = seq;
      mine.push_back(std::move(op));
      uint64_t prev = last_acked_.load();
      while (prev < seq && !last_acked_.compare_exchange_weak(prev, seq)) {
      }
      writes_.fetch_add(1);
    }
    std::lock_guard lock(mu_);
    log_.insert(log_.end(), mine.begin(), mine.end());
  }

  void Fail(const std::string& e) {
    std::lock_guard lock(mu_);
    error_ = e;
  }

  KvStore& store_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> last_acked_{0};
  std::atomic<uint64_t> writes_{0};
  mutable std::mutex mu_;
  std::vector<Op> log_;  // GUARDED_BY(mu_), filled when a writer stops
  std::string error_;
  std::vector<std::thread> threads_;
};

// Writes between backups: fewer under sanitizers (testing::Scaled).
const uint64_t kWritesPerBackup = static_cast<uint64_t>(testing::Scaled(1000));
const int kBackups = testing::kUnderSanitizer ? 2 : 3;

void WaitForWrites(const Writers& w, uint64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (w.writes() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GE(w.writes(), n) << "writers made no progress";
}

class BackupTest : public ::testing::Test {
 protected:
  // Restores `backup` into a fresh directory and returns what it holds.
  std::map<std::string, std::string> Restored(const BackupInfo& info, const std::string& name) {
    auto restored = RestoreBackup(info.dir, tmp_.File(name));
    EXPECT_TRUE(restored) << restored.error().ToString();
    if (!restored) return {};
    EXPECT_EQ(restored->sequence, info.sequence);
    auto store = KvStore::open_dir(tmp_.File(name), Quiet());
    EXPECT_TRUE(store) << store.error().ToString();
    if (!store) return {};
    EXPECT_EQ(store->last_sequence(), info.sequence);
    EXPECT_EQ(store->size(), info.keys);
    return Contents(*store);
  }

  // Backups under load; check_each: how each is taken. Returns the number
  // of checkpoints that completed while a backup was running.
  template <typename TakeBackup>
  uint64_t UnderLoad(TakeBackup take, bool force_checkpoints, int backups) {
    auto store = KvStore::open_dir(tmp_.File("data"), Quiet());
    EXPECT_TRUE(store) << store.error().ToString();
    for (int i = 0; i < 500; ++i) EXPECT_TRUE(store->set("base" + std::to_string(i), "b"));
    const uint64_t base_seq = store->last_sequence();
    const auto base = Contents(*store);

    std::atomic<bool> stop_ckpt{false};
    std::thread checkpointer;
    if (force_checkpoints) {
      checkpointer = std::thread([&] {
        // Back to back, with a breath between them: a checkpoint holds the
        // lock a backup takes its cut under.
        while (!stop_ckpt) {
          EXPECT_TRUE(store->checkpoint());
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      });
    }
    Writers writers(*store, 3);
    std::vector<std::pair<BackupInfo, uint64_t>> taken;  // backup, acked before it
    uint64_t overlapped = 0;
    for (int b = 0; b < backups; ++b) {
      WaitForWrites(writers, kWritesPerBackup * static_cast<uint64_t>(b + 1));
      const uint64_t acked_before = writers.last_acked();
      const uint64_t ckpts_before = store->stats().checkpoints;
      auto info = take(*store, tmp_.File("backup" + std::to_string(b)));
      overlapped += store->stats().checkpoints - ckpts_before;
      if (!info) {
        ADD_FAILURE() << info.error().ToString();
        break;
      }
      EXPECT_GE(info->sequence, acked_before) << "an acknowledged write is missing";
      taken.emplace_back(*info, acked_before);
    }
    WaitForWrites(writers, kWritesPerBackup * static_cast<uint64_t>(backups + 1));
    writers.Stop();
    stop_ckpt = true;
    if (checkpointer.joinable()) checkpointer.join();
    EXPECT_EQ(writers.error(), "");
    EXPECT_TRUE(store->close());

    for (std::size_t b = 0; b < taken.size(); ++b) {
      const BackupInfo& info = taken[b].first;
      auto verified = VerifyBackup(info.dir);
      if (!verified) {
        ADD_FAILURE() << verified.error().ToString();
        continue;
      }
      EXPECT_EQ(verified->sequence, info.sequence);
      EXPECT_EQ(verified->keys, info.keys);
      const auto expected = writers.StateAt(info.sequence, base, base_seq);
      const auto got = Restored(info, "restored" + std::to_string(b));
      EXPECT_EQ(got.size(), info.keys);
      EXPECT_TRUE(got == expected) << "backup " << b << " at sequence " << info.sequence
                                   << " is not the state after that prefix of the writes ("
                                   << got.size() << " keys, expected " << expected.size() << ")";
    }
    return overlapped;
  }

  TempDir tmp_;
};

TEST_F(BackupTest, StoreBackupUnderLoadIsAPrefixWithEveryAcknowledgedWrite) {
  UnderLoad([](KvStore& s, const std::string& to) { return s.backup(to); }, false, kBackups);
}

TEST_F(BackupTest, StoreBackupSurvivesCheckpointsForcedMeanwhile) {
  const uint64_t overlapped =
      UnderLoad([](KvStore& s, const std::string& to) { return s.backup(to); }, true, kBackups);
  EXPECT_GT(overlapped, 0u) << "no checkpoint ran during a backup: the test proved nothing";
}

TEST_F(BackupTest, OutsideBackupUnderLoadIsAPrefixWithEveryAcknowledgedWrite) {
  // The store holds the directory's lock: BackupDataDir takes the lock-free
  // path, as `kvstore backup` does beside a running server.
  UnderLoad([this](KvStore&, const std::string& to) {
    return BackupDataDir(tmp_.File("data"), to, Quiet());
  }, false, kBackups);
}

TEST_F(BackupTest, OutsideBackupSurvivesCheckpointsForcedMeanwhile) {
  const uint64_t overlapped = UnderLoad([this](KvStore&, const std::string& to) {
    return BackupDataDir(tmp_.File("data"), to, Quiet());
  }, true, kBackups);
  EXPECT_GT(overlapped, 0u) << "no checkpoint ran during a backup: the test proved nothing";
}

TEST_F(BackupTest, ImmutableFilesAreHardLinkedAndTheLastSegmentCopied) {
  {
    auto store = KvStore::open_dir(tmp_.File("data"), Quiet());
    ASSERT_TRUE(store);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(store->set("k" + std::to_string(i), "v"));
    ASSERT_TRUE(store->checkpoint());
    ASSERT_TRUE(store->set("after", "checkpoint"));
    auto info = store->backup(tmp_.File("b"));
    ASSERT_TRUE(info) << info.error().ToString();
    EXPECT_EQ(info->sequence, 101u);
    EXPECT_EQ(info->keys, 101u);
    bool snapshot_linked = false;
    for (const BackupFile& f : info->files) {
      if (f.name.rfind("snapshot-", 0) == 0) snapshot_linked = f.linked;
      if (f.name.rfind("wal-", 0) == 0) {
        EXPECT_FALSE(f.linked) << f.name << " is the live segment";
      }
      struct stat st;
      ASSERT_EQ(::stat(tmp_.File("b/" + f.name).c_str(), &st), 0);
      EXPECT_EQ(static_cast<uint64_t>(st.st_size), f.size) << f.name;
      EXPECT_EQ(st.st_nlink > 1, f.linked) << f.name;
    }
    EXPECT_TRUE(snapshot_linked);
    // Writes after the backup do not reach it, even through the shared files.
    ASSERT_TRUE(store->set("later", "x"));
    ASSERT_TRUE(store->checkpoint());
  }
  auto verified = VerifyBackup(tmp_.File("b"));
  ASSERT_TRUE(verified) << verified.error().ToString();
  EXPECT_EQ(verified->sequence, 101u);
}

TEST_F(BackupTest, NonEmptyTargetIsRefusedAndLeftAlone) {
  auto store = KvStore::open_dir(tmp_.File("data"), Quiet());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->set("k", "v"));
  std::filesystem::create_directory(tmp_.File("t"));
  std::ofstream(tmp_.File("t/precious")) << "keep me";
  auto r = store->backup(tmp_.File("t"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("not empty"), std::string::npos) << r.error().message();
  auto o = BackupDataDir(tmp_.File("data"), tmp_.File("t"));
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp_.File("t")),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(BackupTest, SourceThatIsNotADataDirectoryIsRefused) {
  std::filesystem::create_directory(tmp_.File("notdata"));
  std::ofstream(tmp_.File("notdata/readme.txt")) << "hello";
  auto r = BackupDataDir(tmp_.File("notdata"), tmp_.File("b"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("not a kvstore data directory"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("b")));
  auto missing = BackupDataDir(tmp_.File("nothing-here"), tmp_.File("b"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(BackupTest, OfflineDirectoryIsLockedWhileBackedUp) {
  {
    auto store = KvStore::open_dir(tmp_.File("data"), Quiet());
    ASSERT_TRUE(store);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(store->set("k" + std::to_string(i), "v"));
    ASSERT_TRUE(store->checkpoint());
    ASSERT_TRUE(store->set("k0", "changed"));
  }
  auto info = BackupDataDir(tmp_.File("data"), tmp_.File("b"));
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->sequence, 51u);
  auto got = Restored(*info, "r");
  EXPECT_EQ(got.size(), 50u);
  EXPECT_EQ(got["k0"], "changed");
}

TEST_F(BackupTest, FullDiskMidBackupLeavesNothingThatLooksComplete) {
  auto fs = std::make_shared<FaultInjectionFs>();
  fs->CreateDir("/d");
  Options o = Quiet();
  o.fs = fs;
  auto store = KvStore::open_dir("/d/data", o);
  ASSERT_TRUE(store);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(store->set("k" + std::to_string(i), std::string(100, 'v')));
  ASSERT_TRUE(store->checkpoint());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->set("w" + std::to_string(i), "x"));
  for (uint64_t nth = 1; nth <= 6; ++nth) {
    const std::string to = "/d/b" + std::to_string(nth);
    fs->InjectFault(FaultInjectionFs::Fault::At(OpKind::kAppend, nth, ENOSPC).Persistent());
    auto r = store->backup(to);
    fs->ClearFaults();
    ASSERT_FALSE(r) << "fault at append " << nth << " did not fail the backup";
    EXPECT_EQ(r.error().code(), ErrorCode::kNoSpace) << r.error().ToString();
    EXPECT_FALSE(fs->Exists(to + "/BACKUP-MANIFEST"));
    EXPECT_FALSE(VerifyBackup(to, o));
    auto left = fs->ListDir(to);
    if (left) {
      for (const std::string& n : *left) {
        EXPECT_FALSE(n == "MANIFEST" || n.rfind("wal-", 0) == 0 || n.rfind("snapshot-", 0) == 0)
            << "a failed backup left " << n;
      }
    }
  }
  // The store is unharmed and a backup with space succeeds.
  ASSERT_TRUE(store->set("after", "fault"));
  auto ok = store->backup("/d/good");
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->keys, 221u);
  auto verified = VerifyBackup("/d/good", o);
  ASSERT_TRUE(verified) << verified.error().ToString();
  auto restored = RestoreBackup("/d/good", "/d/restored", false, o);
  ASSERT_TRUE(restored) << restored.error().ToString();
  EXPECT_EQ(restored->keys, 221u);
}

TEST_F(BackupTest, RestoreRefusesNonEmptyTargetUnlessForcedAndChecksTheBackupFirst) {
  auto store = KvStore::open_dir(tmp_.File("data"), Quiet());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->set("a", "1"));
  auto info = store->backup(tmp_.File("b"));
  ASSERT_TRUE(info) << info.error().ToString();
  ASSERT_TRUE(store->set("a", "2"));
  ASSERT_TRUE(store->set("b", "2"));
  ASSERT_TRUE(store->checkpoint());
  ASSERT_TRUE(store->close());

  // A data directory in use is refused even with force.
  {
    auto holder = KvStore::open_dir(tmp_.File("data"), Quiet());
    ASSERT_TRUE(holder);
    auto busy = RestoreBackup(tmp_.File("b"), tmp_.File("data"), true);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code(), ErrorCode::kBusy);
  }
  auto refused = RestoreBackup(tmp_.File("b"), tmp_.File("data"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message().find("--force"), std::string::npos);
  {
    auto still = KvStore::open_dir(tmp_.File("data"), Quiet());
    ASSERT_TRUE(still);
    EXPECT_EQ(still->get("a"), "2");
  }
  auto forced = RestoreBackup(tmp_.File("b"), tmp_.File("data"), true);
  ASSERT_TRUE(forced) << forced.error().ToString();
  auto back = KvStore::open_dir(tmp_.File("data"), Quiet());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->get("a"), "1");
  EXPECT_EQ(back->get("b"), std::nullopt);
  EXPECT_EQ(back->size(), 1u);
  // The restored store takes writes without touching the backup.
  ASSERT_TRUE(back->set("c", "3"));
  ASSERT_TRUE(back->checkpoint());
  EXPECT_TRUE(VerifyBackup(tmp_.File("b")));
}

TEST_F(BackupTest, DamagedOrIncompleteBackupIsNotRestored) {
  {
    auto store = KvStore::open_dir(tmp_.File("data"), Quiet());
    ASSERT_TRUE(store);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->set("k" + std::to_string(i), "v"));
    ASSERT_TRUE(store->backup(tmp_.File("b")));
  }
  // Flip one byte of the (copied) last segment.
  std::string seg;
  for (const auto& e : std::filesystem::directory_iterator(tmp_.File("b"))) {
    if (e.path().filename().string().rfind("wal-", 0) == 0) seg = e.path().string();
  }
  ASSERT_FALSE(seg.empty());
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  auto r = RestoreBackup(tmp_.File("b"), tmp_.File("r"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.error().message().find(seg), std::string::npos) << r.error().message();
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("r/MANIFEST")));

  std::filesystem::remove(tmp_.File("b/BACKUP-MANIFEST"));
  auto incomplete = RestoreBackup(tmp_.File("b"), tmp_.File("r"));
  ASSERT_FALSE(incomplete);
  EXPECT_EQ(incomplete.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(incomplete.error().message().find("not a complete backup"), std::string::npos);
}

// A companion file (data_dir.h) a program keeps beside the store travels
// with its backups, in-process and from outside, is checked like the
// store's files, and a forced restore replaces the target's copy.
TEST_F(BackupTest, CompanionFilesAreBackedUpVerifiedAndRestored) {
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  auto spit = [](const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  };
  const std::string companion = tmp_.File("data/functions.kvfn");
  {
    auto store = KvStore::open_dir(tmp_.File("data"), Quiet());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->set("a", "1"));
    spit(companion, "first");
    auto in_process = store->backup(tmp_.File("b1"));
    ASSERT_TRUE(in_process) << in_process.error().ToString();
    EXPECT_EQ(slurp(tmp_.File("b1/functions.kvfn")), "first");
    spit(companion, "second");
  }
  auto outside = BackupDataDir(tmp_.File("data"), tmp_.File("b2"));
  ASSERT_TRUE(outside) << outside.error().ToString();
  EXPECT_EQ(slurp(tmp_.File("b2/functions.kvfn")), "second");
  EXPECT_TRUE(std::any_of(outside->files.begin(), outside->files.end(),
                          [](const BackupFile& f) { return f.name == "functions.kvfn"; }));

  // A forced restore puts the backup's copy in place of the target's.
  auto forced = RestoreBackup(tmp_.File("b1"), tmp_.File("data"), true);
  ASSERT_TRUE(forced) << forced.error().ToString();
  EXPECT_EQ(slurp(companion), "first");

  // A restore from a backup without one removes the target's: the
  // directory becomes the backup's state, companions included.
  std::filesystem::remove(tmp_.File("data/functions.kvfn"));
  auto bare = BackupDataDir(tmp_.File("data"), tmp_.File("b3"));
  ASSERT_TRUE(bare) << bare.error().ToString();
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("b3/functions.kvfn")));
  spit(companion, "stale");
  ASSERT_TRUE(RestoreBackup(tmp_.File("b3"), tmp_.File("data"), true));
  EXPECT_FALSE(std::filesystem::exists(companion));

  // Its checksum is verified like the store's files.
  spit(tmp_.File("b2/functions.kvfn"), "sec0nd");
  auto damaged = VerifyBackup(tmp_.File("b2"));
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(damaged.error().message().find("functions.kvfn"), std::string::npos);
}

TEST_F(BackupTest, PathModeStoreCannotBackUp) {
  auto store = KvStore::open(tmp_.File("x.wal"), Quiet());
  ASSERT_TRUE(store);
  auto r = store->backup(tmp_.File("b"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace kvstore
