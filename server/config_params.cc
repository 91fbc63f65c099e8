// Copyright (c) the kvstore developers.
//
// The CONFIG parameter table; see config_params.h. What each runtime
// parameter does in kvstore-server:
//   appendfsync       the store's sync mode (KvStore::set_sync_mode)
//   maxclients, timeout, requirepass, hz
//   proto-max-bulk-len, client-query-buffer-limit   the request limits, for
//                     every connection from its next read on
//   slowlog-*         the SLOWLOG's threshold and length
//   multi-max-queued-bytes   the per-client limit on queued MULTI commands
//   busy-poll-us      how long a busy I/O thread polls before it sleeps
//                     (event_loop.cc), from its next wait on
//   busy-reply-threshold (lua-time-limit)   when a long script makes other
//                     clients get BUSY and may be killed
//   lua-max-memory    the interpreter's memory a running script may reach
//   hash-max-listpack-*, set-max-*, zset-max-listpack-*, list-max-listpack-size
//                     the store's encoding thresholds (KvStore::encoding_limits)
//   save              kept and reported; the store's checkpoint rules are
//                     fixed when it opens (the defaults, which equal Redis's)
//   list-compress-depth  kept and reported; lists are never compressed
//   maxmemory, maxmemory-policy   kept and reported; nothing is evicted
//   notify-keyspace-events        which keyspace notifications are
//                     published (notify.h)
//   client-output-buffer-limit    the pubsub class disconnects subscribers
//                     that fall behind (pubsub.h); the others are kept
// The rest describe the running server and are fixed at start.

#include "config_params.h"

#include <charconv>
#include <limits>
#include <mutex>

#include "notify.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr int64_t kNoMin = 0, kNoMax = 0;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

std::string Bind(ServerState& s) {
  std::string out;
  for (const auto& b : s.config.bind) out += (out.empty() ? "" : " ") + b;
  return out;
}

// A text setting of ServerState, read and written under settings_mu.
template <std::string ServerState::*kMember>
std::string GetText(ServerState& s) {
  std::lock_guard<std::mutex> lock(s.settings_mu);
  return s.*kMember;
}

template <std::string ServerState::*kMember>
std::string SetText(ServerState& s, std::string_view v) {
  std::lock_guard<std::mutex> lock(s.settings_mu);
  (s.*kMember).assign(v);
  return "";
}

template <class T, std::atomic<T> ServerState::*kMember>
std::string GetNumber(ServerState& s) {
  return std::to_string((s.*kMember).load());
}

// A memory value as an int64 (string_util.h's ParseMemorySize, bounded).
bool ParseMemory(std::string_view text, int64_t* value) {
  uint64_t v = 0;
  if (!ParseMemorySize(text, &v) || v > static_cast<uint64_t>(kInt64Max)) return false;
  *value = static_cast<int64_t>(v);
  return true;
}

int64_t ParsedNumber(std::string_view v) {
  int64_t n = 0;
  if (!ParseInt64(v, &n)) ParseMemory(v, &n);  // validated before
  return n;
}

template <class T, std::atomic<T> ServerState::*kMember>
std::string SetNumber(ServerState& s, std::string_view v) {
  (s.*kMember).store(static_cast<T>(ParsedNumber(v)));
  return "";
}

std::string Requirepass(ServerState& s) {
  std::lock_guard<std::mutex> lock(s.auth_mu);
  return s.requirepass;
}

std::string SetRequirepass(ServerState& s, std::string_view v) {
  std::lock_guard<std::mutex> lock(s.auth_mu);
  s.requirepass.assign(v);
  s.auth_required.store(!v.empty());
  return "";
}

// As Redis: any value is accepted and clamped to [1, 500].
std::string SetHz(ServerState& s, std::string_view v) {
  s.hz.store(std::clamp<int64_t>(ParsedNumber(v), 1, 500));
  return "";
}

std::string SetSlowlogMaxLen(ServerState& s, std::string_view v) {
  SetNumber<uint64_t, &ServerState::slowlog_max_len>(s, v);
  s.slowlog.Trim(s.slowlog_max_len.load());
  return "";
}

std::string Appendfsync(ServerState& s) { return SyncModeName(s.store->sync_mode()); }

std::string SetAppendfsync(ServerState& s, std::string_view v) {
  SyncMode mode{};
  ParseSyncMode(v, &mode);  // validated before
  if (auto r = s.store->set_sync_mode(mode); !r) return r.error().message();
  return "";
}

std::string SetMaxmemoryPolicy(ServerState& s, std::string_view v) {
  return SetText<&ServerState::maxmemory_policy>(s, AsciiLower(v));
}

std::string SetKeyspaceEvents(ServerState& s, std::string_view v) {
  bool ok = false;
  const std::string normalized = NormalizeKeyspaceEvents(v, &ok);
  s.notify_flags.store(ParseNotifyFlags(normalized), std::memory_order_relaxed);
  return SetText<&ServerState::notify_keyspace_events>(s, normalized);
}

// "save": "" or pairs "<seconds> <changes>" separated by single spaces,
// seconds >= 1, changes >= 0 (Redis 7's check).
std::string CheckSave(std::string_view v) {
  if (v.empty()) return "";
  std::size_t count = 0;
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = std::min(v.find(' ', pos), v.size());
    int64_t n = 0;
    if (!ParseInt64(v.substr(pos, end - pos), &n) || n < (count % 2 == 0 ? 1 : 0)) {
      return "Invalid save parameters";
    }
    ++count;
    if (end == v.size()) break;
    pos = end + 1;
  }
  return count % 2 == 0 ? "" : "Invalid save parameters";
}

std::string CheckKeyspaceEvents(std::string_view v) {
  bool ok = false;
  NormalizeKeyspaceEvents(v, &ok);
  return ok ? "" : "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
}

std::string Fixed(const char* value) { return value; }

// An encoding threshold of the store (KvStore::encoding_limits).
template <class T, T EncodingLimits::*kMember>
std::string GetLimit(ServerState& s) {
  return std::to_string(s.store->encoding_limits().*kMember);
}
template <class T, T EncodingLimits::*kMember>
std::string SetLimit(ServerState& s, std::string_view v) {
  std::lock_guard<std::mutex> lock(s.settings_mu);  // one read-modify-write at a time
  EncodingLimits limits = s.store->encoding_limits();
  limits.*kMember = static_cast<T>(ParsedNumber(v));
  s.store->set_encoding_limits(limits);
  return "";
}

const ConfigParam kParams[] = {
    {"bind", nullptr, ParamType::kList, "127.0.0.1", kNoMin, kNoMax, Bind, nullptr},
    {"port", nullptr, ParamType::kInteger, "6479", 0, 65535,
     [](ServerState& s) { return std::to_string(s.config.port); }, nullptr},
    {"dir", nullptr, ParamType::kString, "./data", kNoMin, kNoMax,
     [](ServerState& s) { return s.config.dir; }, nullptr},
    // The WAL plays the append-only file's part and is always on.
    {"appendonly", nullptr, ParamType::kBool, "yes", kNoMin, kNoMax,
     [](ServerState&) { return Fixed("yes"); }, nullptr},
    {"appendfsync", "sync", ParamType::kEnum, "everysec", kNoMin, kNoMax, Appendfsync,
     SetAppendfsync, "everysec|always|no"},
    {"save", nullptr, ParamType::kList, "3600 1 300 100 60 10000", kNoMin, kNoMax,
     GetText<&ServerState::save_rules>, SetText<&ServerState::save_rules>, nullptr, CheckSave},
    // At most --maxclients' own bound, so that CONFIG REWRITE's file starts.
    {"maxclients", nullptr, ParamType::kInteger, "10000", 1, 1 << 20,
     GetNumber<uint64_t, &ServerState::maxclients>, SetNumber<uint64_t, &ServerState::maxclients>},
    {"requirepass", nullptr, ParamType::kString, "", kNoMin, kNoMax, Requirepass,
     SetRequirepass},
    {"timeout", nullptr, ParamType::kInteger, "0", 0, std::numeric_limits<int32_t>::max(),
     GetNumber<int64_t, &ServerState::timeout>, SetNumber<int64_t, &ServerState::timeout>},
    {"hz", nullptr, ParamType::kInteger, "10", 0, std::numeric_limits<int32_t>::max(),
     GetNumber<int64_t, &ServerState::hz>, SetHz},
    {"multi-max-queued-bytes", nullptr, ParamType::kMemory, "67108864", 1, int64_t{1} << 62,
     GetNumber<uint64_t, &ServerState::multi_max_queued_bytes>,
     SetNumber<uint64_t, &ServerState::multi_max_queued_bytes>},
    {"busy-reply-threshold", "lua-time-limit", ParamType::kInteger, "5000", 0, kInt64Max,
     GetNumber<int64_t, &ServerState::busy_reply_threshold>,
     SetNumber<int64_t, &ServerState::busy_reply_threshold>},
    // kvstore's own: Redis has no such setting (its one I/O thread sleeps).
    {"busy-poll-us", nullptr, ParamType::kInteger, "20", 0, 10000,
     GetNumber<int64_t, &ServerState::busy_poll_us>,
     SetNumber<int64_t, &ServerState::busy_poll_us>},
    // kvstore's own: Redis 7.0 bounds script memory only through maxmemory.
    {"lua-max-memory", nullptr, ParamType::kMemory, "268435456", 0, kInt64Max,
     [](ServerState& s) { return std::to_string(s.lua.memory_limit()); },
     [](ServerState& s, std::string_view v) {
       s.lua.set_memory_limit(static_cast<std::size_t>(ParsedNumber(v)));
       return std::string();
     }},
    // When small hashes, sets and sorted sets leave their compact encodings
    // (Redis 7's names; the "ziplist" ones are their old aliases).
    {"hash-max-listpack-entries", "hash-max-ziplist-entries", ParamType::kMemory, "128", 0,
     kInt64Max, GetLimit<std::size_t, &EncodingLimits::hash_max_listpack_entries>,
     SetLimit<std::size_t, &EncodingLimits::hash_max_listpack_entries>},
    {"hash-max-listpack-value", "hash-max-ziplist-value", ParamType::kMemory, "64", 0, kInt64Max,
     GetLimit<std::size_t, &EncodingLimits::hash_max_listpack_value>,
     SetLimit<std::size_t, &EncodingLimits::hash_max_listpack_value>},
    {"set-max-intset-entries", nullptr, ParamType::kMemory, "512", 0, kInt64Max,
     GetLimit<std::size_t, &EncodingLimits::set_max_intset_entries>,
     SetLimit<std::size_t, &EncodingLimits::set_max_intset_entries>},
    {"set-max-listpack-entries", nullptr, ParamType::kMemory, "128", 0, kInt64Max,
     GetLimit<std::size_t, &EncodingLimits::set_max_listpack_entries>,
     SetLimit<std::size_t, &EncodingLimits::set_max_listpack_entries>},
    {"zset-max-listpack-entries", "zset-max-ziplist-entries", ParamType::kMemory, "128", 0,
     kInt64Max, GetLimit<std::size_t, &EncodingLimits::zset_max_listpack_entries>,
     SetLimit<std::size_t, &EncodingLimits::zset_max_listpack_entries>},
    {"zset-max-listpack-value", "zset-max-ziplist-value", ParamType::kMemory, "64", 0, kInt64Max,
     GetLimit<std::size_t, &EncodingLimits::zset_max_listpack_value>,
     SetLimit<std::size_t, &EncodingLimits::zset_max_listpack_value>},
    {"list-max-listpack-size", "list-max-ziplist-size", ParamType::kInteger, "-2", -5, kInt64Max,
     GetLimit<int64_t, &EncodingLimits::list_max_listpack_size>,
     SetLimit<int64_t, &EncodingLimits::list_max_listpack_size>},
    {"list-compress-depth", nullptr, ParamType::kInteger, "0", 0,
     std::numeric_limits<int32_t>::max(), GetNumber<int64_t, &ServerState::list_compress_depth>,
     SetNumber<int64_t, &ServerState::list_compress_depth>},
    {"databases", nullptr, ParamType::kInteger, "1", 1, 1,
     [](ServerState&) { return Fixed("1"); }, nullptr},
    {"maxmemory", nullptr, ParamType::kMemory, "0", 0, kInt64Max,
     GetNumber<uint64_t, &ServerState::maxmemory>, SetNumber<uint64_t, &ServerState::maxmemory>},
    {"maxmemory-policy", nullptr, ParamType::kEnum, "noeviction", kNoMin, kNoMax,
     GetText<&ServerState::maxmemory_policy>, SetMaxmemoryPolicy,
     "volatile-lru|volatile-lfu|volatile-random|volatile-ttl|allkeys-lru|allkeys-lfu|"
     "allkeys-random|noeviction"},
    {"io-threads", "threads", ParamType::kInteger, "0", 0, 256,
     [](ServerState& s) { return std::to_string(s.config.threads); }, nullptr},
    {"proto-max-bulk-len", nullptr, ParamType::kMemory, "536870912", 1024 * 1024, kInt64Max,
     GetNumber<uint64_t, &ServerState::proto_max_bulk_len>,
     SetNumber<uint64_t, &ServerState::proto_max_bulk_len>},
    {"client-query-buffer-limit", nullptr, ParamType::kMemory, "1073741824", 1024 * 1024,
     kInt64Max, GetNumber<uint64_t, &ServerState::client_query_buffer_limit>,
     SetNumber<uint64_t, &ServerState::client_query_buffer_limit>},
    // Enforced for pub/sub subscribers (pubsub.h); the other classes are
    // kept and reported.
    {"client-output-buffer-limit", nullptr, ParamType::kString,
     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", kNoMin, kNoMax,
     [](ServerState& s) { return s.pubsub.limits().ToString(); },
     [](ServerState& s, std::string_view v) {
       s.pubsub.limits().Set(v);
       return std::string();
     },
     nullptr, OutputBufferLimits::Check},
    {"slowlog-log-slower-than", nullptr, ParamType::kInteger, "10000", -1, kInt64Max,
     GetNumber<int64_t, &ServerState::slowlog_log_slower_than>,
     SetNumber<int64_t, &ServerState::slowlog_log_slower_than>},
    {"slowlog-max-len", nullptr, ParamType::kInteger, "128", 0, kInt64Max,
     GetNumber<uint64_t, &ServerState::slowlog_max_len>, SetSlowlogMaxLen},
    {"notify-keyspace-events", nullptr, ParamType::kString, "", kNoMin, kNoMax,
     GetText<&ServerState::notify_keyspace_events>, SetKeyspaceEvents, nullptr,
     CheckKeyspaceEvents},
    {"protected-mode", nullptr, ParamType::kBool, "no", kNoMin, kNoMax,
     [](ServerState&) { return Fixed("no"); }, nullptr},
    {"daemonize", nullptr, ParamType::kBool, "no", kNoMin, kNoMax,
     [](ServerState&) { return Fixed("no"); }, nullptr},
    {"loglevel", "log-level", ParamType::kEnum, "info", kNoMin, kNoMax,
     [](ServerState& s) { return s.config.log_level; }, nullptr},
    {"tcp-keepalive", nullptr, ParamType::kInteger, "0", 0, 0,
     [](ServerState&) { return Fixed("0"); }, nullptr},
};

}  // namespace

std::span<const ConfigParam> ConfigParams() { return kParams; }

const ConfigParam* FindConfigParam(std::string_view name) {
  for (const auto& p : kParams) {
    if (EqualsIgnoreCase(name, p.name) || (p.alias != nullptr && EqualsIgnoreCase(name, p.alias))) {
      return &p;
    }
  }
  return nullptr;
}

std::string NormalizeKeyspaceEvents(std::string_view flags, bool* ok) {
  // Redis's classes in its output order; 'A' stands for the first ten.
  static constexpr std::string_view kClasses = "g$lshzxetdn";
  static constexpr std::string_view kAll = "g$lshzxetd";
  static constexpr std::string_view kTypes = "KEm";
  bool set[256] = {};
  *ok = true;
  for (char c : flags) {
    if (c == 'A') {
      for (char a : kAll) set[static_cast<unsigned char>(a)] = true;
    } else if (kClasses.find(c) != std::string_view::npos ||
               kTypes.find(c) != std::string_view::npos) {
      set[static_cast<unsigned char>(c)] = true;
    } else {
      *ok = false;
      return "";
    }
  }
  std::string out;
  bool all = true;
  for (char a : kAll) all = all && set[static_cast<unsigned char>(a)];
  if (all) {
    out = "A";
  } else {
    for (char c : kClasses) {
      if (set[static_cast<unsigned char>(c)]) out += c;
    }
  }
  for (char c : kTypes) {
    if (set[static_cast<unsigned char>(c)]) out += c;
  }
  return out;
}

std::string ValidateConfigValue(const ConfigParam& p, std::string_view value) {
  if (p.type == ParamType::kInteger || p.type == ParamType::kMemory) {
    int64_t v = 0;
    if (p.type == ParamType::kInteger && !ParseInt64(value, &v)) {
      return "argument couldn't be parsed into an integer";
    }
    if (p.type == ParamType::kMemory && !ParseMemory(value, &v)) {
      return "argument must be a memory value";
    }
    if (v < p.min || v > p.max) {
      return "argument must be between " + std::to_string(p.min) + " and " +
             std::to_string(p.max) + " inclusive";
    }
  } else if (p.type == ParamType::kBool) {
    if (!EqualsIgnoreCase(value, "yes") && !EqualsIgnoreCase(value, "no")) {
      return "argument must be 'yes' or 'no'";
    }
  } else if (p.type == ParamType::kEnum && p.choices != nullptr) {
    const std::string_view choices = p.choices;
    std::string list;
    bool found = false;
    for (std::size_t pos = 0; pos <= choices.size();) {
      const std::size_t end = std::min(choices.find('|', pos), choices.size());
      const std::string_view choice = choices.substr(pos, end - pos);
      found = found || EqualsIgnoreCase(value, choice);
      list += (list.empty() ? "" : ", ") + std::string(choice);
      pos = end + 1;
    }
    if (!found) return "argument(s) must be one of the following: " + list;
  }
  if (p.check != nullptr) return p.check(value);
  return "";
}

}  // namespace kvstore::server
