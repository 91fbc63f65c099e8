// Copyright (c) the kvstore developers.
//
// Process limits an embedding program runs into: a store opens and works
// under a 4 GiB address-space limit (ulimit -v); a thousand data-directory
// stores stay open at once in one process; running out of file descriptors
// is a clear error naming EMFILE and the limit, while the stores already open
// keep working; an open store holding a few keys costs little disk, and a busy
// log's preallocation grows with its write rate, its mapping moving under a
// concurrent reader.
//
// Tests that lower a limit do so in a forked child, so that the limit never
// leaks into the rest of the suite; the child reports what went wrong on
// stderr and through its exit status, which the parent checks.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/filesystem.h"
#include "kvstore/kvstore.h"
#include "support/run_in_child.h"
#include "support/temp_dir.h"

namespace kvstore::testing {
namespace {

namespace stdfs = std::filesystem;

// No background checkpoints or syncs: each test drives the store itself.
Options Quiet() {
  Options o;
  o.sync = SyncMode::kNever;
  o.checkpoint.wal_bytes = 0;
  o.checkpoint.after_changes.clear();
  o.checkpoint.on_close = false;
  o.log_level = LogLevel::kOff;
  return o;
}

std::string Value(std::size_t i, std::size_t size) {
  std::string v(size, static_cast<char>('a' + i % 26));
  const std::string tag = std::to_string(i);
  v.replace(0, tag.size(), tag);
  return v;
}

// Allocated disk (st_blocks) of every file under dir, in bytes.
uint64_t DiskUsage(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : stdfs::recursive_directory_iterator(dir)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return total;
}

// Raises the soft RLIMIT_NOFILE to the hard limit (as `ulimit -n $(ulimit -Hn)`
// would); returns the new soft limit. Restores the old one on destruction.
class RaisedFileLimit {
 public:
  RaisedFileLimit() {
    ::getrlimit(RLIMIT_NOFILE, &old_);
    struct rlimit raised = old_;
    raised.rlim_cur = raised.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
      now_ = raised.rlim_cur;
    else
      now_ = old_.rlim_cur;
  }
  ~RaisedFileLimit() { ::setrlimit(RLIMIT_NOFILE, &old_); }
  rlim_t soft() const { return now_; }

 private:
  struct rlimit old_ {};
  rlim_t now_ = 0;
};

// --- 1. A 4 GiB address-space limit ------------------------------------------

// Writes 50 MB of values, checkpoints, reopens and verifies every value.
// (Unused in sanitizer builds, which skip the test.)
[[maybe_unused]] void FiftyMegabytesUnderLimit(const std::string& where, bool data_dir) {
  constexpr std::size_t kValueSize = 4096;
  constexpr std::size_t kCount = 50 * 1000 * 1000 / kValueSize;
  const std::string snapshot = where + ".snapshot.json";
  auto open = [&]() {
    return data_dir ? KvStore::open_dir(where, Quiet()) : KvStore::open(where, Quiet());
  };
  {
    auto store = open();
    CHILD_CHECK(store.has_value(), "open: " + store.error().ToString());
    for (std::size_t i = 0; i < kCount; ++i) {
      auto r = store->set("key" + std::to_string(i), Value(i, kValueSize));
      CHILD_CHECK(r.has_value(), "set: " + r.error().ToString());
      if (i == kCount / 2) {  // a checkpoint with half the data, then more writes
        auto c = data_dir ? store->checkpoint() : store->save_to_file(snapshot);
        CHILD_CHECK(c.has_value(), "checkpoint: " + c.error().ToString());
      }
    }
    auto c = store->close();
    CHILD_CHECK(c.has_value(), "close: " + c.error().ToString());
  }
  auto store = data_dir ? open() : KvStore::load_from_file(snapshot, where, Quiet());
  CHILD_CHECK(store.has_value(), "reopen: " + store.error().ToString());
  CHILD_CHECK(store->size() == kCount, "reopened store has " + std::to_string(store->size()) +
                                           " keys, want " + std::to_string(kCount));
  for (std::size_t i = 0; i < kCount; ++i) {
    auto v = store->get("key" + std::to_string(i));
    CHILD_CHECK(v.has_value() && *v == Value(i, kValueSize),
                "wrong value for key" + std::to_string(i));
  }
}

TEST(LimitsTest, StoreWorksUnderFourGibAddressSpaceLimit) {
#ifdef KVSTORE_SANITIZED
  GTEST_SKIP() << "ASan/TSan reserve more than 4 GiB of address space for their shadow memory";
#else
  TempDir dir;
  RunInChild([&] {
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = rlim_t{4} << 30;  // ulimit -v 4194304
    CHILD_CHECK(::setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit(RLIMIT_AS)");
    FiftyMegabytesUnderLimit(dir.File("store.wal"), /*data_dir=*/false);
    FiftyMegabytesUnderLimit(dir.File("data"), /*data_dir=*/true);
  });
#endif
}

// --- 2. A thousand stores in one process ------------------------------------

// A fresh directory in /dev/shm where there is one, else the usual temporary
// directory. This test is about descriptors and address space, not
// durability: on tmpfs the fsyncs of creating a thousand data directories (a
// few per store) cost nothing, on this VM's ext4 they take about 25 seconds.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm/kvstore_limits_XXXXXX"
                                                       : ::testing::TempDir() + "kvstore_XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl.data()), nullptr) << "mkdtemp failed for " << tmpl;
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    stdfs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Threads of this process (/proc/self/task entries).
int ThreadCount() {
  int n = 0;
  std::error_code ec;
  for (auto it = stdfs::directory_iterator("/proc/self/task", ec);
       !ec && it != stdfs::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

TEST(LimitsTest, ThousandDataDirectoryStoresOpenAtOnce) {
  constexpr int kStores = 1000;
  RaisedFileLimit limit;
  // Each open store holds two descriptors (its LOCK and its WAL segment).
  if (limit.soft() < 3 * kStores) {
    GTEST_SKIP() << "the hard RLIMIT_NOFILE (" << limit.soft() << ") is below the " << 3 * kStores
                 << " descriptors this test needs";
  }
  ScratchDir dir;
  std::vector<KvStore> stores;
  stores.reserve(kStores);
  const int threads_before = ThreadCount();
  // The background work of every store (once-a-second sync, checkpoint
  // triggers) runs on one shared pool, not on threads of its own.
  Options options = Quiet();
  options.sync = SyncMode::kEverySecond;
  for (int i = 0; i < kStores; ++i) {
    auto s = KvStore::open_dir(dir.File("s" + std::to_string(i)), options);
    ASSERT_TRUE(s.has_value()) << "store " << i << ": " << s.error().ToString();
    stores.push_back(std::move(*s));
  }
  for (int i = 0; i < kStores; ++i) {
    ASSERT_TRUE(stores[i].set("key", "value-" + std::to_string(i)).has_value()) << "store " << i;
  }
  for (int i = 0; i < kStores; ++i) {
    EXPECT_EQ(stores[i].get("key"), "value-" + std::to_string(i)) << "store " << i;
  }
  EXPECT_LE(ThreadCount(), threads_before + 4) << "threads grew with the number of stores";
  for (int i = 0; i < kStores; ++i) {
    auto r = stores[i].close();
    ASSERT_TRUE(r.has_value()) << "store " << i << ": " << r.error().ToString();
  }
  stores.clear();
  // Closed stores kept their writes.
  for (int i : {0, kStores / 2, kStores - 1}) {
    auto s = KvStore::open_dir(dir.File("s" + std::to_string(i)), Quiet());
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    EXPECT_EQ(s->get("key"), "value-" + std::to_string(i));
  }
}

// --- 3. Out of file descriptors ----------------------------------------------

int OpenDescriptors() {
  int n = 0;
  for (int fd = 0; fd < 1024; ++fd) n += ::fcntl(fd, F_GETFD) != -1 ? 1 : 0;
  return n;
}

// Opens stores until one fails for lack of descriptors; the error names EMFILE
// and the limit, and the stores already open keep working.
void OpenUntilOutOfDescriptors(const std::string& root, bool data_dir) {
  constexpr rlim_t kLimit = 64;
  struct rlimit rl;
  CHILD_CHECK(::getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
  rl.rlim_cur = kLimit;
  CHILD_CHECK(::setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit(RLIMIT_NOFILE)");
  std::vector<KvStore> stores;
  std::string error;
  for (int i = 0; i < static_cast<int>(kLimit) + 10; ++i) {
    const std::string path = root + "/s" + std::to_string(i);
    const int fds_before = OpenDescriptors();
    auto s = data_dir ? KvStore::open_dir(path, Quiet()) : KvStore::open(path, Quiet());
    if (!s) {
      error = s.error().ToString();
      // The failed open released whatever it had opened.
      CHILD_CHECK(OpenDescriptors() == fds_before, "a failed open leaked descriptors");
      break;
    }
    stores.push_back(std::move(*s));
  }
  CHILD_CHECK(!error.empty(), "every open succeeded under RLIMIT_NOFILE 64");
  CHILD_CHECK(stores.size() >= 10, "only " + std::to_string(stores.size()) + " stores opened");
  CHILD_CHECK(error.find("Too many open files") != std::string::npos, "error: " + error);
  CHILD_CHECK(error.find("(RLIMIT_NOFILE 64)") != std::string::npos, "error: " + error);
  std::fprintf(stderr, "after %zu stores: %s\n", stores.size(), error.c_str());
  // The open stores still take writes and serve reads.
  for (std::size_t i = 0; i < stores.size(); ++i) {
    auto r = stores[i].set("key", "value-" + std::to_string(i));
    CHILD_CHECK(r.has_value(), "set after EMFILE: " + r.error().ToString());
  }
  for (std::size_t i = 0; i < stores.size(); ++i) {
    CHILD_CHECK(stores[i].get("key") == "value-" + std::to_string(i), "get after EMFILE");
  }
  for (auto& s : stores) {
    auto r = s.close();
    CHILD_CHECK(r.has_value(), "close after EMFILE: " + r.error().ToString());
  }
}

TEST(LimitsTest, OutOfFileDescriptorsIsAClearErrorDataDir) {
  TempDir dir;
  RunInChild([&] { OpenUntilOutOfDescriptors(dir.path(), /*data_dir=*/true); });
}

TEST(LimitsTest, OutOfFileDescriptorsIsAClearErrorWalFile) {
  TempDir dir;
  RunInChild([&] { OpenUntilOutOfDescriptors(dir.path(), /*data_dir=*/false); });
}

// --- 4. Disk held by an open store ------------------------------------------

constexpr uint64_t kMiB = uint64_t{1} << 20;

TEST(LimitsTest, OpenDataDirectoryWithFewKeysHoldsAtMostOneMiB) {
  TempDir dir;
  const std::string path = dir.File("data");
  {
    auto s = KvStore::open_dir(path, Quiet());
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    for (int i = 0; i < 28; ++i)
      ASSERT_TRUE(s->set("key" + std::to_string(i), "value").has_value());
    ASSERT_TRUE(s->checkpoint().has_value());  // a snapshot and a fresh segment too
    for (int i = 0; i < 28; ++i)
      ASSERT_TRUE(s->set("more" + std::to_string(i), "value").has_value());
    EXPECT_LE(DiskUsage(path), kMiB);
  }
  // Reopened (replay of the segment), still small.
  auto s = KvStore::open_dir(path, Quiet());
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(s->size(), 56u);
  EXPECT_LE(DiskUsage(path), kMiB);
}

TEST(LimitsTest, OpenWalFileWithFewKeysHoldsAtMostOneMiB) {
  TempDir dir;
  {
    auto s = KvStore::open(dir.File("store.wal"), Quiet());
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    for (int i = 0; i < 28; ++i)
      ASSERT_TRUE(s->set("key" + std::to_string(i), "value").has_value());
    ASSERT_TRUE(s->save_to_file(dir.File("snapshot.json")).has_value());
    for (int i = 0; i < 28; ++i)
      ASSERT_TRUE(s->set("more" + std::to_string(i), "value").has_value());
    EXPECT_LE(DiskUsage(dir.path()), kMiB);
  }
  auto s = KvStore::load_from_file(dir.File("snapshot.json"), dir.File("store.wal"), Quiet());
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(s->size(), 56u);
  EXPECT_LE(DiskUsage(dir.path()), kMiB);
}

// A writer that fills the log quickly sees its preallocation steps (the growth
// of the file's size beyond the records) grow from a small first step to
// large ones, never beyond 16 MiB.
TEST(LimitsTest, PreallocationGrowsWithTheWriteRate) {
  TempDir dir;
  const std::string wal = dir.File("store.wal");
  auto s = KvStore::open(wal, Quiet());
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  auto file_size = [&] {
    struct stat st;
    EXPECT_EQ(::stat(wal.c_str(), &st), 0);
    return static_cast<uint64_t>(st.st_size);
  };
  std::vector<uint64_t> steps;
  uint64_t size = file_size();
  steps.push_back(size);  // the first preallocation (the log is a 32-byte header)
  const std::string value(4000, 'v');
  for (int i = 0; i < 20000; ++i) {  // 80 MB
    ASSERT_TRUE(s->set("key" + std::to_string(i), value).has_value());
    const uint64_t now = file_size();
    if (now != size) steps.push_back(now - size);
    size = now;
  }
  std::string seen;
  for (auto st : steps) seen += std::to_string(st >> 10) + " KiB, ";
  SCOPED_TRACE("steps: " + seen);
  EXPECT_LE(steps.front(), 256 * 1024u);
  EXPECT_GE(*std::max_element(steps.begin(), steps.end()), 4 * kMiB);
  EXPECT_LE(*std::max_element(steps.begin(), steps.end()), 16 * kMiB);
  // Growth is geometric: far fewer steps than 80 MB in first-step units.
  EXPECT_LT(steps.size(), 40u);
  // And the log's records were all kept.
  ASSERT_TRUE(s->close().has_value());
  auto again = KvStore::open(wal, Quiet());
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(again->size(), 20000u);
}

// The log's mapping grows (and moves) under appends while a checkpoint thread
// copies records out of it with ReadAt: the reader always gets the bytes that
// were appended, never a fault on an address the mapping left.
TEST(LimitsTest, ReadersSeeAppendedBytesWhileTheMappingGrowsAndMoves) {
  TempDir dir;
  auto opened = FileSystem::Default()->OpenLogFile(dir.File("grow.log"), 0);
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  std::shared_ptr<LogFile> log = std::move(*opened);
  constexpr std::size_t kRecord = 64;
  constexpr std::size_t kRecords = (std::size_t{48} << 20) / kRecord;  // 48 MiB: steps up to 16 MiB
  auto record = [](std::size_t i) {
    std::string r(kRecord, '\0');
    for (std::size_t b = 0; b < kRecord; b += 8) {
      const uint64_t word = (uint64_t{i} << 8) | (b + 1);  // never zero
      std::memcpy(r.data() + b, &word, 8);
    }
    return r;
  };
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  std::string reader_error;
  std::thread reader([&] {
    std::string buf(64 << 10, '\0');
    uint64_t seed = 1;
    while (!done.load(std::memory_order_acquire) && reader_error.empty()) {
      const uint64_t size = log->Size();
      if (size < kRecord) continue;
      seed = seed * 6364136223846793005u + 1442695040888963407u;
      const uint64_t first = (seed >> 20) % (size / kRecord);
      const std::size_t n =
          std::min<uint64_t>(buf.size() / kRecord, size / kRecord - first) * kRecord;
      auto r = log->ReadAt(first * kRecord, n, buf.data());
      if (!r) {
        reader_error = r.error().ToString();
        break;
      }
      for (std::size_t k = 0; k < n / kRecord; ++k) {
        if (std::memcmp(buf.data() + k * kRecord, record(first + k).data(), kRecord) != 0) {
          reader_error = "record " + std::to_string(first + k) + " read back wrong";
          break;
        }
      }
      reads.fetch_add(1, std::memory_order_relaxed);
    }
  });
  for (std::size_t i = 0; i < kRecords; ++i) {
    auto r = log->Append(record(i));
    if (!r) {
      ADD_FAILURE() << r.error().ToString();
      break;
    }
  }
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_EQ(reader_error, "");
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(log->Size(), kRecords * kRecord);
  ASSERT_TRUE(log->Close().has_value());
  // Close trimmed the preallocated tail; the mapping still serves reads.
  EXPECT_EQ(stdfs::file_size(dir.File("grow.log")), kRecords * kRecord);
  std::string last(kRecord, '\0');
  ASSERT_TRUE(log->ReadAt((kRecords - 1) * kRecord, kRecord, last.data()).has_value());
  EXPECT_EQ(last, record(kRecords - 1));
}

}  // namespace
}  // namespace kvstore::testing
