// Copyright (c) the kvstore developers.
//
// sync_probe: what one durable append costs on this disk, by the way the file
// is written, next to kvstore's kAlways group commit on the same file system.
// Every case appends ~130-byte records and makes them durable, in a loop for
// --seconds, and reports syncs/s, records/s and the sync latency p50/p99:
//   grow      write(2) at the end of a growing file, then fdatasync (each
//             sync also writes the inode's new size)
//   falloc    the file preallocated with fallocate (unwritten extents), the
//             record written in place with pwrite, then fdatasync
//   zeroed    the file preallocated by writing zeros (written extents), the
//             record written in place, then fdatasync
//   mmap-*    the same two preallocations, the record memcpy'd into a shared
//             mapping, then fdatasync or msync(MS_SYNC) of the dirty pages
// --spin N keeps N threads spinning meanwhile. On a virtual machine an idle
// vCPU may wake late from a halt when the disk completes, which makes a lone
// syncing thread look far slower than a busy store (measured on vm-2c-xeon:
// fdatasync p50 4 ms idle, 0.1 ms with one spinning thread).
// --batch B writes B records per sync (one write or one copy). --store also
// runs kvstore kAlways with --threads writers on a fresh store in --dir and
// prints writes/s, records per sync and the store's sync latency histogram.
//
// usage: sync_probe [--dir D] [--seconds S] [--batch B] [--rounds R]
//                   [--cases a,b,..] [--store] [--threads T] [--spin N]

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/kvstore.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kRecord = 130;
constexpr off_t kPrealloc = off_t{64} << 20;   // more than any case appends

struct Config {
  std::string dir = "/var/tmp";
  double seconds = 2.0;
  int batch = 1;
  int rounds = 1;
  int threads = 32;
  int spin = 0;
  bool store = false;
  std::vector<std::string> cases = {"grow",
                                    "falloc",
                                    "zeroed",
                                    "mmap-falloc-fdatasync",
                                    "mmap-falloc-msync",
                                    "mmap-zeroed-fdatasync",
                                    "mmap-zeroed-msync"};
};

[[noreturn]] void Die(const char* what, const std::string& path) {
  std::fprintf(stderr, "sync_probe: %s %s: %s\n", what, path.c_str(), std::strerror(errno));
  std::exit(1);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

void Report(const std::string& name, int batch, double secs, const std::vector<double>& lat) {
  const double syncs = static_cast<double>(lat.size());
  std::printf("%-24s batch %3d  %8.0f syncs/s  %9.0f records/s  sync p50 %7.1f us  p99 %7.1f us\n",
              name.c_str(), batch, syncs / secs, syncs * batch / secs, Percentile(lat, 0.5) * 1e6,
              Percentile(lat, 0.99) * 1e6);
  std::fflush(stdout);
}

// Fills [0, kPrealloc) with zeros written through write(2), then syncs them.
void WriteZeros(int fd, const std::string& path) {
  std::vector<char> zeros(1 << 20, 0);
  for (off_t off = 0; off < kPrealloc; off += static_cast<off_t>(zeros.size())) {
    if (::pwrite(fd, zeros.data(), zeros.size(), off) != static_cast<ssize_t>(zeros.size())) {
      Die("pwrite", path);
    }
  }
  if (::fsync(fd) != 0) Die("fsync", path);
}

void RunCase(const Config& cfg, const std::string& name) {
  const std::string path = cfg.dir + "/sync_probe." + std::to_string(::getpid());
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Die("open", path);
  const bool mmap_case = name.rfind("mmap-", 0) == 0;
  const bool zeroed = name.find("zeroed") != std::string::npos;
  const bool falloc = name.find("falloc") != std::string::npos;
  const bool msync_case = name.find("msync") != std::string::npos;
  if (zeroed) WriteZeros(fd, path);
  if (falloc) {
    if (int err = ::posix_fallocate(fd, 0, kPrealloc); err != 0) {
      errno = err;
      Die("fallocate", path);
    }
    if (::fsync(fd) != 0) Die("fsync", path);
  }
  char* map = nullptr;
  if (mmap_case) {
    void* p = ::mmap(nullptr, kPrealloc, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) Die("mmap", path);
    map = static_cast<char*>(p);
  }
  const std::size_t bytes = kRecord * static_cast<std::size_t>(cfg.batch);
  std::string buf(bytes, 'r');
  std::vector<double> lat;
  lat.reserve(1 << 16);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(cfg.seconds));
  off_t off = 0;
  while (Clock::now() < deadline && off + static_cast<off_t>(bytes) <= kPrealloc) {
    if (mmap_case) {
      std::memcpy(map + off, buf.data(), bytes);
    } else if (::pwrite(fd, buf.data(), bytes, off) != static_cast<ssize_t>(bytes)) {
      Die("pwrite", path);
    }
    const auto t0 = Clock::now();
    if (msync_case) {
      const off_t page = 4096;
      const off_t first = off / page * page;
      if (::msync(map + first, static_cast<std::size_t>(off + static_cast<off_t>(bytes) - first),
                  MS_SYNC) != 0) {
        Die("msync", path);
      }
    } else if (::fdatasync(fd) != 0) {
      Die("fdatasync", path);
    }
    lat.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    off += static_cast<off_t>(bytes);
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (map != nullptr) ::munmap(map, kPrealloc);
  ::close(fd);
  ::unlink(path.c_str());
  Report(name, cfg.batch, secs, lat);
}

// Upper bound of the bucket holding quantile p: the histogram keeps buckets,
// not observations.
double HistQuantile(const kvstore::Histogram& h, double p) {
  const auto want = static_cast<uint64_t>(p * static_cast<double>(h.count));
  uint64_t seen = 0;
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    seen += h.counts[i];
    if (seen > want) return i < h.bounds.size() ? h.bounds[i] : h.bounds.back() * 10;
  }
  return 0;
}

void PrintHist(const char* what, const kvstore::Histogram& h, double scale, const char* unit) {
  std::printf("  %s:", what);
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] == 0) continue;
    if (i < h.bounds.size()) {
      std::printf(" <=%g%s:%llu", h.bounds[i] * scale, unit,
                  static_cast<unsigned long long>(h.counts[i]));
    } else {
      std::printf(" more:%llu", static_cast<unsigned long long>(h.counts[i]));
    }
  }
  std::printf("\n");
}

void RunStore(const Config& cfg) {
  const std::string d = cfg.dir + "/sync_probe_store." + std::to_string(::getpid());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  kvstore::Options options;
  options.sync = kvstore::SyncMode::kAlways;
  options.log_level = kvstore::LogLevel::kWarn;
  double secs = 0;
  uint64_t writes = 0;
  kvstore::Stats st;
  {
    kvstore::KvStore store = kvstore::KvStore::open(d + "/kv.wal", options).value();
    std::atomic<uint64_t> total{0};
    const std::string value(100, 'v');
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(cfg.seconds));
    std::vector<std::thread> threads;
    for (int t = 0; t < cfg.threads; ++t) {
      threads.emplace_back([&, t] {
        uint64_t ops = 0;
        for (uint64_t i = 0; Clock::now() < deadline; ++i, ++ops) {
          store.set("key" + std::to_string(t) + ":" + std::to_string(i % 10000), value).value();
        }
        total += ops;
      });
    }
    for (auto& th : threads) th.join();
    secs = std::chrono::duration<double>(Clock::now() - start).count();
    writes = total.load();
    st = store.stats();
  }
  std::filesystem::remove_all(d);
  const double per_sync = static_cast<double>(st.wal_records) /
                          static_cast<double>(std::max<uint64_t>(st.wal_syncs, 1));
  std::printf(
      "%-24s %3d writers  %8.0f syncs/s  %9.0f writes/s  %.1f writes/sync  "
      "sync p50 <=%g us  p99 <=%g us\n",
      "kvstore kAlways", cfg.threads, static_cast<double>(st.wal_syncs) / secs,
      static_cast<double>(writes) / secs, per_sync, HistQuantile(st.wal_sync_seconds, 0.5) * 1e6,
      HistQuantile(st.wal_sync_seconds, 0.99) * 1e6);
  PrintHist("sync latency", st.wal_sync_seconds, 1e6, "us");
  PrintHist("records per sync", st.group_commit_records, 1, "");
  std::fflush(stdout);
}

bool Parse(int argc, char** argv, Config* cfg) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--dir" && has_value) {
      cfg->dir = argv[++i];
    } else if (a == "--seconds" && has_value) {
      cfg->seconds = std::atof(argv[++i]);
    } else if (a == "--batch" && has_value) {
      cfg->batch = std::atoi(argv[++i]);
    } else if (a == "--rounds" && has_value) {
      cfg->rounds = std::atoi(argv[++i]);
    } else if (a == "--threads" && has_value) {
      cfg->threads = std::atoi(argv[++i]);
    } else if (a == "--spin" && has_value) {
      cfg->spin = std::atoi(argv[++i]);
    } else if (a == "--store") {
      cfg->store = true;
    } else if (a == "--cases" && has_value) {
      cfg->cases.clear();
      std::string s = argv[++i];
      for (std::size_t p = 0; p <= s.size();) {
        const std::size_t q = std::min(s.find(',', p), s.size());
        if (q > p) cfg->cases.push_back(s.substr(p, q - p));
        p = q + 1;
      }
    } else {
      return false;
    }
  }
  return cfg->seconds > 0 && cfg->batch > 0 && cfg->rounds > 0 && cfg->threads > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  if (!Parse(argc, argv, &cfg)) {
    std::fprintf(stderr,
                 "usage: %s [--dir D] [--seconds S] [--batch B] [--rounds R] [--cases a,b,..] "
                 "[--store] [--threads T] [--spin N]\n",
                 argv[0]);
    return 2;
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> spinners;
  for (int i = 0; i < cfg.spin; ++i) {
    spinners.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
      }
    });
  }
  for (int r = 0; r < cfg.rounds; ++r) {
    if (cfg.rounds > 1) std::printf("round %d\n", r + 1);
    for (const auto& c : cfg.cases) {
      if (c != "none") RunCase(cfg, c);
    }
    if (cfg.store) RunStore(cfg);
  }
  stop = true;
  for (auto& t : spinners) t.join();
  return 0;
}
