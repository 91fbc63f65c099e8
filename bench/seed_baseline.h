// Copyright (c) the kvstore developers.
//
// The "seed design" the benchmarks compare against: a C++ rendering of the
// Rust teaching project kvstore started from (docs/CONTRACT.md, "Where it
// comes from").
//
//   - one std::shared_mutex over one std::unordered_map<std::string, std::string>;
//   - every set/remove first appends a text line ("SET key value\n",
//     "DEL key\n") to the WAL with write(2) under a std::mutex, then takes the
//     map lock exclusively and applies the change; no fsync, as in the seed;
//   - get takes the lock shared and copies the value out.
//
// Where a choice was open it was made in the seed's favour: the WAL write
// happens outside the map lock (the seed's Wal has its own Mutex<File>), and
// lookups are heterogeneous (no key copy), like Rust's HashMap::get(&str).
// The text WAL cannot hold keys with spaces or newlines; benchmark keys and
// values never contain them.

#ifndef KVSTORE_BENCH_SEED_BASELINE_H_
#define KVSTORE_BENCH_SEED_BASELINE_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kvbench {

class SeedStore {
 public:
  // Opens (creating if absent) the text WAL at wal_path and replays it.
  explicit SeedStore(const std::string& wal_path) : path_(wal_path) {
    Replay();
    fd_ = ::open(wal_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("open " + wal_path + ": " + std::strerror(errno));
  }
  ~SeedStore() { ::close(fd_); }
  SeedStore(const SeedStore&) = delete;
  SeedStore& operator=(const SeedStore&) = delete;

  std::optional<std::string> Get(std::string_view key) const {
    std::shared_lock lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }

  void Set(std::string key, std::string value) {
    std::string line;
    line.reserve(6 + key.size() + value.size());
    line.append("SET ").append(key).append(" ").append(value).append("\n");
    Log(line);
    std::unique_lock lock(mu_);
    map_.insert_or_assign(std::move(key), std::move(value));
  }

  std::optional<std::string> Remove(std::string_view key) {
    std::string line;
    line.append("DEL ").append(key).append("\n");
    Log(line);
    std::unique_lock lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    std::string old = std::move(it->second);
    map_.erase(it);
    return old;
  }

  std::size_t Size() const {
    std::shared_lock lock(mu_);
    return map_.size();
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, std::string, Hash, std::equal_to<>>;

  void Log(const std::string& line) {
    std::lock_guard lock(wal_mu_);
    const char* p = line.data();
    std::size_t n = line.size();
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw std::runtime_error("write " + path_ + ": " + std::strerror(errno));
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }

  // Line by line, as the seed does: "SET <key> <value>" or "DEL <key>".
  void Replay() {
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      if (line.compare(0, 4, "SET ") == 0) {
        const std::size_t sp = line.find(' ', 4);
        if (sp == std::string::npos) continue;
        map_.insert_or_assign(line.substr(4, sp - 4), line.substr(sp + 1));
      } else if (line.compare(0, 4, "DEL ") == 0) {
        auto it = map_.find(std::string_view(line).substr(4));
        if (it != map_.end()) map_.erase(it);
      }
    }
  }

  const std::string path_;
  int fd_ = -1;
  std::mutex wal_mu_;
  mutable std::shared_mutex mu_;
  Map map_;  // GUARDED_BY(mu_)
};

}  // namespace kvbench

#endif  // KVSTORE_BENCH_SEED_BASELINE_H_
