// Copyright (c) the kvstore developers.
//
// FormatPrometheus: exact values after a known workload, histogram shape, and
// the whole output accepted by `promtool check metrics` (the Prometheus
// project's own linter, from Debian's prometheus package, which scripts/dev
// installs: a missing promtool fails the test rather than skipping it).

#include <gtest/gtest.h>
#include <stdio.h>

#include <string>

#include "kvstore/kvstore.h"
#include "support/temp_dir.h"

namespace kvstore {
namespace {

using kvstore::testing::TempDir;
using kvstore::testing::WriteFileBytes;

// Runs a shell command, returning its exit status and combined output.
int RunShell(const std::string& cmd, std::string* output) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  return ::pclose(p);
}

Stats Workload(const TempDir& dir) {
  Options o;
  o.sync = SyncMode::kAlways;
  o.log_level = LogLevel::kOff;
  o.checkpoint.on_close = false;
  auto s = KvStore::open_dir(dir.File("data"), o).value();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(s.set("k" + std::to_string(i), "v"));
  EXPECT_TRUE(s.get("k1"));
  EXPECT_FALSE(s.get("nope"));
  EXPECT_TRUE(s.remove("k0"));
  EXPECT_TRUE(s.checkpoint());
  return s.stats();
}

TEST(MetricsTest, ExactValuesAfterAKnownWorkload) {
  TempDir dir;
  const std::string text = FormatPrometheus(Workload(dir));
  for (const char* line :
       {"kvstore_keys 4\n", "kvstore_operations_total{type=\"set\"} 5\n",
        "kvstore_operations_total{type=\"get\"} 2\n",
        "kvstore_operations_total{type=\"remove\"} 1\n", "kvstore_get_hits_total 1\n",
        "kvstore_get_misses_total 1\n", "kvstore_wal_records_total 6\n",
        "kvstore_checkpoints_total 1\n", "kvstore_checkpoint_failures_total 0\n",
        "kvstore_last_checkpoint_ok 1\n", "kvstore_changes_since_checkpoint 0\n",
        // kAlways: each of the 6 writes waited for its own fdatasync
        "kvstore_group_commit_records_bucket{le=\"1\"} 6\n",
        "kvstore_wal_sync_duration_seconds_count 6\n",
        "kvstore_wal_sync_duration_seconds_bucket{le=\"+Inf\"} 6\n",
        "# TYPE kvstore_wal_sync_duration_seconds histogram\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in\n" << text;
  }
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Stats s;
  s.wal_sync_seconds.bounds = {0.001, 0.01};
  s.wal_sync_seconds.counts = {2, 3, 1};
  s.wal_sync_seconds.count = 6;
  s.wal_sync_seconds.sum = 0.5;
  const std::string text = FormatPrometheus(s);
  EXPECT_NE(text.find("kvstore_wal_sync_duration_seconds_bucket{le=\"0.001\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kvstore_wal_sync_duration_seconds_bucket{le=\"0.01\"} 5\n"),
            std::string::npos);
  EXPECT_NE(text.find("kvstore_wal_sync_duration_seconds_bucket{le=\"+Inf\"} 6\n"),
            std::string::npos);
  EXPECT_NE(text.find("kvstore_wal_sync_duration_seconds_sum 0.5\n"), std::string::npos);
}

TEST(MetricsTest, PromtoolAcceptsTheOutput) {
  TempDir dir;
  Stats st = Workload(dir);
  // Also a failed-checkpoint label with characters that need escaping.
  Stats failed = st;
  failed.last_checkpoint_ok = false;
  failed.last_checkpoint_error = "no space: write '/x/\"y\"'\nline two\\";
  for (const Stats* s : {&st, &failed}) {
    const std::string file = dir.File("metrics.txt");
    WriteFileBytes(file, FormatPrometheus(*s));
    std::string out;
    const int status = RunShell("promtool check metrics < '" + file + "'", &out);
    EXPECT_EQ(status, 0) << "promtool (from Debian's prometheus package) rejected the output or "
                            "is missing:\n"
                         << out;
    EXPECT_EQ(out.find("error"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace kvstore
