// Copyright (c) the kvstore developers.

#include "write_path.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/container/node_hash_map.h>

#include <algorithm>
#include <limits>
#include <random>
#include <unordered_map>

#include "error.h"
#include "object.h"

namespace kvstore {

namespace {

// The per-thread buffer records are encoded into, so a write allocates only
// its map entry. Large records do not keep their memory.
std::string& RecordBuffer() {
  thread_local std::string buf;
  return buf;
}
void TrimRecordBuffer(std::string& buf) {
  if (buf.capacity() > (1u << 20)) std::string().swap(buf);
}

Result<void> CheckSizes(std::string_view key, std::string_view value) {
  if (key.size() > KvStore::kMaxKeySize) {
    return InvalidArgument("key of " + std::to_string(key.size()) + " bytes exceeds the limit of " +
                           std::to_string(KvStore::kMaxKeySize));
  }
  if (value.size() > KvStore::kMaxValueSize) {
    return InvalidArgument("value of " + std::to_string(value.size()) +
                           " bytes exceeds the limit of " + std::to_string(KvStore::kMaxValueSize));
  }
  return {};
}

// Marks a writer on its way to Wal::Append (see Wal::WriterEnter).
class InFlight {
 public:
  explicit InFlight(Wal& wal) : wal_(wal), counted_(wal_.WriterEnter()) {}
  ~InFlight() { wal_.WriterLeave(counted_); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  Wal& wal_;
  const bool counted_;
};

}  // namespace

Result<void> WritePath::Set(std::string_view key, std::string_view value, const WriteOptions& wo,
                            int64_t deadline) {
  KV_RETURN_IF_ERROR(CheckSizes(key, value));
  std::string& rec = RecordBuffer();
  const uint64_t hash =
      deadline != 0 ? wal::EncodeRecord(wal::RecordType::kSetExpiring, key, value, &rec, deadline)
                    : wal::EncodeRecord(wal::RecordType::kSet, key, value, &rec);
  const HashedKey k = ShardMap::HashKey(key);
  Shard& shard = map_->ShardFor(k);
  Result<uint64_t> seq = uint64_t{0};
  {
    InFlight in_flight(*wal_);
    WriterLock lock(&shard.mu);
    seq = wal_->Append(&rec, hash);
    if (seq) shard.Put(k, value, deadline);
    if (count_ops_) shard.Bump(shard.sets);
  }
  TrimRecordBuffer(rec);
  return Finish(seq, wo);
}

Result<void> WritePath::Finish(const Result<uint64_t>& seq, const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = seq ? *seq : 0;
  if (!seq) return Logged(Result<void>(seq.error()));
  if (!wo.wait_durable) return {};
  return Logged(wal_->Commit(*seq));
}

// expire_at and persist: decide under the shard's lock what the key needs
// (nothing, a new deadline, no deadline, or, for a deadline already past, a
// remove), log it and apply it. persist: clear the deadline (`deadline` is
// ignored); returns false when there was none.
Result<bool> WritePath::ChangeExpiry(std::string_view key, int64_t deadline, bool persist,
                                     const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = 0;
  if (key.size() > KvStore::kMaxKeySize) return false;  // cannot exist
  const HashedKey k = ShardMap::HashKey(key);
  Shard& shard = map_->ShardFor(k);
  std::string& rec = RecordBuffer();
  Result<uint64_t> seq = uint64_t{0};
  {
    InFlight in_flight(*wal_);
    WriterLock lock(&shard.mu);
    const int64_t now = map_->clock().NowMs();
    const char* e = shard.Find(k);
    if (e == nullptr || !Entry::Live(e, now)) return false;
    if (persist && !Entry::HasDeadline(e)) return false;
    if (persist) deadline = 0;
    const bool remove = !persist && deadline <= now;
    const uint64_t hash =
        remove ? wal::EncodeRecord(wal::RecordType::kRemove, key, {}, &rec)
               : wal::EncodeRecord(wal::RecordType::kExpire, key, {}, &rec, deadline);
    seq = wal_->Append(&rec, hash);
    if (seq) {
      if (remove) {
        (void)shard.Erase(k);
      } else {
        (void)shard.SetDeadline(k, deadline);
      }
    }
  }
  TrimRecordBuffer(rec);
  KV_RETURN_IF_ERROR(Finish(seq, wo));
  return true;
}

Result<std::optional<std::string>> WritePath::Remove(std::string_view key, const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = 0;
  if (key.size() > KvStore::kMaxKeySize) return std::optional<std::string>();  // cannot exist
  const HashedKey k = ShardMap::HashKey(key);
  Shard& shard = map_->ShardFor(k);
  std::string& rec = RecordBuffer();
  std::optional<std::string> old;
  Result<uint64_t> seq = uint64_t{0};
  {
    InFlight in_flight(*wal_);
    WriterLock lock(&shard.mu);
    if (count_ops_) shard.Bump(shard.removes);
    // An expired key is absent: the expiry cycle logs its removal.
    if (shard.FindLive(k, map_->clock()) == nullptr) return std::optional<std::string>();
    const uint64_t hash = wal::EncodeRecord(wal::RecordType::kRemove, key, {}, &rec);
    seq = wal_->Append(&rec, hash);
    if (seq) old = shard.Erase(k);
  }
  TrimRecordBuffer(rec);
  KV_RETURN_IF_ERROR(Finish(seq, wo));
  return old;
}

Result<void> WritePath::Clear(const WriteOptions& wo) {
  if (count_ops_) clears_.fetch_add(1, std::memory_order_relaxed);
  std::string& rec = RecordBuffer();
  const uint64_t hash = wal::EncodeRecord(wal::RecordType::kClear, {}, {}, &rec);
  Result<uint64_t> seq = uint64_t{0};
  // Every shard locked: the clear lands between whole writes of every key.
  map_->ClearIf([&] {
    seq = wal_->Append(&rec, hash);
    return static_cast<bool>(seq);
  });
  return Finish(seq, wo);
}

// ---- update(): multi-key read-modify-write ----

// What a Transaction sees: the declared keys (hashed, with their shards, all
// locked exclusively by Update), or in update_all() every key (every shard
// locked), and the writes made so far, in order.
class Transaction::Impl {
 public:
  struct Declared {
    HashedKey key;
    Shard* shard;
  };
  // One write: kSet / kSetExpiring (value, deadline), kRemove, kExpire
  // (deadline; 0 clears), kTyped (value: the encoded op) or, in
  // update_all(), kClear (every key).
  struct Write {
    wal::RecordType type;
    std::string key;
    std::string value;
    int64_t deadline = 0;
  };

  Impl(ShardMap* m, bool whole) : map(m), all(whole) {}

  // Whether key may be touched: any key in update_all(), else a declared one.
  bool Allowed(std::string_view key) { return all || Find(key) != nullptr; }

  const Declared* Find(std::string_view key) {
    if (!declared_index.empty()) {
      if (auto it = declared_index.find(key); it != declared_index.end())
        return &declared[it->second];
    } else {
      for (const auto& d : declared)
        if (d.key.key == key) return &d;
    }
    if (!error) error = InvalidArgument("update() touched an undeclared key");
    return nullptr;
  }
  // Called once declared is complete: many keys are found through a hash
  // index, so an EXEC of N commands is not quadratic.
  void IndexDeclared() {
    if (declared.size() <= kScanLimit) return;
    declared_index.reserve(declared.size());
    for (std::size_t i = 0; i < declared.size(); ++i)
      declared_index.emplace(declared[i].key.key, i);
  }

  // The committed entry of key (expired or not); the caller holds its lock.
  const char* Committed(std::string_view key) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (all) {
      const HashedKey k = ShardMap::HashKey(key);
      return map->ShardFor(k).Find(k);
    }
    const Declared* d = Find(key);
    return d == nullptr ? nullptr : d->shard->Find(d->key);
  }

  // The key's value and deadline (0: none) as the transaction sees it;
  // false if absent or expired. Later writes win; a deadline change alone
  // keeps the value an earlier write or the map gave.
  // A few writes are scanned backwards; past kScanLimit, the index answers.
  //
  // type and obj, when given, receive the value's type and, for a hash,
  // list, set or sorted set, its object (*value is then empty). A key with a
  // typed op among the writes is answered from its view (View()).
  bool Lookup(std::string_view key, std::string_view* value, int64_t* deadline,
              Type* type = nullptr, const Object** obj = nullptr) {
    if (type != nullptr) *type = Type::kNone;
    if (obj != nullptr) *obj = nullptr;
    if (!Allowed(key)) return false;
    if (!typed_keys.empty() &&
        typed_keys.contains(absl::string_view(key.data(), key.size()))) {
      const KeyView& v = View(key);
      if (!v.present || Expired(v.deadline)) return false;
      *value = v.obj ? std::string_view() : std::string_view(v.value);
      *deadline = v.deadline;
      if (type != nullptr) *type = v.obj ? v.obj->type() : Type::kString;
      if (obj != nullptr) *obj = v.obj.get();
      return true;
    }
    if (type != nullptr) *type = Type::kString;  // unless FromMap finds an object
    std::optional<int64_t> new_deadline;
    if (writes.size() > kScanLimit) {
      CatchUp();
      if (auto it = index.find(absl::string_view(key.data(), key.size())); it != index.end()) {
        const KeyState& st = it->second;
        if (st.absent) return false;
        new_deadline = st.deadline;
        if (st.value_write >= 0)
          return FromWrite(writes[static_cast<std::size_t>(st.value_write)], new_deadline, value,
                           deadline);
      } else if (index_cleared) {
        return false;
      }
      return FromMap(key, new_deadline, value, deadline, type, obj);
    }
    for (auto it = writes.rbegin(); it != writes.rend(); ++it) {
      if (it->type == wal::RecordType::kClear) return false;
      if (it->key != key) continue;
      if (it->type == wal::RecordType::kExpire) {
        if (!new_deadline) new_deadline = it->deadline;
        continue;
      }
      if (it->type == wal::RecordType::kRemove) return false;
      return FromWrite(*it, new_deadline, value, deadline);
    }
    return FromMap(key, new_deadline, value, deadline, type, obj);
  }

  // Whether the writes touched key (or cleared every key).
  bool Wrote(std::string_view key) {
    if (writes.size() > kScanLimit) {
      CatchUp();
      return index_cleared || index.contains(absl::string_view(key.data(), key.size()));
    }
    for (const auto& w : writes) {
      if (w.type == wal::RecordType::kClear || w.key == key) return true;
    }
    return false;
  }

  // Lookup's answer from a set write, or from the map, with a later expire's
  // deadline when there was one.
  bool FromWrite(const Write& w, std::optional<int64_t> new_deadline, std::string_view* value,
                 int64_t* deadline) {
    *value = w.value;
    *deadline = new_deadline.value_or(w.deadline);
    return !Expired(*deadline);
  }
  bool FromMap(std::string_view key, std::optional<int64_t> new_deadline, std::string_view* value,
               int64_t* deadline, Type* type, const Object** obj) {
    const char* e = Committed(key);
    if (e == nullptr || !Entry::Live(e, Now())) return false;
    if (Entry::IsObject(e)) {
      *value = {};
      if (type != nullptr) *type = Entry::TypeOf(e);
      if (obj != nullptr) *obj = Entry::GetObject(e);
    } else {
      *value = Entry::Value(e);
    }
    *deadline = new_deadline.value_or(Entry::Deadline(e));
    return !Expired(*deadline);
  }

  // A key's state after every write so far, for keys with a typed op among
  // the writes: the committed value (an object cloned) with the writes
  // replayed over it by the same ApplyOp the commit uses. Kept per key and
  // brought up to date from where it stopped, so a transaction of many ops
  // on one big object copies it once.
  struct KeyView {
    std::size_t upto = 0;  // writes[0, upto) are in it
    bool present = false;
    std::string value;            // a string's
    std::unique_ptr<Object> obj;  // or an object's
    int64_t deadline = 0;
  };
  const KeyView& View(std::string_view key) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    auto [it, fresh] = views.try_emplace(std::string(key));
    KeyView& v = it->second;
    if (fresh) {
      const char* e = Committed(key);
      if (e != nullptr && Entry::Live(e, Now())) {
        v.present = true;
        v.deadline = Entry::Deadline(e);
        if (Entry::IsObject(e)) {
          v.obj = Entry::GetObject(e)->Clone();
        } else {
          v.value = std::string(Entry::Value(e));
        }
      }
    }
    for (; v.upto < writes.size(); ++v.upto) {
      const Write& w = writes[v.upto];
      if (w.type == wal::RecordType::kClear) {
        v = KeyView{v.upto, false, {}, nullptr, 0};
        continue;
      }
      if (w.key != key) continue;
      switch (w.type) {
        case wal::RecordType::kSet:
        case wal::RecordType::kSetExpiring:
          v.present = true;
          v.value = w.value;
          v.obj.reset();
          v.deadline = w.deadline;
          break;
        case wal::RecordType::kRemove:
          v = KeyView{v.upto, false, {}, nullptr, 0};
          break;
        case wal::RecordType::kExpire:
          v.deadline = w.deadline;
          break;
        case wal::RecordType::kTyped: {
          OpCode code;
          std::vector<std::string_view> args;
          if (!DecodeOp(w.value, &code, &args)) break;
          if (!v.present || Expired(v.deadline)) {
            v = KeyView{v.upto, true, {}, NewObject(OpType(code)), 0};
          }
          if (!v.obj || v.obj->type() != OpType(code)) break;  // refused by apply()
          std::string why;
          (void)ApplyOp(v.obj.get(), code, args, Limits(), &why);
          if (v.obj->size() == 0) v = KeyView{v.upto, false, {}, nullptr, 0};
          break;
        }
        default:
          break;
      }
    }
    return v;
  }

  // The encoding limits, read from the map once, when a typed op needs them.
  const EncodingLimits& Limits() {
    if (!limits) limits = map->encoding_limits();
    return *limits;
  }

  // Each key's state after the writes indexed so far (writes[0, indexed)).
  struct KeyState {
    std::ptrdiff_t value_write = -1;  // the last set of it; -1: the map's value
    bool absent = false;              // removed (or cleared) since
    std::optional<int64_t> deadline;  // a later expire's (0: persisted)
  };
  void CatchUp() {
    for (; indexed < writes.size(); ++indexed) {
      const Write& w = writes[indexed];
      switch (w.type) {
        case wal::RecordType::kClear:
          index.clear();
          index_cleared = true;
          break;
        case wal::RecordType::kSet:
        case wal::RecordType::kSetExpiring:
          index[w.key] = {static_cast<std::ptrdiff_t>(indexed), false, std::nullopt};
          break;
        case wal::RecordType::kRemove:
          index[w.key] = {-1, true, std::nullopt};
          break;
        case wal::RecordType::kTyped:
          // Lookup answers these keys from their views; the entry marks
          // the key written.
          index[w.key] = {-1, true, std::nullopt};
          break;
        case wal::RecordType::kExpire: {
          auto [it, fresh] = index.try_emplace(w.key);
          if (fresh) it->second.absent = index_cleared;
          it->second.deadline = w.deadline;
          break;
        }
        default:
          break;
      }
    }
  }

  bool Expired(int64_t deadline) { return deadline != 0 && deadline < Now(); }
  // One clock reading per transaction: its reads agree with each other.
  int64_t Now() {
    if (now < 0) now = map->clock().NowMs();
    return now;
  }

  // update_all(): the keys written since the last clear, and whether a clear
  // came first. Runs under every shard's lock.
  struct Overlay {
    std::unordered_map<std::string_view, bool> written;  // key -> present after the writes
    bool cleared = false;
  };
  Overlay MakeOverlay() {
    Overlay o;
    for (const auto& w : writes) {
      if (w.type == wal::RecordType::kClear) {
        o.written.clear();
        o.cleared = true;
      } else {
        o.written[w.key] = false;  // filled below
      }
    }
    for (auto& [key, present] : o.written) {
      std::string_view v;
      int64_t d;
      present = Lookup(key, &v, &d);
    }
    return o;
  }

  // Applies the writes in order, after they were logged; the caller holds
  // the shards' locks (every shard's, if a clear is among them).
  void Apply() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    for (const auto& w : writes) {
      if (w.type == wal::RecordType::kClear) {
        for (std::size_t i = 0; i < ShardMap::kShards; ++i) map->shard(i).Clear();
        continue;
      }
      const HashedKey k = ShardMap::HashKey(w.key);
      Shard& s = map->ShardFor(k);
      switch (w.type) {
        case wal::RecordType::kSet:
        case wal::RecordType::kSetExpiring:
          s.Put(k, w.value, w.deadline);
          break;
        case wal::RecordType::kRemove:
          (void)s.Erase(k);
          break;
        case wal::RecordType::kExpire:
          (void)s.SetDeadline(k, w.deadline);
          break;
        case wal::RecordType::kTyped: {
          // apply() checked the type; a refusal here is refused by replay
          // too, so memory and log still agree.
          OpCode code;
          std::vector<std::string_view> args;
          std::string why;
          if (DecodeOp(w.value, &code, &args)) {
            (void)s.ApplyOp(k, code, args, Limits(), &why);
          }
          break;
        }
        default:
          break;
      }
    }
  }

  // Logs the writes as one record (a batch for several).
  Result<uint64_t> Log(Wal* wal) const {
    std::string& rec = RecordBuffer();
    uint64_t hash;
    if (writes.size() == 1) {
      const auto& w = writes[0];
      hash = wal::EncodeRecord(w.type, w.key, w.value, &rec, w.deadline);
    } else {
      std::vector<wal::BatchOp> ops;
      ops.reserve(writes.size());
      for (const auto& w : writes) ops.push_back({w.type, w.key, w.value, w.deadline});
      hash = wal::EncodeBatchRecord(ops.data(), ops.size(), &rec);
    }
    Result<uint64_t> seq = wal->Append(&rec, hash);
    TrimRecordBuffer(rec);
    return seq;
  }

  ShardMap* const map;
  const bool all;  // update_all(): every shard locked, any key allowed
  int64_t now = -1;
  std::optional<EncodingLimits> limits;
  // Keys with a kTyped write, and their views (View()).
  absl::flat_hash_set<std::string> typed_keys;
  // Node-based: a view handed out stays put while other keys get theirs.
  absl::node_hash_map<std::string, KeyView> views;
  std::vector<Declared> declared;
  std::vector<Write> writes;
  std::optional<Error> error;

 private:
  static constexpr std::size_t kScanLimit = 16;
  absl::flat_hash_map<std::string_view, std::size_t> declared_index;  // key -> declared[i]
  absl::flat_hash_map<std::string, KeyState> index;                   // see CatchUp
  std::size_t indexed = 0;
  bool index_cleared = false;
};

// These run inside WritePath::Update / UpdateAll, which hold the shards'
// locks (a set the analysis cannot name).
std::optional<std::string_view> Transaction::get(std::string_view key) const {
  std::string_view v;
  int64_t deadline;
  if (!impl_->Lookup(key, &v, &deadline)) return std::nullopt;
  return v;
}

int64_t Transaction::expire_time(std::string_view key) const {
  std::string_view v;
  int64_t deadline;
  if (!impl_->Lookup(key, &v, &deadline)) return kKeyAbsent;
  return deadline == 0 ? kNoExpiry : deadline;
}

int64_t Transaction::now_ms() const { return impl_->Now(); }

void Transaction::set(std::string_view key, std::string_view value) { set(key, value, kNoExpiry); }

void Transaction::set(std::string_view key, std::string_view value, int64_t expire_at_ms) {
  if (!impl_->Allowed(key)) return;
  if (auto r = CheckSizes(key, value); !r) {
    if (!impl_->error) impl_->error = r.error();
    return;
  }
  // kNoExpiry and kKeyAbsent (what expire_time() answers for a new key)
  // both mean none.
  const int64_t deadline = expire_at_ms > 0 ? expire_at_ms : 0;
  impl_->writes.push_back({deadline != 0 ? wal::RecordType::kSetExpiring : wal::RecordType::kSet,
                           std::string(key), std::string(value), deadline});
}

Type Transaction::type(std::string_view key) const {
  std::string_view v;
  int64_t deadline;
  Type t;
  return impl_->Lookup(key, &v, &deadline, &t) ? t : Type::kNone;
}

const Object* Transaction::object(std::string_view key) const {
  std::string_view v;
  int64_t deadline;
  const Object* obj;
  return impl_->Lookup(key, &v, &deadline, nullptr, &obj) ? obj : nullptr;
}

void Transaction::apply(std::string_view key, OpCode code,
                        std::span<const std::string_view> args) {
  if (!impl_->Allowed(key)) return;
  const Type have = type(key);
  if (have != Type::kNone && have != OpType(code)) {
    if (!impl_->error) {
      impl_->error = InvalidArgument("apply(): the key holds a " + std::string(TypeName(have)) +
                                     ", the op is for a " + std::string(TypeName(OpType(code))));
    }
    return;
  }
  // A key that reads as absent but has an entry (expired) or earlier writes
  // is removed first, so the op starts a new object in replay too, whatever
  // the clock says then (Shard::ApplyOp ignores deadlines).
  if (have == Type::kNone && (impl_->Committed(key) != nullptr || impl_->Wrote(key))) {
    remove(key);
  }
  std::string op;
  EncodeOp(code, args, &op);
  if (key.size() > KvStore::kMaxKeySize || op.size() > KvStore::kMaxValueSize) {
    if (!impl_->error) impl_->error = CheckSizes(key, op).error();
    return;
  }
  impl_->typed_keys.emplace(key);
  impl_->writes.push_back({wal::RecordType::kTyped, std::string(key), std::move(op), 0});
}

void Transaction::remove(std::string_view key) {
  if (!impl_->Allowed(key)) return;
  impl_->writes.push_back({wal::RecordType::kRemove, std::string(key), {}, 0});
}

void Transaction::expire_at(std::string_view key, int64_t expire_at_ms) {
  if (expire_time(key) == kKeyAbsent) return;
  if (expire_at_ms <= impl_->Now()) return remove(key);
  impl_->writes.push_back({wal::RecordType::kExpire, std::string(key), {}, expire_at_ms});
}

void Transaction::persist(std::string_view key) {
  if (expire_time(key) < 0) return;  // absent, or no deadline
  impl_->writes.push_back({wal::RecordType::kExpire, std::string(key), {}, 0});
}

bool Transaction::wrote(std::string_view key) const { return impl_->Wrote(key); }

// ---- the whole-keyspace calls of update_all() ----

void Transaction::clear() {
  if (!impl_->all) {
    if (!impl_->error) impl_->error = InvalidArgument("Transaction::clear() needs update_all()");
    return;
  }
  impl_->writes.push_back({wal::RecordType::kClear, std::string(), {}, 0});
}

std::size_t Transaction::size() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (!impl_->all) return 0;
  const Impl::Overlay o = impl_->MakeOverlay();
  const int64_t now = impl_->Now();
  std::size_t n = 0;
  if (!o.cleared) {
    for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
      const Shard& s = impl_->map->shard(i);
      n += s.set.size() - s.Stale(now);
    }
  }
  for (const auto& [key, present] : o.written) {
    const char* e = o.cleared ? nullptr : impl_->Committed(key);
    const bool was = e != nullptr && Entry::Live(e, now);
    if (present && !was) ++n;
    if (!present && was) --n;
  }
  return n;
}

void Transaction::scan(const std::function<void(std::string_view, std::string_view)>& fn) const
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (!impl_->all) return;
  const Impl::Overlay o = impl_->MakeOverlay();
  const int64_t now = impl_->Now();
  if (!o.cleared) {
    for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
      for (const char* e : impl_->map->shard(i).set) {
        if (Entry::Live(e, now) && !o.written.contains(Entry::Key(e))) {
          fn(Entry::Key(e), Entry::IsObject(e) ? std::string_view() : Entry::Value(e));
        }
      }
    }
  }
  for (const auto& [key, present] : o.written) {
    if (present) fn(key, get(key).value_or(std::string_view()));
  }
}

std::optional<std::string> Transaction::random_key() const {
  const std::size_t n = size();
  if (n == 0) return std::nullopt;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::size_t pick = static_cast<std::size_t>(rng() % n);
  std::optional<std::string> out;
  scan([&](std::string_view key, std::string_view) {
    if (pick-- == 0) out = std::string(key);
  });
  return out;
}

// Locks a run-time set of shards, which the analysis cannot follow; the
// locks are taken in index order and released by Unlock on every path.
Result<void> WritePath::Update(const std::vector<std::string_view>& keys,
                               const std::function<void(Transaction&)>& fn,
                               const WriteOptions& wo) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (wo.sequence != nullptr) *wo.sequence = 0;
  if (count_ops_) updates_.fetch_add(1, std::memory_order_relaxed);
  Transaction::Impl t(map_, /*whole=*/false);
  t.declared.reserve(keys.size());
  std::vector<Shard*> shards;
  shards.reserve(keys.size());
  for (std::string_view key : keys) {
    if (key.size() > KvStore::kMaxKeySize) return CheckSizes(key, {});
    const HashedKey k = ShardMap::HashKey(key);
    Shard* s = &map_->ShardFor(k);
    t.declared.push_back({k, s});
    shards.push_back(s);
  }
  t.IndexDeclared();
  // Shards are array elements: address order is index order, the order
  // clear() (ShardMap::ClearIf) uses too, so updates and clears cannot
  // deadlock.
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());

  InFlight in_flight(*wal_);
  for (Shard* s : shards) s->mu.Lock();
  struct Unlock {
    std::vector<Shard*>& shards;
    ~Unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      for (auto it = shards.rbegin(); it != shards.rend(); ++it) (*it)->mu.Unlock();
    }
  };
  Result<uint64_t> seq = uint64_t{0};
  {
    Unlock unlock{shards};
    Transaction txn(&t);
    fn(txn);
    if (t.error) return *t.error;
    if (t.writes.empty()) return {};
    seq = t.Log(wal_);
    if (seq) t.Apply();
  }
  return Finish(seq, wo);
}

// ---- update_all(): the whole keyspace in one transaction ----

Result<void> WritePath::UpdateAll(const std::function<void(Transaction&)>& fn,
                                  const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = 0;
  if (count_ops_) updates_.fetch_add(1, std::memory_order_relaxed);
  Transaction::Impl t(map_, /*whole=*/true);
  Result<uint64_t> seq = uint64_t{0};
  InFlight in_flight(*wal_);
  // ClearIf is the one helper that holds every shard's lock; this never asks
  // it to clear (a clear fn made is applied with the other writes, in order).
  map_->ClearIf([&] {
    Transaction txn(&t);
    fn(txn);
    if (!t.error && !t.writes.empty()) {
      seq = t.Log(wal_);
        if (seq) t.Apply();
    }
    return false;
  });
  if (t.error) return *t.error;
  return Finish(seq, wo);
}

// ---- the active expiry cycle's removes ----

std::size_t WritePath::ReclaimExpired(Shard& shard, int64_t now, std::size_t max,
                                      std::vector<int64_t>* lags,
                                      std::vector<std::string>* reclaimed) {
  std::vector<std::string> keys;
  std::vector<wal::BatchOp> ops;
  InFlight in_flight(*wal_);
  WriterLock lock(&shard.mu);
  for (auto it = shard.expiring.begin();
       it != shard.expiring.end() && it->first < now && keys.size() < max; ++it) {
    keys.emplace_back(Entry::Key(it->second));
    // A deadline read from the WAL may be any int64 (<= 0 only if damaged):
    // measure from 0 at most, so the lag cannot overflow.
    lags->push_back(now - std::max<int64_t>(it->first, 0));
  }
  if (keys.empty()) return 0;
  std::string& rec = RecordBuffer();
  uint64_t hash;
  if (keys.size() == 1) {
    hash = wal::EncodeRecord(wal::RecordType::kRemove, keys[0], {}, &rec);
  } else {
    ops.reserve(keys.size());
    for (const auto& k : keys) ops.push_back({wal::RecordType::kRemove, k, {}, 0});
    hash = wal::EncodeBatchRecord(ops.data(), ops.size(), &rec);
  }
  Result<uint64_t> seq = wal_->Append(&rec, hash);
  TrimRecordBuffer(rec);
  if (!seq) {
    lags->resize(lags->size() - keys.size());
    (void)Logged(Result<void>(seq.error()));
    return 0;
  }
  for (const auto& k : keys) (void)shard.Erase(ShardMap::HashKey(k));
  const std::size_t n = keys.size();
  if (reclaimed != nullptr) {
    reclaimed->insert(reclaimed->end(), std::make_move_iterator(keys.begin()),
                      std::make_move_iterator(keys.end()));
  }
  return n;
}

}  // namespace kvstore
