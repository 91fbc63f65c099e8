// Copyright (c) the kvstore developers.
//
// Writing uses RapidJSON's PrettyWriter; reading uses simdjson's On-Demand
// API, which parses in place from the file buffer without building a DOM.

#include "snapshot.h"

#include <cmath>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "mutex.h"
#include "object.h"
#include "ordered_chunks.h"
#include "wal_format.h"

#include <absl/strings/escaping.h>

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <utility>

#include "error.h"

namespace kvstore::snapshot {
namespace {

bool IsPlainText(std::string_view bytes) {
  return !bytes.starts_with(kBinaryMarker) && simdjson::validate_utf8(bytes.data(), bytes.size());
}

Result<void> Flush(rapidjson::StringBuffer& sb, WritableFile* file) {
  auto r = file->Append(std::string_view(sb.GetString(), sb.GetSize()));
  sb.Clear();
  return r;
}

}  // namespace

void EncodeText(std::string_view bytes, std::string* out) {
  if (IsPlainText(bytes)) {
    out->append(bytes);
    return;
  }
  out->append(kBinaryMarker);
  out->append(absl::Base64Escape(absl::string_view(bytes.data(), bytes.size())));
}

void WriteText(JsonWriter& w, std::string_view bytes, bool is_key, std::string* scratch) {
  const auto len = static_cast<rapidjson::SizeType>(bytes.size());
  if (IsPlainText(bytes)) {
    is_key ? w.Key(bytes.data(), len) : w.String(bytes.data(), len);
    return;
  }
  scratch->clear();
  EncodeText(bytes, scratch);
  const auto n = static_cast<rapidjson::SizeType>(scratch->size());
  is_key ? w.Key(scratch->data(), n) : w.String(scratch->data(), n);
}

void WriteExpires(JsonWriter& w, const KeyDeadlines& expires, std::string* scratch) {
  if (expires.empty()) return;
  w.Key("expires");
  w.StartObject();
  for (const auto& [key, deadline] : expires) {
    WriteText(w, key, true, scratch);
    w.Int64(deadline);
  }
  w.EndObject();
}

bool DecodeText(std::string_view text, std::string* out) {
  if (!text.starts_with(kBinaryMarker)) {
    out->assign(text);
    return true;
  }
  text.remove_prefix(kBinaryMarker.size());
  return absl::Base64Unescape(absl::string_view(text.data(), text.size()), out);
}

namespace {

// Above this much JSON text, a shard's encoding is flushed to the file before
// it goes on, so that the text held in memory stays about this small.
constexpr std::size_t kFlushBytes = 1 << 20;

// Below this many keys a save encodes on the calling thread alone.
constexpr std::size_t kParallelMinKeys = 20000;
// Encoding threads at most (a save also has the thread that writes).
constexpr std::size_t kMaxEncodeWorkers = 4;
// Encoded text that may wait for the writing thread, beyond the chunk each
// encoder is making and the shard being written.
constexpr std::size_t kMaxBufferedBytes = 4 * kFlushBytes;

Mutex hook_mu;
std::function<void(std::size_t)>* shard_hook ABSL_GUARDED_BY(hook_mu) = nullptr;
std::size_t workers_for_testing ABSL_GUARDED_BY(hook_mu) = 0;

// One shard's live entries, copied under the shard's shared lock so that the
// much slower JSON encoding (UTF-8 checks, escaping, base64) runs without it.
// An entry in bytes_ is its deadline (8 bytes, 0 for none), then the entry
// block's body verbatim: varint key length, varint value length, key, value
// (shard_map.h). The buffer keeps its capacity from shard to shard.
class ShardCopy {
 public:
  // Replaces the copy with shard's entries live at now_ms, in the table's
  // iteration order.
  void Capture(const Shard& s, int64_t now_ms) {
    bytes_.clear();
    // count and entry_bytes are readable without the lock; a shard that
    // grows meanwhile only costs a reallocation under it.
    bytes_.reserve(s.entry_bytes.load(std::memory_order_relaxed) +
                   sizeof(int64_t) * s.count.load(std::memory_order_relaxed));
    ReaderLock lock(&s.mu);
    for (const char* e : s.set) {
      if (Entry::IsObject(e)) continue;  // CaptureObjects' part
      const bool has_deadline = Entry::HasDeadline(e);
      if (has_deadline && !Entry::Live(e, now_ms)) continue;  // expired: left out
      const int64_t deadline = Entry::Deadline(e);
      const std::size_t body = Entry::Size(e) - (has_deadline ? sizeof(int64_t) : 0);
      char fixed[sizeof(int64_t)];
      std::memcpy(fixed, &deadline, sizeof(deadline));
      bytes_.append(fixed, sizeof(fixed));
      bytes_.append(Entry::Body(e), body);
    }
  }

  // The shard's live objects, cloned under its shared lock, and the last
  // sequence number the capture includes (read under the lock: every record
  // touching the shard up to it is applied, none after it).
  struct Captured {
    std::string key;
    int64_t deadline;
    std::unique_ptr<Object> obj;
  };
  uint64_t CaptureObjects(const Shard& s, int64_t now_ms, const std::function<uint64_t()>& last_seq,
                          std::vector<Captured>* out) {
    out->clear();
    ReaderLock lock(&s.mu);
    for (const char* e : s.set) {
      if (!Entry::IsObject(e) || !Entry::Live(e, now_ms)) continue;
      out->push_back({std::string(Entry::Key(e)), Entry::Deadline(e), Entry::GetObject(e)->Clone()});
    }
    return last_seq();
  }

  // Calls fn(key, value, deadline) for each entry, in capture order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    const char* p = bytes_.data();
    const char* end = p + bytes_.size();
    while (p < end) {
      int64_t deadline;
      std::memcpy(&deadline, p, sizeof(deadline));
      uint32_t klen, vlen;
      p = Entry::Lengths(p + sizeof(deadline), &klen, &vlen);
      fn(std::string_view(p, klen), std::string_view(p + klen, vlen), deadline);
      p += klen + vlen;
    }
  }

 private:
  std::string bytes_;
};

}  // namespace

namespace {

// Encodes a captured shard's entries as members of "map", exactly as the
// snapshot's PrettyWriter would at that depth after an earlier member:
// ",\n    key: value" for each (the writing thread drops the first comma of
// the file). Hands the text on in chunks of about kFlushBytes, always ending
// with one more (possibly empty) chunk, so that the file gets one append per
// shard beyond the full chunks, as a save on one thread has always made.
// Adds the entries' deadlines to *expires.
void EncodeShard(const ShardCopy& copy, std::string* scratch, KeyDeadlines* expires,
                 const EmitChunk& emit) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.SetIndent(' ', 2);
  // Puts the writer after a member of the "map" object; the text so far is
  // dropped.
  w.StartObject();
  w.Key("map");
  w.StartObject();
  w.Key("");
  w.String("");
  sb.Clear();
  bool stopped = false;
  copy.ForEach([&](std::string_view key, std::string_view value, int64_t deadline) {
    if (stopped) return;
    if (deadline != 0) expires->emplace_back(key, deadline);
    WriteText(w, key, true, scratch);
    WriteText(w, value, false, scratch);
    if (sb.GetSize() >= kFlushBytes) {
      stopped = !emit(std::string(sb.GetString(), sb.GetSize()));
      sb.Clear();
    }
  });
  if (!stopped) emit(std::string(sb.GetString(), sb.GetSize()));
}

}  // namespace

void SetEncodeWorkersForTesting(std::size_t workers) {
  MutexLock l(&hook_mu);
  workers_for_testing = workers;
}

void SetShardHookForTesting(std::function<void(std::size_t)> hook) {
  MutexLock l(&hook_mu);
  delete shard_hook;
  shard_hook = hook ? new std::function<void(std::size_t)>(std::move(hook)) : nullptr;
}

void WriteObject(JsonWriter& w, std::string_view key, const Object& obj, int64_t deadline,
                 uint64_t seq, std::string* scratch) {
  WriteText(w, key, true, scratch);
  w.StartObject();
  w.Key("type");
  const std::string_view type = TypeName(obj.type());
  w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  w.Key("seq");
  w.Uint64(seq);
  if (deadline != 0) {
    w.Key("deadline");
    w.Int64(deadline);
  }
  w.Key("value");
  switch (obj.type()) {
    case Type::kHash:
      w.StartObject();
      static_cast<const HashValue&>(obj).for_each([&](std::string_view f, std::string_view v) {
        WriteText(w, f, true, scratch);
        WriteText(w, v, false, scratch);
        return true;
      });
      w.EndObject();
      break;
    case Type::kSet:
      w.StartArray();
      static_cast<const SetValue&>(obj).for_each([&](std::string_view m) {
        WriteText(w, m, false, scratch);
        return true;
      });
      w.EndArray();
      break;
    case Type::kList: {
      w.StartArray();
      static_cast<const ListValue&>(obj).for_each_from(0, false, [&](std::string_view v) {
        WriteText(w, v, false, scratch);
        return true;
      });
      w.EndArray();
      break;
    }
    case Type::kZSet:
      w.StartArray();
      static_cast<const ZSetValue&>(obj).for_each_from_rank(
          0, false, [&](std::string_view m, double score) {
            w.StartArray();
            WriteText(w, m, false, scratch);
            if (std::isinf(score)) {
              w.String(score > 0 ? "inf" : "-inf");
            } else {
              w.Double(score);
            }
            w.EndArray();
            return true;
          });
      w.EndArray();
      break;
    default:
      w.Null();
      break;
  }
  w.EndObject();
}

namespace {
// How many threads encode the map's shards.
std::size_t EncodeWorkers(const ShardMap& map, Encoders encoders) {
  {
    MutexLock l(&hook_mu);
    if (workers_for_testing != 0) return workers_for_testing;
  }
  if (map.Size() < kParallelMinKeys) return 1;
  const std::size_t cores = std::thread::hardware_concurrency();
  const std::size_t usable = encoders == Encoders::kCheckpoint ? cores / 2 : cores;
  return std::clamp<std::size_t>(usable, 1, kMaxEncodeWorkers);
}
}  // namespace

Result<void> Write(const ShardMap& map, uint64_t seq, WritableFile* file,
                   const std::function<uint64_t()>& last_seq, Encoders encoders) {
  std::function<void(std::size_t)> hook;
  {
    MutexLock l(&hook_mu);
    if (shard_hook != nullptr) hook = *shard_hook;
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("format");
  w.String("kvstore-snapshot");
  w.Key("version");
  w.Uint64(kVersion);
  w.Key("sequence");
  w.Uint64(seq);
  w.Key("keys");  // a sizing hint for readers: the count when the save began
  w.Uint64(map.Size());
  w.Key("map");
  // The map's members come from the shards' encoders (EncodeShard), so this
  // writer only opens the object; it is closed by hand below.
  w.RawValue("{", 1, rapidjson::kObjectType);
  std::string scratch;
  // Deadlines of the keys written, per shard, for "expires"; keys already
  // expired are left out altogether.
  std::vector<KeyDeadlines> expires(ShardMap::kShards);
  const int64_t now = map.clock().NowMs();
  const std::size_t workers = EncodeWorkers(map, encoders);
  std::vector<ShardCopy> copies(workers);
  std::vector<std::string> scratches(workers);
  Mutex hook_call_mu;  // the hook runs on one thread at a time
  const ProduceUnit produce = [&](std::size_t worker, std::size_t i,
                                  const EmitChunk& emit) -> Result<void> {
    ShardCopy& copy = copies[worker];
    copy.Capture(map.shard(i), now);  // the only part under the shard's lock
    if (hook) {
      MutexLock l(&hook_call_mu);
      hook(i);
    }
    EncodeShard(copy, &scratches[worker], &expires[i], emit);
    return {};
  };
  // Every member's text starts with its separating comma: the first
  // member's is dropped. The header goes out with the first shard's text.
  bool any = false;
  std::size_t last_unit = ShardMap::kShards;
  const ConsumeChunk consume = [&](std::size_t unit, std::string_view chunk) -> Result<void> {
    if (unit != last_unit) {
      last_unit = unit;
      if (!chunk.empty() && !any) chunk.remove_prefix(1);
      any = any || !chunk.empty();
    }
    if (sb.GetSize() == 0) return file->Append(chunk);
    // The header, then this chunk: one append.
    std::memcpy(sb.Push(chunk.size()), chunk.data(), chunk.size());
    return Flush(sb, file);
  };
  KV_RETURN_IF_ERROR(RunOrdered(ShardMap::kShards, workers, kMaxBufferedBytes, produce, consume));
  copies.clear();
  // As PrettyWriter closes an object at depth 1.
  for (char c : std::string_view(any ? "\n  }" : "}")) sb.Put(c);
  // The objects: a second pass, each shard's cloned under its lock.
  bool any_object = false;
  ShardCopy copy;
  std::vector<ShardCopy::Captured> objects;
  for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
    if (map.shard(i).count.load(std::memory_order_relaxed) == 0) continue;
    const uint64_t captured = copy.CaptureObjects(map.shard(i), now, last_seq, &objects);
    for (const auto& c : objects) {
      if (!any_object) {
        w.Key("objects");
        w.StartObject();
        any_object = true;
      }
      WriteObject(w, c.key, *c.obj, c.deadline, captured, &scratch);
      if (sb.GetSize() >= kFlushBytes) KV_RETURN_IF_ERROR(Flush(sb, file));
    }
  }
  objects.clear();
  if (any_object) w.EndObject();
  KeyDeadlines all_expires;
  for (auto& e : expires) {
    all_expires.insert(all_expires.end(), std::make_move_iterator(e.begin()),
                       std::make_move_iterator(e.end()));
    KeyDeadlines().swap(e);
  }
  WriteExpires(w, all_expires, &scratch);
  w.EndObject();
  sb.Put('\n');
  return Flush(sb, file);
}

namespace {

class Loader {
 public:
  Loader(std::string path, std::string_view data, ShardMap* map)
      : path_(std::move(path)), data_(data), map_(map) {}

  Result<LoadInfo> Run(simdjson::ondemand::document& doc) {
    simdjson::ondemand::object top;
    if (auto e = doc.get_object().get(top)) return Bad(doc, e, "top level");
    bool map_form = false;
    KV_RETURN_IF_ERROR(FindMapObject(doc, top, &map_form));
    doc.rewind();
    if (auto e = doc.get_object().get(top)) return Bad(doc, e, "top level");
    for (auto field_result : top) {
      simdjson::ondemand::field field;
      if (auto e = std::move(field_result).get(field)) return Bad(doc, e, "member");
      if (!map_form) {
        KV_RETURN_IF_ERROR(AddEntry(doc, field));
        continue;
      }
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return Bad(doc, e, "key");
      if (key == "map") {
        simdjson::ondemand::object m;
        if (auto e = field.value().get_object().get(m)) return Bad(doc, e, "\"map\"");
        for (auto inner : m) {
          simdjson::ondemand::field f;
          if (auto e = std::move(inner).get(f)) return Bad(doc, e, "entry");
          KV_RETURN_IF_ERROR(AddEntry(doc, f));
        }
      } else if (key == "objects") {
        simdjson::ondemand::object m;
        if (auto e = field.value().get_object().get(m)) return Bad(doc, e, "\"objects\"");
        for (auto inner : m) {
          simdjson::ondemand::field f;
          if (auto e = std::move(inner).get(f)) return Bad(doc, e, "object");
          KV_RETURN_IF_ERROR(AddObject(doc, f));
        }
      } else if (key == "expires") {
        has_expires = true;  // applied after the map, in a second pass
      } else if (key == "sequence" || key == "version" || key == "keys") {
        uint64_t n;
        if (auto e = field.value().get_uint64().get(n)) return Bad(doc, e, std::string(key));
        if (key == "sequence") {
          if (n >= wal::kMaxSequence) {
            return Corruption("snapshot '" + path_ + "': sequence " + std::to_string(n) +
                              " is out of range");
          }
          info_.sequence = n;
        }
        // A hint for sizing the tables; an entry takes at least 6 bytes.
        if (key == "keys") map_->Reserve(std::min<uint64_t>(n, data_.size() / 6));
        if (key == "version" && n > kVersion) {
          return Corruption("snapshot '" + path_ + "' has format version " + std::to_string(n) +
                            "; this build reads up to version " + std::to_string(kVersion));
        }
      }
    }
    // current_location() fails with OUT_OF_BOUNDS exactly when nothing follows.
    if (const char* rest = nullptr; doc.current_location().get(rest) == simdjson::SUCCESS) {
      return Corruption("snapshot '" + path_ + "': data after the JSON object at byte " +
                        std::to_string(rest - data_.data()));
    }
    if (has_expires) KV_RETURN_IF_ERROR(LoadExpires(doc));
    return info_;
  }

 private:
  // The {"map": {...}} form is recognised by a top-level "map" whose value is
  // an object; anything else is the flat form.
  Result<void> FindMapObject(simdjson::ondemand::document& doc, simdjson::ondemand::object& top,
                             bool* found) {
    for (auto field : top) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return Bad(doc, e, "key");
      if (key != "map") continue;
      simdjson::ondemand::json_type t;
      if (auto e = field.value().type().get(t)) return Bad(doc, e, "\"map\"");
      if (t == simdjson::ondemand::json_type::object) *found = true;
    }
    return {};
  }

  // Reads one "key": "value" member. Strings without escapes (nearly all) are
  // used in place from the file's bytes; only strings with a backslash are
  // unescaped through simdjson's string buffer.
  Result<void> AddEntry(simdjson::ondemand::document& doc, simdjson::ondemand::field& field) {
    simdjson::ondemand::value& v = field.value();
    std::string_view tok = v.raw_json_token();
    while (!tok.empty() && IsSpace(tok.back())) tok.remove_suffix(1);
    const char* kbegin = field.key().raw();
    const char* kend = KeyEnd(kbegin, tok.data());
    std::string_view key, text;
    if (kend == nullptr || std::memchr(kbegin, '\\', kend - kbegin) != nullptr) {
      if (auto e = field.unescaped_key().get(key)) return Bad(doc, e, "key");
    } else {
      key = {kbegin, static_cast<std::size_t>(kend - kbegin)};
    }
    if (tok.size() < 2 || tok.front() != '"' || tok.back() != '"') {
      return Corruption("snapshot '" + path_ + "': value of key \"" + Printable(key) +
                        "\" is not a string" + Where(doc));
    }
    text = tok.substr(1, tok.size() - 2);
    if (text.find('\\') != std::string_view::npos) {
      if (auto e = v.get_string().get(text)) return Bad(doc, e, "value");
    }
    if (!DecodeText(key, &key_) || !DecodeText(text, &value_)) {
      return Corruption("snapshot '" + path_ + "': bad base64 after the binary marker near key \"" +
                        Printable(key) + "\"");
    }
    HashedKey k = ShardMap::HashKey(key_);
    map_->PutUnshared(k, value_);
    ++info_.keys;
    return {};
  }

  // One "objects" member: {"type", "seq", ["deadline",] "value"}, "type"
  // before "value". The object is built with the ops replay uses.
  Result<void> AddObject(simdjson::ondemand::document& doc, simdjson::ondemand::field& field) {
    std::string_view raw_key;
    if (auto e = field.unescaped_key().get(raw_key)) return Bad(doc, e, "object key");
    std::string key;
    if (!DecodeText(raw_key, &key)) {
      return Corruption("snapshot '" + path_ + "': bad base64 after the binary marker near key \"" +
                        Printable(raw_key) + "\"");
    }
    auto bad = [&](const std::string& what) {
      return Corruption("snapshot '" + path_ + "': object \"" + Printable(raw_key) + "\": " +
                        what + Where(doc));
    };
    simdjson::ondemand::object o;
    if (auto e = field.value().get_object().get(o)) return Bad(doc, e, "object");
    Type type = Type::kNone;
    uint64_t seq = 0;
    int64_t deadline = 0;
    bool have_value = false;
    std::unique_ptr<Object> obj;
    for (auto member : o) {
      simdjson::ondemand::field m;
      if (auto e = std::move(member).get(m)) return Bad(doc, e, "object member");
      std::string_view name;
      if (auto e = m.unescaped_key().get(name)) return Bad(doc, e, "object member");
      if (name == "type") {
        std::string_view t;
        if (auto e = m.value().get_string().get(t)) return Bad(doc, e, "object type");
        for (Type c : {Type::kHash, Type::kList, Type::kSet, Type::kZSet}) {
          if (TypeName(c) == t) type = c;
        }
        if (type == Type::kNone) return bad("unknown type \"" + std::string(t) + "\"");
      } else if (name == "seq") {
        if (auto e = m.value().get_uint64().get(seq)) return Bad(doc, e, "object seq");
      } else if (name == "deadline") {
        if (m.value().get_int64().get(deadline) != simdjson::SUCCESS || deadline <= 0) {
          return bad("deadline is not a positive integer");
        }
      } else if (name == "value") {
        if (type == Type::kNone) return bad("\"value\" before \"type\"");
        obj = NewObject(type);
        KV_RETURN_IF_ERROR(LoadValue(doc, m.value(), type, obj.get(), bad));
        have_value = true;
      }
    }
    if (!have_value) return bad("no \"value\"");
    if (obj->size() == 0) return bad("empty value");
    const HashedKey k = ShardMap::HashKey(key);
    map_->PutObjectUnshared(k, std::move(obj), deadline);
    map_->SetReplayFloor(key, seq);
    ++info_.keys;
    return {};
  }

  // Reads an object's "value" into obj as one op of all its elements.
  template <typename Complaint>
  Result<void> LoadValue(simdjson::ondemand::document& doc, simdjson::ondemand::value v, Type type,
                         Object* obj, const Complaint& bad) {
    std::vector<std::string> args;
    auto text = [&](std::string_view t) -> bool {
      args.emplace_back();
      return DecodeText(t, &args.back());
    };
    OpCode code;
    if (type == Type::kHash) {
      code = OpCode::kHashSet;
      simdjson::ondemand::object fields;
      if (auto e = v.get_object().get(fields)) return Bad(doc, e, "hash value");
      for (auto fr : fields) {
        simdjson::ondemand::field f;
        if (auto e = std::move(fr).get(f)) return Bad(doc, e, "hash field");
        std::string_view name, val;
        if (auto e = f.unescaped_key().get(name)) return Bad(doc, e, "hash field");
        if (!text(name)) return bad("bad base64 in a field");
        if (auto e = f.value().get_string().get(val)) return Bad(doc, e, "hash value");
        if (!text(val)) return bad("bad base64 in a value");
      }
    } else {
      simdjson::ondemand::array elements;
      if (auto e = v.get_array().get(elements)) return Bad(doc, e, "value");
      if (type == Type::kList) args.emplace_back("R");
      code = type == Type::kList ? OpCode::kListPush
             : type == Type::kSet ? OpCode::kSetAdd
                                  : OpCode::kZSetAdd;
      for (auto er : elements) {
        simdjson::ondemand::value el;
        if (auto e = std::move(er).get(el)) return Bad(doc, e, "element");
        if (type != Type::kZSet) {
          std::string_view t;
          if (auto e = el.get_string().get(t)) return Bad(doc, e, "element");
          if (!text(t)) return bad("bad base64 in an element");
          continue;
        }
        // [member, score]
        simdjson::ondemand::array pair;
        if (auto e = el.get_array().get(pair)) return Bad(doc, e, "sorted set entry");
        std::string member;
        double score = 0;
        int n = 0;
        for (auto pr : pair) {
          simdjson::ondemand::value x;
          if (auto e = std::move(pr).get(x)) return Bad(doc, e, "sorted set entry");
          if (n == 0) {
            std::string_view t;
            if (auto e = x.get_string().get(t)) return Bad(doc, e, "sorted set member");
            if (!DecodeText(t, &member)) return bad("bad base64 in a member");
          } else if (n == 1) {
            std::string_view t;
            if (x.get_string().get(t) == simdjson::SUCCESS) {
              if (t == "inf") {
                score = std::numeric_limits<double>::infinity();
              } else if (t == "-inf") {
                score = -std::numeric_limits<double>::infinity();
              } else {
                return bad("score \"" + std::string(t) + "\" is not a number");
              }
            } else if (auto e = x.get_double().get(score)) {
              return Bad(doc, e, "sorted set score");
            }
          }
          ++n;
        }
        if (n != 2) return bad("a sorted set entry is not [member, score]");
        args.push_back(EncodeScore(score));
        args.push_back(std::move(member));
      }
    }
    if (args.empty() || (type == Type::kList && args.size() == 1)) return {};
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string why;
    if (!ApplyOp(obj, code, views, map_->encoding_limits(), &why)) return bad(why);
    return {};
  }

  // "expires": {"key": deadline_ms, ...}: deadlines of keys in "map". A key
  // not in the map is an error; so is a deadline that is not a positive
  // integer.
  Result<void> LoadExpires(simdjson::ondemand::document& doc) {
    doc.rewind();
    simdjson::ondemand::object top;
    if (auto e = doc.get_object().get(top)) return Bad(doc, e, "top level");
    for (auto field_result : top) {
      simdjson::ondemand::field field;
      if (auto e = std::move(field_result).get(field)) return Bad(doc, e, "member");
      std::string_view name;
      if (auto e = field.unescaped_key().get(name)) return Bad(doc, e, "key");
      if (name != "expires") continue;
      simdjson::ondemand::object m;
      if (auto e = field.value().get_object().get(m)) return Bad(doc, e, "\"expires\"");
      for (auto inner : m) {
        simdjson::ondemand::field f;
        if (auto e = std::move(inner).get(f)) return Bad(doc, e, "expires entry");
        std::string_view key;
        if (auto e = f.unescaped_key().get(key)) return Bad(doc, e, "expires key");
        int64_t deadline;
        if (f.value().get_int64().get(deadline) != simdjson::SUCCESS || deadline <= 0) {
          return Corruption("snapshot '" + path_ + "': deadline of key \"" + Printable(key) +
                            "\" in \"expires\" is not a positive integer" + Where(doc));
        }
        if (!DecodeText(key, &key_)) {
          return Corruption("snapshot '" + path_ +
                            "': bad base64 after the binary marker in \"expires\" near key \"" +
                            Printable(key) + "\"");
        }
        const HashedKey k = ShardMap::HashKey(key_);
        if (!map_->ContainsUnshared(k)) {
          return Corruption("snapshot '" + path_ + "': key \"" + Printable(key) +
                            "\" in \"expires\" is not in \"map\"");
        }
        map_->SetDeadlineUnshared(k, deadline);
      }
    }
    return {};
  }

  static bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

  // The key's closing quote: walk back from the value over `"  :  `.
  static const char* KeyEnd(const char* kbegin, const char* value) {
    const char* p = value;
    while (p > kbegin && IsSpace(p[-1])) --p;
    if (p == kbegin || p[-1] != ':') return nullptr;
    --p;
    while (p > kbegin && IsSpace(p[-1])) --p;
    if (p == kbegin || p[-1] != '"') return nullptr;
    return p - 1;
  }

  std::string Where(simdjson::ondemand::document& doc) const {
    const char* loc = nullptr;
    if (doc.current_location().get(loc) || loc < data_.data() || loc > data_.data() + data_.size()) {
      return "";
    }
    return " near byte " + std::to_string(loc - data_.data());
  }

  Error Bad(simdjson::ondemand::document& doc, simdjson::error_code e, const std::string& what) {
    return Corruption("snapshot '" + path_ + "': malformed JSON in " + what + Where(doc) + ": " +
                      simdjson::error_message(e));
  }

  static std::string Printable(std::string_view key) {
    std::string out;
    EncodeText(key.substr(0, 64), &out);
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20) c = '?';
    }
    return out;
  }

  std::string path_;
  std::string_view data_;
  ShardMap* map_;
  LoadInfo info_;
  bool has_expires = false;
  std::string key_, value_;
};

}  // namespace

Result<LoadInfo> Load(FileSystem& fs, const std::string& path, ShardMap* map) {
  auto view = fs.OpenView(path);  // mapped in place by the POSIX filesystem
  if (!view) return std::move(view).error();
  const std::string_view data = (*view)->data();
  if (data.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Corruption("snapshot '" + path + "' is empty");
  }
  static_assert(FileSystem::kReadPadding >= simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (auto e = parser
                   .iterate(simdjson::padded_string_view(data.data(), data.size(),
                                                         data.size() + FileSystem::kReadPadding))
                   .get(doc)) {
    return Corruption("snapshot '" + path + "': " + simdjson::error_message(e));
  }
  return Loader(path, data, map).Run(doc);
}

}  // namespace kvstore::snapshot
