// Copyright (c) the kvstore developers.
//
// A test fixture for one store on a FaultInjectionFs: open it at /db/wal with
// a sync mode, and lose power (drop what was never fdatasync'ed).

#ifndef KVSTORE_TESTS_SUPPORT_FAULT_FS_STORE_TEST_H_
#define KVSTORE_TESTS_SUPPORT_FAULT_FS_STORE_TEST_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "kvstore/kvstore.h"
#include "support/fault_injection_fs.h"
#include "support/store_model.h"

namespace kvstore::testing {

class FaultFsStoreTest : public ::testing::Test {
 protected:
  static constexpr const char* kWal = "/db/wal";

  void SetUp() override { fs_->CreateDir("/db"); }
  KvStore Open(SyncMode mode) {
    auto s = KvStore::open(kWal, MakeOptions(fs_, mode));
    EXPECT_TRUE(s) << s.error().ToString();
    return std::move(*s);
  }
  // Power loss, then reopen with mode: what survived.
  KvStore CrashAndReopen(KvStore* store, SyncMode mode = SyncMode::kNever) {
    fs_->SimulateCrash(FaultInjectionFs::CrashMode::kDropUnsynced);
    { KvStore gone = std::move(*store); }  // its handles are stale after the crash
    return Open(mode);
  }

  std::shared_ptr<FaultInjectionFs> fs_ = std::make_shared<FaultInjectionFs>();
};

}  // namespace kvstore::testing

#endif  // KVSTORE_TESTS_SUPPORT_FAULT_FS_STORE_TEST_H_
