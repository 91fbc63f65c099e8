// Copyright (c) the kvstore developers.
//
// kvstore_crash_test: a process-crash loop (kill -9) against the real POSIX
// store.
//
//   kvstore_crash_test writer --dir D --sync always|everysec|no --threads N --seed S
//   kvstore_crash_test run --dir D --cycles C --seed S [--sync MODE|mixed]
//                          [--layout file|dir] [--threads N] [--min-ms A] [--max-ms B]
//                          [--time-limit SECONDS] [--verbose] [--inject-lost-writes]
//
// (--inject-lost-writes is the checker's self-test: the writers skip one set
// in 500 but log it as acknowledged; the run must report failures.)
//
// --layout dir runs the same loop on a data directory D/data (open_dir): the
// saves are checkpoint() calls, and automatic checkpoints run in the
// background every 64 KiB of WAL, so kills also land in rotations, manifest
// switches and deletions of obsolete files.
//
// `writer` opens D/kvstore.wal (through D/snapshot.json when it exists) and
// runs N threads doing random set / remove over a 2000-key space, with rare
// clear() and periodic save_to_file(D/snapshot.json), until it is killed.
// Every value is unique and attributable: "s<seed>.t<thread>.n<counter>.<pad>".
// Each thread appends one text line per event to its own log D/ops.<t>.log
// with write(2) on an O_APPEND descriptor (so the line is in the kernel, and
// survives the kill, before the next step starts):
//
//   I <ts> S <key> <value>   intent: about to call set(key, value)
//   I <ts> D <key>           intent: about to call remove(key)
//   I <ts> C                 intent: about to call clear()
//   I <ts> V                 intent: about to call save_to_file()
//   A <ts>                   the previous intent's call returned success
//
// <ts> comes from one process-wide atomic counter: an intent's ts is drawn
// before the call is made, an ack's ts after it returned. So if A's ack ts is
// smaller than B's intent ts, A returned before B was invoked (real-time
// order). A line cut short by the kill (no trailing newline) is ignored: a
// missing intent means the call was never made; a missing ack only makes the
// op "in flight" (may or may not have taken effect), which is the lenient side.
// The writer writes 'r' to --notify-fd once the store is open, and 'v' before
// each save, so that the runner can time its kill from the end of recovery
// and aim it at a running save.
//
// `run` loops C times: fork/exec a writer on the same directory (state
// accumulates across cycles); in 10 % of the cycles kill it 0..300 ms after
// the fork (often during its startup and recovery); otherwise wait until it
// has opened the store, then let it run for a random 10..300 ms (--min-ms,
// --max-ms) or, in 30 % of the cycles, until it announces a save and then
// 0..3 ms more; SIGKILL it, reopen the store in-process exactly as an application would,
// and check the recovered state against the logs.
//
// The check (per key; sound and complete for a register under crash):
//   Each key is a register. The ops that write it in this cycle are set(key)
//   (writes its value), remove(key) (writes "absent"; a remove of an absent
//   key logs nothing but leaves "absent" too, so it is the same) and clear()
//   (writes "absent" to every key). The state at the start of the cycle (the
//   state recovered and verified after the previous cycle) is a virtual write
//   that finished before everything else. An acknowledged write must have
//   taken effect; an in-flight write (intent, no ack) may or may not have.
//   The recovered value x is acceptable iff some write w of x could be the
//   last one in a linearization of all acknowledged writes plus w, i.e.
//       no acknowledged write w' of this key was invoked after w returned
//       (inv(w') > resp(w); resp = +infinity for an in-flight w).
//   (If w' started after w returned, w' must be ordered after w and, being
//   acknowledged, it happened: w cannot be the final value. Conversely, if no
//   such w' exists, ordering all acknowledged writes by real time and putting
//   w last is a valid linearization.) Values are unique, so a present value
//   names its write; a value that no write of this key (or the start state)
//   produced is a phantom and fails. "absent" is acceptable if any remove of
//   the key, any clear, or an absent start state qualifies.
// Consequences: every acknowledged write survives with its latest value
// unless a concurrent or in-flight write may have replaced it; acknowledged
// removes and clears stay in effect unless a later/concurrent write exists.
// The check is per key; the atomicity of clear() across keys is checked only
// through its effect on each key. The store must also hold no key outside the
// key space (size() must equal the number of keys found).
//
// Prints "crash loop: C cycles, F failures" and exits 1 if F > 0 (or the store
// cannot be reopened, or a writer died on its own).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kvstore/kvstore.h"

namespace {

constexpr int kKeys = 2000;
constexpr uint64_t kInfinity = UINT64_MAX;

std::string KeyName(int i) { return "k" + std::to_string(i); }

int KeyIndex(const std::string& k) {
  if (k.size() < 2 || k[0] != 'k') return -1;
  int i = std::atoi(k.c_str() + 1);
  return (i >= 0 && i < kKeys && KeyName(i) == k) ? i : -1;
}

struct Args {
  std::string role;
  std::string dir;
  std::string sync = "mixed";
  std::string layout = "file";  // file: kvstore.wal + snapshot.json; dir: open_dir(D/data)
  int threads = 4;
  uint64_t seed = 1;
  int cycles = 200;
  int notify_fd = -1;
  int min_ms = 10;
  int max_ms = 300;
  bool verbose = false;
  // Self-test of the checker: the writer skips one set in 500 but logs it as
  // acknowledged (a "lost write"); the run must then report failures.
  bool inject_lost_writes = false;
  int time_limit_s = 0;  // run: stop after this many seconds (0: no limit)
};

[[noreturn]] void Usage(const char* msg) {
  std::fprintf(stderr,
               "%s\nusage: kvstore_crash_test writer --dir D --sync always|everysec|no "
               "--threads N --seed S\n"
               "       kvstore_crash_test run --dir D --cycles C --seed S "
               "[--sync always|everysec|no|mixed] [--layout file|dir] [--threads N] "
               "[--min-ms A] [--max-ms B] "
               "[--time-limit SECONDS] [--verbose] [--inject-lost-writes]\n",
               msg);
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  if (argc < 2) Usage("missing role");
  Args a;
  a.role = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string f = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + f).c_str());
      return argv[++i];
    };
    if (f == "--dir") a.dir = next();
    else if (f == "--sync") a.sync = next();
    else if (f == "--layout") a.layout = next();
    else if (f == "--threads") a.threads = std::atoi(next().c_str());
    else if (f == "--seed") a.seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (f == "--cycles") a.cycles = std::atoi(next().c_str());
    else if (f == "--notify-fd") a.notify_fd = std::atoi(next().c_str());
    else if (f == "--min-ms") a.min_ms = std::atoi(next().c_str());
    else if (f == "--max-ms") a.max_ms = std::atoi(next().c_str());
    else if (f == "--verbose") a.verbose = true;
    else if (f == "--inject-lost-writes") a.inject_lost_writes = true;
    else if (f == "--time-limit") a.time_limit_s = std::atoi(next().c_str());
    else Usage(("unknown flag " + f).c_str());
  }
  if (a.dir.empty()) Usage("--dir is required");
  if (a.layout != "file" && a.layout != "dir") Usage("--layout must be file or dir");
  if (a.threads < 1 || a.threads > 64) Usage("--threads must be 1..64");
  if (a.min_ms < 0 || a.max_ms < a.min_ms) Usage("bad --min-ms/--max-ms");
  return a;
}

bool ParseSync(const std::string& s, kvstore::SyncMode* m) {
  if (s == "always") *m = kvstore::SyncMode::kAlways;
  else if (s == "everysec") *m = kvstore::SyncMode::kEverySecond;
  else if (s == "no") *m = kvstore::SyncMode::kNever;
  else return false;
  return true;
}

std::string WalPath(const std::string& dir) { return dir + "/kvstore.wal"; }
std::string DataDir(const std::string& dir) { return dir + "/data"; }
std::string SnapPath(const std::string& dir) { return dir + "/snapshot.json"; }
std::string LogPath(const std::string& dir, int t) {
  return dir + "/ops." + std::to_string(t) + ".log";
}

bool Exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

// Opens the store as an application would after a crash.
kvstore::Result<kvstore::KvStore> OpenStore(const std::string& dir, kvstore::SyncMode mode,
                                            const std::string& layout) {
  kvstore::Options o;
  o.sync = mode;
  o.log_level = kvstore::LogLevel::kWarn;
  if (layout == "dir") {
    o.checkpoint.wal_bytes = 64 << 10;
    o.checkpoint.after_changes.clear();
    o.checkpoint.on_close = false;
    return kvstore::KvStore::open_dir(DataDir(dir), o);
  }
  if (Exists(SnapPath(dir))) return kvstore::KvStore::load_from_file(SnapPath(dir), WalPath(dir), o);
  return kvstore::KvStore::open(WalPath(dir), o);
}

void WriteAll(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t n = s.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "writer: log write failed: %s\n", std::strerror(errno));
      std::_Exit(4);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// ---------------------------------------------------------------- writer

int Writer(const Args& a) {
  kvstore::SyncMode mode;
  if (!ParseSync(a.sync, &mode)) Usage("writer: --sync must be always|everysec|no");
  auto opened = OpenStore(a.dir, mode, a.layout);
  if (!opened) {
    std::fprintf(stderr, "writer: open failed: %s\n", opened.error().message().c_str());
    return 3;
  }
  kvstore::KvStore store = std::move(*opened);
  if (a.notify_fd >= 0) {
    // Never block on the notification pipe (the runner may not be reading).
    ::fcntl(a.notify_fd, F_SETFL, ::fcntl(a.notify_fd, F_GETFL) | O_NONBLOCK);
    ssize_t ignored = ::write(a.notify_fd, "r", 1);  // ready: the store is open
    (void)ignored;
  }
  std::atomic<uint64_t> clock{1};
  const std::string snap = SnapPath(a.dir);

  auto body = [&](int t) {
    int fd = ::open(LogPath(a.dir, t).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
                    0644);
    if (fd < 0) {
      std::fprintf(stderr, "writer: cannot create %s: %s\n", LogPath(a.dir, t).c_str(),
                   std::strerror(errno));
      std::_Exit(4);
    }
    std::mt19937_64 rng(a.seed * 7919 + static_cast<uint64_t>(t));
    const std::string prefix = "s" + std::to_string(a.seed) + ".t" + std::to_string(t) + ".n";
    auto next_save = std::chrono::steady_clock::now() + std::chrono::milliseconds(rng() % 30);
    std::string line;
    for (uint64_t n = 0;; ++n) {
      const uint64_t r = rng() % 20000;
      char op;
      std::string key, value;
      if (r == 0) {
        op = 'C';
      } else if ((t == 0 && std::chrono::steady_clock::now() >= next_save) ||
                 (t == 1 && r == 1)) {
        op = 'V';
        if (t == 0) {
          next_save = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(5 + static_cast<int>(rng() % 40));
        }
      } else if (r < 5000) {
        op = 'D';
        key = KeyName(static_cast<int>(rng() % kKeys));
      } else {
        op = 'S';
        key = KeyName(static_cast<int>(rng() % kKeys));
        value = prefix + std::to_string(n) + "." +
                std::string(rng() % 120, static_cast<char>('a' + n % 26));
      }
      const uint64_t inv = clock.fetch_add(1);
      line = "I " + std::to_string(inv) + " " + op;
      if (!key.empty()) line += " " + key;
      if (op == 'S') line += " " + value;
      line += "\n";
      WriteAll(fd, line);
      if (op == 'V' && a.notify_fd >= 0) {
        ssize_t ignored = ::write(a.notify_fd, "v", 1);
        (void)ignored;
      }
      kvstore::Result<void> res;
      switch (op) {
        case 'S':
          if (a.inject_lost_writes && n % 500 == 499) break;  // checker self-test
          res = store.set(key, value);
          break;
        case 'D': {
          auto rr = store.remove(key);
          if (!rr) res = rr.error();
          break;
        }
        case 'C':
          res = store.clear();
          break;
        case 'V':
          res = a.layout == "dir" ? store.checkpoint() : store.save_to_file(snap);
          break;
      }
      if (!res) {
        std::fprintf(stderr, "writer: thread %d op %c failed: %s\n", t, op,
                     res.error().message().c_str());
        std::_Exit(5);
      }
      const uint64_t resp = clock.fetch_add(1);
      WriteAll(fd, "A " + std::to_string(resp) + "\n");
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < a.threads; ++t) threads.emplace_back(body, t);
  for (auto& th : threads) th.join();  // never returns: killed by the runner
  return 0;
}

// ---------------------------------------------------------------- runner

struct Op {
  int thread = 0;
  char type = 0;  // S D C V
  int key = -1;
  std::string value;
  uint64_t inv = 0;
  uint64_t resp = kInfinity;  // kInfinity: in flight (no ack)
};

// Reads one thread's log. Returns false (with *why) if it is malformed.
bool ReadLog(const std::string& path, int t, std::vector<Op>* ops, std::string* why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return true;  // killed before the thread started
    *why = path + ": " + std::strerror(errno);
    return false;
  }
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    data.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fd);
  bool open_intent = false;
  std::size_t pos = 0;
  while (true) {
    std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) break;  // a line cut short by the kill: ignored
    std::string line = data.substr(pos, nl - pos);
    pos = nl + 1;
    std::vector<std::string> f;
    std::size_t s = 0;
    while (s <= line.size()) {
      std::size_t sp = line.find(' ', s);
      if (sp == std::string::npos) sp = line.size();
      f.push_back(line.substr(s, sp - s));
      s = sp + 1;
    }
    if (f[0] == "I" && f.size() >= 3) {
      if (open_intent) {
        *why = path + ": intent after an unacknowledged intent";
        return false;
      }
      Op op;
      op.thread = t;
      op.inv = std::strtoull(f[1].c_str(), nullptr, 10);
      op.type = f[2].empty() ? '?' : f[2][0];
      if ((op.type == 'S' && f.size() != 5) || (op.type == 'D' && f.size() != 4) ||
          ((op.type == 'C' || op.type == 'V') && f.size() != 3)) {
        *why = path + ": malformed line '" + line + "'";
        return false;
      }
      if (op.type == 'S' || op.type == 'D') {
        op.key = KeyIndex(f[3]);
        if (op.key < 0) {
          *why = path + ": bad key in '" + line + "'";
          return false;
        }
      }
      if (op.type == 'S') op.value = f[4];
      ops->push_back(std::move(op));
      open_intent = true;
    } else if (f[0] == "A" && f.size() == 2) {
      if (!open_intent) {
        *why = path + ": ack without intent";
        return false;
      }
      ops->back().resp = std::strtoull(f[1].c_str(), nullptr, 10);
      open_intent = false;
    } else {
      *why = path + ": malformed line '" + line + "'";
      return false;
    }
  }
  return true;
}

std::string Show(const std::optional<std::string>& v) {
  if (!v) return "<absent>";
  return v->size() > 40 ? v->substr(0, 40) + "..." : *v;
}

std::string ShowTs(uint64_t t) { return t == kInfinity ? "inf" : std::to_string(t); }

struct CycleStats {
  uint64_t ops = 0, acked = 0, in_flight = 0, saves = 0, clears = 0;
  uint64_t in_flight_visible = 0;  // keys whose value came from an in-flight write
};

// Checks `got` (the recovered state) against the ops of one cycle, starting
// from `base`. Returns the failure descriptions (empty: the state is valid).
std::vector<std::string> Check(const std::vector<std::optional<std::string>>& base,
                               const std::vector<std::optional<std::string>>& got,
                               const std::vector<Op>& ops, CycleStats* st) {
  std::vector<std::string> failures;
  // Per key: the latest invocation of an acknowledged write (clears count for
  // every key). 0: none (the start state's virtual write "returned" at 0).
  std::vector<uint64_t> max_acked_inv(kKeys, 0);
  uint64_t max_acked_clear_inv = 0;
  uint64_t best_clear_resp = 0;  // latest response of any clear (in flight: inf)
  std::unordered_map<std::string, const Op*> by_value;
  std::vector<uint64_t> best_remove_resp(kKeys, 0);
  for (const Op& op : ops) {
    ++st->ops;
    const bool acked = op.resp != kInfinity;
    if (acked) ++st->acked; else ++st->in_flight;
    if (op.type == 'V') ++st->saves;
    if (op.type == 'C') {
      ++st->clears;
      if (acked) max_acked_clear_inv = std::max(max_acked_clear_inv, op.inv);
      best_clear_resp = std::max(best_clear_resp, op.resp);
    } else if (op.type == 'S' || op.type == 'D') {
      if (acked) max_acked_inv[op.key] = std::max(max_acked_inv[op.key], op.inv);
      if (op.type == 'S') by_value.emplace(op.value, &op);
      if (op.type == 'D') best_remove_resp[op.key] = std::max(best_remove_resp[op.key], op.resp);
    }
  }
  for (int k = 0; k < kKeys; ++k) {
    const uint64_t bound = std::max(max_acked_inv[k], max_acked_clear_inv);
    const std::optional<std::string>& x = got[k];
    bool ok = false;
    // The start state: a write that returned at time 0.
    if (x == base[k] && bound == 0) ok = true;
    if (!ok && x.has_value()) {
      auto it = by_value.find(*x);
      if (it != by_value.end() && it->second->key == k && it->second->resp > bound) {
        ok = true;
        if (it->second->resp == kInfinity) ++st->in_flight_visible;
      }
    }
    if (!ok && !x.has_value()) {
      if (best_remove_resp[k] > bound || best_clear_resp > bound) ok = true;
    }
    if (!ok) {
      std::string d = "key " + KeyName(k) + ": recovered " + Show(x) + ", start state " +
                      Show(base[k]) + ", latest acked write to it invoked at ts " +
                      std::to_string(bound) + ";";
      int shown = 0;
      for (auto it = ops.rbegin(); it != ops.rend() && shown < 6; ++it) {
        if (it->key == k || it->type == 'C') {
          d += " [t" + std::to_string(it->thread) + " " + it->type + " " +
               (it->type == 'S' ? Show(it->value) : std::string()) + " inv " +
               std::to_string(it->inv) + " resp " + ShowTs(it->resp) + "]";
          ++shown;
        }
      }
      if (x && by_value.count(*x) == 0) d += " (value was never written in this cycle)";
      failures.push_back(d);
    }
  }
  return failures;
}

void RemoveIfExists(const std::string& p) { ::unlink(p.c_str()); }

int Run(const Args& a) {
  ::mkdir(a.dir.c_str(), 0755);
  struct stat sb;
  if (::stat(a.dir.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    std::fprintf(stderr, "run: %s is not a directory\n", a.dir.c_str());
    return 2;
  }
  // A fresh start in the directory.
  for (const char* f : {"/kvstore.wal", "/kvstore.wal.new", "/snapshot.json", "/snapshot.json.tmp"}) {
    RemoveIfExists(a.dir + f);
  }
  for (int t = 0; t < 64; ++t) RemoveIfExists(LogPath(a.dir, t));
  {
    std::error_code ec;
    std::filesystem::remove_all(DataDir(a.dir), ec);
  }

  std::vector<kvstore::SyncMode> modes;
  std::vector<std::string> mode_names;
  if (a.sync == "mixed") {
    mode_names = {"always", "everysec", "no"};
  } else {
    kvstore::SyncMode m;
    if (!ParseSync(a.sync, &m)) Usage("run: --sync must be always|everysec|no|mixed");
    mode_names = {a.sync};
  }

  std::mt19937_64 rng(a.seed);
  auto pick = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  std::vector<std::optional<std::string>> state(kKeys);
  int failures = 0;
  CycleStats total;
  int save_kills = 0, early_kills = 0, recovered_with_snapshot = 0;
  uint64_t torn_tails = 0;
  const auto start = std::chrono::steady_clock::now();
  int cycle = 0;
  double phase_ms[5] = {0, 0, 0, 0, 0};
  for (; cycle < a.cycles; ++cycle) {
    if (a.time_limit_s > 0 && std::chrono::steady_clock::now() - start >
                                  std::chrono::seconds(a.time_limit_s)) {
      std::printf("time limit of %d s reached after %d of %d cycles\n", a.time_limit_s, cycle,
                  a.cycles);
      break;
    }
    const uint64_t wseed = a.seed * 1000003ull + static_cast<uint64_t>(cycle);
    const std::string mode = mode_names[pick(0, mode_names.size() - 1)];
    int pfd[2];
    if (::pipe2(pfd, O_CLOEXEC) != 0) {
      std::perror("pipe2");
      return 2;
    }
    std::vector<std::string> argv_s = {"kvstore_crash_test", "writer", "--dir", a.dir,
                                       "--sync", mode, "--layout", a.layout,
                                       "--threads", std::to_string(a.threads),
                                       "--seed", std::to_string(wseed), "--notify-fd", "3"};
    if (a.inject_lost_writes) argv_s.push_back("--inject-lost-writes");
    const auto t_fork = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("fork");
      return 2;
    }
    if (pid == 0) {
      ::dup2(pfd[1], 3);  // the duplicate does not have O_CLOEXEC
      std::vector<char*> argv;
      for (auto& s : argv_s) argv.push_back(s.data());
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      std::_Exit(127);
    }
    ::close(pfd[1]);
    // Kill plans: 10 % "early" (0..max ms after the fork: often during the
    // writer's startup and recovery); otherwise wait until the writer has
    // opened the store ('r' on the pipe), then either (30 %) wait for a save
    // to start ('v') and kill 0..3 ms into it, or (60 %) kill min..max ms later.
    const uint64_t plan = pick(0, 9);
    const bool early = plan == 0;
    const bool aim_at_save = plan >= 7;
    const int budget_ms = static_cast<int>(pick(early ? 0 : static_cast<uint64_t>(a.min_ms),
                                                static_cast<uint64_t>(a.max_ms)));
    // Reads notification bytes until `want` arrives or the deadline passes.
    // Returns false on timeout or EOF (the writer died; noticed after the kill).
    auto wait_for = [&](char want, std::chrono::steady_clock::time_point deadline) {
      struct pollfd p = {pfd[0], POLLIN, 0};
      for (;;) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        const int left = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
        const int r = ::poll(&p, 1, left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        char c;
        const ssize_t n = ::read(pfd[0], &c, 1);
        if (n <= 0) return false;
        if (c == want) return true;
      }
    };
    bool saw_save = false;
    if (early) {
      ::usleep(static_cast<useconds_t>(budget_ms) * 1000);
      ++early_kills;
    } else if (wait_for('r', std::chrono::steady_clock::now() + std::chrono::seconds(60))) {
      if (aim_at_save) {
        saw_save = wait_for('v', std::chrono::steady_clock::now() +
                                     std::chrono::milliseconds(a.max_ms));
        if (saw_save) {
          ++save_kills;
          ::usleep(static_cast<useconds_t>(pick(0, 3000)));
        }
      } else {
        ::usleep(static_cast<useconds_t>(budget_ms) * 1000);
      }
    }
    const auto t_kill = std::chrono::steady_clock::now();
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(pfd[0]);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
      std::fprintf(stderr, "cycle %d: writer ended on its own (status 0x%x)\n", cycle, status);
      ++failures;
      break;
    }

    const auto t_reaped = std::chrono::steady_clock::now();
    // Collect the logs.
    std::vector<Op> ops;
    std::string why;
    for (int t = 0; t < a.threads; ++t) {
      if (!ReadLog(LogPath(a.dir, t), t, &ops, &why)) {
        std::fprintf(stderr, "cycle %d: %s\n", cycle, why.c_str());
        ++failures;
        break;
      }
    }
    if (!why.empty()) break;

    // Recover and read everything.
    const auto t_logs = std::chrono::steady_clock::now();
    const bool had_snapshot =
        Exists(a.layout == "dir" ? DataDir(a.dir) + "/MANIFEST" : SnapPath(a.dir));
    auto opened = OpenStore(a.dir, kvstore::SyncMode::kNever, a.layout);
    if (!opened) {
      std::fprintf(stderr, "cycle %d (%s): reopen failed: %s\n", cycle, mode.c_str(),
                   opened.error().message().c_str());
      ++failures;
      break;
    }
    kvstore::KvStore store = std::move(*opened);
    if (had_snapshot) ++recovered_with_snapshot;
    if (store.recovery_stats().torn_tail) ++torn_tails;
    std::vector<std::optional<std::string>> got(kKeys);
    std::size_t present = 0;
    for (int k = 0; k < kKeys; ++k) {
      got[k] = store.get(KeyName(k));
      if (got[k]) ++present;
    }
    const auto t_opened = std::chrono::steady_clock::now();
    CycleStats st;
    std::vector<std::string> bad = Check(state, got, ops, &st);
    if (store.size() != present) {
      bad.push_back("store holds " + std::to_string(store.size()) + " keys, " +
                    std::to_string(present) + " of them in the key space");
    }
    if (auto c = store.close(); !c) {
      bad.push_back("close after recovery failed: " + c.error().message());
    }
    const auto t_closed = std::chrono::steady_clock::now();
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    phase_ms[0] += ms(t_kill - t_fork);
    phase_ms[1] += ms(t_reaped - t_kill);
    phase_ms[2] += ms(t_logs - t_reaped);
    phase_ms[3] += ms(t_opened - t_logs);
    phase_ms[4] += ms(t_closed - t_opened);
    total.ops += st.ops;
    total.acked += st.acked;
    total.in_flight += st.in_flight;
    total.saves += st.saves;
    total.clears += st.clears;
    total.in_flight_visible += st.in_flight_visible;
    if (!bad.empty()) {
      ++failures;
      std::fprintf(stderr, "cycle %d (sync %s, seed %" PRIu64 ", %s): %zu bad keys\n", cycle,
                   mode.c_str(), wseed, saw_save ? "killed during a save" : "timed kill",
                   bad.size());
      for (std::size_t i = 0; i < bad.size() && i < 10; ++i) {
        std::fprintf(stderr, "  %s\n", bad[i].c_str());
      }
      for (int t = 0; t < a.threads; ++t) {
        ::rename(LogPath(a.dir, t).c_str(),
                 (a.dir + "/failed-cycle" + std::to_string(cycle) + ".ops." + std::to_string(t) +
                  ".log").c_str());
      }
    }
    for (int t = 0; t < a.threads; ++t) RemoveIfExists(LogPath(a.dir, t));
    state = std::move(got);  // the verified state is the next cycle's start
    if (a.verbose) {
      std::printf("cycle %d: sync %s, %s, %" PRIu64 " ops (%" PRIu64 " in flight), %zu keys\n",
                  cycle, mode.c_str(), saw_save ? "killed during save" : "timed kill", st.ops,
                  st.in_flight, present);
    }
    if ((cycle + 1) % 500 == 0) {
      std::printf("... %d cycles, %d failures, %.0f s\n", cycle + 1, failures,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      std::fflush(stdout);
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("crash loop: %d cycles, %d failures (%.1f s; %" PRIu64 " ops, %" PRIu64
              " acknowledged, %" PRIu64 " in flight at a kill, %" PRIu64
              " keys showing an in-flight write, %" PRIu64 " saves, %" PRIu64
              " clears; %d kills aimed at a running save, %d early kills; %d recoveries from a "
              "snapshot; %" PRIu64 " torn tails)\n",
              cycle, failures, secs, total.ops, total.acked, total.in_flight,
              total.in_flight_visible, total.saves, total.clears, save_kills, early_kills,
              recovered_with_snapshot, torn_tails);
  std::printf("time per phase (ms, all cycles): writer running %.0f, reaping %.0f, reading logs %.0f, "
              "recovery %.0f, check+close %.0f\n",
              phase_ms[0], phase_ms[1], phase_ms[2], phase_ms[3], phase_ms[4]);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  if (a.role == "writer") return Writer(a);
  if (a.role == "run") return Run(a);
  Usage("role must be writer or run");
}
