// Copyright (c) the kvstore developers.
//
// Damage sweeps (docs/RELIABILITY.md, "Damage sweeps"). A real workload (the real store writing through
// the in-memory FaultInjectionFs, so no fsync cost) produces a WAL of >= 200
// records of mixed sizes (sets, removes, clears; keys and values of 0..2000
// bytes, text, UTF-8 and binary) and a snapshot of the final state. Then every
// damaged variant is opened and the outcome is checked against reference
// states computed independently from the record sequence:
//
//   WAL:      truncation at every byte offset; every bit of the first 4 KiB
//             flipped (one at a time); 10,000 random single-bit flips and 500
//             random multi-bit (2..8 bits) flips anywhere (fixed seeds). Each
//             image is opened in kStrict and in kPointInTime.
//   Snapshot: truncation at every byte offset; every bit of the first 4 KiB;
//             5,000 random single-bit flips.
//
// The WAL oracle (docs/FORMATS.md, "How a reader treats damage"). Let N be the
// number of records, ref[k] the state after applying exactly the first k, and
// j the number of leading records whose frame (length, checksum, body) is
// unchanged ("the longest intact prefix"; padding bytes and the reserved
// header word are not part of any frame):
//   * any successful open must give exactly ref[k] with k = last_sequence(),
//     holding no other key (never a state that was never valid);
//   * any failure must be kCorruption, and a failed kStrict open must leave
//     the file unchanged;
//   * truncation: both modes succeed with k = the number of complete records
//     (a cut record is a torn tail; a cut header is an empty log);
//   * a flip in the header's checked bytes (0..27): kCorruption in both modes;
//   * damage whose first damaged frame is record i (1-based): kStrict must
//     fail with kCorruption if an intact record follows, else succeed with
//     k = i - 1 (a torn tail); kPointInTime must succeed with k = i - 1 and
//     keep the dropped bytes in "<wal>.dropped-<offset>";
//   * a flip only in padding or in the reserved header word: success with
//     k = N, or kCorruption (both are valid readings of "must be zero").
//
// The snapshot oracle: loading succeeds with exactly the original map or
// fails with kCorruption, never crashes. The snapshot has no checksum (it is
// meant to be human-readable and editable), so a flip inside a JSON string of
// the map can turn it into a different valid document: a changed key or value.
// That is undetectable by design; for such flips the test requires only a
// clean outcome (success or kCorruption) and, on success, a map that differs
// from the original in at most the one entry the flip touched (a renamed key
// may also collide with and replace one other key).

#include <gtest/gtest.h>

#include <chrono>
#include <iterator>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "support/test_scale.h"
#include "kvstore/kvstore.h"
#include "support/fault_injection_fs.h"
#include "support/store_model.h"

namespace kvstore::testing {
namespace {

// Every offset in the plain build; every 10th under sanitizers (test_scale.h).
std::size_t Stride() { return static_cast<std::size_t>(10 / Scaled(10)); }


const std::string kWal = "/db/wal";
const std::string kSnap = "/db/snap.json";

struct Frame {
  std::size_t start;     // offset of the length word
  std::size_t body_end;  // start + 8 + length
  std::size_t pad_end;   // next record's start
};

struct Workload {
  std::vector<std::string> keys;
  std::vector<Model> ref;  // ref[k]: state after the first k records
  std::string wal;         // the WAL image (cleanly closed)
  std::vector<Frame> frames;
  std::string snap;        // the snapshot of ref.back()
  std::size_t sets = 0, removes = 0, clears = 0;
};

uint32_t Le32(const std::string& s, std::size_t off) {
  uint32_t v;
  std::memcpy(&v, s.data() + off, 4);
  return v;  // the test runs on little-endian hosts only (as the format)
}

Workload BuildWorkload() {
  Workload w;
  std::mt19937_64 rng(20240611);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  auto text = [&](std::size_t n) {
    std::string s;
    while (s.size() < n) s += static_cast<char>('a' + pick(26));
    return s;
  };
  auto bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(pick(256));
    return s;
  };
  // Keys: empty, short text, UTF-8, medium, long (up to 2000 bytes), binary.
  w.keys.push_back("");
  for (int i = 0; i < 20; ++i) w.keys.push_back("key" + std::to_string(i));
  w.keys.push_back("cl\xc3\xa9 \xe2\x82\xac");  // "clé €"
  w.keys.push_back("line\nbreak\ttab \"quoted\" back\\slash");
  for (int i = 0; i < 5; ++i) w.keys.push_back("m" + text(50 + pick(250)));
  for (int i = 0; i < 4; ++i) w.keys.push_back("L" + text(1000 + pick(1000)));
  w.keys.push_back(std::string("\0nul", 4));
  w.keys.push_back(std::string("\xff\xfe invalid utf-8"));
  w.keys.push_back(bytes(37));
  w.keys.push_back(bytes(1999));
  auto value = [&]() {
    const uint64_t r = pick(100);
    std::size_t n = r < 70 ? pick(60) : r < 85 ? 60 + pick(340) : 400 + pick(1601);
    const uint64_t kind = pick(10);
    if (kind == 0) return bytes(n);
    if (kind == 1) return "\xc3\xa9t\xc3\xa9 " + text(n);  // "été ..."
    if (kind == 2) return std::string("\0b64:", 5) + text(n);  // looks like the marker
    return text(n);
  };

  auto fs = std::make_shared<FaultInjectionFs>(7);
  fs->CreateDir("/db");
  auto store = KvStore::open(kWal, MakeOptions(fs, SyncMode::kNever)).value();
  Model m;
  w.ref.push_back(m);
  while (w.ref.size() < 261) {
    const uint64_t r = pick(100);
    std::string k = w.keys[pick(w.keys.size())];
    if (r >= 62 && r < 90 && !m.empty() && pick(5) != 0) {
      // Mostly remove a present key (a remove of an absent one logs nothing).
      auto it = m.begin();
      std::advance(it, static_cast<long>(pick(m.size())));
      k = it->first;
    }
    if (r < 62 || (r >= 90 && (r < 98 || w.ref.size() > 200))) {
      std::string v = value();
      EXPECT_TRUE(store.set(k, v).has_value());
      m[k] = v;
      ++w.sets;
    } else if (r < 90) {
      auto removed = store.remove(k);
      EXPECT_TRUE(removed.has_value());
      const bool present = m.erase(k) > 0;
      EXPECT_EQ(removed.has_value() && removed->has_value(), present);
      if (!present) continue;  // a remove of an absent key logs nothing
      ++w.removes;
    } else {
      EXPECT_TRUE(store.clear().has_value());
      m.clear();
      ++w.clears;
    }
    w.ref.push_back(m);
  }
  EXPECT_EQ(ReadAll(store, w.keys), m);
  EXPECT_EQ(store.last_sequence(), w.ref.size() - 1);
  EXPECT_TRUE(store.close().has_value());
  w.wal = fs->Contents(kWal).value();

  // Frame the records independently of the library (docs/FORMATS.md).
  std::size_t off = 32;
  while (off + 8 <= w.wal.size()) {
    const uint32_t len = Le32(w.wal, off);
    if (len == 0) break;
    Frame f{off, off + 8 + len, off + 8 + ((len + 7) & ~std::size_t{7})};
    w.frames.push_back(f);
    off = f.pad_end;
  }

  // The snapshot of the final state, written by the store.
  auto fs2 = std::make_shared<FaultInjectionFs>(8);
  fs2->CreateDir("/db");
  fs2->PutFile(kWal, w.wal);
  auto s2 = KvStore::open(kWal, MakeOptions(fs2, SyncMode::kNever)).value();
  EXPECT_TRUE(s2.save_to_file(kSnap).has_value());
  w.snap = fs2->Contents(kSnap).value();
  return w;
}

const Workload& GetWorkload() {
  static const Workload* w = new Workload(BuildWorkload());
  return *w;
}

struct Outcome {
  bool ok = false;
  ErrorCode code = ErrorCode::kIoError;
  std::string message;
  uint64_t k = 0;  // last_sequence()
  Model state;
  RecoveryStats stats;
  bool file_unchanged = true;        // (failure) the WAL is byte-identical
  bool dropped_file_ok = true;       // (kPointInTime drop) the dropped bytes were kept
};

Outcome OpenWal(const Workload& w, const std::string& image, RecoveryMode mode) {
  auto fs = std::make_shared<FaultInjectionFs>(1);
  fs->CreateDir("/db");
  fs->PutFile(kWal, image);
  Options o = MakeOptions(fs, SyncMode::kNever);
  o.recovery = mode;
  Outcome out;
  auto r = KvStore::open(kWal, o);
  if (!r) {
    out.code = r.error().code();
    out.message = r.error().message();
    out.file_unchanged = fs->Contents(kWal) == image;
    return out;
  }
  out.ok = true;
  out.k = r->last_sequence();
  out.state = ReadAll(*r, w.keys);
  out.stats = r->recovery_stats();
  if (out.stats.corruption_dropped) {
    auto kept = fs->Contents(kWal + ".dropped-" + std::to_string(out.stats.drop_offset));
    out.dropped_file_ok = kept.has_value() && !kept->empty() &&
                          *kept == image.substr(out.stats.drop_offset, kept->size());
  }
  return out;
}

const char* ModeName(RecoveryMode m) {
  return m == RecoveryMode::kStrict ? "kStrict" : "kPointInTime";
}

// What the oracle allows for one damaged image in one mode.
struct Expect {
  bool may_fail = false;      // kCorruption is acceptable
  bool may_succeed = true;
  std::set<uint64_t> ks;      // acceptable last_sequence() values on success
};

// Collects violations without producing millions of gtest assertions.
class Sweep {
 public:
  explicit Sweep(std::string name) : name_(std::move(name)) {}
  ~Sweep() {
    EXPECT_EQ(failures_, 0u) << name_ << ": " << failures_ << " of " << trials_
                             << " damaged images misbehaved; first ones:\n"
                             << first_;
  }
  void Fail(const std::string& what) {
    if (++failures_ <= 15) first_ += "  " + what + "\n";
  }
  uint64_t trials_ = 0;
  uint64_t failures_ = 0;
  uint64_t opened_ = 0, corruption_ = 0;

 private:
  std::string name_;
  std::string first_;
};

void CheckWal(Sweep& sw, const Workload& w, const std::string& image, RecoveryMode mode,
              const Expect& e, const std::string& what) {
  ++sw.trials_;
  const Outcome o = OpenWal(w, image, mode);
  const std::string where = what + " (" + ModeName(mode) + "): ";
  if (!o.ok) {
    ++sw.corruption_;
    if (o.code != ErrorCode::kCorruption) return sw.Fail(where + "failed with a code other than kCorruption: " + o.message);
    if (!e.may_fail) return sw.Fail(where + "unexpected failure: " + o.message);
    if (mode == RecoveryMode::kStrict && !o.file_unchanged) return sw.Fail(where + "a failed strict open modified the WAL");
    return;
  }
  ++sw.opened_;
  if (o.k >= w.ref.size()) return sw.Fail(where + "last_sequence " + std::to_string(o.k) + " beyond the log");
  if (o.state != w.ref[o.k]) {
    std::string d = where + "state is not ref[" + std::to_string(o.k) + "]";
    for (std::size_t k = 0; k < w.ref.size(); ++k) {
      if (w.ref[k] == o.state) d += " (it equals ref[" + std::to_string(k) + "])";
    }
    return sw.Fail(d);
  }
  if (!e.may_succeed) return sw.Fail(where + "opened (k=" + std::to_string(o.k) + ") where kCorruption was required");
  if (!e.ks.count(o.k)) {
    std::string allowed;
    for (auto k : e.ks) allowed += " " + std::to_string(k);
    return sw.Fail(where + "opened with k=" + std::to_string(o.k) + ", allowed:" + allowed);
  }
  if (!o.dropped_file_ok) return sw.Fail(where + "the dropped bytes were not kept verbatim");
}

// Index (0-based) of the frame containing offset `off`, or -1 (header), or
// frames.size() (past the last frame). *in_pad: off is in that frame's padding.
long FrameAt(const Workload& w, std::size_t off, bool* in_pad) {
  *in_pad = false;
  if (off < 32) return -1;
  for (std::size_t i = 0; i < w.frames.size(); ++i) {
    if (off < w.frames[i].body_end && off >= w.frames[i].start) return static_cast<long>(i);
    if (off >= w.frames[i].body_end && off < w.frames[i].pad_end) {
      *in_pad = true;
      return static_cast<long>(i);
    }
  }
  return static_cast<long>(w.frames.size());
}

// Expectations for an image whose damaged bytes are `offsets` (flips).
Expect ForFlips(const Workload& w, const std::vector<std::size_t>& offsets, RecoveryMode mode) {
  const uint64_t n = w.frames.size();
  std::set<long> damaged_frames;
  bool header = false, soft = false;  // soft: padding or reserved header word
  for (std::size_t off : offsets) {
    bool pad;
    long f = FrameAt(w, off, &pad);
    if (f < 0) {
      if (off < 28) header = true; else soft = true;
    } else if (pad) {
      soft = true;
    } else {
      damaged_frames.insert(f);
    }
  }
  Expect e;
  if (header) {
    e.may_fail = true;
    e.may_succeed = false;
    return e;
  }
  if (damaged_frames.empty()) {
    e.ks = {n};
    e.may_fail = soft;
    return e;
  }
  const uint64_t first = static_cast<uint64_t>(*damaged_frames.begin());  // = intact prefix j
  // Is there an intact frame after the first damaged one?
  const bool intact_after = damaged_frames.size() < n - first;
  if (mode == RecoveryMode::kStrict) {
    if (intact_after) {
      e.may_fail = true;
      e.may_succeed = false;
    } else {
      e.ks = {first};
      // Damage in every later frame may still leave a "valid record" visible
      // (impossible with our checksums) - no leniency needed.
    }
  } else {
    e.ks = {first};
  }
  if (soft) e.may_fail = true;
  return e;
}

TEST(DamageSweepTest, WorkloadIsRich) {
  const Workload& w = GetWorkload();
  EXPECT_GE(w.frames.size(), 200u);
  EXPECT_EQ(w.frames.size() + 1, w.ref.size());
  EXPECT_EQ(w.frames.back().pad_end, w.wal.size()) << "a cleanly closed WAL ends at its last record";
  EXPECT_GT(w.removes, 20u);
  EXPECT_GE(w.clears, 3u);
  std::size_t big = 0, empty = 0;
  for (const auto& f : w.frames) {
    if (f.body_end - f.start > 1500) ++big;
    if (f.body_end - f.start < 40) ++empty;
  }
  EXPECT_GT(big, 10u);
  EXPECT_GT(empty, 10u);
  std::printf("workload: %zu records (%zu sets, %zu removes, %zu clears), WAL %zu bytes, "
              "snapshot %zu bytes, %zu keys at the end\n",
              w.frames.size(), w.sets, w.removes, w.clears, w.wal.size(), w.snap.size(),
              w.ref.back().size());
  // The undamaged images open to the final state.
  for (auto mode : {RecoveryMode::kStrict, RecoveryMode::kPointInTime}) {
    Outcome o = OpenWal(w, w.wal, mode);
    ASSERT_TRUE(o.ok) << o.message;
    EXPECT_EQ(o.k, w.frames.size());
    EXPECT_EQ(o.state, w.ref.back());
  }
}

TEST(DamageSweepTest, WalTruncatedAtEveryOffset) {
  const Workload& w = GetWorkload();
  Sweep sw("WAL truncation");
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t complete = 0;  // records whose frame ends at or before the cut
  for (std::size_t len = 0; len < w.wal.size(); len += Stride()) {
    while (complete < w.frames.size() && w.frames[complete].body_end <= len) ++complete;
    const std::string image = w.wal.substr(0, len);
    Expect e;
    e.ks = {complete};
    for (auto mode : {RecoveryMode::kStrict, RecoveryMode::kPointInTime}) {
      CheckWal(sw, w, image, mode, e, "truncated to " + std::to_string(len) + " bytes");
    }
  }
  std::printf("WAL truncation: %zu offsets x 2 modes = %llu opens, %llu opened, %llu kCorruption, "
              "%.1f s\n",
              w.wal.size(), static_cast<unsigned long long>(sw.trials_),
              static_cast<unsigned long long>(sw.opened_),
              static_cast<unsigned long long>(sw.corruption_),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

TEST(DamageSweepTest, WalEveryBitOfFirst4KiBFlipped) {
  const Workload& w = GetWorkload();
  Sweep sw("WAL bit flips (first 4 KiB)");
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t limit = std::min<std::size_t>(4096, w.wal.size());
  std::string image = w.wal;
  for (std::size_t off = 0; off < limit; off += Stride()) {
    for (int bit = 0; bit < 8; ++bit) {
      image[off] = static_cast<char>(image[off] ^ (1 << bit));
      for (auto mode : {RecoveryMode::kStrict, RecoveryMode::kPointInTime}) {
        CheckWal(sw, w, image, mode, ForFlips(w, {off}, mode),
                 "bit " + std::to_string(bit) + " of byte " + std::to_string(off) + " flipped");
      }
      image[off] = w.wal[off];
    }
  }
  std::printf("WAL first-4KiB flips: %zu bits x 2 modes = %llu opens, %llu opened, %llu kCorruption, "
              "%.1f s\n",
              limit * 8, static_cast<unsigned long long>(sw.trials_),
              static_cast<unsigned long long>(sw.opened_),
              static_cast<unsigned long long>(sw.corruption_),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

TEST(DamageSweepTest, WalRandomBitFlips) {
  const Workload& w = GetWorkload();
  Sweep sw("WAL random bit flips");
  const auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(0xF11Bu);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  std::string image = w.wal;
  // 10,000 single-bit flips anywhere, then 500 images with 2..8 flipped bits.
  for (int trial = 0; trial < Scaled(10500); ++trial) {
    const int nbits = trial < Scaled(10000) ? 1 : 2 + static_cast<int>(pick(7));
    std::vector<std::size_t> offs;
    std::string what = "flipped";
    for (int b = 0; b < nbits; ++b) {
      const std::size_t off = pick(w.wal.size());
      const int bit = static_cast<int>(pick(8));
      image[off] = static_cast<char>(image[off] ^ (1 << bit));
      offs.push_back(off);
      what += " " + std::to_string(off) + ":" + std::to_string(bit);
    }
    for (auto mode : {RecoveryMode::kStrict, RecoveryMode::kPointInTime}) {
      // Two flips of the same bit cancel; compute damage from the bytes.
      std::vector<std::size_t> changed;
      for (auto off : offs) {
        if (image[off] != w.wal[off]) changed.push_back(off);
      }
      CheckWal(sw, w, image, mode, ForFlips(w, changed, mode), what);
    }
    for (auto off : offs) image[off] = w.wal[off];
  }
  std::printf("WAL random flips: 10,000 single + 500 multi-bit images x 2 modes = %llu opens, "
              "%llu opened, %llu kCorruption, %.1f s\n",
              static_cast<unsigned long long>(sw.trials_),
              static_cast<unsigned long long>(sw.opened_),
              static_cast<unsigned long long>(sw.corruption_),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

// ---------------------------------------------------------------- snapshot

struct SnapOutcome {
  bool ok = false;
  ErrorCode code = ErrorCode::kIoError;
  std::string message;
  Model state;
};

SnapOutcome LoadSnap(const Workload& w, const std::string& image) {
  auto fs = std::make_shared<FaultInjectionFs>(1);
  fs->CreateDir("/db");
  fs->PutFile(kSnap, image);
  SnapOutcome out;
  auto r = KvStore::load_from_file(kSnap, kWal, MakeOptions(fs, SyncMode::kNever));
  if (!r) {
    out.code = r.error().code();
    out.message = r.error().message();
    return out;
  }
  out.ok = true;
  out.state = ReadAll(*r, w.keys);
  if (r->size() != out.state.size()) out.state["<stray keys>"] = "";
  return out;
}

// For each byte of the snapshot: is it part of a JSON string token (quotes
// included) inside the top-level "map" member's object?
std::vector<bool> MapStringBytes(const std::string& s) {
  std::vector<bool> in(s.size(), false);
  const std::size_t map_pos = s.find("\"map\"");
  bool str = false, esc = false;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!str) {
      if (c == '"') {
        str = true;
        begin = i;
      }
      continue;
    }
    if (esc) {
      esc = false;
    } else if (c == '\\') {
      esc = true;
    } else if (c == '"') {
      str = false;
      if (map_pos != std::string::npos && begin > map_pos + 4) {
        for (std::size_t j = begin; j <= i; ++j) in[j] = true;
      }
    }
  }
  return in;
}

// Entries of a and b that differ: |a \ b| + |b \ a| over (key, value) pairs.
std::size_t Difference(const Model& a, const Model& b) {
  std::size_t d = 0;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second != v) ++d;
  }
  for (const auto& [k, v] : b) {
    auto it = a.find(k);
    if (it == a.end() || it->second != v) ++d;
  }
  return d;
}

struct SnapSweep : Sweep {
  using Sweep::Sweep;
  uint64_t same = 0, different = 0;
};

void CheckSnap(SnapSweep& sw, const Workload& w, const std::string& image, bool in_string,
               const std::string& what) {
  ++sw.trials_;
  const SnapOutcome o = LoadSnap(w, image);
  if (!o.ok) {
    ++sw.corruption_;
    if (o.code != ErrorCode::kCorruption) sw.Fail(what + ": failed with a code other than kCorruption: " + o.message);
    return;
  }
  ++sw.opened_;
  if (o.state == w.ref.back()) {
    ++sw.same;
    return;
  }
  ++sw.different;
  if (!in_string) return sw.Fail(what + ": loaded a different map (" + std::to_string(o.state.size()) + " keys) from damage outside any string");
  if (Difference(o.state, w.ref.back()) > 3) return sw.Fail(what + ": loaded a map differing in " + std::to_string(Difference(o.state, w.ref.back())) + " entries from a one-bit flip in a string");
}

TEST(DamageSweepTest, SnapshotTruncatedAtEveryOffset) {
  const Workload& w = GetWorkload();
  SnapSweep sw("snapshot truncation");
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t len = 0; len < w.snap.size(); len += Stride()) {
    CheckSnap(sw, w, w.snap.substr(0, len), false, "snapshot truncated to " + std::to_string(len));
  }
  std::printf("snapshot truncation: %zu offsets, %llu loaded (the original map), %llu kCorruption, "
              "%.1f s\n",
              w.snap.size(), static_cast<unsigned long long>(sw.same),
              static_cast<unsigned long long>(sw.corruption_),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

TEST(DamageSweepTest, SnapshotBitFlips) {
  const Workload& w = GetWorkload();
  SnapSweep sw("snapshot bit flips");
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<bool> in_string = MapStringBytes(w.snap);
  std::string image = w.snap;
  auto flip = [&](std::size_t off, int bit) {
    image[off] = static_cast<char>(image[off] ^ (1 << bit));
    CheckSnap(sw, w, image, in_string[off],
              "snapshot bit " + std::to_string(bit) + " of byte " + std::to_string(off) + " ('" +
                  std::string(1, w.snap[off]) + "') flipped");
    image[off] = w.snap[off];
  };
  const std::size_t limit = std::min<std::size_t>(4096, w.snap.size());
  for (std::size_t off = 0; off < limit; off += Stride()) {
    for (int bit = 0; bit < 8; ++bit) flip(off, bit);
  }
  std::mt19937_64 rng(0x5A4Bu);
  for (int i = 0; i < 5000; ++i) {
    flip(std::uniform_int_distribution<std::size_t>(0, w.snap.size() - 1)(rng),
         static_cast<int>(rng() % 8));
  }
  std::printf("snapshot flips: %llu images, %llu loaded the original map, %llu loaded a different "
              "map (flip inside a string: undetectable by design), %llu kCorruption, %.1f s\n",
              static_cast<unsigned long long>(sw.trials_),
              static_cast<unsigned long long>(sw.same),
              static_cast<unsigned long long>(sw.different),
              static_cast<unsigned long long>(sw.corruption_),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace
}  // namespace kvstore::testing
