// Copyright (c) the kvstore developers.
//
// checkpoint_latency: what a background checkpoint costs the writers
// (docs/BENCHMARKS.md, "Checkpoint interference"). A data directory is filled with N keys (16-byte keys,
// 100-byte values); then writer threads overwrite random keys and time every
// set, first with no checkpoint running ("idle") and then while checkpoints
// of the whole store run back to back ("checkpoint"). The phases alternate
// for --rounds rounds so that drift of this shared machine hits both alike.
//
// Reported: p50 / p99 / p99.9 / max set latency per phase and the ratios
// checkpoint/idle, and the peak extra memory during a checkpoint: VmHWM (peak
// RSS, reset through /proc/self/clear_refs before each checkpoint phase)
// minus the RSS before it, relative to the dataset's RSS growth at fill.
// The per-set latency buffers are allocated and touched before that RSS is
// read (room for kMaxSetsPerSecond per writer), so that the program's own
// samples do not count as the checkpoint's memory; a phase that outruns them
// stops recording and says so.
//
//   checkpoint_latency [--keys 1000000] [--writers 1] [--seconds 3]
//                      [--rounds 3] [--dir /tmp] [--timeline FILE]
//
// --timeline FILE also writes the latency over time as CSV, one row per
// 100 ms window of the measured phases (time from the first phase's start,
// phase, sets, p50/p99/max in µs), for scripts/plots.
//
// One writer by default: on 2 cores the checkpoint thread needs the other
// core, and a second writer would measure CPU starvation, not the store.

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "kvstore/kvstore.h"

namespace {

using kvbench::Clock;

struct Args {
  std::size_t keys = 1000000;
  int writers = 1;
  double seconds = 3;
  int rounds = 3;
  std::string dir;
  std::string timeline;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", f.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (f == "--keys") {
      a.keys = std::stoull(next());
    } else if (f == "--writers") {
      a.writers = std::stoi(next());
    } else if (f == "--seconds") {
      a.seconds = std::stod(next());
    } else if (f == "--rounds") {
      a.rounds = std::stoi(next());
    } else if (f == "--dir") {
      a.dir = next();
    } else if (f == "--timeline") {
      a.timeline = next();
    } else if (f == "--help" || f == "-h") {
      std::printf(
          "usage: checkpoint_latency [--keys N] [--writers T] [--seconds S] [--rounds R] [--dir D]\n"
          "                          [--timeline FILE]\n"
          "Set latency with and without a concurrent checkpoint, and peak extra memory.\n");
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown flag %s (try --help)\n", f.c_str());
      std::exit(2);
    }
  }
  return a;
}

double Percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
  return v[idx] / 1000.0;  // ns -> µs
}

// Sets per second per writer that the latency buffers have room for.
constexpr double kMaxSetsPerSecond = 5e6;

void ResetPeakRss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

// Latency of the sets that started in one 100 ms window (--timeline).
struct Window {
  const char* phase;
  std::vector<uint32_t> ns;
};
constexpr auto kWindow = std::chrono::milliseconds(100);

struct Phase {
  std::vector<uint32_t> ns;  // per-set latency
  uint64_t checkpoints = 0;
  double checkpoint_seconds = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  kvbench::TempDir tmp(a.dir);
  kvstore::Options o;
  o.log_level = kvstore::LogLevel::kWarn;
  o.checkpoint.wal_bytes = 0;  // checkpoints only when this program asks
  o.checkpoint.after_changes.clear();
  o.checkpoint.on_close = false;
  auto store = kvstore::KvStore::open_dir(tmp.File("data"), o).value();

  const kvbench::KeySet keys(a.keys);
  const kvbench::ValuePool values;
  const uint64_t rss_empty = kvbench::ReadRssBytes();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    store.set(std::string(keys[i]), std::string(values.Get(i))).value();
  }
  store.checkpoint().value();  // start from a compact WAL
  const uint64_t dataset = kvbench::ReadRssBytes() - rss_empty;
  std::printf("keys %zu, dataset RSS %.1f MB (stats: %.1f MB), writers %d, %.1f s per phase, %d rounds\n",
              a.keys, dataset / 1e6, store.stats().memory_bytes / 1e6, a.writers, a.seconds,
              a.rounds);

  Phase idle, busy;
  uint64_t worst_extra = 0;
  const auto t0 = Clock::now();
  std::vector<Window> windows;  // by window index since t0
  for (int round = 0; round < a.rounds; ++round) {
    for (int with_checkpoint = 0; with_checkpoint < 2; ++with_checkpoint) {
      Phase& ph = with_checkpoint ? busy : idle;
      std::atomic<bool> stop{false};
      std::atomic<bool> checkpointing{false};
      // Resident before rss_before is read: growing them during the phase
      // would add tens of MB to the peak (4 bytes per set).
      const auto room = static_cast<std::size_t>(a.seconds * kMaxSetsPerSecond) + 1;
      std::vector<std::vector<uint32_t>> lat(static_cast<std::size_t>(a.writers),
                                             std::vector<uint32_t>(room));
      std::vector<std::vector<uint32_t>> started(  // windows, --timeline only
          static_cast<std::size_t>(a.writers),
          std::vector<uint32_t>(a.timeline.empty() ? 0 : room));
      const uint64_t rss_before = kvbench::ReadRssBytes();
      ResetPeakRss();
      std::thread ckpt;
      if (with_checkpoint) {
        ckpt = std::thread([&] {
          while (!stop.load()) {
            checkpointing = true;
            const auto start = Clock::now();
            store.checkpoint().value();
            ph.checkpoint_seconds += kvbench::SecondsSince(start);
            ++ph.checkpoints;
          }
          checkpointing = false;
        });
        while (!checkpointing.load()) std::this_thread::yield();
      }
      const auto deadline =
          Clock::now() + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(a.seconds));
      kvbench::RunThreads(a.writers, [&](int t) {
        kvbench::Rng rng(1000 + static_cast<uint64_t>(round * 16 + with_checkpoint * 4 + t));
        auto& mine = lat[static_cast<std::size_t>(t)];
        auto& when = started[static_cast<std::size_t>(t)];
        std::string key, value;
        uint64_t n = 0;
        for (;; ++n) {
          if ((n & 255) == 0 && Clock::now() >= deadline) break;
          if (n == mine.size()) {
            std::fprintf(stderr, "checkpoint_latency: more than %.0f sets/s; the rest of the phase is not timed\n",
                         kMaxSetsPerSecond);
            break;
          }
          const uint64_t i = rng.Uniform(keys.size());
          key.assign(keys[i]);
          value.assign(values.Get(i + n));
          const auto start = Clock::now();
          store.set(std::move(key), std::move(value)).value();
          const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
          mine[n] = static_cast<uint32_t>(std::min<int64_t>(ns.count(), UINT32_MAX));
          if (!a.timeline.empty()) when[n] = static_cast<uint32_t>((start - t0) / kWindow);
        }
        mine.resize(n);
        if (!a.timeline.empty()) when.resize(n);
      });
      stop = true;
      if (ckpt.joinable()) ckpt.join();
      const uint64_t peak = kvbench::ReadRssBytes("VmHWM:");
      if (with_checkpoint) worst_extra = std::max(worst_extra, peak > rss_before ? peak - rss_before : 0);
      for (auto& v : lat) ph.ns.insert(ph.ns.end(), v.begin(), v.end());
      for (std::size_t t = 0; t < started.size(); ++t) {
        for (std::size_t n = 0; n < started[t].size(); ++n) {
          const std::size_t w = started[t][n];
          if (windows.size() <= w) windows.resize(w + 1, Window{nullptr, {}});
          windows[w].phase = with_checkpoint ? "checkpoint" : "idle";
          windows[w].ns.push_back(lat[t][n]);
        }
      }
    }
  }

  auto row = [](const char* name, Phase& ph) {
    const double p50 = Percentile(ph.ns, 0.50), p99 = Percentile(ph.ns, 0.99),
                 p999 = Percentile(ph.ns, 0.999), mx = Percentile(ph.ns, 1.0);
    std::printf("%-11s sets %9zu  p50 %7.2f us  p99 %7.2f us  p99.9 %8.2f us  max %9.1f us\n", name,
                ph.ns.size(), p50, p99, p999, mx);
    return std::vector<double>{p50, p99, p999, mx};
  };
  const auto i = row("idle", idle);
  const auto b = row("checkpoint", busy);
  std::printf("ratio checkpoint/idle: p50 %.2fx  p99 %.2fx  p99.9 %.2fx  max %.2fx\n", b[0] / i[0],
              b[1] / i[1], b[2] / i[2], b[3] / i[3]);
  std::printf("checkpoints during the busy phases: %llu, mean %.3f s each\n",
              static_cast<unsigned long long>(busy.checkpoints),
              busy.checkpoints ? busy.checkpoint_seconds / static_cast<double>(busy.checkpoints) : 0);
  std::printf("peak extra RSS during checkpoints: %.1f MB = %.1f%% of the dataset\n",
              worst_extra / 1e6, 100.0 * static_cast<double>(worst_extra) / static_cast<double>(dataset));
  if (!a.timeline.empty()) {
    std::FILE* out = std::fopen(a.timeline.c_str(), "w");
    if (out == nullptr) {
      std::fprintf(stderr, "cannot write %s: %s\n", a.timeline.c_str(), std::strerror(errno));
      return 1;
    }
    std::fprintf(out, "seconds,phase,sets,p50_us,p99_us,max_us\n");
    for (std::size_t w = 0; w < windows.size(); ++w) {
      Window& win = windows[w];
      if (win.ns.empty()) continue;
      std::fprintf(out, "%.1f,%s,%zu,%.2f,%.2f,%.1f\n", static_cast<double>(w) * 0.1, win.phase,
                   win.ns.size(), Percentile(win.ns, 0.50), Percentile(win.ns, 0.99),
                   Percentile(win.ns, 1.0));
    }
    std::fclose(out);
  }
  return 0;
}
