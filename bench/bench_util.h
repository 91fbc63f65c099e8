// Copyright (c) the kvstore developers.
//
// What every benchmark program shares: the deterministic workload (16-byte
// keys, 100-byte printable values, fixed seeds), a self-removing data
// directory, a thread runner and an RSS probe.

#ifndef KVSTORE_BENCH_BENCH_UTIL_H_
#define KVSTORE_BENCH_BENCH_UTIL_H_

#include <stdlib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kvbench {

constexpr std::size_t kKeySize = 16;
constexpr std::size_t kValueSize = 100;

// splitmix64: a fast PRNG with a fixed seed, so every run does the same work.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() { return Mix(s_ += 0x9e3779b97f4a7c15ull); }
  // Uniform enough in [0, n) for benchmark purposes.
  uint64_t Uniform(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // A bijection on 64-bit integers (the splitmix64 finaliser).
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t s_;
};

// Key i is the 16 hex digits of Mix(i + salt): distinct for distinct i (Mix is
// a bijection), spread uniformly, printable, and never a space or newline (the
// seed's text WAL needs that).
inline void FormatKey(uint64_t i, uint64_t salt, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t h = Rng::Mix(i + salt);
  for (std::size_t j = 0; j < kKeySize; ++j, h >>= 4) out[j] = kHex[h & 15];
}

// n keys stored back to back, so that generating them costs nothing in the
// timed loops. A different salt gives a disjoint-looking key space.
class KeySet {
 public:
  explicit KeySet(std::size_t n, uint64_t salt = 0) : n_(n), bytes_(n * kKeySize) {
    for (std::size_t i = 0; i < n; ++i) FormatKey(i, salt, bytes_.data() + i * kKeySize);
  }
  std::size_t size() const { return n_; }
  std::string_view operator[](std::size_t i) const { return {bytes_.data() + i * kKeySize, kKeySize}; }

 private:
  std::size_t n_;
  std::vector<char> bytes_;
};

// 100-byte printable values cut from a 1 MiB pool at pseudo-random offsets.
class ValuePool {
 public:
  ValuePool() : pool_(kPoolSize, '\0') {
    Rng rng(42);
    for (char& c : pool_) c = static_cast<char>('!' + rng.Uniform(94));  // '!'..'~', no space
  }
  std::string_view Get(uint64_t i) const {
    return std::string_view(pool_).substr(Rng::Mix(i ^ 0x5bd1e995) % (kPoolSize - kValueSize),
                                          kValueSize);
  }

 private:
  static constexpr std::size_t kPoolSize = 1 << 20;
  std::string pool_;
};

// A fresh directory (mkdtemp under base) removed with everything in it on
// destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& base = "") {
    std::string root = base.empty() ? std::filesystem::temp_directory_path().string() : base;
    std::filesystem::create_directories(root);
    std::string tmpl = root + "/kvbench-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + root);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs fn(thread_index) on `threads` threads and returns the wall time in
// seconds from the first start to the last finish.
inline double RunThreads(int threads, const std::function<void(int)>& fn) {
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(fn, t);
  fn(0);
  for (auto& th : pool) th.join();
  return SecondsSince(start);
}

// A "Name: value kB" field of a /proc file of this process, in bytes.
inline uint64_t ReadProcKb(const char* file, const std::string& field) {
  std::ifstream in(file);
  std::string name;
  while (in >> name) {
    if (name == field) {
      uint64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

// Resident set size of this process, from VmRSS in /proc/self/status.
inline uint64_t ReadRssBytes(const char* field = "VmRSS:") {
  return ReadProcKb("/proc/self/status", field);
}

}  // namespace kvbench

#endif  // KVSTORE_BENCH_BENCH_UTIL_H_
