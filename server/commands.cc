// Copyright (c) the kvstore developers.
//
// The command table, dispatch, and the string and keyspace commands. Reply
// and error texts are Redis 7's (t_string.c, db.c, server.c), checked
// against redis-server 7.0 with redis-cli.
//
// Every read-modify-write command (SET NX/XX/GET, SETNX, GETSET, GETDEL,
// MSET, MSETNX, APPEND, SETRANGE, INCR*, DECR*, INCRBYFLOAT, RENAME*, DEL of
// several keys) runs inside KvStore::update(), so that two clients racing on
// a key can never interleave between the read and the write. Values read
// through a Transaction are copied before the transaction writes, because a
// write may move the bytes a view points to.

#include "commands.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "command_handlers.h"
#include "common/glob.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void ReplyArity(CommandContext& ctx, std::string_view name) {
  std::string msg = "ERR wrong number of arguments for '";
  msg.append(name);
  msg.append("' command");
  ctx.reply.Error(msg);
}

bool ReplyStoreError(CommandContext& ctx, const Error& e) {
  ctx.reply.Error("ERR " + e.message());
  return true;
}

namespace {

constexpr char kNotInteger[] = "ERR value is not an integer or out of range";
constexpr char kNotFloat[] = "ERR value is not a valid float";
constexpr char kSyntax[] = "ERR syntax error";
constexpr char kTooBig[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

KvStore& Store(CommandContext& ctx) { return *ctx.server.store; }

// The keys of an update(), each once: the library locks every declared key's
// shard, and declaring one twice must not mean locking it twice.
std::vector<std::string_view> UniqueKeys(std::vector<std::string_view> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// Runs fn inside an update of `keys`; replies with the store's error if the
// update itself failed and returns false then.
template <class Fn>
bool Update(CommandContext& ctx, std::vector<std::string_view> keys, Fn&& fn) {
  auto r = Store(ctx).update(UniqueKeys(std::move(keys)), fn);
  if (!r) {
    ReplyStoreError(ctx, r.error());
    return false;
  }
  return true;
}

std::string Copy(std::optional<std::string_view> v) { return v ? std::string(*v) : std::string(); }

// ---- connection basics ----

void PingCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2) return ReplyArity(ctx, "ping");
  if (ctx.argv.size() == 2) return ctx.reply.Bulk(ctx.argv[1]);
  ctx.reply.Simple("PONG");
}

void EchoCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.argv[1]); }

// ---- plain reads and writes ----

void GetCommand(CommandContext& ctx) {
  auto v = Store(ctx).get(ctx.argv[1]);
  if (v) {
    ctx.reply.Bulk(*v);
  } else {
    ctx.reply.Null();
  }
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL]
void SetCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  bool nx = false, xx = false, get = false, keepttl = false;
  std::string_view expire;
  for (std::size_t i = 3; i < a.size(); ++i) {
    const std::string_view opt = a[i];
    if (EqualsIgnoreCase(opt, "NX") && !xx) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "XX") && !nx) {
      xx = true;
    } else if (EqualsIgnoreCase(opt, "GET")) {
      get = true;
    } else if (EqualsIgnoreCase(opt, "KEEPTTL") && expire.empty()) {
      keepttl = true;  // keys never have a TTL here: keeping it is a no-op
    } else if ((EqualsIgnoreCase(opt, "EX") || EqualsIgnoreCase(opt, "PX") ||
                EqualsIgnoreCase(opt, "EXAT") || EqualsIgnoreCase(opt, "PXAT")) &&
               !keepttl && expire.empty() && i + 1 < a.size()) {
      expire = a[++i];
    } else {
      return ctx.reply.Error(kSyntax);
    }
  }
  if (!expire.empty()) {
    int64_t t = 0;
    if (!ParseInt64(expire, &t)) return ctx.reply.Error(kNotInteger);
    if (t <= 0) return ctx.reply.Error("ERR invalid expire time in 'set' command");
    return ctx.reply.Error("ERR expiry is not supported by kvstore");
  }
  if (!nx && !xx && !get) {
    auto r = Store(ctx).set(std::string(a[1]), std::string(a[2]));
    if (!r) return (void)ReplyStoreError(ctx, r.error());
    return ctx.reply.Ok();
  }
  std::optional<std::string> old;
  bool written = false;
  if (!Update(ctx, {a[1]}, [&](Transaction& tx) {
        auto v = tx.get(a[1]);
        if (v) old = std::string(*v);
        if ((nx && v) || (xx && !v)) return;
        tx.set(a[1], a[2]);
        written = true;
      })) {
    return;
  }
  if (get) {
    if (old) return ctx.reply.Bulk(*old);
    return ctx.reply.Null();
  }
  if (written) return ctx.reply.Ok();
  ctx.reply.Null();
}

void SetnxCommand(CommandContext& ctx) {
  bool written = false;
  if (!Update(ctx, {ctx.argv[1]}, [&](Transaction& tx) {
        if (tx.get(ctx.argv[1])) return;
        tx.set(ctx.argv[1], ctx.argv[2]);
        written = true;
      })) {
    return;
  }
  ctx.reply.Integer(written ? 1 : 0);
}

void GetsetCommand(CommandContext& ctx) {
  std::optional<std::string> old;
  if (!Update(ctx, {ctx.argv[1]}, [&](Transaction& tx) {
        if (auto v = tx.get(ctx.argv[1])) old = std::string(*v);
        tx.set(ctx.argv[1], ctx.argv[2]);
      })) {
    return;
  }
  if (old) return ctx.reply.Bulk(*old);
  ctx.reply.Null();
}

void GetdelCommand(CommandContext& ctx) {
  auto r = Store(ctx).remove(ctx.argv[1]);
  if (!r) return (void)ReplyStoreError(ctx, r.error());
  if (*r) return ctx.reply.Bulk(**r);
  ctx.reply.Null();
}

void MgetCommand(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argv.size() - 1);
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    auto v = Store(ctx).get(ctx.argv[i]);
    if (v) {
      ctx.reply.Bulk(*v);
    } else {
      ctx.reply.Null();
    }
  }
}

std::vector<std::string_view> KeysOfPairs(std::span<const std::string_view> argv) {
  std::vector<std::string_view> keys;
  for (std::size_t i = 1; i < argv.size(); i += 2) keys.push_back(argv[i]);
  return keys;
}

// MSET and MSETNX: all pairs in one update, so a crash or a reader sees all
// of them or none.
void MsetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.argv.size() % 2 == 0) return ReplyArity(ctx, nx ? "msetnx" : "mset");
  bool written = false;
  if (!Update(ctx, KeysOfPairs(ctx.argv), [&](Transaction& tx) {
        if (nx) {
          for (std::size_t i = 1; i < ctx.argv.size(); i += 2) {
            if (tx.get(ctx.argv[i])) return;
          }
        }
        for (std::size_t i = 1; i < ctx.argv.size(); i += 2) tx.set(ctx.argv[i], ctx.argv[i + 1]);
        written = true;
      })) {
    return;
  }
  if (nx) return ctx.reply.Integer(written ? 1 : 0);
  ctx.reply.Ok();
}

void MsetCommand(CommandContext& ctx) { MsetGeneric(ctx, false); }
void MsetnxCommand(CommandContext& ctx) { MsetGeneric(ctx, true); }

void DelCommand(CommandContext& ctx) {
  if (ctx.argv.size() == 2) {
    auto r = Store(ctx).remove(ctx.argv[1]);
    if (!r) return (void)ReplyStoreError(ctx, r.error());
    return ctx.reply.Integer(*r ? 1 : 0);
  }
  int64_t removed = 0;
  std::vector<std::string_view> keys(ctx.argv.begin() + 1, ctx.argv.end());
  if (!Update(ctx, keys, [&](Transaction& tx) {
        removed = 0;
        for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
          if (tx.get(ctx.argv[i])) {
            tx.remove(ctx.argv[i]);
            ++removed;
          }
        }
      })) {
    return;
  }
  ctx.reply.Integer(removed);
}

void ExistsCommand(CommandContext& ctx) {
  int64_t n = 0;
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    if (Store(ctx).get(ctx.argv[i])) ++n;
  }
  ctx.reply.Integer(n);
}

void AppendCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1], add = ctx.argv[2];
  std::size_t len = 0;
  bool too_big = false;
  if (!Update(ctx, {key}, [&](Transaction& tx) {
        std::string v = Copy(tx.get(key));
        if (v.size() + add.size() > ctx.server.config.proto_max_bulk_len) {
          too_big = true;
          return;
        }
        v.append(add);
        len = v.size();
        tx.set(key, v);
      })) {
    return;
  }
  if (too_big) return ctx.reply.Error(kTooBig);
  ctx.reply.Integer(static_cast<int64_t>(len));
}

void StrlenCommand(CommandContext& ctx) {
  auto v = Store(ctx).get(ctx.argv[1]);
  ctx.reply.Integer(v ? static_cast<int64_t>(v->size()) : 0);
}

void GetrangeCommand(CommandContext& ctx) {
  int64_t start = 0, end = 0;
  if (!ParseInt64(ctx.argv[2], &start) || !ParseInt64(ctx.argv[3], &end)) {
    return ctx.reply.Error(kNotInteger);
  }
  auto v = Store(ctx).get(ctx.argv[1]);
  const int64_t len = v ? static_cast<int64_t>(v->size()) : 0;
  // Redis 7's index rules (t_string.c getrangeCommand).
  if (start < 0 && end < 0 && start > end) return ctx.reply.Bulk("");
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return ctx.reply.Bulk("");
  ctx.reply.Bulk(std::string_view(*v).substr(static_cast<std::size_t>(start),
                                             static_cast<std::size_t>(end - start + 1)));
}

void SetrangeCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1], patch = ctx.argv[3];
  int64_t offset = 0;
  if (!ParseInt64(ctx.argv[2], &offset)) return ctx.reply.Error(kNotInteger);
  if (offset < 0) return ctx.reply.Error("ERR offset is out of range");
  if (!patch.empty() &&
      static_cast<uint64_t>(offset) + patch.size() > ctx.server.config.proto_max_bulk_len) {
    return ctx.reply.Error(kTooBig);
  }
  std::size_t len = 0;
  if (!Update(ctx, {key}, [&](Transaction& tx) {
        auto cur = tx.get(key);
        // An empty patch changes nothing, and does not create the key.
        if (patch.empty()) {
          len = cur ? cur->size() : 0;
          return;
        }
        std::string v = Copy(cur);
        const std::size_t off = static_cast<std::size_t>(offset);
        if (v.size() < off + patch.size()) v.resize(off + patch.size(), '\0');
        v.replace(off, patch.size(), patch);
        len = v.size();
        tx.set(key, v);
      })) {
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(len));
}

// INCR, DECR, INCRBY, DECRBY: the stored value must be a canonical int64.
void IncrGeneric(CommandContext& ctx, int64_t by) {
  const std::string_view key = ctx.argv[1];
  const char* error = nullptr;
  int64_t result = 0;
  if (!Update(ctx, {key}, [&](Transaction& tx) {
        int64_t cur = 0;
        if (auto v = tx.get(key); v && !ParseInt64(*v, &cur)) {
          error = kNotInteger;
          return;
        }
        if ((by < 0 && cur < 0 && by < std::numeric_limits<int64_t>::min() - cur) ||
            (by > 0 && cur > 0 && by > std::numeric_limits<int64_t>::max() - cur)) {
          error = "ERR increment or decrement would overflow";
          return;
        }
        result = cur + by;
        tx.set(key, std::to_string(result));
      })) {
    return;
  }
  if (error != nullptr) return ctx.reply.Error(error);
  ctx.reply.Integer(result);
}

void IncrCommand(CommandContext& ctx) { IncrGeneric(ctx, 1); }
void DecrCommand(CommandContext& ctx) { IncrGeneric(ctx, -1); }

void IncrbyCommand(CommandContext& ctx) {
  int64_t by = 0;
  if (!ParseInt64(ctx.argv[2], &by)) return ctx.reply.Error(kNotInteger);
  IncrGeneric(ctx, by);
}

void DecrbyCommand(CommandContext& ctx) {
  int64_t by = 0;
  if (!ParseInt64(ctx.argv[2], &by)) return ctx.reply.Error(kNotInteger);
  if (by == std::numeric_limits<int64_t>::min()) {
    return ctx.reply.Error("ERR decrement would overflow");
  }
  IncrGeneric(ctx, -by);
}

void IncrbyfloatCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  long double by = 0;
  if (!ParseLongDouble(ctx.argv[2], &by)) return ctx.reply.Error(kNotFloat);
  const char* error = nullptr;
  std::string result;
  if (!Update(ctx, {key}, [&](Transaction& tx) {
        long double cur = 0;
        if (auto v = tx.get(key); v && !ParseLongDouble(*v, &cur)) {
          error = kNotFloat;
          return;
        }
        const long double sum = cur + by;
        if (std::isnan(sum) || std::isinf(sum)) {
          error = "ERR increment would produce NaN or Infinity";
          return;
        }
        result = FormatLongDouble(sum);
        tx.set(key, result);
      })) {
    return;
  }
  if (error != nullptr) return ctx.reply.Error(error);
  ctx.reply.Bulk(result);
}

// ---- keyspace ----

void TypeCommand(CommandContext& ctx) {
  ctx.reply.Simple(Store(ctx).get(ctx.argv[1]) ? "string" : "none");
}

void KeysCommand(CommandContext& ctx) {
  const std::string_view pattern = ctx.argv[1];
  const bool all = pattern == "*";
  std::vector<std::string> keys;
  uint64_t cursor = 0;
  do {
    cursor = Store(ctx).scan(cursor, 1024, [&](std::string_view k, std::string_view) {
      if (all || common::GlobMatch(pattern, k)) keys.emplace_back(k);
    });
  } while (cursor != 0);
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void ScanCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  uint64_t cursor = 0;
  {
    const std::string_view c = a[1];
    bool ok = !c.empty() && c.size() <= 20;
    unsigned __int128 v = 0;
    for (char ch : c) {
      if (ch < '0' || ch > '9') ok = false;
      v = v * 10 + static_cast<unsigned>(ch - '0');
    }
    if (!ok || v > std::numeric_limits<uint64_t>::max()) {
      return ctx.reply.Error("ERR invalid cursor");
    }
    cursor = static_cast<uint64_t>(v);
  }
  std::string_view pattern;
  int64_t count = 10;
  bool type_ok = true;
  for (std::size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) return ctx.reply.Error(kSyntax);
    if (EqualsIgnoreCase(a[i], "MATCH")) {
      pattern = a[i + 1];
    } else if (EqualsIgnoreCase(a[i], "COUNT")) {
      if (!ParseInt64(a[i + 1], &count)) return ctx.reply.Error(kNotInteger);
      if (count < 1) return ctx.reply.Error(kSyntax);
    } else if (EqualsIgnoreCase(a[i], "TYPE")) {
      type_ok = EqualsIgnoreCase(a[i + 1], "string");  // every key is a string
    } else {
      return ctx.reply.Error(kSyntax);
    }
  }
  std::vector<std::string> keys;
  const bool all = pattern.empty() || pattern == "*";
  const uint64_t next =
      Store(ctx).scan(cursor, static_cast<std::size_t>(std::min<int64_t>(count, 1 << 20)),
                      [&](std::string_view k, std::string_view) {
                        if (type_ok && (all || common::GlobMatch(pattern, k))) keys.emplace_back(k);
                      });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

void RandomkeyCommand(CommandContext& ctx) {
  auto k = Store(ctx).random_key();
  if (k) return ctx.reply.Bulk(*k);
  ctx.reply.Null();
}

void RenameGeneric(CommandContext& ctx, bool nx) {
  const std::string_view src = ctx.argv[1], dst = ctx.argv[2];
  enum { kNoKey, kExists, kDone } outcome = kNoKey;
  if (!Update(ctx, {src, dst}, [&](Transaction& tx) {
        auto v = tx.get(src);
        if (!v) {
          outcome = kNoKey;
          return;
        }
        if (src == dst || (nx && tx.get(dst))) {
          outcome = src == dst && !nx ? kDone : kExists;
          return;
        }
        const std::string value(*v);
        tx.set(dst, value);
        tx.remove(src);
        outcome = kDone;
      })) {
    return;
  }
  if (outcome == kNoKey) return ctx.reply.Error("ERR no such key");
  if (nx) return ctx.reply.Integer(outcome == kDone ? 1 : 0);
  ctx.reply.Ok();
}

void RenameCommand(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenamenxCommand(CommandContext& ctx) { RenameGeneric(ctx, true); }

// ---- the table ----

constexpr uint32_t kW = kWrite, kR = kReadOnly, kF = kFast;

constexpr CommandSpec kCommands[] = {
    {"ping", -1, kF, 0, 0, 0, "connection", "Returns the server's liveliness response.",
     PingCommand},
    {"echo", 2, kF, 0, 0, 0, "connection", "Returns the given string.", EchoCommand},
    {"quit", -1, kF | kNoAuth, 0, 0, 0, "connection", "Closes the connection.", QuitCommand},
    {"auth", -2, kF | kNoAuth, 0, 0, 0, "connection", "Authenticates the connection.", AuthCommand},
    {"hello", -1, kF | kNoAuth, 0, 0, 0, "connection", "Handshakes with the server.", HelloCommand},
    {"select", 2, kF, 0, 0, 0, "connection", "Changes the selected database (only 0 exists).",
     SelectCommand},
    {"client", -2, 0, 0, 0, 0, "connection", "A container for client connection commands.",
     ClientCommand},
    {"get", 2, kR | kF, 1, 1, 1, "string", "Returns the string value of a key.", GetCommand},
    {"set", -3, kW, 1, 1, 1, "string", "Sets the string value of a key (no expiry).", SetCommand},
    {"setnx", 3, kW | kF, 1, 1, 1, "string", "Sets a key only if it does not exist.", SetnxCommand},
    {"getset", 3, kW | kF, 1, 1, 1, "string", "Sets a key and returns its previous value.",
     GetsetCommand},
    {"getdel", 2, kW | kF, 1, 1, 1, "string", "Returns a key's value and deletes it.",
     GetdelCommand},
    {"mget", -2, kR | kF, 1, -1, 1, "string", "Returns the values of several keys.", MgetCommand},
    {"mset", -3, kW, 1, -1, 2, "string", "Atomically sets several keys.", MsetCommand},
    {"msetnx", -3, kW, 1, -1, 2, "string", "Sets several keys only if none exists.", MsetnxCommand},
    {"append", 3, kW | kF, 1, 1, 1, "string", "Appends to a key's value.", AppendCommand},
    {"strlen", 2, kR | kF, 1, 1, 1, "string", "Returns the length of a value.", StrlenCommand},
    {"getrange", 4, kR, 1, 1, 1, "string", "Returns a substring of a value.", GetrangeCommand},
    {"setrange", 4, kW, 1, 1, 1, "string", "Overwrites part of a value at an offset.",
     SetrangeCommand},
    {"incr", 2, kW | kF, 1, 1, 1, "string", "Increments an integer value by one.", IncrCommand},
    {"decr", 2, kW | kF, 1, 1, 1, "string", "Decrements an integer value by one.", DecrCommand},
    {"incrby", 3, kW | kF, 1, 1, 1, "string", "Increments an integer value.", IncrbyCommand},
    {"decrby", 3, kW | kF, 1, 1, 1, "string", "Decrements an integer value.", DecrbyCommand},
    {"incrbyfloat", 3, kW | kF, 1, 1, 1, "string", "Increments a floating point value.",
     IncrbyfloatCommand},
    {"del", -2, kW, 1, -1, 1, "generic", "Deletes keys.", DelCommand},
    {"exists", -2, kR | kF, 1, -1, 1, "generic", "Counts how many of the keys exist.",
     ExistsCommand},
    {"type", 2, kR | kF, 1, 1, 1, "generic", "Returns the type of a key.", TypeCommand},
    {"keys", 2, kR, 0, 0, 0, "generic", "Returns the keys matching a pattern.", KeysCommand},
    {"scan", -2, kR, 0, 0, 0, "generic", "Iterates over the keys.", ScanCommand},
    {"randomkey", 1, kR, 0, 0, 0, "generic", "Returns a random key.", RandomkeyCommand},
    {"rename", 3, kW, 1, 2, 1, "generic", "Renames a key, replacing the target.", RenameCommand},
    {"renamenx", 3, kW | kF, 1, 2, 1, "generic", "Renames a key if the target does not exist.",
     RenamenxCommand},
    {"dbsize", 1, kR | kF, 0, 0, 0, "server", "Returns the number of keys.", DbsizeCommand},
    {"flushdb", -1, kW, 0, 0, 0, "server", "Removes every key.", FlushCommand},
    {"flushall", -1, kW, 0, 0, 0, "server", "Removes every key.", FlushCommand},
    {"save", 1, kAdmin, 0, 0, 0, "server", "Writes a snapshot (checkpoint) now.", SaveCommand},
    {"bgsave", -1, kAdmin, 0, 0, 0, "server", "Writes a snapshot in the background.",
     BgsaveCommand},
    {"lastsave", 1, kF, 0, 0, 0, "server", "Returns the time of the last snapshot.",
     LastsaveCommand},
    {"info", -1, 0, 0, 0, 0, "server", "Returns information and statistics.", InfoCommand},
    {"config", -2, kAdmin, 0, 0, 0, "server", "A container for CONFIG GET/SET/RESETSTAT.",
     ConfigCommand},
    {"command", -1, 0, 0, 0, 0, "server", "Returns information about commands.", CommandCommand},
    {"time", 1, kF, 0, 0, 0, "server", "Returns the server time.", TimeCommand},
    {"shutdown", -1, kAdmin, 0, 0, 0, "server", "Stops the server.", ShutdownCommand},
};
static_assert(std::size(kCommands) <= kMaxCommands);

// A flat open-addressing table from lower-case name to index: a handful of
// compares per lookup, no allocation, no std::map walk on the request path.
class CommandIndex {
 public:
  CommandIndex() {
    slots_.fill(-1);
    for (std::size_t i = 0; i < std::size(kCommands); ++i) {
      std::size_t s = Hash(kCommands[i].name) & kMask;
      while (slots_[s] >= 0) s = (s + 1) & kMask;
      slots_[s] = static_cast<int>(i);
    }
  }

  const CommandSpec* Find(std::string_view name) const {
    char lower[16];
    if (name.empty() || name.size() > sizeof(lower)) return nullptr;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    const std::string_view key(lower, name.size());
    for (std::size_t s = Hash(key) & kMask;; s = (s + 1) & kMask) {
      if (slots_[s] < 0) return nullptr;
      const CommandSpec& c = kCommands[slots_[s]];
      if (key == c.name) return &c;
    }
  }

 private:
  static constexpr std::size_t kSlots = 256;  // > 4x the table: short probes
  static constexpr std::size_t kMask = kSlots - 1;
  static std::size_t Hash(std::string_view s) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
  }
  std::array<int, kSlots> slots_;
};

const CommandIndex& Index() {
  static const CommandIndex index;
  return index;
}

void ReplyUnknownCommand(CommandContext& ctx) {
  // Redis 7: the name and then arguments, each quoted and followed by a
  // space, until 128 characters of arguments have been shown.
  std::string msg = "ERR unknown command '";
  msg.append(ctx.argv[0].substr(0, 128));
  msg.append("', with args beginning with: ");
  std::size_t shown = 0;
  for (std::size_t i = 1; i < ctx.argv.size() && shown < 128; ++i) {
    const std::string_view arg = ctx.argv[i].substr(0, 128 - shown);
    msg.push_back('\'');
    msg.append(arg);
    msg.append("' ");
    shown += arg.size() + 3;
  }
  ctx.reply.Error(msg);
}

}  // namespace

std::span<const CommandSpec> Commands() { return kCommands; }

const CommandSpec* LookupCommand(std::string_view name) { return Index().Find(name); }

bool IsBatchableSet(const ClientInfo& client, const ServerState& server,
                    std::span<const std::string_view> argv) {
  if (argv.size() != 3 || argv[0].size() != 3) return false;
  const std::string_view n = argv[0];
  if ((n[0] | 0x20) != 's' || (n[1] | 0x20) != 'e' || (n[2] | 0x20) != 't') return false;
  if (!client.authenticated && server.auth_required.load(std::memory_order_relaxed)) return false;
  // An oversized key must fail alone, not take the batch down with it.
  return argv[1].size() <= KvStore::kMaxKeySize && argv[2].size() <= KvStore::kMaxValueSize;
}

void RunSetBatch(SetBatch& batch, ServerState& server, ClientInfo& client, ReplyWriter& reply,
                 ThreadStats& stats) {
  const std::size_t n = batch.pairs.size();
  if (n == 0) return;
  static const std::size_t kSetIndex = [] {
    const CommandSpec* set = LookupCommand("set");
    return static_cast<std::size_t>(set - kCommands);
  }();
  const auto start = std::chrono::steady_clock::now();
  Result<void> r;
  if (n == 1) {
    r = server.store->set(std::string(batch.pairs[0].first), std::string(batch.pairs[0].second));
  } else {
    std::vector<std::string_view> keys;
    keys.reserve(n);
    for (const auto& [k, v] : batch.pairs) keys.push_back(k);
    // Later SETs of the same key win, as they would one after another.
    r = server.store->update(UniqueKeys(std::move(keys)), [&](Transaction& tx) {
      for (const auto& [k, v] : batch.pairs) tx.set(k, v);
    });
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  for (std::size_t i = 0; i < n; ++i) {
    if (r) {
      reply.Ok();
    } else {
      reply.Error("ERR " + r.error().message());
    }
  }
  client.wrote = true;
  client.last_command.store(static_cast<int>(kSetIndex), std::memory_order_relaxed);
  stats.calls[kSetIndex].Add(n);
  stats.usec[kSetIndex].Add(static_cast<uint64_t>(us.count()));
  stats.commands.Add(n);
  if (!r) stats.failed[kSetIndex].Add(n);
  batch.pairs.clear();
  batch.bytes = 0;
}

void Dispatch(CommandContext& ctx) {
  const CommandSpec* cmd = LookupCommand(ctx.argv[0]);
  if (cmd == nullptr) return ReplyUnknownCommand(ctx);
  const auto argc = static_cast<int>(ctx.argv.size());
  if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity) {
    return ReplyArity(ctx, cmd->name);
  }
  if (!ctx.client.authenticated && (cmd->flags & kNoAuth) == 0 &&
      ctx.server.auth_required.load(std::memory_order_relaxed)) {
    return ctx.reply.Error("NOAUTH Authentication required.");
  }
  const auto index = static_cast<std::size_t>(cmd - kCommands);
  ctx.client.last_command.store(static_cast<int>(index), std::memory_order_relaxed);
  if (cmd->flags & kWrite) ctx.client.wrote = true;
  const uint64_t errors_before = ctx.reply.errors();
  const auto start = std::chrono::steady_clock::now();
  cmd->handler(ctx);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  ctx.stats.calls[index].Add(1);
  ctx.stats.usec[index].Add(static_cast<uint64_t>(us.count()));
  ctx.stats.commands.Add(1);
  if (ctx.reply.errors() != errors_before) ctx.stats.failed[index].Add(1);
}

}  // namespace kvstore::server
