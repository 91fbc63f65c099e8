// Copyright (c) the kvstore developers.
//
// kvstore_compare: runs every workload of docs/BENCHMARKS.md against every competitor
// in one process run and prints one table of ratios against the competitor
// measured in the same run (the machine is shared: absolute figures drift,
// ratios much less).
//
//   kvstore_compare [--keys N] [--dir PATH] [--quick] [--rounds R]
//                   [--always-threads T] [--always-seconds S]
//                   [--only GROUPS] [--no-leveldb] [--samples FILE]
//
// Competitors: the seed design (seed_baseline.h), kvstore (kEverySecond, or
// kAlways for the group-commit workload), LevelDB (sync=false, or sync=true
// for the group-commit workload) and, for the group-commit workload, this
// disk's raw rate of appending a 100-byte record and fdatasync-ing it, in the
// same directory. The gets also run against a "ceiling": one prefilled
// absl::flat_hash_map read with no lock at all, which no thread-safe map can
// beat. Each reading thread copies values into one string it reuses
// (kvstore's get(key, &value)); the seed's get returns a new string per
// call, as the seed's does. The "new string per get" row reads each value
// into a fresh string for everyone (kvstore's get(key) costs that).
// --only runs some workload groups (comma-separated: get,
// fill, mixed, always, replay, saveload, memory; default all). Replay and
// save/load here run inside this process right after the fill, with the other
// stores still in memory; bench/speed_table.sh measures them in fresh
// processes, as a user restarting meets them. --samples appends every
// per-round figure to FILE as "workload<TAB>competitor<TAB>value" lines, in
// round order (bench/speed_table.sh reads them). Each round runs every competitor
// once, one after the other, so that slow drifts of the machine hit them all;
// the table shows the median over rounds and the range of per-round ratios.
// Memory per key is measured by the memory_per_key program (one process per
// competitor) found next to this binary.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "engines.h"

namespace kvbench {
namespace {

struct Config {
  std::size_t keys = 1000000;
  std::string dir;  // parent of the fresh data directory; empty: the temp dir
  int rounds = 3;
  int always_threads = 32;
  double always_seconds = 2.0;
  std::string self;  // argv[0], to find memory_per_key
  std::vector<std::string> only;  // workload groups to run; empty: all
  bool leveldb = true;
  std::string samples;  // file the per-round figures are appended to; empty: none

  bool Want(const std::string& group) const {
    return only.empty() || std::find(only.begin(), only.end(), group) != only.end();
  }
};

// ---- results ----

class Results {
 public:
  void Add(const std::string& workload, const std::string& competitor, double v) {
    samples_[{workload, competitor}].push_back(v);
  }
  const std::vector<double>* Samples(const std::string& w, const std::string& c) const {
    auto it = samples_.find({w, c});
    return it == samples_.end() ? nullptr : &it->second;
  }
  std::optional<double> Median(const std::string& w, const std::string& c) const {
    const auto* s = Samples(w, c);
    if (s == nullptr || s->empty()) return std::nullopt;
    std::vector<double> v = *s;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

 private:
  std::map<std::pair<std::string, std::string>, std::vector<double>> samples_;
};

// ---- workloads; each returns operations per second ----

double Fill(Engine& e, const KeySet& keys, const ValuePool& values, int threads) {
  const std::size_t n = keys.size();
  const double secs = RunThreads(threads, [&](int t) {
    for (std::size_t i = t; i < n; i += threads) e.Set(keys[i], values.Get(i));
  });
  return static_cast<double>(n) / secs;
}

// Uniformly random gets of present keys; ops_per_thread on each thread. Each
// thread reads into one string it reuses, as a read loop would; with
// new_string, into a fresh string per get, so that every engine allocates
// per hit as a get returning its value does.
double Gets(Engine& e, const KeySet& keys, int threads, std::size_t ops_per_thread,
            bool new_string = false) {
  std::atomic<std::size_t> misses{0};
  const double secs = RunThreads(threads, [&](int t) {
    Rng rng(1000 + t);
    std::size_t miss = 0;
    std::string value;
    for (std::size_t i = 0; i < ops_per_thread; ++i) {
      const std::string_view key = keys[rng.Uniform(keys.size())];
      if (new_string) {
        std::string fresh;
        miss += !e.Get(key, &fresh);
      } else {
        miss += !e.Get(key, &value);
      }
    }
    misses += miss;
  });
  if (misses != 0) throw std::runtime_error("gets: " + std::to_string(misses.load()) + " keys missing");
  return static_cast<double>(ops_per_thread * threads) / secs;
}

// 90 % gets, 10 % sets (overwrites of present keys), uniformly random keys.
double Mixed(Engine& e, const KeySet& keys, const ValuePool& values, int threads,
             std::size_t ops_per_thread) {
  std::atomic<std::size_t> misses{0};
  const double secs = RunThreads(threads, [&](int t) {
    Rng rng(2000 + t);
    std::size_t miss = 0;
    std::string value;
    for (std::size_t i = 0; i < ops_per_thread; ++i) {
      const std::size_t k = rng.Uniform(keys.size());
      if (rng.Uniform(10) == 0) {
        e.Set(keys[k], values.Get(rng.Next()));
      } else {
        miss += !e.Get(keys[k], &value);
      }
    }
    misses += miss;
  });
  if (misses != 0) throw std::runtime_error("mixed: " + std::to_string(misses.load()) + " keys missing");
  return static_cast<double>(ops_per_thread * threads) / secs;
}

// `threads` writers setting their own keys for `seconds`.
double TimedWriters(Engine& e, const KeySet& keys, const ValuePool& values, int threads,
                    double seconds) {
  std::atomic<uint64_t> total{0};
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));
  const double secs = RunThreads(threads, [&](int t) {
    uint64_t ops = 0;
    for (std::size_t i = t; Clock::now() < deadline; i += threads, ++ops) {
      e.Set(keys[i % keys.size()], values.Get(i));
    }
    total += ops;
  });
  return static_cast<double>(total.load()) / secs;
}

// This disk's raw durable-append rate: one thread appends a 100-byte record
// to a fresh file in dir and fdatasyncs it, again and again, for `seconds`;
// returns appends per second. What kAlways group commit is measured against.
// With busy_cpu, a second thread spins meanwhile: on a VM whose vCPUs halt
// when idle, waking the waiting thread after each flush can cost more than
// the flush itself (milliseconds against a fraction of one), and kvstore's
// many writers keep the vCPUs busy; the busy figure is the disk's.
double RawAppendSyncRate(const std::string& dir, const ValuePool& values, double seconds,
                         bool busy_cpu) {
  std::atomic<bool> stop{false};
  std::thread spinner;
  if (busy_cpu) {
    spinner = std::thread([&stop] {
      while (!stop.load(std::memory_order_relaxed)) {
      }
    });
  }
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join{stop, spinner};
  const std::string path = dir + "/raw-append.log";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  uint64_t n = 0;
  std::string record;
  for (; Clock::now() < deadline; ++n) {
    record.assign(values.Get(n));
    record.back() = '\n';
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd) != 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error("append+fdatasync " + path + ": " + std::strerror(err));
    }
  }
  const double secs = SecondsSince(start);
  ::close(fd);
  std::filesystem::remove(path);
  return static_cast<double>(n) / secs;
}

std::string Num(double v) {
  char buf[64];
  if (v >= 1e5) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (v >= 100) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

// The name of the gets workload at `threads` threads.
// The 2-thread gets again, each into a fresh string.
const char kGetsNewString[] = "get, new string per get, 2 threads";

std::string GetsWorkload(int threads) {
  return threads == 1 ? "get, 1 thread" : "get, " + std::to_string(threads) + " threads";
}

// ---- the run ----

// One competitor of the read/write workloads.
struct Competitor {
  std::string name;
  std::function<std::unique_ptr<Engine>(const std::string& dir)> make;
  // If set: closes the engine that filled dir, then times reopening (replaying)
  // its WAL; returns records/s.
  std::function<double(std::unique_ptr<Engine>, const std::string& dir)> replay;
};

class Runner {
 public:
  Runner(const Config& cfg, const TempDir& dir)
      : cfg_(cfg), dir_(dir), keys_(cfg.keys), ops_(std::max<std::size_t>(cfg.keys, 200000)) {}

  void Run() {
    if (cfg_.Want("memory")) {
      MeasureMemory("seed");
      MeasureMemory("kvstore");
    }
    std::vector<Competitor> order = Competitors();
    for (int r = 0; r < cfg_.rounds; ++r) {
      std::fprintf(stderr, "round %d/%d\n", r + 1, cfg_.rounds);
      // Alternate who goes first, so that an order effect cancels out.
      std::reverse(order.begin(), order.end());
      Round(order);
      if (cfg_.Want("always")) AlwaysRound(r % 2 == 1);
    }
  }
  const Results& results() const { return results_; }

 private:
  std::vector<Competitor> Competitors() {
    std::vector<Competitor> c;
    c.push_back({"seed", [](const std::string& d) { return std::make_unique<SeedEngine>(d + "/seed.wal"); },
                 [this](std::unique_ptr<Engine> e, const std::string& d) {
                   e.reset();
                   const auto start = Clock::now();
                   SeedStore again(d + "/seed.wal");
                   const double secs = SecondsSince(start);
                   Check(again.Size(), "seed replay");
                   return static_cast<double>(keys_.size()) / secs;
                 }});
    c.push_back({"kvstore",
                 [](const std::string& d) {
                   return std::make_unique<KvEngine>(d + "/kv.wal", kvstore::SyncMode::kEverySecond);
                 },
                 [this](std::unique_ptr<Engine> e, const std::string& d) {
                   static_cast<KvEngine&>(*e).store().close().value();
                   e.reset();
                   kvstore::KvStore again = KvEngine::Open(d + "/kv.wal", kvstore::SyncMode::kEverySecond);
                   const kvstore::RecoveryStats rs = again.recovery_stats();
                   Check(again.size(), "kvstore replay");
                   return static_cast<double>(rs.records_replayed) /
                          (static_cast<double>(rs.duration.count()) / 1e6);
                 }});
#ifdef KVBENCH_HAVE_LEVELDB
    if (cfg_.leveldb)
      c.push_back(
          {"leveldb sync=false",
           [](const std::string& d) { return std::make_unique<LevelDbEngine>(d + "/db", false); },
           nullptr});
#endif
    return c;
  }

  std::string Fresh(const std::string& name) {
    const std::string p = dir_.File(name);
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p;
  }
  void Add(const std::string& what, const std::string& who, double v) {
    results_.Add(what, who, v);
    if (!cfg_.samples.empty()) {
      FILE* f = std::fopen(cfg_.samples.c_str(), "a");
      if (f == nullptr) throw std::runtime_error("cannot append to " + cfg_.samples);
      std::fprintf(f, "%s\t%s\t%.6g\n", what.c_str(), who.c_str(), v);
      std::fclose(f);
    }
    std::fprintf(stderr, "  %-30s %-20s %s\n", what.c_str(), who.c_str(), Num(v).c_str());
  }

  // Every read/write workload; each one runs for all competitors back to back
  // so that the competitors of one ratio see the same machine.
  void Round(const std::vector<Competitor>& order) {
    const bool fill1 = cfg_.Want("fill") || cfg_.Want("replay");
    for (std::size_t i = 0; fill1 && i < order.size(); ++i) {
      const Competitor& c = order[i];
      const std::string d = Fresh("fill1-" + std::to_string(i));
      auto e = c.make(d);
      Add("fill, 1 thread", c.name, Fill(*e, keys_, values_, 1));
      if (c.replay && cfg_.Want("replay"))
        Add("WAL replay, records/s", c.name, c.replay(std::move(e), d));
      e.reset();
      std::filesystem::remove_all(d);
    }
    if (!cfg_.Want("fill") && !cfg_.Want("get") && !cfg_.Want("mixed") && !cfg_.Want("saveload"))
      return;
    std::vector<std::unique_ptr<Engine>> engines;  // filled with 2 threads, kept for reads
    for (std::size_t i = 0; i < order.size(); ++i) {
      engines.push_back(order[i].make(Fresh("fill2-" + std::to_string(i))));
      const double rate = Fill(*engines[i], keys_, values_, 2);
      if (cfg_.Want("fill")) Add("fill, 2 threads", order[i].name, rate);
    }
    if (cfg_.Want("get")) {
      // The ceiling reads only: filled on one thread before the readers start.
      std::vector<std::string> names;
      for (const Competitor& c : order) names.push_back(c.name);
      names.push_back("ceiling");
      auto ceiling = std::make_unique<CeilingEngine>();
      for (std::size_t i = 0; i < keys_.size(); ++i) ceiling->Set(keys_[i], values_.Get(i));
      engines.push_back(std::move(ceiling));
      for (int threads : {1, 2, 4}) {
        const std::string w = GetsWorkload(threads);
        for (std::size_t i = 0; i < engines.size(); ++i) {
          Add(w, names[i], Gets(*engines[i], keys_, threads, ops_));
        }
      }
      for (std::size_t i = 0; i < engines.size(); ++i) {
        Add(kGetsNewString, names[i], Gets(*engines[i], keys_, 2, ops_, /*new_string=*/true));
      }
      engines.pop_back();  // not for writes
    }
    for (std::size_t i = 0; cfg_.Want("mixed") && i < order.size(); ++i) {
      Add("mixed 90/10, 2 threads", order[i].name, Mixed(*engines[i], keys_, values_, 2, ops_));
    }
    for (auto& e : engines) {
      auto* kv = dynamic_cast<KvEngine*>(e.get());
      if (kv != nullptr && cfg_.Want("saveload")) SaveLoad(kv->store());
    }
    engines.clear();
    for (std::size_t i = 0; i < order.size(); ++i) std::filesystem::remove_all(dir_.File("fill2-" + std::to_string(i)));
  }

  void SaveLoad(kvstore::KvStore& store) {
    const std::string d = Fresh("snapshot");
    auto start = Clock::now();
    store.save_to_file(d + "/store.json").value();
    Add("save_to_file, seconds", "kvstore", SecondsSince(start));
    start = Clock::now();
    {
      kvstore::KvStore loaded = kvstore::KvStore::load_from_file(d + "/store.json", d + "/load.wal").value();
      Add("load_from_file, seconds", "kvstore", SecondsSince(start));
      Check(loaded.size(), "load_from_file");
    }
    std::filesystem::remove_all(d);
  }

  // Group commit: many writers in kAlways / sync=true, each on a fresh store,
  // and the raw append+fdatasync rate of the same directory, before kvstore
  // in one round and after it in the next.
  void AlwaysRound(bool raw_first) {
    const std::string w = "kAlways, " + std::to_string(cfg_.always_threads) + " writers, writes/s";
    const auto raw = [&] {
      const std::string d = Fresh("raw-sync");
      Add(w, "raw append+fdatasync", RawAppendSyncRate(d, values_, cfg_.always_seconds, true));
      Add(w, "raw, idle CPU", RawAppendSyncRate(d, values_, cfg_.always_seconds, false));
      std::filesystem::remove_all(d);
    };
    if (raw_first) raw();
    {
      const std::string d = Fresh("always");
      {
        KvEngine e(d + "/kv.wal", kvstore::SyncMode::kAlways);
        Add(w, "kvstore kAlways", TimedWriters(e, keys_, values_, cfg_.always_threads, cfg_.always_seconds));
        const kvstore::Stats st = e.store().stats();
        Add("kAlways, writes per fdatasync", "kvstore kAlways",
            static_cast<double>(st.wal_records) / static_cast<double>(std::max<uint64_t>(st.wal_syncs, 1)));
      }
      std::filesystem::remove_all(d);
    }
    if (!raw_first) raw();
#ifdef KVBENCH_HAVE_LEVELDB
    if (cfg_.leveldb) {
      const std::string d = Fresh("always-leveldb");
      {
        LevelDbEngine e(d + "/db", true);
        Add(w, "leveldb sync=true", TimedWriters(e, keys_, values_, cfg_.always_threads, cfg_.always_seconds));
      }
      std::filesystem::remove_all(d);
    }
#endif
  }

  // Runs memory_per_key (next to this binary) in a process of its own.
  void MeasureMemory(const char* who) {
    const std::string bin = (std::filesystem::path(cfg_.self).parent_path() / "memory_per_key").string();
    if (!std::filesystem::exists(bin)) {
      std::fprintf(stderr, "memory_per_key not found at %s; skipping memory\n", bin.c_str());
      return;
    }
    const std::string cmd = "'" + bin + "' " + who + " --keys " + std::to_string(keys_.size()) +
                            " --dir '" + dir_.path() + "'";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) throw std::runtime_error("popen " + cmd);
    char line[1024] = {0};
    std::string out;
    while (std::fgets(line, sizeof line, p) != nullptr) out += line;
    const int status = ::pclose(p);
    const auto at = out.find("bytes_per_key=");
    if (status != 0 || at == std::string::npos) throw std::runtime_error("memory_per_key failed: " + out);
    std::printf("%s", out.c_str());  // the full line (anon/file split, peak) goes into the report
    std::fflush(stdout);
    Add("memory, bytes/key (RSS)", who, std::strtod(out.c_str() + at + 14, nullptr));
  }

  void Check(std::size_t size, const char* what) const {
    if (size != keys_.size()) {
      throw std::runtime_error(std::string(what) + ": " + std::to_string(size) + " keys, expected " +
                               std::to_string(keys_.size()));
    }
  }

  const Config& cfg_;
  const TempDir& dir_;
  const KeySet keys_;
  const ValuePool values_;
  const std::size_t ops_;  // operations per thread for gets and mixed
  Results results_;
};

// ---- the table ----

enum class Check { kNone, kRatioAtLeast, kValueAtLeast, kValueAtMost };

struct Row {
  std::string workload;
  std::string competitor;
  std::string baseline;  // the competitor ratios are taken against; empty: none
  Check check = Check::kNone;
  double target = 0;
};

std::vector<Row> Rows(const Config& cfg) {
  const std::string w32 = "kAlways, " + std::to_string(cfg.always_threads) + " writers, writes/s";
  std::vector<Row> rows;
  auto trio = [&](const std::string& w, Check c, double t) {
    rows.push_back({w, "seed", "", Check::kNone, 0});
    rows.push_back({w, "kvstore", "seed", c, t});
    rows.push_back({w, "leveldb sync=false", "seed", Check::kNone, 0});
  };
  auto ceiling = [&](const std::string& w) {
    rows.push_back({w, "ceiling", "seed", Check::kNone, 0});
    rows.push_back({w, "kvstore", "ceiling", Check::kNone, 0});
  };
  trio("get, 1 thread", Check::kNone, 0);
  ceiling("get, 1 thread");
  trio("get, 2 threads", Check::kRatioAtLeast, 2.5);
  ceiling("get, 2 threads");
  trio("get, 4 threads", Check::kNone, 0);
  ceiling("get, 4 threads");
  trio(kGetsNewString, Check::kNone, 0);
  ceiling(kGetsNewString);
  trio("fill, 1 thread", Check::kRatioAtLeast, 1.3);
  trio("fill, 2 threads", Check::kRatioAtLeast, 2.0);
  trio("mixed 90/10, 2 threads", Check::kRatioAtLeast, 5.0);
  rows.push_back({w32, "raw append+fdatasync", "", Check::kNone, 0});
  rows.push_back({w32, "raw, idle CPU", "raw append+fdatasync", Check::kNone, 0});
  rows.push_back({w32, "leveldb sync=true", "raw append+fdatasync", Check::kNone, 0});
  rows.push_back({w32, "kvstore kAlways", "raw append+fdatasync", Check::kRatioAtLeast, 16});
  rows.push_back({"kAlways, writes per fdatasync", "kvstore kAlways", "", Check::kValueAtLeast, 16});
  rows.push_back({"memory, bytes/key (RSS)", "seed", "", Check::kNone, 0});
  rows.push_back({"memory, bytes/key (RSS)", "kvstore", "seed", Check::kValueAtMost, 150});
  // Replay, save and load are compared with redis-server by bench/speed_table.sh,
  // in fresh processes; here they are in-process figures without a target.
  rows.push_back({"WAL replay, records/s", "seed", "", Check::kNone, 0});
  rows.push_back({"WAL replay, records/s", "kvstore", "seed", Check::kNone, 0});
  rows.push_back({"save_to_file, seconds", "kvstore", "", Check::kNone, 0});
  rows.push_back({"load_from_file, seconds", "kvstore", "", Check::kNone, 0});
  return rows;
}


// Per-round ratios (round i of c against round i of base), as "min-max".
std::string RatioRange(const Results& res, const Row& row) {
  const auto* a = res.Samples(row.workload, row.competitor);
  const auto* b = res.Samples(row.workload, row.baseline);
  if (a == nullptr || b == nullptr || a->size() != b->size() || a->size() < 2) return "";
  double lo = 1e300, hi = 0;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const double r = (*a)[i] / (*b)[i];
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, " (%.2f-%.2f)", lo, hi);
  return buf;
}

std::string TargetText(const Row& row) {
  char buf[96];
  switch (row.check) {
    case Check::kNone: return "";
    case Check::kRatioAtLeast: std::snprintf(buf, sizeof buf, ">= %gx %s", row.target, row.baseline.c_str()); break;
    case Check::kValueAtLeast: std::snprintf(buf, sizeof buf, ">= %s", Num(row.target).c_str()); break;
    case Check::kValueAtMost: std::snprintf(buf, sizeof buf, "<= %s", Num(row.target).c_str()); break;
  }
  return buf;
}

int PrintTable(const Config& cfg, const Results& res) {
  std::printf("\n| workload | competitor | median | ratio vs baseline (per-round range) | target | result |\n");
  std::printf("|---|---|---:|---|---|---|\n");
  int missed = 0;
  for (const Row& row : Rows(cfg)) {
    const auto v = res.Median(row.workload, row.competitor);
    if (!v) continue;
    std::string ratio_text;
    std::optional<double> ratio;
    if (!row.baseline.empty()) {
      if (auto b = res.Median(row.workload, row.baseline); b && *b > 0) {
        ratio = *v / *b;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.2fx %s", *ratio, row.baseline.c_str());
        ratio_text = buf + RatioRange(res, row);
      }
    }
    std::string result;
    bool met = true;
    switch (row.check) {
      case Check::kNone: break;
      case Check::kRatioAtLeast: met = ratio && *ratio >= row.target; break;
      case Check::kValueAtLeast: met = *v >= row.target; break;
      case Check::kValueAtMost: met = *v <= row.target; break;
    }
    if (row.check != Check::kNone) {
      result = met ? "met" : "NOT MET";
      missed += !met;
    }
    std::printf("| %s | %s | %s | %s | %s | %s |\n", row.workload.c_str(), row.competitor.c_str(),
                Num(*v).c_str(), ratio_text.c_str(), TargetText(row).c_str(), result.c_str());
  }
  std::printf("\nmedian of %d round(s), %zu keys; throughput rows in operations/s. %d target(s) not met.\n",
              cfg.rounds, cfg.keys, missed);
  return missed;
}

bool ParseArgs(int argc, char** argv, Config* cfg) {
  cfg->self = argv[0];
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--quick") {
      cfg->keys = 100000;
      cfg->rounds = 1;
      cfg->always_seconds = 1.0;
    } else if (a == "--keys" && has_value) {
      cfg->keys = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--dir" && has_value) {
      cfg->dir = argv[++i];
    } else if (a == "--rounds" && has_value) {
      cfg->rounds = std::atoi(argv[++i]);
    } else if (a == "--always-threads" && has_value) {
      cfg->always_threads = std::atoi(argv[++i]);
    } else if (a == "--always-seconds" && has_value) {
      cfg->always_seconds = std::atof(argv[++i]);
    } else if (a == "--only" && has_value) {
      static const std::vector<std::string> kGroups = {"get",    "fill",     "mixed", "always",
                                                       "replay", "saveload", "memory"};
      std::string list = argv[++i];
      for (std::size_t start = 0; start <= list.size();) {
        std::size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        const std::string g = list.substr(start, end - start);
        if (std::find(kGroups.begin(), kGroups.end(), g) == kGroups.end()) return false;
        cfg->only.push_back(g);
        start = end + 1;
      }
    } else if (a == "--samples" && has_value) {
      cfg->samples = argv[++i];
    } else if (a == "--no-leveldb") {
      cfg->leveldb = false;
    } else {
      return false;
    }
  }
  return cfg->keys > 0 && cfg->rounds > 0 && cfg->always_threads > 0 && cfg->always_seconds > 0;
}

int Main(int argc, char** argv) {
  Config cfg;
  if (!ParseArgs(argc, argv, &cfg)) {
    std::fprintf(stderr,
                 "usage: %s [--keys N] [--dir PATH] [--quick] [--rounds R] [--always-threads T] "
                 "[--always-seconds S] [--only get,fill,mixed,always,replay,saveload,memory] "
                 "[--no-leveldb] [--samples FILE]\n",
                 argv[0]);
    return 2;
  }
  try {
    TempDir dir(cfg.dir);  // removed with its contents on every exit path below
    std::fprintf(stderr, "kvstore_compare: %zu keys, %d round(s), data in %s\n", cfg.keys, cfg.rounds,
                 dir.path().c_str());
    Runner runner(cfg, dir);
    runner.Run();
    return PrintTable(cfg, runner.results()) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvstore_compare: %s\n", e.what());
    return 3;
  }
}

}  // namespace
}  // namespace kvbench

int main(int argc, char** argv) { return kvbench::Main(argc, argv); }
