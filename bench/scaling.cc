// Copyright (c) the kvstore developers.
//
// scaling: one phase of bench/scaling.sh (docs/BENCHMARKS.md, "How cost grows
// with the number of keys") for one N, in a process of its own so that nothing
// an earlier phase allocated inflates a figure:
//
//   scaling fill   --keys N --dir DATA_DIR --snapshot FILE [--get-seconds 2]
//                  [--get-keys K]
//   scaling load   --keys N --snapshot FILE --wal FILE
//   scaling replay --keys N --dir DATA_DIR
//
// fill opens DATA_DIR (open_dir, SyncMode::kEverySecond, automatic checkpoints
// off so that the WAL keeps all N records for replay), sets N fresh keys
// (16-byte keys, 100-byte values) and times them, takes the RSS growth per
// key, runs random gets of present keys for --get-seconds on one thread (of
// the first K keys only with --get-keys: a working set smaller than the
// store, to tell the cost of a big store from that of a big working set), then
// writes the store to FILE with save_to_file (which leaves DATA_DIR as it is).
// load times load_from_file(FILE, a fresh WAL); replay times open_dir of
// DATA_DIR, which replays the N records of its WAL (no snapshot exists).
// Each prints one line of key=value fields, times both as wall time and as
// the process's CPU time (which does not count waiting for a core); the
// process fails if the store does not hold N keys afterwards.

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "bench_util.h"
#include "kvstore/kvstore.h"

namespace {

using kvbench::Clock;
using kvbench::SecondsSince;

// CPU seconds of the whole process (every thread) so far. Unlike wall time,
// it does not count the time a shared machine's other jobs hold the cores.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Args {
  std::string phase;
  std::size_t keys = 0;
  std::string dir;
  std::string snapshot;
  std::string wal;
  double get_seconds = 2;
  std::size_t get_keys = 0;  // 0: all N
};

[[noreturn]] void Usage(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s fill --keys N --dir DATA_DIR --snapshot FILE [--get-seconds S] [--get-keys K]\n"
      "       %s load --keys N --snapshot FILE --wal FILE\n"
      "       %s replay --keys N --dir DATA_DIR\n",
      argv0, argv0, argv0);
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  if (argc < 2) Usage(argv[0]);
  a.phase = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string f = argv[i];
    if (i + 1 >= argc) Usage(argv[0]);
    const char* v = argv[++i];
    if (f == "--keys") {
      a.keys = std::strtoull(v, nullptr, 10);
    } else if (f == "--dir") {
      a.dir = v;
    } else if (f == "--snapshot") {
      a.snapshot = v;
    } else if (f == "--wal") {
      a.wal = v;
    } else if (f == "--get-seconds") {
      a.get_seconds = std::strtod(v, nullptr);
    } else if (f == "--get-keys") {
      a.get_keys = std::strtoull(v, nullptr, 10);
    } else {
      Usage(argv[0]);
    }
  }
  const bool ok = a.keys > 0 && ((a.phase == "fill" && !a.dir.empty() && !a.snapshot.empty()) ||
                                 (a.phase == "load" && !a.snapshot.empty() && !a.wal.empty()) ||
                                 (a.phase == "replay" && !a.dir.empty()));
  if (!ok) Usage(argv[0]);
  return a;
}

// kEverySecond, quiet, and no automatic checkpoint: a checkpoint during the
// fill would cost the sets a snapshot's work and leave the WAL short of the N
// records the replay phase is about.
kvstore::Options StoreOptions() {
  kvstore::Options o;
  o.sync = kvstore::SyncMode::kEverySecond;
  o.log_level = kvstore::LogLevel::kWarn;
  o.checkpoint.wal_bytes = 0;
  o.checkpoint.after_changes.clear();
  o.checkpoint.on_close = false;
  return o;
}

kvstore::KvStore OrDie(kvstore::Result<kvstore::KvStore> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "scaling: %s: %s\n", what, r.error().ToString().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

void CheckSize(const kvstore::KvStore& store, std::size_t keys) {
  if (store.size() != keys) {
    std::fprintf(stderr, "scaling: expected %zu keys, the store holds %zu\n", keys, store.size());
    std::exit(1);
  }
}

int Fill(const Args& a) {
  // The keys and values exist before the first RSS reading, so that the
  // growth is the store's alone.
  const kvbench::KeySet keys(a.keys);
  const kvbench::ValuePool values;
  kvstore::KvStore store = OrDie(kvstore::KvStore::open_dir(a.dir, StoreOptions()), "open_dir");
  const uint64_t rss0 = kvbench::ReadRssBytes("VmRSS:");
  const uint64_t anon0 = kvbench::ReadRssBytes("RssAnon:");
  auto start = Clock::now();
  double cpu = CpuSeconds();
  for (std::size_t i = 0; i < a.keys; ++i) {
    auto r = store.set(std::string(keys[i]), std::string(values.Get(i)));
    if (!r) {
      std::fprintf(stderr, "scaling: set: %s\n", r.error().ToString().c_str());
      return 1;
    }
  }
  const double set_seconds = SecondsSince(start);
  const double set_cpu = CpuSeconds() - cpu;
  const uint64_t rss1 = kvbench::ReadRssBytes("VmRSS:");
  const uint64_t anon1 = kvbench::ReadRssBytes("RssAnon:");
  CheckSize(store, a.keys);

  // Random gets of present keys (of the first --get-keys ones if given), in
  // batches between clock readings.
  const std::size_t get_range = a.get_keys > 0 && a.get_keys < a.keys ? a.get_keys : a.keys;
  kvbench::Rng rng(7);
  uint64_t gets = 0, misses = 0;
  start = Clock::now();
  cpu = CpuSeconds();
  double get_seconds = 0;
  std::string value;  // reused, as a read loop does (get(key, &value))
  do {
    for (int j = 0; j < 1024; ++j) {
      if (!store.get(keys[rng.Uniform(get_range)], &value)) ++misses;
    }
    gets += 1024;
    get_seconds = SecondsSince(start);
  } while (get_seconds < a.get_seconds);
  const double get_cpu = CpuSeconds() - cpu;
  if (misses != 0) {
    std::fprintf(stderr, "scaling: %llu gets of present keys missed\n",
                 static_cast<unsigned long long>(misses));
    return 1;
  }

  start = Clock::now();
  cpu = CpuSeconds();
  auto saved = store.save_to_file(a.snapshot);
  const double save_seconds = SecondsSince(start);
  const double save_cpu = CpuSeconds() - cpu;
  if (!saved) {
    std::fprintf(stderr, "scaling: save_to_file: %s\n", saved.error().ToString().c_str());
    return 1;
  }
  if (auto closed = store.close(); !closed) {
    std::fprintf(stderr, "scaling: close: %s\n", closed.error().ToString().c_str());
    return 1;
  }
  const double n = static_cast<double>(a.keys);
  std::printf(
      "phase=fill keys=%zu set_ns=%.1f get_ns=%.1f gets=%llu bytes_per_key=%.1f "
      "anon_bytes_per_key=%.1f save_ns_per_key=%.1f set_seconds=%.3f save_seconds=%.3f "
      "set_cpu_ns=%.1f get_cpu_ns=%.1f save_cpu_ns_per_key=%.1f\n",
      a.keys, set_seconds * 1e9 / n, get_seconds * 1e9 / static_cast<double>(gets),
      static_cast<unsigned long long>(gets), (static_cast<double>(rss1) - rss0) / n,
      (static_cast<double>(anon1) - anon0) / n, save_seconds * 1e9 / n, set_seconds, save_seconds,
      set_cpu * 1e9 / n, get_cpu * 1e9 / static_cast<double>(gets), save_cpu * 1e9 / n);
  return 0;
}

int Load(const Args& a) {
  const auto start = Clock::now();
  const double cpu = CpuSeconds();
  kvstore::KvStore store =
      OrDie(kvstore::KvStore::load_from_file(a.snapshot, a.wal, StoreOptions()), "load_from_file");
  const double seconds = SecondsSince(start);
  const double cpu_seconds = CpuSeconds() - cpu;
  CheckSize(store, a.keys);
  const double n = static_cast<double>(a.keys);
  std::printf(
      "phase=load keys=%zu load_ns_per_key=%.1f load_seconds=%.3f snapshot_keys=%llu "
      "load_cpu_ns_per_key=%.1f\n",
      a.keys, seconds * 1e9 / n, seconds,
      static_cast<unsigned long long>(store.recovery_stats().snapshot_keys), cpu_seconds * 1e9 / n);
  return 0;
}

int Replay(const Args& a) {
  const auto start = Clock::now();
  const double cpu = CpuSeconds();
  kvstore::KvStore store = OrDie(kvstore::KvStore::open_dir(a.dir, StoreOptions()), "open_dir");
  const double seconds = SecondsSince(start);
  const double cpu_seconds = CpuSeconds() - cpu;
  CheckSize(store, a.keys);
  const kvstore::RecoveryStats rs = store.recovery_stats();
  if (rs.records_replayed != a.keys || rs.snapshot_keys != 0) {
    std::fprintf(stderr,
                 "scaling: replay applied %llu records over a snapshot of %llu keys, not %zu\n",
                 static_cast<unsigned long long>(rs.records_replayed),
                 static_cast<unsigned long long>(rs.snapshot_keys), a.keys);
    return 1;
  }
  const double recovery_seconds = static_cast<double>(rs.duration.count()) / 1e6;
  std::printf(
      "phase=replay keys=%zu replay_ns_per_record=%.1f records_per_second=%.0f "
      "open_seconds=%.3f records_replayed=%llu open_cpu_ns_per_record=%.1f\n",
      a.keys, recovery_seconds * 1e9 / static_cast<double>(rs.records_replayed),
      static_cast<double>(rs.records_replayed) / recovery_seconds, seconds,
      static_cast<unsigned long long>(rs.records_replayed),
      cpu_seconds * 1e9 / static_cast<double>(rs.records_replayed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  if (a.phase == "fill") return Fill(a);
  if (a.phase == "load") return Load(a);
  return Replay(a);
}
