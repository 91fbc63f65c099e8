// Copyright (c) the kvstore developers.
//
// Linearizability (docs/RELIABILITY.md, "Linearizability").
//
// LinearizabilityTest.*: 4 threads run random get / set / remove on 8 keys of
// one store, recording every call's invocation and response on one global
// atomic clock (the invocation stamp is drawn before the call, the response
// stamp after it returns, so "a.resp < b.inv" means a returned before b was
// invoked). Each key is then checked as a linearizable register with a
// Wing & Gong search (with Lowe's memoisation of (linearized set, register
// state), as in Porcupine/Knossos): repeatedly linearize one of the "minimal"
// pending operations (those invoked before every other pending operation
// returned) whose result is consistent with the register, backtracking on
// dead ends. Operations:
//   set(v)            writes v
//   get() -> r        requires r == current value (nullopt: absent)
//   remove() -> r     requires r == current value, then writes "absent"
// Values are unique per call, so a read names the write it saw. The checker
// is itself tested on hand-written histories, including ones it must reject.
//
// LinearizabilityTest.HashFieldsAndZSetMembersAreLinearizableRegisters: the
// same with typed calls: each hash field and each sorted-set member is a
// register (HSET / ZADD write, also reporting whether the field or member
// was new; HGET / ZSCORE read; HDEL / ZREM remove, reporting whether it was
// there, which the checker models as a delete that checks presence).
//
// ConcurrencyStressTest.MixedOperationsKeepInvariants: get / set / remove /
// clear / save_to_file / load_from_file (into separate store objects) at once,
// with invariants checked while running and the recovered state compared with
// the live one at the end. Sized for ThreadSanitizer (well under 60 s).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kvstore/kvstore.h"
#include "support/temp_dir.h"

namespace kvstore {
namespace {

using kvstore::testing::TempDir;

// ------------------------------------------------------------- the checker

struct RegOp {
  // kDelete: writes "absent" and reports only whether a value was there (HDEL,
  // ZREM answer a count, not the value).
  enum Kind { kGet, kSet, kRemove, kDelete } kind;
  std::optional<std::string> value;  // set: the value written; get/remove: the result
  uint64_t inv = 0;
  uint64_t resp = 0;
  // set / delete: whether the call reported a value already there (HSET and
  // ZADD count new fields, HDEL and ZREM removed ones); -1: not reported.
  int existed = -1;
};

// Wing & Gong search with memoisation. Returns true if `history` (complete
// operations on one register that starts as `init`) is linearizable. On
// failure *why describes the longest linearizable prefix found.
bool CheckRegister(const std::vector<RegOp>& history, const std::optional<std::string>& init,
                   std::string* why = nullptr, uint64_t* states_explored = nullptr) {
  const std::size_t n = history.size();
  // Order by invocation; map values to small ids (0: absent).
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return history[a].inv < history[b].inv; });
  std::unordered_map<std::string, int> ids;
  auto id_of = [&](const std::optional<std::string>& v) {
    if (!v) return 0;
    auto [it, inserted] = ids.emplace(*v, static_cast<int>(ids.size()) + 1);
    return it->second;
  };
  struct Op {
    RegOp::Kind kind;
    int value;
    uint64_t inv, resp;
    int existed;
  };
  std::vector<Op> ops(n);
  for (std::size_t i = 0; i < n; ++i) {
    const RegOp& o = history[order[i]];
    ops[i] = {o.kind, id_of(o.value), o.inv, o.resp, o.existed};
  }
  const int init_id = id_of(init);

  const std::size_t words = (n + 63) / 64;
  std::vector<uint64_t> done(words, 0);
  std::unordered_set<std::string> seen;  // memo: (done set, state) known to fail
  auto memo_key = [&](int state) {
    std::string k(reinterpret_cast<const char*>(done.data()), words * 8);
    k.append(reinterpret_cast<const char*>(&state), sizeof state);
    return k;
  };
  auto is_done = [&](std::size_t i) { return (done[i / 64] >> (i % 64)) & 1; };
  std::size_t best = 0;
  uint64_t explored = 0;
  std::size_t first_pending = 0;  // every op before it is done

  // Iterative DFS: a stack of (op linearized, previous state, first_pending).
  struct Frame {
    std::size_t op;
    int prev_state;
    std::size_t prev_first;
    std::size_t next_candidate;  // where to resume the candidate scan
  };
  std::vector<Frame> stack;
  int state = init_id;
  std::size_t count = 0;
  std::size_t resume = 0;
  for (;;) {
    if (count == n) {
      if (states_explored) *states_explored = explored;
      return true;
    }
    ++explored;
    // The minimal pending ops: invoked before the earliest pending response.
    uint64_t min_resp = UINT64_MAX;
    for (std::size_t i = first_pending; i < n; ++i) {
      if (ops[i].inv > min_resp) break;
      if (!is_done(i)) min_resp = std::min(min_resp, ops[i].resp);
    }
    bool advanced = false;
    for (std::size_t i = std::max(resume, first_pending); i < n && ops[i].inv < min_resp; ++i) {
      if (is_done(i)) continue;
      const Op& o = ops[i];
      int next_state = state;
      if (o.existed >= 0 && (state != 0) != (o.existed == 1)) continue;
      if (o.kind == RegOp::kSet) {
        next_state = o.value;
      } else if (o.kind == RegOp::kDelete) {
        next_state = 0;
      } else {
        if (o.value != state) continue;  // get/remove must return the current value
        if (o.kind == RegOp::kRemove) next_state = 0;
      }
      done[i / 64] |= uint64_t{1} << (i % 64);
      if (seen.count(memo_key(next_state))) {
        done[i / 64] &= ~(uint64_t{1} << (i % 64));
        continue;
      }
      stack.push_back({i, state, first_pending, i + 1});
      state = next_state;
      ++count;
      best = std::max(best, count);
      while (first_pending < n && is_done(first_pending)) ++first_pending;
      advanced = true;
      break;
    }
    if (advanced) {
      resume = 0;
      continue;
    }
    // Dead end: remember it, undo the last step, try its next sibling.
    seen.insert(memo_key(state));
    if (stack.empty()) {
      if (why)
        *why = "no linearization; the longest linearizable prefix has " + std::to_string(best) +
               " of " + std::to_string(n) + " operations";
      if (states_explored) *states_explored = explored;
      return false;
    }
    Frame f = stack.back();
    stack.pop_back();
    done[f.op / 64] &= ~(uint64_t{1} << (f.op % 64));
    state = f.prev_state;
    first_pending = f.prev_first;
    --count;
    resume = f.next_candidate;
  }
}

RegOp Set(std::string v, uint64_t inv, uint64_t resp) {
  return {RegOp::kSet, std::move(v), inv, resp};
}
RegOp Get(std::optional<std::string> r, uint64_t inv, uint64_t resp) {
  return {RegOp::kGet, std::move(r), inv, resp};
}
RegOp Remove(std::optional<std::string> r, uint64_t inv, uint64_t resp) {
  return {RegOp::kRemove, std::move(r), inv, resp};
}

// HSET / ZADD: writes v, reporting whether the field or member was there.
RegOp SetFlag(std::string v, bool existed, uint64_t inv, uint64_t resp) {
  RegOp op{RegOp::kSet, std::move(v), inv, resp};
  op.existed = existed ? 1 : 0;
  return op;
}
// HDEL / ZREM: removes, reporting whether the field or member was there.
RegOp Delete(bool existed, uint64_t inv, uint64_t resp) {
  RegOp op{RegOp::kDelete, std::nullopt, inv, resp};
  op.existed = existed ? 1 : 0;
  return op;
}

TEST(LinearizabilityCheckerTest, AcceptsLinearizableHistories) {
  EXPECT_TRUE(CheckRegister({}, std::nullopt));
  EXPECT_TRUE(CheckRegister({Get(std::nullopt, 1, 2)}, std::nullopt));
  EXPECT_TRUE(CheckRegister({Get("x", 1, 2)}, std::string("x")));
  // Sequential.
  EXPECT_TRUE(CheckRegister({Set("a", 1, 2), Get("a", 3, 4), Remove("a", 5, 6),
                             Get(std::nullopt, 7, 8), Remove(std::nullopt, 9, 10)},
                            std::nullopt));
  // A read overlapping a write may see either value.
  EXPECT_TRUE(CheckRegister({Set("a", 1, 4), Get("a", 2, 3)}, std::nullopt));
  EXPECT_TRUE(CheckRegister({Set("a", 1, 4), Get(std::nullopt, 2, 3)}, std::nullopt));
  // The long write is linearized after the short one, which needs backtracking
  // if "a" is tried first: set a [1,10], set b [2,3], get b [4,5], get a [6,7].
  EXPECT_TRUE(CheckRegister({Set("a", 1, 10), Set("b", 2, 3), Get("b", 4, 5), Get("a", 6, 7)},
                            std::nullopt));
  // Concurrent removes: exactly one sees the value.
  EXPECT_TRUE(
      CheckRegister({Set("a", 1, 2), Remove("a", 3, 6), Remove(std::nullopt, 4, 5)}, std::nullopt));
}

TEST(LinearizabilityCheckerTest, RejectsNonLinearizableHistories) {
  std::string why;
  // A stale read: b was written (and acknowledged) after a, then a is read.
  EXPECT_FALSE(CheckRegister({Set("a", 1, 2), Set("b", 3, 4), Get("a", 5, 6)}, std::nullopt, &why));
  EXPECT_NE(why.find("no linearization"), std::string::npos) << why;
  // A lost write: the acknowledged value is not seen by a later read.
  EXPECT_FALSE(CheckRegister({Set("a", 1, 2), Get(std::nullopt, 3, 4)}, std::nullopt));
  // A value that was never written.
  EXPECT_FALSE(CheckRegister({Set("a", 1, 2), Get("z", 3, 4)}, std::nullopt));
  // Two concurrent removes cannot both return the value.
  EXPECT_FALSE(CheckRegister({Set("a", 1, 2), Remove("a", 3, 6), Remove("a", 4, 5)}, std::nullopt));
  // A read may not go back: after a is seen (and set b returned long before),
  // b cannot be read again.
  EXPECT_FALSE(CheckRegister(
      {Set("a", 1, 10), Set("b", 2, 3), Get("b", 4, 5), Get("a", 6, 7), Get("b", 8, 9)},
      std::nullopt));
  // A read from the future: the value is read before its write was invoked.
  EXPECT_FALSE(CheckRegister({Get("a", 1, 2), Set("a", 3, 4)}, std::nullopt));
  // A removed value reappears.
  EXPECT_FALSE(CheckRegister({Set("a", 1, 2), Remove("a", 3, 4), Get("a", 5, 6)}, std::nullopt));
}

// The typed model (HSET/ZADD report "new or not", HDEL/ZREM "removed or not").
TEST(LinearizabilityCheckerTest, ChecksTypedPresenceReports) {
  EXPECT_TRUE(CheckRegister({SetFlag("a", false, 1, 2), SetFlag("b", true, 3, 4), Get("b", 5, 6),
                             Delete(true, 7, 8), Delete(false, 9, 10), Get(std::nullopt, 11, 12)},
                            std::nullopt));
  // Concurrent deletes: exactly one removes the field.
  EXPECT_TRUE(CheckRegister({SetFlag("a", false, 1, 2), Delete(false, 3, 6), Delete(true, 4, 5)},
                            std::nullopt));
  // A delete overlapping the set may come first.
  EXPECT_TRUE(CheckRegister({SetFlag("a", false, 1, 4), Delete(false, 2, 3), Get("a", 5, 6)},
                            std::nullopt));
  // HSET reporting a new field while the field held a value.
  EXPECT_FALSE(CheckRegister({SetFlag("a", false, 1, 2), SetFlag("b", false, 3, 4)}, std::nullopt));
  // HDEL reporting a removal of an absent field.
  EXPECT_FALSE(CheckRegister({Delete(true, 1, 2)}, std::nullopt));
  // Both concurrent deletes report the removal.
  EXPECT_FALSE(CheckRegister({SetFlag("a", false, 1, 2), Delete(true, 3, 6), Delete(true, 4, 5)},
                             std::nullopt));
  // A deleted field seen again.
  EXPECT_FALSE(
      CheckRegister({SetFlag("a", false, 1, 2), Delete(true, 3, 4), Get("a", 5, 6)}, std::nullopt));
}

TEST(LinearizabilityCheckerTest, HandlesLongConcurrentHistoriesQuickly) {
  // 4 "threads" with heavily overlapping calls, 400 ops, generated from a
  // real sequential execution whose linearization points lie inside the
  // intervals: must be accepted; corrupting one read must be rejected.
  std::mt19937_64 rng(5);
  std::vector<RegOp> h;
  std::optional<std::string> reg;
  for (int i = 0; i < 400; ++i) {
    // Even invocation stamps, odd responses: no two stamps tie.
    const uint64_t inv = 2 * static_cast<uint64_t>(i) + 2;
    RegOp op;
    switch (rng() % 3) {
      case 0:
        op = Set("v" + std::to_string(i), inv, 0);
        reg = op.value;
        break;
      case 1:
        op = Get(reg, inv, 0);
        break;
      default:
        op = Remove(reg, inv, 0);
        reg.reset();
        break;
    }
    op.resp = inv + 1 + 2 * (rng() % 6);  // overlaps the next few invocations
    h.push_back(op);
  }
  uint64_t explored = 0;
  std::string why;
  EXPECT_TRUE(CheckRegister(h, std::nullopt, &why, &explored)) << why;
  for (auto& op : h) {
    if (op.kind == RegOp::kGet && op.value && op.inv > 600) {
      op.value = "never written";
      break;
    }
  }
  EXPECT_FALSE(CheckRegister(h, std::nullopt));
}

// ------------------------------------------------------------- the store

// Counters a randomized register test reports.
struct RegisterRunTotals {
  uint64_t ops = 0;
  uint64_t overlapping = 0;  // calls invoked before the previous call on their register returned
  uint64_t explored = 0;     // the checker's search states
};

// Groups the threads' logged calls by register, checks each register's
// history (a test failure names the round and the register) and adds to
// totals.
void CheckRegisterLogs(const std::vector<std::vector<std::pair<int, RegOp>>>& per_thread,
                       int registers, int round, RegisterRunTotals* totals) {
  std::vector<std::vector<RegOp>> per_reg(static_cast<std::size_t>(registers));
  for (const auto& log : per_thread) {
    for (const auto& [r, op] : log) per_reg[static_cast<std::size_t>(r)].push_back(op);
  }
  for (int r = 0; r < registers; ++r) {
    auto& ops = per_reg[static_cast<std::size_t>(r)];
    std::string why;
    uint64_t explored = 0;
    EXPECT_TRUE(CheckRegister(ops, std::nullopt, &why, &explored))
        << "round " << round << ", register " << r << " (" << ops.size() << " ops): " << why;
    totals->ops += ops.size();
    totals->explored += explored;
    std::sort(ops.begin(), ops.end(), [](const RegOp& a, const RegOp& b) { return a.inv < b.inv; });
    for (std::size_t i = 0; i + 1 < ops.size(); ++i) {
      if (ops[i + 1].inv < ops[i].resp) ++totals->overlapping;
    }
  }
}

TEST(LinearizabilityTest, EachKeyIsALinearizableRegister) {
  constexpr int kThreads = 4;
  constexpr int kKeys = 8;
  constexpr int kOpsPerThread = 400;  // ~200 ops per key
  constexpr int kRounds = 10;
  constexpr int kBurst = 20;  // threads re-synchronise every kBurst ops, so they overlap
  RegisterRunTotals totals;
  for (int round = 0; round < kRounds; ++round) {
    TempDir dir;
    Options o;
    o.sync = SyncMode::kNever;
    auto store = KvStore::open(dir.File("wal"), o).value();
    std::atomic<uint64_t> clock{1};
    std::vector<std::vector<std::pair<int, RegOp>>> per_thread(kThreads);
    std::barrier sync(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(static_cast<uint64_t>(round * 100 + t));
        auto& log = per_thread[t];
        log.reserve(kOpsPerThread);
        for (int i = 0; i < kOpsPerThread; ++i) {
          if (i % kBurst == 0) sync.arrive_and_wait();
          const int k = static_cast<int>(rng() % kKeys);
          const std::string key = "key" + std::to_string(k);
          const uint64_t r = rng() % 10;
          RegOp op;
          // Sometimes stretch the recorded interval around the call (a spin
          // between a stamp and the call): the history stays a true record of
          // when the call could have taken effect, but more calls overlap and
          // the checker has to consider more orders.
          const int stretch = rng() % 2 == 0 ? static_cast<int>(rng() % 4000) : 0;
          auto spin = [stretch] {
            for (int s = 0; s < stretch; ++s) asm volatile("" ::: "memory");
          };
          if (r < 4) {
            op.kind = RegOp::kGet;
            op.inv = clock.fetch_add(1);
            spin();
            op.value = store.get(key);
          } else if (r < 8) {
            op.kind = RegOp::kSet;
            op.value = "t" + std::to_string(t) + "." + std::to_string(i);
            op.inv = clock.fetch_add(1);
            spin();
            auto res = store.set(key, *op.value);
            EXPECT_TRUE(res.has_value());
          } else {
            op.kind = RegOp::kRemove;
            op.inv = clock.fetch_add(1);
            spin();
            auto res = store.remove(key);
            EXPECT_TRUE(res.has_value());
            if (res) op.value = *res;
          }
          spin();
          op.resp = clock.fetch_add(1);
          log.emplace_back(k, std::move(op));
          if (rng() % 16 == 0) std::this_thread::yield();
        }
      });
    }
    for (auto& th : threads) th.join();
    CheckRegisterLogs(per_thread, kKeys, round, &totals);
  }
  std::printf(
      "linearizability: %llu operations on %d keys in %d rounds checked (%llu overlap "
      "the next call on the same key), %llu search states\n",
      static_cast<unsigned long long>(totals.ops), kKeys, kRounds,
      static_cast<unsigned long long>(totals.overlapping),
      static_cast<unsigned long long>(totals.explored));
  EXPECT_GT(totals.overlapping, 0u) << "the threads never ran concurrently";
}

// Hash fields and sorted-set members through KvStore's copy-out helpers:
// each (key, field) and (key, member) is a register. HSET writes a unique value
// and reports whether the field was new; HGET reads it; HDEL removes it and
// reports whether it was there. ZADD writes a unique score (the register's
// value is the score in decimal), ZSCORE reads it, ZREM removes. Several
// fields share a key, so calls on one register run while others create,
// grow, shrink and remove its object.
TEST(LinearizabilityTest, HashFieldsAndZSetMembersAreLinearizableRegisters) {
  constexpr int kThreads = 4;
  constexpr int kKeysPerType = 2;
  constexpr int kFields = 3;
  constexpr int kRegisters = 2 * kKeysPerType * kFields;  // hashes first, then zsets
  constexpr int kOpsPerThread = 400;
  constexpr int kRounds = 6;
  constexpr int kBurst = 20;
  RegisterRunTotals totals;
  for (int round = 0; round < kRounds; ++round) {
    TempDir dir;
    Options o;
    o.sync = SyncMode::kNever;
    auto store = KvStore::open(dir.File("wal"), o).value();
    std::atomic<uint64_t> clock{1};
    std::vector<std::vector<std::pair<int, RegOp>>> per_thread(kThreads);
    std::barrier sync(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(static_cast<uint64_t>(round * 100 + t + 7));
        auto& log = per_thread[t];
        log.reserve(kOpsPerThread);
        for (int i = 0; i < kOpsPerThread; ++i) {
          if (i % kBurst == 0) sync.arrive_and_wait();
          const int reg = static_cast<int>(rng() % kRegisters);
          const bool hash = reg < kKeysPerType * kFields;
          const int within = reg % (kKeysPerType * kFields);
          const std::string key = (hash ? "h" : "z") + std::to_string(within / kFields);
          const std::string field = "f" + std::to_string(within % kFields);
          const uint64_t r = rng() % 10;
          RegOp op;
          // As above: sometimes stretch the recorded interval around the call.
          const int stretch = rng() % 2 == 0 ? static_cast<int>(rng() % 4000) : 0;
          auto spin = [stretch] {
            for (int s = 0; s < stretch; ++s) asm volatile("" ::: "memory");
          };
          if (r < 4) {
            op.kind = RegOp::kGet;
            op.inv = clock.fetch_add(1);
            spin();
            if (hash) {
              auto got = store.hget(key, field);
              EXPECT_TRUE(got.has_value());
              if (got) op.value = *got;
            } else {
              auto got = store.zscore(key, field);
              EXPECT_TRUE(got.has_value());
              if (got && *got) op.value = std::to_string(static_cast<int64_t>(**got));
            }
          } else if (r < 8) {
            op.kind = RegOp::kSet;
            // Unique per call, and exact as a score.
            const int64_t unique = int64_t{t} * 1'000'000 + i;
            op.value =
                hash ? "t" + std::to_string(t) + "." + std::to_string(i) : std::to_string(unique);
            op.inv = clock.fetch_add(1);
            spin();
            auto added = hash ? store.hset(key, {{field, *op.value}})
                              : store.zadd(key, {{static_cast<double>(unique), field}});
            EXPECT_TRUE(added.has_value());
            if (added) op.existed = *added == 0 ? 1 : 0;
          } else {
            op.kind = RegOp::kDelete;
            op.inv = clock.fetch_add(1);
            spin();
            auto removed = hash ? store.hdel(key, {field}) : store.zrem(key, {field});
            EXPECT_TRUE(removed.has_value());
            if (removed) op.existed = *removed == 1 ? 1 : 0;
          }
          spin();
          op.resp = clock.fetch_add(1);
          log.emplace_back(reg, std::move(op));
          if (rng() % 16 == 0) std::this_thread::yield();
        }
      });
    }
    for (auto& th : threads) th.join();
    CheckRegisterLogs(per_thread, kRegisters, round, &totals);
    // Quiescent: the objects hold exactly the registers' fields.
    for (int k = 0; k < kKeysPerType; ++k) {
      auto all = store.hgetall("h" + std::to_string(k));
      ASSERT_TRUE(all.has_value());
      EXPECT_LE(all->size(), static_cast<std::size_t>(kFields));
      auto members = store.zrange("z" + std::to_string(k), 0, 100);
      ASSERT_TRUE(members.has_value());
      EXPECT_LE(members->size(), static_cast<std::size_t>(kFields));
    }
  }
  std::printf(
      "linearizability (typed): %llu HSET/HGET/HDEL/ZADD/ZSCORE/ZREM calls on %d "
      "registers in %d rounds checked (%llu overlap the next call on the same "
      "register), %llu search states\n",
      static_cast<unsigned long long>(totals.ops), kRegisters, kRounds,
      static_cast<unsigned long long>(totals.overlapping),
      static_cast<unsigned long long>(totals.explored));
  EXPECT_GT(totals.overlapping, 0u) << "the threads never ran concurrently";
}

// --------------------------------------------------------- mixed stress

// Values are "<key>|<writer>|<counter>", so every value read can be checked
// against the key it was read from and the writer's progress.
struct Parsed {
  std::string key;
  int writer = -1;
  uint64_t counter = 0;
};
std::optional<Parsed> ParseValue(const std::string& v) {
  const auto a = v.find('|');
  const auto b = v.find('|', a == std::string::npos ? 0 : a + 1);
  if (a == std::string::npos || b == std::string::npos) return std::nullopt;
  Parsed p;
  p.key = v.substr(0, a);
  p.writer = std::atoi(v.substr(a + 1, b - a - 1).c_str());
  p.counter = std::strtoull(v.c_str() + b + 1, nullptr, 10);
  return p;
}

TEST(ConcurrencyStressTest, MixedOperationsKeepInvariants) {
  constexpr int kWriters = 3;
  constexpr int kOwned = 16;   // keys only writer t writes: "o<t>.<i>"
  constexpr int kShared = 32;  // keys every writer writes: "s<i>"
  constexpr int kOpsPerWriter = 3000;
  TempDir dir;
  const std::string wal = dir.File("wal"), snap = dir.File("snap.json");
  Options o;
  o.sync = SyncMode::kNever;
  auto store = KvStore::open(wal, o).value();

  std::vector<std::string> keys;
  for (int t = 0; t < kWriters; ++t) {
    for (int i = 0; i < kOwned; ++i)
      keys.push_back("o" + std::to_string(t) + "." + std::to_string(i));
  }
  for (int i = 0; i < kShared; ++i) keys.push_back("s" + std::to_string(i));

  std::mutex err_mu;
  std::vector<std::string> errors;
  auto fail = [&](const std::string& e) {
    std::lock_guard<std::mutex> l(err_mu);
    if (errors.size() < 20) errors.push_back(e);
  };
  // Writer t publishes the highest counter it has invoked a set with.
  std::vector<std::atomic<uint64_t>> progress(kWriters);
  for (auto& p : progress) p.store(0);
  std::atomic<uint64_t> clear_epoch{0};  // odd while a clear() runs
  std::atomic<int> writers_left{kWriters};
  std::atomic<bool> saver_done{false};
  constexpr int kSaverRounds = 40;
  // A value read must be well-formed, belong to its key, and not come from
  // the future of its writer.
  auto check_value = [&](const std::string& key, const std::string& v, const char* where) {
    auto p = ParseValue(v);
    if (!p || p->key != key || p->writer < 0 || p->writer >= kWriters) {
      return fail(std::string(where) + ": key " + key + " holds a foreign value '" + v + "'");
    }
    if (p->counter > progress[p->writer].load()) {
      fail(std::string(where) + ": key " + key + " holds '" + v + "' before it was written");
    }
    if (key[0] == 'o' && key[1] - '0' != p->writer) {
      fail(std::string(where) + ": owned key " + key + " written by writer " +
           std::to_string(p->writer));
    }
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) + 77);
      // At least kOpsPerWriter ops, and on until the saver has finished, so
      // that saves, loads and clears always overlap the writes.
      for (uint64_t n = 1; n <= kOpsPerWriter || !saver_done.load(); ++n) {
        const bool owned = rng() % 2 == 0;
        const std::string key = owned
                                    ? "o" + std::to_string(t) + "." + std::to_string(rng() % kOwned)
                                    : "s" + std::to_string(rng() % kShared);
        const uint64_t r = rng() % 10;
        if (r < 6) {
          const std::string v = key + "|" + std::to_string(t) + "|" + std::to_string(n);
          progress[t].store(n);
          const uint64_t e0 = clear_epoch.load();
          if (!store.set(key, v)) fail("set failed");
          if (owned) {
            // Read-your-writes on a key nobody else writes: exactly v unless
            // a clear() overlapped; then v or absent.
            auto got = store.get(key);
            const uint64_t e1 = clear_epoch.load();
            if (e0 == e1 && e0 % 2 == 0) {
              if (got != v)
                fail("owned key " + key + ": wrote '" + v + "', read '" + got.value_or("<absent>") +
                     "'");
            } else if (got && *got != v) {
              fail("owned key " + key + ": wrote '" + v + "', read '" + *got + "' around a clear");
            }
          }
        } else if (r < 8) {
          auto removed = store.remove(key);
          if (!removed) {
            fail("remove failed");
          } else if (*removed) {
            check_value(key, **removed, "remove");
          }
          if (owned && store.get(key))
            fail("owned key " + key + " present right after its removal");
        } else {
          if (auto got = store.get(key)) check_value(key, *got, "get");
        }
      }
      writers_left.fetch_sub(1);
    });
  }
  // Saver/loader/clearer.
  int saves = 0, loads = 0, clears = 0;
  threads.emplace_back([&] {
    std::mt19937_64 rng(99);
    for (int round = 0; round < kSaverRounds; ++round) {
      const uint64_t r = rng() % 10;
      if (r < 2) {
        clear_epoch.fetch_add(1);
        if (!store.clear()) fail("clear failed");
        clear_epoch.fetch_add(1);
        ++clears;
      } else {
        if (auto s = store.save_to_file(snap); !s) {
          fail("save failed: " + s.error().message());
          continue;
        }
        ++saves;
        // Load into a separate store (its own WAL) and check it.
        const std::string other_wal = dir.File("other" + std::to_string(loads) + ".wal");
        auto loaded = KvStore::load_from_file(snap, other_wal, o);
        if (!loaded) {
          fail("load failed: " + loaded.error().message());
          continue;
        }
        ++loads;
        std::size_t found = 0;
        for (const auto& k : keys) {
          if (auto v = loaded->get(k)) {
            ++found;
            check_value(k, *v, "loaded snapshot");
          }
        }
        if (loaded->size() != found) fail("loaded snapshot holds keys outside the key space");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    saver_done.store(true);
  });
  // A reader that also checks size() bounds.
  threads.emplace_back([&] {
    std::mt19937_64 rng(5);
    while (writers_left.load() > 0) {
      const std::string& k = keys[rng() % keys.size()];
      if (auto v = store.get(k)) check_value(k, *v, "reader");
      if (store.size() > keys.size())
        fail("size() " + std::to_string(store.size()) + " exceeds the key space");
    }
  });
  for (auto& th : threads) th.join();
  for (const auto& e : errors) ADD_FAILURE() << e;
  EXPECT_GT(saves, 0);
  EXPECT_GT(loads, 0);

  // Quiescent: the live state must be what a restart recovers.
  std::map<std::string, std::string> live;
  for (const auto& k : keys) {
    if (auto v = store.get(k)) live[k] = *v;
  }
  EXPECT_EQ(store.size(), live.size());
  ASSERT_TRUE(store.close().has_value());
  auto reopened =
      std::filesystem::exists(snap) ? KvStore::load_from_file(snap, wal, o) : KvStore::open(wal, o);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message();
  std::map<std::string, std::string> recovered;
  for (const auto& k : keys) {
    if (auto v = reopened->get(k)) recovered[k] = *v;
  }
  EXPECT_EQ(recovered, live);
  EXPECT_EQ(reopened->size(), live.size());
  std::printf(
      "stress: %d writers x >= %d ops, %d saves, %d loads, %d clears, %zu keys at the end\n",
      kWriters, kOpsPerWriter, saves, loads, clears, live.size());
}

}  // namespace
}  // namespace kvstore
