// Copyright (c) the kvstore developers.
//
// Unit tests of the test filesystem itself: if it lied about durability, every
// crash test built on it would prove nothing.

#include "support/fault_injection_fs.h"

#include <gtest/gtest.h>

#include <thread>

namespace kvstore::testing {
namespace {

using CrashMode = FaultInjectionFs::CrashMode;

std::string Rec(char c, std::size_t n = 16) { return std::string(n, c); }

TEST(FaultInjectionFsTest, UnsyncedAppendIsLostOnPowerLoss) {
  FaultInjectionFs fs;
  auto f = fs.NewWritableFile("a").value();
  ASSERT_TRUE(f->Append("hello"));
  ASSERT_TRUE(f->Sync());
  ASSERT_TRUE(f->Append(" world"));
  ASSERT_TRUE(f->Close());
  ASSERT_TRUE(fs.SyncDir("."));
  EXPECT_EQ(fs.Contents("a"), "hello world");
  fs.SimulateCrash();
  EXPECT_EQ(fs.Contents("a"), "hello");
}

TEST(FaultInjectionFsTest, FileCreatedWithoutDirSyncVanishesOnPowerLoss) {
  FaultInjectionFs fs;
  auto f = fs.NewWritableFile("d/x");
  EXPECT_FALSE(f);  // missing parent directory
  EXPECT_EQ(f.error().code(), ErrorCode::kIoError);
  fs.CreateDir("d");
  auto g = fs.NewWritableFile("d/x").value();
  ASSERT_TRUE(g->Append("data"));
  ASSERT_TRUE(g->Sync());
  ASSERT_TRUE(g->Close());
  ASSERT_TRUE(fs.SyncDir("."));  // the wrong directory
  fs.SimulateCrash();
  EXPECT_FALSE(fs.Exists("d/x"));
  EXPECT_FALSE(fs.FileExists("d/x").value());
}

TEST(FaultInjectionFsTest, RenameAndRemoveWithoutDirSyncAreRevertedOnPowerLoss) {
  FaultInjectionFs fs;
  fs.PutFile("dir/old", "OLD");
  fs.PutFile("dir/gone", "G");
  auto f = fs.NewWritableFile("dir/tmp").value();
  ASSERT_TRUE(f->Append("NEW"));
  ASSERT_TRUE(f->Sync());
  ASSERT_TRUE(f->Close());
  ASSERT_TRUE(fs.RenameFile("dir/tmp", "dir/old"));
  ASSERT_TRUE(fs.RemoveFile("dir/gone"));
  EXPECT_EQ(fs.Contents("dir/old"), "NEW");
  EXPECT_FALSE(fs.Exists("dir/gone"));
  fs.SimulateCrash();
  EXPECT_EQ(fs.Contents("dir/old"), "OLD");
  EXPECT_EQ(fs.Contents("dir/gone"), "G");
  EXPECT_FALSE(fs.Exists("dir/tmp"));
}

TEST(FaultInjectionFsTest, RenameSurvivesPowerLossAfterDirSync) {
  FaultInjectionFs fs;
  fs.PutFile("dir/old", "OLD");
  auto f = fs.NewWritableFile("dir/tmp").value();
  ASSERT_TRUE(f->Append("NEW"));
  ASSERT_TRUE(f->Sync());
  ASSERT_TRUE(f->Close());
  ASSERT_TRUE(fs.RenameFile("dir/tmp", "dir/old"));
  ASSERT_TRUE(fs.SyncDir("dir"));
  fs.SimulateCrash();
  EXPECT_EQ(fs.Contents("dir/old"), "NEW");
  EXPECT_EQ(fs.ListFiles(), std::vector<std::string>{"dir/old"});
}

TEST(FaultInjectionFsTest, TruncationByNewWritableFileIsNotDurableUntilSync) {
  FaultInjectionFs fs;
  fs.PutFile("f", "durable");
  auto f = fs.NewWritableFile("f").value();
  EXPECT_EQ(fs.Contents("f"), "");
  f.reset();
  fs.SimulateCrash();
  EXPECT_EQ(fs.Contents("f"), "durable");
}

TEST(FaultInjectionFsTest, TornTailKeepsOnlyAPrefixOfUnsyncedBytes) {
  bool saw_partial = false, saw_none = false, saw_all = false;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    FaultInjectionFs fs(seed);
    auto f = fs.OpenLogFile("w", 0).value();
    ASSERT_TRUE(f->Append(Rec('a')));
    ASSERT_TRUE(f->Sync());
    ASSERT_TRUE(f->Append(Rec('b', 64)));
    ASSERT_TRUE(fs.SyncDir("."));
    fs.SimulateCrash(CrashMode::kTornTail);
    std::string got = fs.Contents("w").value();
    ASSERT_GE(got.size(), 16u) << "seed " << seed;
    ASSERT_LE(got.size(), 80u) << "seed " << seed;
    EXPECT_EQ(got.substr(0, 16), Rec('a'));
    EXPECT_EQ(got.substr(16), std::string(got.size() - 16, 'b')) << "seed " << seed;
    saw_none |= got.size() == 16;
    saw_all |= got.size() == 80;
    saw_partial |= got.size() > 16 && got.size() < 80;
    // What survived is now durable: a second crash keeps it.
    fs.SimulateCrash(CrashMode::kDropUnsynced);
    EXPECT_EQ(fs.Contents("w").value(), got);
  }
  EXPECT_TRUE(saw_partial);
  EXPECT_TRUE(saw_none);
  EXPECT_TRUE(saw_all);
}

TEST(FaultInjectionFsTest, ProcessCrashKeepsUnsyncedDataButInvalidatesHandles) {
  FaultInjectionFs fs;
  auto f = fs.OpenLogFile("w", 0).value();
  ASSERT_TRUE(f->Append(Rec('a')));
  EXPECT_EQ(fs.open_handles(), 1);
  fs.SimulateProcessCrash();
  EXPECT_EQ(fs.open_handles(), 0);
  EXPECT_EQ(fs.Contents("w"), Rec('a'));
  auto r = f->Append(Rec('b'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kIoError);
  EXPECT_FALSE(f->Sync());
  EXPECT_TRUE(f->Close());  // idempotent, changes nothing
  EXPECT_EQ(fs.Contents("w"), Rec('a'));
  // Never synced, never dir-synced: a later power loss drops it all.
  fs.SimulateCrash();
  EXPECT_FALSE(fs.Exists("w"));
}

TEST(FaultInjectionFsTest, StaleHandleAfterPowerLossCannotResurrectData) {
  FaultInjectionFs fs;
  fs.PutFile("f", "x");
  auto f = fs.NewWritableFile("f").value();
  ASSERT_TRUE(f->Append("yyy"));
  fs.SimulateCrash();
  EXPECT_FALSE(f->Append("zzz"));
  EXPECT_FALSE(f->Sync());
  EXPECT_EQ(fs.Contents("f"), "x");
  EXPECT_EQ(fs.SyncedContents("f"), "x");
}

TEST(FaultInjectionFsTest, LogFileSemantics) {
  FaultInjectionFs fs;
  fs.set_log_preallocation(4096);
  auto f = fs.OpenLogFile("w", 0).value();
  EXPECT_EQ(f->Size(), 0u);
  EXPECT_EQ(f->Append("").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(f->Append("1234567").error().code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(f->Append(Rec('a', 8)));
  ASSERT_TRUE(f->Append(Rec('b', 24)));
  EXPECT_EQ(f->Size(), 32u);
  char buf[24];
  ASSERT_TRUE(f->ReadAt(8, 24, buf));
  EXPECT_EQ(std::string(buf, 24), Rec('b', 24));
  EXPECT_EQ(f->ReadAt(16, 17, buf).error().code(), ErrorCode::kInvalidArgument);
  // Preallocated zeros are visible to a reader of the whole file until Close.
  std::string whole;
  ASSERT_TRUE(fs.ReadFile("w", &whole));
  EXPECT_EQ(whole.size(), 4096u);
  EXPECT_EQ(whole.substr(32), std::string(4096 - 32, '\0'));
  EXPECT_GE(whole.capacity(), whole.size() + FileSystem::kReadPadding);
  ASSERT_TRUE(f->Close());
  ASSERT_TRUE(f->Close());
  EXPECT_EQ(fs.Contents("w").value().size(), 32u);
  // Reopen after the first 8 bytes: the rest is discarded.
  auto g = fs.OpenLogFile("w", 8).value();
  EXPECT_EQ(g->Size(), 8u);
  ASSERT_TRUE(g->Append(Rec('c', 8)));
  ASSERT_TRUE(g->Close());
  EXPECT_EQ(fs.Contents("w"), Rec('a', 8) + Rec('c', 8));
}

TEST(FaultInjectionFsTest, NthCallOfAKindFailsWithPosixStyleMessage) {
  FaultInjectionFs fs;
  fs.InjectFault(FaultInjectionFs::Fault::At(OpKind::kSync, 2, ENOSPC));
  auto f = fs.NewWritableFile("snap.tmp").value();
  ASSERT_TRUE(f->Append("a"));
  EXPECT_TRUE(f->Sync());
  ASSERT_TRUE(f->Append("b"));
  auto r = f->Sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNoSpace);
  EXPECT_NE(r.error().message().find("fdatasync 'snap.tmp'"), std::string::npos)
      << r.error().message();
  EXPECT_TRUE(f->Sync());  // one-shot
  EXPECT_EQ(fs.injected_failures(), 1u);
  ASSERT_TRUE(fs.first_injected_failure().has_value());
  EXPECT_EQ(fs.first_injected_failure()->kind, OpKind::kSync);
  EXPECT_EQ(fs.first_injected_failure()->path, "snap.tmp");
}

TEST(FaultInjectionFsTest, EveryOperationKindCanFailAndFailedCallsChangeNothing) {
  const OpKind kinds[] = {OpKind::kOpen,   OpKind::kAppend,  OpKind::kSync,
                          OpKind::kRead,   OpKind::kRename,  OpKind::kRemove,
                          OpKind::kSyncDir, OpKind::kFileExists, OpKind::kClose};
  for (OpKind kind : kinds) {
    SCOPED_TRACE(OpKindName(kind));
    FaultInjectionFs fs;
    fs.PutFile("a", "A");
    fs.PutFile("b", "B");
    fs.InjectFault(FaultInjectionFs::Fault::At(kind, 1, EIO).Persistent());
    auto w = fs.NewWritableFile("c");
    EXPECT_EQ(!w, kind == OpKind::kOpen);
    if (w) {
      EXPECT_EQ(!(*w)->Append("x"), kind == OpKind::kAppend);
      EXPECT_EQ(!(*w)->Sync(), kind == OpKind::kSync);
      EXPECT_EQ(!(*w)->Close(), kind == OpKind::kClose);
    }
    std::string s;
    EXPECT_EQ(!fs.ReadFile("a", &s), kind == OpKind::kRead);
    EXPECT_EQ(!fs.FileExists("a"), kind == OpKind::kFileExists);
    EXPECT_EQ(!fs.RenameFile("a", "a2"), kind == OpKind::kRename);
    EXPECT_EQ(fs.Exists("a"), kind == OpKind::kRename);
    EXPECT_EQ(!fs.RemoveFile("b"), kind == OpKind::kRemove);
    EXPECT_EQ(fs.Exists("b"), kind == OpKind::kRemove);
    EXPECT_EQ(!fs.SyncDir("."), kind == OpKind::kSyncDir);
    EXPECT_EQ(fs.injected_failures(), 1u);
  }
}

TEST(FaultInjectionFsTest, AnyKindCountsEveryCallAndFreezeAfterStopsTheMachine) {
  FaultInjectionFs fs;
  fs.ResetCounters();
  auto f = fs.NewWritableFile("x").value();  // 1
  ASSERT_TRUE(f->Append("1"));               // 2
  ASSERT_TRUE(f->Sync());                    // 3
  EXPECT_EQ(fs.count(), 3u);
  EXPECT_EQ(fs.count(OpKind::kAppend), 1u);
  fs.FreezeAfter(1);
  ASSERT_TRUE(f->Append("2"));   // the 1 allowed call
  EXPECT_FALSE(f->Sync());       // frozen from here on
  EXPECT_FALSE(f->Append("3"));
  EXPECT_FALSE(fs.SyncDir("."));
  EXPECT_EQ(fs.Contents("x"), "12");
  fs.SimulateCrash();
  EXPECT_FALSE(fs.Exists("x"));  // the directory was never synced
  fs.ClearFaults();
  EXPECT_TRUE(fs.SyncDir("."));
}

TEST(FaultInjectionFsTest, PartialAppendWritesPrefixAndLogFileKeepsHeaderZero) {
  FaultInjectionFs fs;
  auto w = fs.NewWritableFile("s").value();
  fs.InjectFault(FaultInjectionFs::Fault::At(OpKind::kAppend, 1, ENOSPC).Partial(3));
  auto r = w->Append("abcdef");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNoSpace);
  EXPECT_EQ(fs.Contents("s"), "abc");

  auto log = fs.OpenLogFile("w", 0).value();
  fs.InjectFault(FaultInjectionFs::Fault::At(OpKind::kAppend, 1, ENOSPC).Partial(20));
  ASSERT_FALSE(log->Append(Rec('r', 24)));
  EXPECT_EQ(log->Size(), 0u);
  EXPECT_EQ(fs.Contents("w"), std::string(8, '\0') + Rec('r', 12));
  ASSERT_TRUE(log->Append(Rec('q', 16)));  // overwrites the failed attempt
  EXPECT_EQ(log->Size(), 16u);
  ASSERT_TRUE(log->Close());
  EXPECT_EQ(fs.Contents("w"), Rec('q', 16));
}

TEST(FaultInjectionFsTest, FaultCanBeLimitedToOnePath) {
  FaultInjectionFs fs;
  fs.InjectFault(FaultInjectionFs::Fault::At(OpKind::kOpen, 1).OnPath("b"));
  EXPECT_TRUE(fs.NewWritableFile("a"));
  EXPECT_FALSE(fs.NewWritableFile("b"));
  EXPECT_TRUE(fs.NewWritableFile("b"));
}

TEST(FaultInjectionFsTest, ConcurrentUseFromManyThreadsIsSafe) {
  FaultInjectionFs fs;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&fs, t] {
      const std::string name = "f" + std::to_string(t);
      auto log = fs.OpenLogFile(name, 0).value();
      for (int i = 0; i < 500; ++i) {
        ASSERT_TRUE(log->Append(Rec('a' + t, 8)));
        if (i % 50 == 0) {
          ASSERT_TRUE(log->Sync());
        }
        (void)fs.FileExists(name);
      }
      ASSERT_TRUE(log->Close());
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(fs.Contents("f" + std::to_string(t))->size(), 4000u);
  EXPECT_EQ(fs.count(OpKind::kAppend), 2000u);
}

}  // namespace
}  // namespace kvstore::testing
