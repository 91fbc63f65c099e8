// Copyright (c) the kvstore developers.
//
// kvstore_crash_test: a process-crash loop (kill -9) against the real POSIX
// store.
//
//   kvstore_crash_test writer --dir D --sync always|everysec|no --threads N --seed S --now-ms MS
//   kvstore_crash_test run --dir D --cycles C --seed S [--sync MODE|mixed]
//                          [--layout file|dir] [--threads N] [--min-ms A] [--max-ms B]
//                          [--time-limit SECONDS] [--verbose] [--inject-lost-writes]
//                          [--inject-late-deadlines]
//
// (--inject-lost-writes and --inject-late-deadlines are the checker's
// self-tests: the writers skip one op in 500 if it is a write of a value (a
// set, HSET, SADD, ZADD, RPUSH or mixed batch) but log it as acknowledged, or
// give one set_expiring in 100 a deadline 1 ms later than the one they log;
// the run must report failures.)
//
// --layout dir runs the same loop on a data directory D/data (open_dir): the
// saves are checkpoint() calls, and automatic checkpoints run in the
// background every 64 KiB of WAL, so kills also land in rotations, manifest
// switches and deletions of obsolete files.
//
// `writer` opens D/kvstore.wal (through D/snapshot.json when it exists) and
// runs N threads doing random set / set_expiring / expire_at / persist /
// remove over a 2000-key space and update() batches over 50 groups of 8 more
// keys, typed ops (below), with rare clear() and periodic
// save_to_file(D/snapshot.json), until it is killed. Every value is unique and attributable:
// "s<seed>.t<thread>.n<counter>.<pad>" (a batch's key i gets "<...>.u<i>").
// Each thread appends one text line per event to its own log D/ops.<t>.log
// with write(2) on an O_APPEND descriptor (so the line is in the kernel, and
// survives the kill, before the next step starts):
//
//   I <ts> S <key> <value>        intent: about to call set(key, value)
//   I <ts> X <key> <value> <ms>   intent: set_expiring(key, value, ms)
//   I <ts> E <key> <ms>           intent: expire_at(key, ms)
//   I <ts> P <key>                intent: persist(key)
//   I <ts> U <group> <value> <ms>x8   intent: update() setting the group's 8
//                                 keys to <value>.u<i> with deadline <ms> (0: none)
//   I <ts> D <key>                intent: about to call remove(key)
//   I <ts> C                      intent: about to call clear()
//   I <ts> V                      intent: about to call save_to_file()
//   I <ts> H <reg> <value>        intent: HSET of register reg's hash field (hset())
//   I <ts> h <reg>                intent: HDEL of that field (hdel())
//   I <ts> T <reg>                intent: SADD of register reg's set member (apply)
//   I <ts> t <reg>                intent: SREM of that member
//   I <ts> Z <reg> <score>        intent: ZADD of register reg's member (zadd())
//   I <ts> z <reg>                intent: ZREM of that member (zrem())
//   I <ts> R <value>              intent: RPUSH value to the thread's list (apply)
//   I <ts> L                      intent: LPOP one from the thread's list (apply)
//   I <ts> B <group> <value>      intent: update() setting mix.<group> to <value>.s
//                                 and HSET mixh.<group> f <value>.h in one batch
//   A <ts>                        the previous intent's call returned success
//
// Time: both sides use an injected clock that stands still. Cycle c's writer
// runs at T(c) = kEpochMs + c * kCycleMs and the check at T(c) + kCycleMs / 2,
// so the next writer starts later than every check before it. A deadline is
// either long (T(c) + kLongMs + ts: unique, so it names the op that set it,
// and far beyond every check) or short (around T(c), at most a few ms after
// it: live or already past for the writer, always past at the check). So the
// check knows exactly which keys must have expired.
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
//   the key, any clear, or an absent start state qualifies. With expiry, a
//   set_expiring or expire_at whose deadline had passed for the writer is a
//   write of "absent" too; any other set_expiring writes its value, and
//   expire_at / persist leave the value alone.
// Deadlines: a present key's deadline is a second register with the same
//   rule, over the ops that can follow the write w of its value (set and
//   set_expiring through w itself, expire_at(long) and persist invoked before
//   the end of the cycle and returning after w was invoked): the recovered
//   deadline must be the one some such op wrote (long deadlines are unique)
//   with no acknowledged deadline write invoked after it returned. So an
//   acknowledged deadline is never lost, changed or extended, and a persist
//   is never undone. A short deadline has passed at the check, so the key
//   must be absent: "absent" is also acceptable when the value could be
//   there with a short deadline, and a key visible after its deadline fails.
// Batches: the 8 keys of a group are written only by update() and clear(),
//   each of which writes all 8 at once, so after recovery the group must show
//   one batch's values on all 8 keys, or be absent on all 8: a batch cut by the
//   kill is all or nothing.
// Typed values: every field of the hashes hash.0..3 (f0..f15), every member
//   of the sets set.0..3 and of the sorted sets zset.0..3 (m0..m15) is a
//   register of its own, shared by all threads and checked by the same rule:
//   HSET writes its (unique) value, HDEL writes "absent"; SADD writes "1",
//   SREM "absent" (the rule needs unique values only to name the write that
//   is last, and any SADD that may be last explains "1"); ZADD writes its
//   score, unique across cycles (cycle * 2^32 + ts, exact in a double), ZREM
//   "absent"; clear() writes "absent" to all. A typed key must have its type,
//   no deadline, and no field or member outside its registers.
// Lists: thread t alone pushes (RPUSH of a unique element) to and pops (LPOP)
//   from list.<t>, so its ops on it form a sequence, the last one possibly in
//   flight; a clear() from any thread falls between two of them as its
//   interval allows. The recovered list must be exactly what the sequence
//   leaves (the in-flight op applied or not), run from the start state or,
//   if an acknowledged clear exists, from empty at a position where a clear
//   can be the last one: a lost, repeated or reordered push or pop fails.
// Mixed batches: mix.<g> (a string) and the field f of mixh.<g> (a hash) are
//   written together by one update() (tx.set plus tx.apply) and by clear()
//   only; each is a register, and the two must show the same batch or both
//   be absent: a typed op and a string write in one batch are all or nothing.
// Consequences: every acknowledged write survives with its latest value
// unless a concurrent or in-flight write may have replaced it; acknowledged
// removes and clears stay in effect unless a later/concurrent write exists.
// The check is per key; the atomicity of clear() across keys is checked only
// through its effect on each key. The store must also hold no key outside the
// key space (size() must equal the number of string and typed keys found).
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
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kvstore/kvstore.h"

namespace {

// Keys 0..kSingleKeys-1 are "k<i>", written one at a time; the rest are the
// kGroups groups of kGroupSize keys "g<group>.<i>", written by update().
constexpr int kSingleKeys = 2000;
constexpr int kGroups = 50;
constexpr int kGroupSize = 8;
constexpr int kKeys = kSingleKeys + kGroups * kGroupSize;
constexpr uint64_t kInfinity = UINT64_MAX;

// The injected clock (see the file comment).
constexpr int64_t kEpochMs = 1'700'000'000'000;  // 2023-11-14
constexpr int64_t kCycleMs = 100'000'000;        // a day and a bit per cycle
constexpr int64_t kLongMs = 10'000'000'000'000;  // ~317 years
int64_t WriterNow(int cycle) { return kEpochMs + int64_t{cycle} * kCycleMs; }
int64_t CheckNow(int cycle) { return WriterNow(cycle) + kCycleMs / 2; }

std::string KeyName(int i) {
  if (i < kSingleKeys) return "k" + std::to_string(i);
  const int g = (i - kSingleKeys) / kGroupSize;
  return "g" + std::to_string(g) + "." + std::to_string((i - kSingleKeys) % kGroupSize);
}
int GroupKey(int group, int i) { return kSingleKeys + group * kGroupSize + i; }

int KeyIndex(const std::string& k) {
  if (k.size() < 2 || k[0] != 'k') return -1;
  int i = std::atoi(k.c_str() + 1);
  return (i >= 0 && i < kSingleKeys && KeyName(i) == k) ? i : -1;
}

// Typed registers (file comment, "Typed values"): registers numbered from
// kKeys on. A register is one field of a hash, one member of a set (its value
// is "1" while present) or one member of a sorted set (its value is its score
// in decimal), or a part of a mixed batch.
constexpr int kTypedKeys = 4;      // hash.<i>, set.<i>, zset.<i>
constexpr int kTypedMembers = 16;  // f<j> / m<j> in each
constexpr int kMixGroups = 16;     // mix.<g> (string) + mixh.<g> field "f" (hash)
constexpr int kHashRegs = kKeys;
constexpr int kSetRegs = kHashRegs + kTypedKeys * kTypedMembers;
constexpr int kZSetRegs = kSetRegs + kTypedKeys * kTypedMembers;
constexpr int kMixRegs = kZSetRegs + kTypedKeys * kTypedMembers;
constexpr int kRegisters = kMixRegs + 2 * kMixGroups;

// The key and the field / member of typed register r (REQUIRES: r >= kKeys).
std::pair<std::string, std::string> TypedKey(int r) {
  if (r >= kMixRegs) {
    const int g = (r - kMixRegs) / 2;
    if ((r - kMixRegs) % 2 == 0) return {"mix." + std::to_string(g), ""};
    return {"mixh." + std::to_string(g), "f"};
  }
  const char* kind = r >= kZSetRegs ? "zset." : r >= kSetRegs ? "set." : "hash.";
  const int base = r >= kZSetRegs ? kZSetRegs : r >= kSetRegs ? kSetRegs : kHashRegs;
  const int i = (r - base) / kTypedMembers;
  const int j = (r - base) % kTypedMembers;
  return {kind + std::to_string(i), (r < kSetRegs ? "f" : "m") + std::to_string(j)};
}
// A register's name in failure reports.
std::string RegName(int r) {
  if (r < kKeys) return KeyName(r);
  auto [key, field] = TypedKey(r);
  return field.empty() ? key : key + "/" + field;
}
int MixString(int g) { return kMixRegs + 2 * g; }
int MixField(int g) { return kMixRegs + 2 * g + 1; }
std::string ListKey(int t) { return "list." + std::to_string(t); }

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
  // Self-test of the deadline check: one set_expiring in 100 extends the
  // deadline it logs by 1 ms.
  bool inject_late_deadlines = false;
  int time_limit_s = 0;  // run: stop after this many seconds (0: no limit)
  int64_t now_ms = 0;    // writer: the injected clock's time (WriterNow)
};

[[noreturn]] void Usage(const char* msg) {
  std::fprintf(stderr,
               "%s\nusage: kvstore_crash_test writer --dir D --sync always|everysec|no "
               "--threads N --seed S --now-ms MS\n"
               "       kvstore_crash_test run --dir D --cycles C --seed S "
               "[--sync always|everysec|no|mixed] [--layout file|dir] [--threads N] "
               "[--min-ms A] [--max-ms B] "
               "[--time-limit SECONDS] [--verbose] [--inject-lost-writes] "
               "[--inject-late-deadlines]\n",
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
    else if (f == "--inject-late-deadlines") a.inject_late_deadlines = true;
    else if (f == "--time-limit") a.time_limit_s = std::atoi(next().c_str());
    else if (f == "--now-ms") a.now_ms = std::strtoll(next().c_str(), nullptr, 10);
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
// now_ms: the time of the injected clock, which stands still.
kvstore::Result<kvstore::KvStore> OpenStore(const std::string& dir, kvstore::SyncMode mode,
                                            const std::string& layout, int64_t now_ms) {
  kvstore::Options o;
  o.sync = mode;
  o.clock = [now_ms] { return now_ms; };
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
  if (a.now_ms <= 0) Usage("writer: --now-ms is required");
  auto opened = OpenStore(a.dir, mode, a.layout, a.now_ms);
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
      const uint64_t inv = clock.fetch_add(1);
      // A long deadline names its op (inv is unique in the cycle); a short
      // one lies within a few ms of the writer's clock, on either side.
      const auto deadline = [&](bool long_one) {
        return long_one ? a.now_ms + kLongMs + static_cast<int64_t>(inv)
                        : a.now_ms - 3 + static_cast<int64_t>(rng() % 8);
      };
      char op;
      std::string key, value;
      int64_t ms = 0;
      int group = 0;
      int reg = -1;  // typed ops: the register
      int64_t group_ms[kGroupSize] = {};
      const auto make_value = [&] {
        return prefix + std::to_string(n) + "." +
               std::string(rng() % 120, static_cast<char>('a' + n % 26));
      };
      if (r == 0) {
        op = 'C';
      } else if ((t == 0 && std::chrono::steady_clock::now() >= next_save) ||
                 (t == 1 && r == 1)) {
        op = 'V';
        if (t == 0) {
          next_save = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(5 + static_cast<int>(rng() % 40));
        }
      } else if (r < 4000) {
        op = 'D';
        key = KeyName(static_cast<int>(rng() % kSingleKeys));
      } else if (r < 5000) {
        op = 'E';
        key = KeyName(static_cast<int>(rng() % kSingleKeys));
        ms = deadline(rng() % 2 == 0);
      } else if (r < 5500) {
        op = 'P';
        key = KeyName(static_cast<int>(rng() % kSingleKeys));
      } else if (r < 7000) {
        op = 'X';
        key = KeyName(static_cast<int>(rng() % kSingleKeys));
        value = make_value();
        ms = deadline(rng() % 4 != 0);
      } else if (r < 8000) {
        op = 'U';
        group = static_cast<int>(rng() % kGroups);
        value = prefix + std::to_string(n);
        for (int64_t& d : group_ms) d = rng() % 2 == 0 ? 0 : deadline(true);
      } else if (r < 14000) {
        op = 'S';
        key = KeyName(static_cast<int>(rng() % kSingleKeys));
        value = make_value();
      } else if (r < 19400) {
        // Typed ops (see the file comment): registers of shared hashes,
        // sets and sorted sets, and the thread's own list.
        const int member = static_cast<int>(rng() % (kTypedKeys * kTypedMembers));
        if (r < 15000) {
          op = 'H';
          reg = kHashRegs + member;
          value = prefix + std::to_string(n) + "." + std::string(rng() % 40, 'h');
        } else if (r < 15400) {
          op = 'h';
          reg = kHashRegs + member;
        } else if (r < 16000) {
          op = 'T';
          reg = kSetRegs + member;
        } else if (r < 16400) {
          op = 't';
          reg = kSetRegs + member;
        } else if (r < 17200) {
          op = 'Z';
          reg = kZSetRegs + member;
          // Unique across cycles and exact in a double (< 2^53).
          value = std::to_string(((a.now_ms - kEpochMs) / kCycleMs) * (int64_t{1} << 32) +
                                 static_cast<int64_t>(inv));
        } else if (r < 17600) {
          op = 'z';
          reg = kZSetRegs + member;
        } else if (r < 18500) {
          op = 'R';
          value = prefix + std::to_string(n);
        } else {
          op = 'L';
        }
        if (reg >= 0) key = std::to_string(reg);
      } else {
        op = 'B';
        group = static_cast<int>(rng() % kMixGroups);
        value = prefix + std::to_string(n);
      }
      line = "I " + std::to_string(inv) + " " + op;
      if (!key.empty()) line += " " + key;
      if (op == 'B') line += " " + std::to_string(group);
      if (op == 'U') line += " " + std::to_string(group);
      if (!value.empty()) line += " " + value;
      if (op == 'X' || op == 'E') line += " " + std::to_string(ms);
      if (op == 'U') {
        for (int64_t d : group_ms) line += " " + std::to_string(d);
      }
      line += "\n";
      WriteAll(fd, line);
      if (op == 'V' && a.notify_fd >= 0) {
        ssize_t ignored = ::write(a.notify_fd, "v", 1);
        (void)ignored;
      }
      kvstore::Result<void> res;
      // Checker self-test: skip a write but log it as acknowledged.
      const bool lose = a.inject_lost_writes && n % 500 == 499;
      std::pair<std::string, std::string> typed;
      if (reg >= 0) typed = TypedKey(reg);
      const auto ok = [&](const auto& rr) {
        if (!rr) res = rr.error();
      };
      switch (op) {
        case 'H':
          if (lose) break;
          ok(store.hset(typed.first, {{typed.second, value}}));
          break;
        case 'h':
          ok(store.hdel(typed.first, {typed.second}));
          break;
        case 'T': {
          if (lose) break;
          const std::string_view args[] = {typed.second};
          res = store.apply(typed.first, kvstore::OpCode::kSetAdd, args);
          break;
        }
        case 't': {
          const std::string_view args[] = {typed.second};
          res = store.apply(typed.first, kvstore::OpCode::kSetRem, args);
          break;
        }
        case 'Z':
          if (lose) break;
          ok(store.zadd(typed.first, {{std::strtod(value.c_str(), nullptr), typed.second}}));
          break;
        case 'z':
          ok(store.zrem(typed.first, {typed.second}));
          break;
        case 'R': {
          if (lose) break;
          const std::string_view args[] = {"R", value};
          res = store.apply(ListKey(t), kvstore::OpCode::kListPush, args);
          break;
        }
        case 'L': {
          const std::string_view args[] = {"L", "1"};
          res = store.apply(ListKey(t), kvstore::OpCode::kListPop, args);
          break;
        }
        case 'B': {
          if (lose) break;
          const auto [skey, unused] = TypedKey(MixString(group));
          const auto [hkey, hfield] = TypedKey(MixField(group));
          const std::string sval = value + ".s", hval = value + ".h";
          res = store.update({skey, hkey}, [&](kvstore::Transaction& tx) {
            tx.set(skey, sval);
            const std::string_view args[] = {hfield, hval};
            tx.apply(hkey, kvstore::OpCode::kHashSet, args);
          });
          break;
        }
        case 'S':
          if (lose) break;
          res = store.set(key, value);
          break;
        case 'X':
          if (a.inject_late_deadlines && n % 100 == 99) ++ms;  // checker self-test
          res = store.set_expiring(key, value, ms);
          break;
        case 'E': {
          auto rr = store.expire_at(key, ms);
          if (!rr) res = rr.error();
          break;
        }
        case 'P': {
          auto rr = store.persist(key);
          if (!rr) res = rr.error();
          break;
        }
        case 'U': {
          std::vector<std::string> names;
          for (int i = 0; i < kGroupSize; ++i) names.push_back(KeyName(GroupKey(group, i)));
          const std::vector<std::string_view> keys(names.begin(), names.end());
          res = store.update(keys, [&](kvstore::Transaction& tx) {
            for (int i = 0; i < kGroupSize; ++i) {
              const std::string v = value + ".u" + std::to_string(i);
              if (group_ms[i] == 0) {
                tx.set(names[i], v);  // clears any deadline
              } else {
                tx.set(names[i], v, group_ms[i]);
              }
            }
          });
          break;
        }
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
  char type = 0;  // S X E P U D C V; typed: H h T t Z z R L B
  int key = -1;   // S X E P D; H h T t Z z: the register
  int group = -1; // U B
  std::string value;
  int64_t ms = 0;                       // X E: the deadline
  std::vector<int64_t> group_ms;        // U: each key's deadline (0: none)
  uint64_t inv = 0;
  uint64_t resp = kInfinity;  // kInfinity: in flight (no ack)
};

// Fields of an intent line per op type ("I <ts> <type> ...").
std::size_t IntentFields(char type) {
  switch (type) {
    case 'S': case 'E': return 5;
    case 'X': return 6;
    case 'D': case 'P': return 4;
    case 'C': case 'V': return 3;
    case 'U': return 5 + kGroupSize;
    case 'H': case 'Z': case 'B': return 5;
    case 'h': case 'T': case 't': case 'z': case 'R': return 4;
    case 'L': return 3;
    default: return 0;
  }
}

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
      if (f.size() != IntentFields(op.type)) {
        *why = path + ": malformed line '" + line + "'";
        return false;
      }
      if (std::strchr("SXEPD", op.type) != nullptr) {
        op.key = KeyIndex(f[3]);
        if (op.key < 0) {
          *why = path + ": bad key in '" + line + "'";
          return false;
        }
      }
      if (std::strchr("HhTtZz", op.type) != nullptr) {
        op.key = std::atoi(f[3].c_str());
        const int lo = op.type == 'H' || op.type == 'h' ? kHashRegs
                       : op.type == 'T' || op.type == 't' ? kSetRegs
                                                          : kZSetRegs;
        if (op.key < lo || op.key >= lo + kTypedKeys * kTypedMembers) {
          *why = path + ": bad register in '" + line + "'";
          return false;
        }
      }
      if (op.type == 'H' || op.type == 'Z') op.value = f[4];
      if (op.type == 'R') op.value = f[3];
      if (op.type == 'B') {
        op.group = std::atoi(f[3].c_str());
        if (op.group < 0 || op.group >= kMixGroups) {
          *why = path + ": bad group in '" + line + "'";
          return false;
        }
        op.value = f[4];
      }
      if (op.type == 'S' || op.type == 'X') op.value = f[4];
      if (op.type == 'X') op.ms = std::strtoll(f[5].c_str(), nullptr, 10);
      if (op.type == 'E') op.ms = std::strtoll(f[4].c_str(), nullptr, 10);
      if (op.type == 'U') {
        op.group = std::atoi(f[3].c_str());
        if (op.group < 0 || op.group >= kGroups) {
          *why = path + ": bad group in '" + line + "'";
          return false;
        }
        op.value = f[4];
        for (int i = 0; i < kGroupSize; ++i) {
          op.group_ms.push_back(std::strtoll(f[5 + i].c_str(), nullptr, 10));
        }
      }
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

// A key's recovered (or start) state: its value and deadline.
struct KeyState {
  std::optional<std::string> value;
  int64_t deadline = kvstore::kNoExpiry;  // when present
  bool operator==(const KeyState&) const = default;
};

std::string Show(const std::optional<std::string>& v) {
  if (!v) return "<absent>";
  return v->size() > 40 ? v->substr(0, 40) + "..." : *v;
}

std::string Show(const KeyState& s) {
  if (!s.value) return "<absent>";
  return Show(s.value) +
         (s.deadline == kvstore::kNoExpiry ? "" : " (expires " + std::to_string(s.deadline) + ")");
}

std::string ShowTs(uint64_t t) { return t == kInfinity ? "inf" : std::to_string(t); }

struct CycleStats {
  uint64_t ops = 0, acked = 0, in_flight = 0, saves = 0, clears = 0;
  uint64_t in_flight_visible = 0;  // keys whose value came from an in-flight write
  uint64_t expiring = 0;           // set_expiring, expire_at and persist ops
  uint64_t batches = 0;            // update() ops
  uint64_t with_deadline = 0;      // recovered keys that have a deadline
  uint64_t typed = 0;              // ops on hashes, sets, sorted sets and lists
  uint64_t list_elements = 0;      // recovered list elements checked
};

// What one op does to one key. A deadline the writer saw as passed (set_expiring
// before its time, expire_at at or before it) writes "absent"; any other
// deadline is written as such, and is checked against the check's time only
// at the end (a short one can still be replaced by a persist, say).
struct KeyWrite {
  enum Kind { kValue, kAbsent, kDeadline } kind;
  const Op* op;
  std::string value;  // kValue
  int64_t deadline;   // kValue, kDeadline: the deadline written, or kNoExpiry
};

// The writes of each key in one cycle (see the file comment); writer_now is
// the writer's clock.
std::vector<std::vector<KeyWrite>> KeyWrites(const std::vector<Op>& ops, int64_t writer_now) {
  std::vector<std::vector<KeyWrite>> w(kRegisters);
  constexpr int64_t kNone = kvstore::kNoExpiry;
  for (const Op& op : ops) {
    switch (op.type) {
      case 'S':
        w[op.key].push_back({KeyWrite::kValue, &op, op.value, kNone});
        break;
      case 'X':  // a deadline before now leaves the key expired at once
        if (op.ms < writer_now) w[op.key].push_back({KeyWrite::kAbsent, &op, "", 0});
        else w[op.key].push_back({KeyWrite::kValue, &op, op.value, op.ms});
        break;
      case 'E':  // a deadline at or before now removes the key
        if (op.ms <= writer_now) w[op.key].push_back({KeyWrite::kAbsent, &op, "", 0});
        else w[op.key].push_back({KeyWrite::kDeadline, &op, "", op.ms});
        break;
      case 'P':
        w[op.key].push_back({KeyWrite::kDeadline, &op, "", kNone});
        break;
      case 'D':
        w[op.key].push_back({KeyWrite::kAbsent, &op, "", 0});
        break;
      case 'C':
        for (auto& kw : w) kw.push_back({KeyWrite::kAbsent, &op, "", 0});
        break;
      case 'H': case 'Z':
        w[op.key].push_back({KeyWrite::kValue, &op, op.value, kNone});
        break;
      case 'T':
        w[op.key].push_back({KeyWrite::kValue, &op, "1", kNone});
        break;
      case 'h': case 't': case 'z':
        w[op.key].push_back({KeyWrite::kAbsent, &op, "", 0});
        break;
      case 'B':
        w[MixString(op.group)].push_back({KeyWrite::kValue, &op, op.value + ".s", kNone});
        w[MixField(op.group)].push_back({KeyWrite::kValue, &op, op.value + ".h", kNone});
        break;
      case 'U':
        for (int i = 0; i < kGroupSize; ++i) {
          const int64_t d = op.group_ms[static_cast<std::size_t>(i)];
          w[GroupKey(op.group, i)].push_back({KeyWrite::kValue, &op,
                                              op.value + ".u" + std::to_string(i),
                                              d == 0 ? kNone : d});
        }
        break;
    }
  }
  return w;
}

// The deadlines key k may have if its value came from `origin` (nullptr: the
// start state): the origin's own, unless an acknowledged deadline write was
// invoked after it returned, and those of expire_at / persist ops that may
// follow it and that no acknowledged deadline write follows.
std::vector<int64_t> DeadlineCandidates(const KeyState& base, const KeyWrite* origin,
                                        const std::vector<KeyWrite>& writes, uint64_t dbound) {
  std::vector<int64_t> out;
  const uint64_t origin_inv = origin ? origin->op->inv : 0;
  const uint64_t origin_resp = origin ? origin->op->resp : 0;
  if (origin_resp > dbound || (origin == nullptr && dbound == 0)) {
    out.push_back(origin ? origin->deadline : base.deadline);
  }
  for (const KeyWrite& w : writes) {
    if (w.kind == KeyWrite::kDeadline && w.op->resp > dbound && w.op->resp > origin_inv) {
      out.push_back(w.deadline);
    }
  }
  return out;
}

// Why key k's recovered state is impossible at check_now, or "".
std::string CheckKey(const KeyState& base, const KeyState& got, const std::vector<KeyWrite>& writes,
                     int64_t check_now, CycleStats* st) {
  // The latest invocation of an acknowledged write of the value (0: none;
  // the start state's virtual write "returned" at 0), and of the deadline.
  uint64_t bound = 0, dbound = 0;
  for (const KeyWrite& w : writes) {
    if (w.op->resp == kInfinity) continue;
    if (w.kind != KeyWrite::kDeadline) bound = std::max(bound, w.op->inv);
    dbound = std::max(dbound, w.op->inv);
  }
  // The writes that may have left the value: the start state (nullptr) or
  // value writes that no acknowledged write follows.
  std::vector<const KeyWrite*> origins;
  const bool base_possible = bound == 0;
  for (const KeyWrite& w : writes) {
    if (w.kind == KeyWrite::kValue && w.op->resp > bound) origins.push_back(&w);
  }
  const auto passed = [&](int64_t d) { return d != kvstore::kNoExpiry && d < check_now; };
  if (!got.value) {
    if (base_possible && !base.value) return "";
    for (const KeyWrite& w : writes) {
      if (w.kind == KeyWrite::kAbsent && w.op->resp > bound) return "";
    }
    // Or a value is there with a deadline that has passed by now.
    if (base_possible && base.value) {
      for (int64_t d : DeadlineCandidates(base, nullptr, writes, dbound)) {
        if (passed(d)) return "";
      }
    }
    for (const KeyWrite* o : origins) {
      for (int64_t d : DeadlineCandidates(base, o, writes, dbound)) {
        if (passed(d)) return "";
      }
    }
    return "absent, but no remove or passed deadline could be last";
  }
  if (passed(got.deadline)) return "visible after its deadline";
  // The write of the value (values are unique).
  const KeyWrite* origin = nullptr;
  bool from_base = false;
  if (base_possible && base.value == got.value) {
    from_base = true;
  } else {
    for (const KeyWrite* o : origins) {
      if (o->value == *got.value) origin = o;
    }
    if (origin == nullptr) return "value cannot be the last one written";
    if (origin->op->resp == kInfinity) ++st->in_flight_visible;
  }
  for (int64_t d : DeadlineCandidates(base, from_base ? nullptr : origin, writes, dbound)) {
    if (d == got.deadline) return "";
  }
  return "deadline " + std::to_string(got.deadline) + " is not the last one written";
}

// Why thread t's list, recovered as `got`, is impossible after this cycle's
// ops starting from `base`, or "". Only thread t pushes to and pops from its
// list, so its ops on it are a sequence (the last one may be in flight);
// clear() from any thread empties it at some point of that sequence its
// interval of real time allows. The list must be what the sequence (with or
// without an in-flight last op) leaves, started from the last clear's
// position (empty) or, when no clear was acknowledged, from `base`.
std::string CheckList(const std::vector<std::string>& base, const std::vector<std::string>& got,
                      const std::vector<Op>& ops, int t) {
  std::vector<const Op*> seq;
  for (const Op& op : ops) {
    if (op.thread == t && (op.type == 'R' || op.type == 'L')) seq.push_back(&op);
  }
  const std::size_t n = seq.size();
  // Positions p (after the first p ops) where a clear c may fall.
  const auto allowed = [&](const Op& c, std::size_t p) {
    return (p == 0 || seq[p - 1]->inv < c.resp) && (p == n || seq[p]->resp > c.inv);
  };
  std::size_t min_last = 0;  // the last clear falls at or after every acked one's first position
  bool acked_clear = false;
  std::vector<bool> clear_at(n + 1, false);
  for (const Op& c : ops) {
    if (c.type != 'C') continue;
    std::optional<std::size_t> first;
    for (std::size_t p = 0; p <= n; ++p) {
      if (!allowed(c, p)) continue;
      if (!first) first = p;
      clear_at[p] = true;
    }
    if (c.resp != kInfinity && first) {
      acked_clear = true;
      min_last = std::max(min_last, *first);
    }
  }
  const bool last_optional = n > 0 && seq[n - 1]->resp == kInfinity;
  // Whether running seq[p..n) on `start` (the in-flight last op applied or
  // not) can give `got`.
  const auto reaches = [&](std::deque<std::string> list, std::size_t p) {
    for (std::size_t i = p; i < n; ++i) {
      if (i + 1 == n && last_optional &&
          std::equal(list.begin(), list.end(), got.begin(), got.end())) {
        return true;
      }
      if (seq[i]->type == 'R') {
        list.push_back(seq[i]->value);
      } else if (!list.empty()) {
        list.pop_front();
      }
    }
    return std::equal(list.begin(), list.end(), got.begin(), got.end());
  };
  if (!acked_clear && reaches(std::deque<std::string>(base.begin(), base.end()), 0)) return "";
  for (std::size_t p = min_last; p <= n; ++p) {
    if (clear_at[p] && reaches({}, p)) return "";
  }
  std::string why = "list " + ListKey(t) + ": recovered " + std::to_string(got.size()) +
                    " elements (head " + (got.empty() ? "-" : Show(got.front())) + ", tail " +
                    (got.empty() ? "-" : Show(got.back())) + "), start state " +
                    std::to_string(base.size()) + " elements; not what the thread's " +
                    std::to_string(n) + " list ops leave;";
  for (std::size_t i = n > 6 ? n - 6 : 0; i < n; ++i) {
    why += std::string(" [") + seq[i]->type + " " + Show(seq[i]->value) + " inv " +
           std::to_string(seq[i]->inv) + " resp " + ShowTs(seq[i]->resp) + "]";
  }
  return why;
}

// Checks `got` (the recovered state) against the ops of one cycle, starting
// from `base`. Returns the failure descriptions (empty: the state is valid).
std::vector<std::string> Check(const std::vector<KeyState>& base, const std::vector<KeyState>& got,
                               const std::vector<Op>& ops, int64_t writer_now, int64_t check_now,
                               CycleStats* st) {
  std::vector<std::string> failures;
  for (const Op& op : ops) {
    ++st->ops;
    if (op.resp != kInfinity) ++st->acked; else ++st->in_flight;
    if (op.type == 'V') ++st->saves;
    if (op.type == 'C') ++st->clears;
    if (op.type == 'X' || op.type == 'E' || op.type == 'P') ++st->expiring;
    if (op.type == 'U' || op.type == 'B') ++st->batches;
    if (std::strchr("HhTtZzRLB", op.type) != nullptr) ++st->typed;
  }
  const auto writes = KeyWrites(ops, writer_now);
  for (int k = 0; k < kRegisters; ++k) {
    if (got[k].value && got[k].deadline != kvstore::kNoExpiry) ++st->with_deadline;
    const std::string why = CheckKey(base[k], got[k], writes[k], check_now, st);
    if (why.empty()) continue;
    std::string d = "key " + RegName(k) + ": recovered " + Show(got[k]) + ", start state " +
                    Show(base[k]) + ": " + why + ";";
    int shown = 0;
    for (auto it = writes[k].rbegin(); it != writes[k].rend() && shown < 6; ++it, ++shown) {
      const Op& op = *it->op;
      d += " [t" + std::to_string(op.thread) + " " + op.type + " " +
           (it->kind == KeyWrite::kValue ? Show(it->value) : std::string()) +
           (op.ms != 0 ? " ms " + std::to_string(op.ms) : std::string()) + " inv " +
           std::to_string(op.inv) + " resp " + ShowTs(op.resp) + "]";
    }
    failures.push_back(d);
  }
  // A group shows one batch on all its keys, or nothing.
  for (int g = 0; g < kGroups; ++g) {
    std::optional<std::string> batch;
    int present = 0;
    bool mixed = false;
    for (int i = 0; i < kGroupSize; ++i) {
      const auto& v = got[GroupKey(g, i)].value;
      if (!v) continue;
      ++present;
      const std::string suffix = ".u" + std::to_string(i);
      const std::string b = v->ends_with(suffix) ? v->substr(0, v->size() - suffix.size()) : *v;
      if (batch && *batch != b) mixed = true;
      batch = b;
    }
    if (mixed || (present != 0 && present != kGroupSize)) {
      std::string d = "group g" + std::to_string(g) + " is not one whole batch:";
      for (int i = 0; i < kGroupSize; ++i) d += " " + Show(got[GroupKey(g, i)]);
      failures.push_back(d);
    }
  }
  // A mixed batch (a string and a hash field in one update()) is all or nothing.
  for (int g = 0; g < kMixGroups; ++g) {
    const auto& sv = got[MixString(g)].value;
    const auto& hv = got[MixField(g)].value;
    if (!sv && !hv) continue;
    if (!sv || !hv || !sv->ends_with(".s") || !hv->ends_with(".h") ||
        sv->substr(0, sv->size() - 2) != hv->substr(0, hv->size() - 2)) {
      failures.push_back("mixed group " + std::to_string(g) +
                         " is not one whole batch: " + RegName(MixString(g)) + " " + Show(sv) +
                         ", " + RegName(MixField(g)) + " " + Show(hv));
    }
  }
  return failures;
}

// Reads the recovered typed registers into (*got)[kKeys..] and the threads'
// lists into *lists. Returns what is wrong with the typed keys' shape (a
// wrong type, a deadline, a field or member outside the register space) and
// adds the typed keys present to *keys.
std::vector<std::string> ReadTyped(const kvstore::KvStore& store, int threads,
                                   std::vector<KeyState>* got,
                                   std::vector<std::vector<std::string>>* lists,
                                   std::size_t* keys) {
  std::vector<std::string> bad;
  // Each typed key: its type and its registers [first, first + count).
  struct TypedKeySpec {
    std::string name;
    kvstore::Type type;
    int first, count;
  };
  std::vector<TypedKeySpec> specs;
  for (int i = 0; i < kTypedKeys; ++i) {
    const int off = i * kTypedMembers;
    specs.push_back(
        {TypedKey(kHashRegs + off).first, kvstore::Type::kHash, kHashRegs + off, kTypedMembers});
    specs.push_back(
        {TypedKey(kSetRegs + off).first, kvstore::Type::kSet, kSetRegs + off, kTypedMembers});
    specs.push_back(
        {TypedKey(kZSetRegs + off).first, kvstore::Type::kZSet, kZSetRegs + off, kTypedMembers});
  }
  for (int g = 0; g < kMixGroups; ++g) {
    specs.push_back({TypedKey(MixString(g)).first, kvstore::Type::kString, MixString(g), 1});
    specs.push_back({TypedKey(MixField(g)).first, kvstore::Type::kHash, MixField(g), 1});
  }
  for (int t = 0; t < threads; ++t) specs.push_back({ListKey(t), kvstore::Type::kList, 0, 0});
  lists->assign(static_cast<std::size_t>(threads), {});
  for (const TypedKeySpec& k : specs) {
    std::size_t size = 0;
    const kvstore::Type type = store.view(k.name, [&](const kvstore::Object& o) {
      size = o.size();
      if (o.type() == kvstore::Type::kHash) {
        const auto& h = static_cast<const kvstore::HashValue&>(o);
        for (int r = k.first; r < k.first + k.count; ++r) {
          if (auto v = h.get(TypedKey(r).second)) (*got)[r].value = std::string(*v);
        }
      } else if (o.type() == kvstore::Type::kSet) {
        const auto& s = static_cast<const kvstore::SetValue&>(o);
        for (int r = k.first; r < k.first + k.count; ++r) {
          if (s.contains(TypedKey(r).second)) (*got)[r].value = "1";
        }
      } else if (o.type() == kvstore::Type::kZSet) {
        const auto& z = static_cast<const kvstore::ZSetValue&>(o);
        for (int r = k.first; r < k.first + k.count; ++r) {
          if (auto sc = z.score(TypedKey(r).second)) {
            (*got)[r].value = std::to_string(static_cast<int64_t>(*sc));
          }
        }
      } else if (o.type() == kvstore::Type::kList) {
        const auto& l = static_cast<const kvstore::ListValue&>(o);
        auto& out = (*lists)[static_cast<std::size_t>(std::atoi(k.name.c_str() + 5))];
        if (l.size() > 0) {
          l.for_each_from(0, false, [&](std::string_view e) {
            out.emplace_back(e);
            return true;
          });
        }
      }
    });
    if (type == kvstore::Type::kNone) continue;
    ++*keys;
    if (type != k.type) {
      bad.push_back("key " + k.name + " holds a " + std::string(kvstore::TypeName(type)) +
                    ", not a " + std::string(kvstore::TypeName(k.type)));
      continue;
    }
    if (store.expire_time(k.name) != kvstore::kNoExpiry) {
      bad.push_back("key " + k.name + " has a deadline; no op gives it one");
    }
    if (type == kvstore::Type::kString) {
      (*got)[k.first].value = store.get(k.name);
      continue;
    }
    if (type == kvstore::Type::kList) continue;
    std::size_t found = 0;
    for (int r = k.first; r < k.first + k.count; ++r) found += (*got)[r].value ? 1 : 0;
    if (found != size) {
      bad.push_back("key " + k.name + " holds " + std::to_string(size) + " elements, " +
                    std::to_string(found) + " of them in the register space");
    }
  }
  return bad;
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
  std::vector<KeyState> state(kRegisters);
  std::vector<std::vector<std::string>> list_state(static_cast<std::size_t>(a.threads));
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
                                       "--seed", std::to_string(wseed), "--notify-fd", "3",
                                       "--now-ms", std::to_string(WriterNow(cycle))};
    if (a.inject_lost_writes) argv_s.push_back("--inject-lost-writes");
    if (a.inject_late_deadlines) argv_s.push_back("--inject-late-deadlines");
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
    auto opened = OpenStore(a.dir, kvstore::SyncMode::kNever, a.layout, CheckNow(cycle));
    if (!opened) {
      std::fprintf(stderr, "cycle %d (%s): reopen failed: %s\n", cycle, mode.c_str(),
                   opened.error().message().c_str());
      ++failures;
      break;
    }
    kvstore::KvStore store = std::move(*opened);
    if (had_snapshot) ++recovered_with_snapshot;
    if (store.recovery_stats().torn_tail) ++torn_tails;
    std::vector<KeyState> got(kRegisters);
    std::vector<std::vector<std::string>> lists;
    std::size_t present = 0, typed_keys = 0;
    for (int k = 0; k < kKeys; ++k) {
      got[k].value = store.get(KeyName(k));
      if (got[k].value) {
        ++present;
        got[k].deadline = store.expire_time(KeyName(k));
      }
    }
    std::vector<std::string> typed_bad = ReadTyped(store, a.threads, &got, &lists, &typed_keys);
    const auto t_opened = std::chrono::steady_clock::now();
    CycleStats st;
    std::vector<std::string> bad = Check(state, got, ops, WriterNow(cycle), CheckNow(cycle), &st);
    bad.insert(bad.end(), typed_bad.begin(), typed_bad.end());
    for (int t = 0; t < a.threads; ++t) {
      const auto ti = static_cast<std::size_t>(t);
      std::string why = CheckList(list_state[ti], lists[ti], ops, t);
      if (!why.empty()) bad.push_back(why);
      st.list_elements += lists[ti].size();
    }
    if (store.size() != present + typed_keys) {
      bad.push_back("store holds " + std::to_string(store.size()) + " keys, " +
                    std::to_string(present + typed_keys) + " of them in the key space");
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
    total.expiring += st.expiring;
    total.batches += st.batches;
    total.with_deadline += st.with_deadline;
    total.typed += st.typed;
    total.list_elements += st.list_elements;
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
    list_state = std::move(lists);
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
              " keys showing an in-flight write, %" PRIu64 " saves, %" PRIu64 " clears, %" PRIu64
              " expiry ops, %" PRIu64 " batches, %" PRIu64 " typed ops; %" PRIu64
              " recovered list elements checked; %" PRIu64
              " recovered keys checked with a deadline; %d kills aimed at a running save, %d "
              "early kills; %d recoveries from a snapshot; %" PRIu64 " torn tails)\n",
              cycle, failures, secs, total.ops, total.acked, total.in_flight,
              total.in_flight_visible, total.saves, total.clears, total.expiring, total.batches,
              total.typed, total.list_elements, total.with_deadline, save_kills, early_kills,
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
