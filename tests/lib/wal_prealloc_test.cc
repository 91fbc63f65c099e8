// Copyright (c) the kvstore developers.
//
// The POSIX WAL's preallocated space (src/posix_fs.cc).
//
// Under kAlways each group-commit sync writes back the pages the appends
// touched, not a large folio around them. The kernel charges a process for
// the bytes of every page-cache folio it dirties (/proc/self/io,
// write_bytes); a store through the mapping dirties a whole folio, so the
// charge per durable append shows the folios' size. With zeros written 1 MiB
// at a time it was hundreds of KiB per append on Linux 6.x (large folios);
// with page-sized zeros it is a page or two.
//
// Steps of 1 MiB and more are zeroed by a helper thread, not by the append
// (which holds the WAL's lock) that reaches them: the appending thread's own
// write calls (/proc/thread-self/io, wchar) carry only the first, small
// steps. When the helper fails (here: past RLIMIT_FSIZE), the append that
// needs the step fails with the file system's error and the records before it
// stay readable.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "kvstore/filesystem.h"
#include "kvstore/kvstore.h"
#include "support/run_in_child.h"
#include "support/temp_dir.h"

namespace kvstore {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

// A field of an I/O accounting file (/proc/self/io: the process's,
// /proc/thread-self/io: the calling thread's); nullopt without task I/O
// accounting.
std::optional<uint64_t> IoField(const char* file, const std::string& field) {
  std::ifstream in(file);
  std::string name;
  uint64_t value = 0;
  while (in >> name >> value) {
    if (name == field) return value;
  }
  return std::nullopt;
}

// Bytes this process has dirtied in the page cache so far.
std::optional<uint64_t> WriteBytes() { return IoField("/proc/self/io", "write_bytes:"); }

// Bytes the calling thread has passed to write calls so far.
std::optional<uint64_t> ThreadWriteCalls() { return IoField("/proc/thread-self/io", "wchar:"); }

// Record i of a log: kRecord bytes, no word zero (a zero header would end it).
constexpr std::size_t kRecord = 128;
std::string Record(std::size_t i) {
  std::string r(kRecord, '\0');
  for (std::size_t b = 0; b < kRecord; b += 8) {
    const uint64_t word = (uint64_t{i} << 8) | (b + 1);
    std::memcpy(r.data() + b, &word, 8);
  }
  return r;
}

std::shared_ptr<LogFile> OpenLog(const std::string& path) {
  auto opened = FileSystem::Default()->OpenLogFile(path, 0);
  EXPECT_TRUE(opened.has_value()) << opened.error().ToString();
  return opened ? std::shared_ptr<LogFile>(std::move(*opened)) : nullptr;
}

TEST(WalPreallocTest, DurableAppendsDirtyPagesNotLargeFolios) {
  testing::TempDir dir;
  Options o;
  o.sync = SyncMode::kAlways;
  auto store = KvStore::open(dir.File("wal.log"), o);
  ASSERT_TRUE(store) << store.error().message();
  const std::string value(100, 'v');
  // Past the first preallocated steps (64 KiB, then 256 KiB), which the
  // store prepares before it knows its mode or while it learns it.
  for (int i = 0; i < 4000; ++i) ASSERT_TRUE(store->set("warm" + std::to_string(i), value));
  const std::optional<uint64_t> before = WriteBytes();
  if (!before.has_value()) GTEST_SKIP() << "no /proc/self/io write_bytes";
  constexpr int kAppends = 3000;  // about 400 KiB of records, each synced alone
  for (int i = 0; i < kAppends; ++i) ASSERT_TRUE(store->set("key" + std::to_string(i), value));
  const uint64_t per_append = (*WriteBytes() - *before) / kAppends;
  // A page of records, the page it may spill into, and the zeros of the
  // steps preallocated meanwhile (at most 1 MiB each, a few of them).
  EXPECT_LT(per_append, 16u * 1024) << "bytes dirtied per durable append";
}

TEST(WalPreallocTest, LargeStepsAreZeroedOffTheAppendingThread) {
  testing::TempDir dir;
  std::shared_ptr<LogFile> log = OpenLog(dir.File("grow.log"));
  ASSERT_NE(log, nullptr);
  const std::optional<uint64_t> before = ThreadWriteCalls();
  if (!before.has_value()) GTEST_SKIP() << "no /proc/thread-self/io wchar";
  constexpr std::size_t kRecords = 48 * kMiB / kRecord;  // steps grow to 16 MiB
  for (std::size_t i = 0; i < kRecords; ++i) ASSERT_TRUE(log->Append(Record(i)));
  const uint64_t written = *ThreadWriteCalls() - *before;
  // The 64 KiB, 256 KiB and 1 MiB steps are zeroed by the appends that need
  // them; the 4 and 16 MiB ones (more than 46 MiB) by the helper.
  EXPECT_LT(written, 2 * kMiB) << "bytes of zeros written by the appending thread";
  ASSERT_EQ(log->Size(), kRecords * kRecord);
  std::string back(kRecord, '\0');
  for (std::size_t i : {std::size_t{0}, kRecords / 3, kRecords - 1}) {
    ASSERT_TRUE(log->ReadAt(i * kRecord, kRecord, back.data()));
    EXPECT_EQ(back, Record(i)) << "record " << i;
  }
  ASSERT_TRUE(log->Close());
  struct stat st;
  ASSERT_EQ(::stat(dir.File("grow.log").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kRecords * kRecord) << "the prepared tail was kept";
}

TEST(WalPreallocTest, AStepTheFileSystemRefusesFailsTheAppendThatNeedsIt) {
  testing::TempDir dir;
  const std::string path = dir.File("limited.log");
  testing::RunInChild([&] {
    constexpr uint64_t kLimit = 8 * kMiB;  // inside the third 4 MiB-or-larger step
    std::signal(SIGXFSZ, SIG_IGN);         // past the limit: EFBIG, not a signal
    struct rlimit rl;
    CHILD_CHECK(::getrlimit(RLIMIT_FSIZE, &rl) == 0, "getrlimit");
    rl.rlim_cur = kLimit;
    CHILD_CHECK(::setrlimit(RLIMIT_FSIZE, &rl) == 0, "setrlimit(RLIMIT_FSIZE)");
    auto opened = FileSystem::Default()->OpenLogFile(path, 0);
    CHILD_CHECK(opened.has_value(), "open");
    std::shared_ptr<LogFile> log = std::move(*opened);
    std::size_t appended = 0;
    Result<void> r;
    for (; appended < 64 * kMiB / kRecord; ++appended) {
      r = log->Append(Record(appended));
      if (!r) break;
    }
    CHILD_CHECK(!r, "no append failed past RLIMIT_FSIZE");
    CHILD_CHECK(r.error().ToString().find("File too large") != std::string::npos,
                "the error does not name EFBIG: " + r.error().ToString());
    CHILD_CHECK(log->Size() == appended * kRecord, "the failed append changed the size");
    CHILD_CHECK(log->Size() <= kLimit, "records past the limit");
    CHILD_CHECK(appended * kRecord >= 4 * kMiB, "failed early: " + std::to_string(appended));
    std::string back(kRecord, '\0');
    for (std::size_t i = 0; i < appended; i += 997) {
      CHILD_CHECK(log->ReadAt(i * kRecord, kRecord, back.data()), "read back");
      CHILD_CHECK(back == Record(i), "record " + std::to_string(i) + " read back wrong");
    }
    // The next append fails alike; the log stays usable for reads.
    CHILD_CHECK(!log->Append(Record(appended)), "an append past the limit succeeded");
    CHILD_CHECK(log->Close().has_value(), "close");
  });
}

}  // namespace
}  // namespace kvstore
