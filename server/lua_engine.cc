// Copyright (c) the kvstore developers.
//
// Lua's C API unwinds with longjmp: a C function that raises a Lua error
// must hold no C++ object with a destructor at that point. Every function
// here that may raise does its C++ work in a helper that returns, and only
// then calls lua_error.

#include "lua_engine.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {
#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lua.h>
#include <lualib.h>
}

#include "command.h"
#include "lua_cmsgpack.h"
#include "lua_struct.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

std::string Sha1Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

namespace {

// Registry keys.
constexpr char kScripts[] = "kvstore.scripts";  // sha -> compiled function
constexpr char kGlobals[] = "kvstore.globals";  // the real global table
constexpr char kProxy[] = "kvstore.proxy";      // the read-only view scripts get
constexpr char kReadOnlyMark[] = "__kvstore_readonly";
constexpr char kFunctions[] = "kvstore.functions";  // function name -> callback
constexpr char kPending[] = "kvstore.pending";      // callbacks of the library loading
constexpr char kLoadingFlag[] = "kvstore.loading";  // true while FUNCTION LOAD runs code
constexpr char kLoadRedis[] = "kvstore.loadredis";  // the redis table library code sees
constexpr char kFunctionChunk[] = "@user_function";
constexpr char kChunkName[] = "@user_script";
constexpr int kMaxDepth = 1000;  // nesting of tables converted to replies

// The engine's per-run state that redis.call reaches (an upvalue).
struct RunState {
  const LuaEngine::CallFn* call = nullptr;
  int resp = 2;  // the protocol redis.call's replies come in (redis.setresp)
  // LuaEngine::AbortRun() was called: the script is stopped as SCRIPT KILL
  // stops one (raised at once, and on every line after, so pcall cannot
  // keep it running).
  bool abort = false;
  lua_Hook hook = nullptr;  // the engine's count hook, which raises it
  // The engine's enforce_ (lua-max-memory): off while redis.call converts a
  // reply, so that no allocation fails (and longjmps) across C++ frames.
  bool* enforce_limit = nullptr;
  LuaEngine::Library* pending = nullptr;  // FUNCTION LOAD: the library being built
};

void PushErrorTable(lua_State* L, std::string_view msg) {
  lua_newtable(L);
  lua_pushlstring(L, msg.data(), msg.size());
  lua_setfield(L, -2, "err");
}

// ---- RESP2/RESP3 reply -> Lua (what redis.call returns) ----

// Sets field `name` of the table on top to a new table holding what fill
// pushes (the RESP3 wrappers: {map=...}, {set=...}, {double=...}...).
template <class Fill>
void PushWrapped(lua_State* L, const char* name, Fill&& fill) {
  lua_createtable(L, 0, 1);
  fill();
  lua_setfield(L, -2, name);
}

// Parses one reply at *p (advancing it) and pushes its Lua value, as Redis
// converts them: RESP2 as before, and after redis.setresp(3) also RESP3's
// map -> {map={k=v}}, set -> {set={m=true}}, null -> nil, boolean,
// double -> {double=n}, big number -> {big_number=s} and verbatim ->
// {verbatim_string={format=f, string=s}}. Replies come from our own
// ReplyWriter, so they are well formed; a short read still pushes false
// rather than reading past the end.
void PushReply(lua_State* L, const char*& p, const char* end, int depth) {
  if (p >= end) {
    lua_pushboolean(L, 0);
    return;
  }
  const char type = *p++;
  const char* eol =
      static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p)));
  if (eol == nullptr) eol = end;
  const std::string_view line(p, static_cast<std::size_t>(eol - p));
  p = eol + 2 <= end ? eol + 2 : end;
  auto number = [&] {
    long long n = 0;
    std::from_chars(line.data(), line.data() + line.size(), n);
    return n;
  };
  lua_checkstack(L, 4);
  switch (type) {
    case '+':
      lua_newtable(L);
      lua_pushlstring(L, line.data(), line.size());
      lua_setfield(L, -2, "ok");
      return;
    case '-':
      PushErrorTable(L, line);
      return;
    case ':':
      lua_pushnumber(L, static_cast<lua_Number>(number()));
      return;
    case '$': {
      const long long n = number();
      if (n < 0 || p + n > end) {
        lua_pushboolean(L, 0);
        return;
      }
      lua_pushlstring(L, p, static_cast<std::size_t>(n));
      p += n + 2;
      return;
    }
    case '*':
    case '>': {
      const long long n = number();
      if (n < 0 || depth > kMaxDepth) {
        lua_pushboolean(L, 0);
        return;
      }
      // Not pre-sized: with RESP3 nulls (nil) in it, the table's length
      // operator then gives what it gives in Redis.
      lua_newtable(L);
      for (long long i = 1; i <= n; ++i) {
        PushReply(L, p, end, depth + 1);
        lua_rawseti(L, -2, static_cast<int>(i));
      }
      return;
    }
    case '%':
    case '~': {
      const long long n = number();
      if (n < 0 || depth > kMaxDepth) {
        lua_pushboolean(L, 0);
        return;
      }
      const bool map = type == '%';
      PushWrapped(L, map ? "map" : "set", [&] {
        lua_newtable(L);
        for (long long i = 0; i < n; ++i) {
          PushReply(L, p, end, depth + 1);
          if (map) {
            PushReply(L, p, end, depth + 1);
          } else {
            lua_pushboolean(L, 1);
          }
          // A nil key (a null in the reply) cannot index a table: skipped.
          if (lua_isnil(L, -2)) {
            lua_pop(L, 2);
          } else {
            lua_settable(L, -3);
          }
        }
      });
      return;
    }
    case '|': {  // attributes: read and dropped, then the reply they annotate
      const long long n = number();
      for (long long i = 0; i < 2 * n && p < end; ++i) {
        PushReply(L, p, end, depth + 1);
        lua_pop(L, 1);
      }
      return PushReply(L, p, end, depth);
    }
    case '_':
      lua_pushnil(L);
      return;
    case '#':
      lua_pushboolean(L, line == "t");
      return;
    case ',': {
      const double d = std::strtod(std::string(line).c_str(), nullptr);
      PushWrapped(L, "double", [&] { lua_pushnumber(L, d); });
      return;
    }
    case '(':
      PushWrapped(L, "big_number", [&] { lua_pushlstring(L, line.data(), line.size()); });
      return;
    case '=': {
      const long long n = number();
      if (n < 4 || p + n > end) {
        lua_pushboolean(L, 0);
        return;
      }
      const std::string_view text(p, static_cast<std::size_t>(n));
      p += n + 2;
      PushWrapped(L, "verbatim_string", [&] {
        lua_pushlstring(L, text.data(), 3);
        lua_setfield(L, -2, "format");
        lua_pushlstring(L, text.data() + 4, text.size() - 4);
        lua_setfield(L, -2, "string");
      });
      return;
    }
    default:
      lua_pushboolean(L, 0);
  }
}

// ---- Lua -> RESP (what a script returns) ----

// The string field `name` of the table at idx, if it has one.
// Raw: a script's table may have a metatable whose __index raises, and no
// Lua code may run outside the protected call.
bool StringField(lua_State* L, int idx, const char* name, std::string* out) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_pushstring(L, name);
  lua_rawget(L, idx);
  const bool is = lua_type(L, -1) == LUA_TSTRING;
  if (is) {
    std::size_t n;
    const char* s = lua_tolstring(L, -1, &n);
    out->assign(s, n);
  }
  lua_pop(L, 1);
  return is;
}

void WriteValue(lua_State* L, int idx, ReplyWriter& out, int depth);

// The field `name` of the table at idx pushed (raw) if it has Lua type
// `type`; false (nothing pushed) otherwise.
bool PushField(lua_State* L, int idx, const char* name, int type) {
  lua_pushstring(L, name);
  lua_rawget(L, idx);
  if (lua_type(L, -1) == type) return true;
  lua_pop(L, 1);
  return false;
}

// Writes a RESP3 wrapper table, as Redis reads them from a script's result:
// {double=n}, {big_number=s}, {map={k=v}}, {set={m=true}},
// {verbatim_string={format=f, string=s}}. To a RESP2 client they become a
// bulk string, a flat array or an array, as ReplyWriter frames them. False
// if the table at idx (absolute) is none of these.
bool WriteResp3Wrapper(lua_State* L, int idx, ReplyWriter& out, int depth) {
  lua_checkstack(L, 4);
  if (PushField(L, idx, "double", LUA_TNUMBER)) {
    out.Double(lua_tonumber(L, -1));
    lua_pop(L, 1);
    return true;
  }
  std::string text;
  if (StringField(L, idx, "big_number", &text)) {
    out.BigNumber(text);
    return true;
  }
  for (const bool map : {true, false}) {
    if (!PushField(L, idx, map ? "map" : "set", LUA_TTABLE)) continue;
    const int t = lua_gettop(L);
    std::size_t n = 0;
    for (lua_pushnil(L); lua_next(L, t) != 0; lua_pop(L, 1)) ++n;
    if (map) {
      out.MapHeader(n);
    } else {
      out.SetHeader(n);
    }
    for (lua_pushnil(L); lua_next(L, t) != 0; lua_pop(L, 1)) {
      WriteValue(L, -2, out, depth + 1);
      if (map) WriteValue(L, -1, out, depth + 1);
    }
    lua_pop(L, 1);
    return true;
  }
  if (PushField(L, idx, "verbatim_string", LUA_TTABLE)) {
    std::string format;
    const bool ok = StringField(L, -1, "string", &text) && StringField(L, -1, "format", &format) &&
                    format.size() == 3;
    lua_pop(L, 1);
    if (ok) {
      out.Verbatim(text, format);
      return true;
    }
  }
  return false;
}

void WriteValue(lua_State* L, int idx, ReplyWriter& out, int depth) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      std::size_t n;
      const char* s = lua_tolstring(L, idx, &n);
      out.Bulk({s, n});
      return;
    }
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) {
        out.Integer(1);
      } else {
        out.Null();
      }
      return;
    case LUA_TNUMBER:
      out.Integer(static_cast<int64_t>(lua_tonumber(L, idx)));
      return;
    case LUA_TTABLE: {
      std::string text;
      if (StringField(L, idx, "err", &text)) return out.Error(text);
      if (StringField(L, idx, "ok", &text)) return out.Simple(text);
      if (depth > kMaxDepth) return out.Error("ERR reached lua stack limit");
      if (WriteResp3Wrapper(L, idx, out, depth)) return;
      // An array: its elements up to the first nil, as Redis does.
      std::size_t n = 0;
      for (;; ++n) {
        lua_rawgeti(L, idx, static_cast<int>(n + 1));
        const bool nil = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (nil) break;
      }
      out.ArrayHeader(n);
      lua_checkstack(L, 2);
      for (std::size_t i = 1; i <= n; ++i) {
        lua_rawgeti(L, idx, static_cast<int>(i));
        WriteValue(L, -1, out, depth + 1);
        lua_pop(L, 1);
      }
      return;
    }
    default:
      out.Null();
  }
}

// ---- the redis library ----

// What redis.call/pcall did: a reply to push, or an error to raise.
struct CallOutcome {
  std::string reply;  // RESP2, when error is empty
  std::string error;  // a check that failed before any command ran
};

void DoCall(lua_State* L, const RunState& rs, CallOutcome* o) {
  const int argc = lua_gettop(L);
  if (argc == 0) {
    o->error = "ERR Please specify at least one argument for this redis lib call";
    return;
  }
  std::vector<std::string_view> argv;
  argv.reserve(static_cast<std::size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    const int t = lua_type(L, i);
    if (t != LUA_TSTRING && t != LUA_TNUMBER) {
      o->error = "ERR Lua redis lib command arguments must be strings or integers";
      return;
    }
    if (t == LUA_TNUMBER) {
      // As Redis: the shortest text that reads back as the same double
      // would be nicer, but Redis 7.0 sends 17 significant digits.
      char buf[64];
      const int len = std::snprintf(buf, sizeof(buf), "%.17g", lua_tonumber(L, i));
      lua_pushlstring(L, buf, static_cast<std::size_t>(len));
      lua_replace(L, i);
    }
    std::size_t n;
    const char* s = lua_tolstring(L, i, &n);
    argv.emplace_back(s, n);
  }
  if (rs.call == nullptr) {
    o->error = "ERR redis.call is not available here";
    return;
  }
  o->reply = (*rs.call)(argv, rs.resp);
}

int Call(lua_State* L, bool protected_call) {
  auto* rs = static_cast<RunState*>(lua_touserdata(L, lua_upvalueindex(1)));
  bool failed = false;
  const bool enforcing = rs->enforce_limit != nullptr && *rs->enforce_limit;
  if (enforcing) *rs->enforce_limit = false;
  {
    CallOutcome o;
    DoCall(L, *rs, &o);
    lua_settop(L, 0);
    if (!o.error.empty()) {
      PushErrorTable(L, o.error);
      failed = true;
    } else {
      const char* p = o.reply.data();
      PushReply(L, p, p + o.reply.size(), 0);
      failed = !o.reply.empty() && o.reply[0] == '-';
    }
  }
  if (enforcing) *rs->enforce_limit = true;
  if (rs->abort) {
    lua_sethook(L, rs->hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
    return lua_error(L);
  }
  if (failed && !protected_call) return lua_error(L);  // the error table, raised
  return 1;
}

int RedisCall(lua_State* L) { return Call(L, false); }
int RedisPcall(lua_State* L) { return Call(L, true); }

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    lua_pushstring(L, "wrong number or type of arguments");
    return lua_error(L);
  }
  // As Redis: a leading '-' is dropped, and text without an error code
  // (no space) gets "ERR ".
  std::size_t n;
  const char* s = lua_tolstring(L, 1, &n);
  if (n > 0 && s[0] == '-') {
    ++s;
    --n;
  }
  lua_newtable(L);
  if (std::memchr(s, ' ', n) == nullptr) {
    lua_pushliteral(L, "ERR ");
    lua_pushlstring(L, s, n);
    lua_concat(L, 2);
  } else {
    lua_pushlstring(L, s, n);
  }
  lua_setfield(L, -2, "err");
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    lua_pushstring(L, "wrong number or type of arguments");
    return lua_error(L);
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

void PushSha1Hex(lua_State* L, const char* s, std::size_t n) {
  const std::string hex = Sha1Hex({s, n});
  lua_pushlstring(L, hex.data(), hex.size());
}

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) {
    lua_pushstring(L, "wrong number of arguments");
    return lua_error(L);
  }
  std::size_t n;
  const char* s = lua_tolstring(L, 1, &n);
  if (s == nullptr) {
    s = "";
    n = 0;
  }
  PushSha1Hex(L, s, n);
  return 1;
}

void Log(int level, const char* s, std::size_t n) {
  const std::string_view text(s, n);
  switch (level) {
    case 0:
      spdlog::debug("script: {}", text);
      break;
    case 1:
    case 2:
      spdlog::info("script: {}", text);
      break;
    default:
      spdlog::warn("script: {}", text);
  }
}

int RedisLog(lua_State* L) {
  const int argc = lua_gettop(L);
  if (argc < 2) {
    lua_pushstring(L, "redis.log() requires two arguments or more.");
    return lua_error(L);
  }
  if (!lua_isnumber(L, 1)) {
    lua_pushstring(L, "First argument must be a number (log level).");
    return lua_error(L);
  }
  const int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) {
    lua_pushstring(L, "Invalid debug level.");
    return lua_error(L);
  }
  // The arguments joined by spaces, built on the Lua stack (no C++ object
  // alive if a conversion raises).
  lua_getglobal(L, "tostring");
  for (int i = 2; i <= argc; ++i) {
    if (i > 2) lua_pushliteral(L, " ");
    lua_pushvalue(L, i);
    if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER) {
      lua_pushliteral(L, "?");
      lua_replace(L, -2);
    }
  }
  lua_concat(L, lua_gettop(L) - argc - 1);
  std::size_t n;
  const char* s = lua_tolstring(L, -1, &n);
  Log(level, s, n);
  return 0;
}

int RedisSetResp(lua_State* L) {
  if (lua_gettop(L) != 1 || !lua_isnumber(L, 1)) {
    lua_pushstring(L, "redis.setresp() requires one argument.");
    return lua_error(L);
  }
  const int v = static_cast<int>(lua_tonumber(L, 1));
  if (v != 2 && v != 3) {
    lua_pushstring(L, "RESP version must be 2 or 3.");
    return lua_error(L);
  }
  static_cast<RunState*>(lua_touserdata(L, lua_upvalueindex(1)))->resp = v;
  return 0;
}

int RedisSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1 || !lua_isnumber(L, 1)) {
    lua_pushstring(L, "redis.set_repl() requires one argument.");
    return lua_error(L);
  }
  const int v = static_cast<int>(lua_tonumber(L, 1));
  if (v < 0 || v > 3) {
    lua_pushstring(L,
                   "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    return lua_error(L);
  }
  return 0;  // every write is logged; there are no replicas
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

// ---- redis.register_function (library code, while FUNCTION LOAD runs it) ----

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool KnownFlag(std::string_view f) {
  return f == "no-writes" || f == "allow-oom" || f == "allow-stale" || f == "no-cluster" ||
         f == "allow-cross-slot-keys";
}

// Records one function in rs.pending and its callback in the pending table;
// returns the error text, or "" on success. The callback is at stack index
// `cb`, the name in *name.
std::string Register(lua_State* L, RunState& rs, const std::string& name, int cb,
                     LuaEngine::Function info) {
  if (!ValidName(name)) {
    return "ERR Library names can only contain letters, numbers, or underscores(_) and must be "
           "at least one character long";
  }
  for (const auto& f : rs.pending->functions) {
    if (EqualsIgnoreCase(f.name, name)) return "ERR Function already exists in the library";
  }
  info.name = name;
  lua_getfield(L, LUA_REGISTRYINDEX, kPending);
  lua_pushvalue(L, cb);
  lua_setfield(L, -2, name.c_str());
  lua_pop(L, 1);
  rs.pending->functions.push_back(std::move(info));
  return "";
}

std::string DoRegisterFunction(lua_State* L, RunState& rs) {
  if (rs.pending == nullptr)
    return "ERR redis.register_function can only be called on FUNCTION LOAD command";
  const int argc = lua_gettop(L);
  if (argc == 2) {
    if (lua_type(L, 1) != LUA_TSTRING)
      return "ERR first argument to redis.register_function must be a string";
    if (lua_type(L, 2) != LUA_TFUNCTION)
      return "ERR second argument to redis.register_function must be a function";
    std::size_t n;
    const char* s = lua_tolstring(L, 1, &n);
    return Register(L, rs, std::string(s, n), 2, {});
  }
  if (argc != 1) return "ERR wrong number of arguments to redis.register_function";
  if (lua_type(L, 1) != LUA_TTABLE) {
    return "ERR calling redis.register_function with a single argument is only applicable to Lua "
           "table (representing named arguments).";
  }
  LuaEngine::Function info;
  std::string name;
  int cb = 0;
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {  // key at -2, value at -1
    if (lua_type(L, -2) != LUA_TSTRING)
      return "ERR named argument key given to redis.register_function is not a string";
    const std::string key = lua_tostring(L, -2);
    if (key == "function_name") {
      if (lua_type(L, -1) != LUA_TSTRING)
        return "ERR function_name argument given to redis.register_function must be a string";
      std::size_t n;
      const char* s = lua_tolstring(L, -1, &n);
      name.assign(s, n);
    } else if (key == "description") {
      if (lua_type(L, -1) != LUA_TSTRING)
        return "ERR description argument given to redis.register_function must be a string";
      info.description = lua_tostring(L, -1);
    } else if (key == "callback") {
      if (lua_type(L, -1) != LUA_TFUNCTION)
        return "ERR callback argument given to redis.register_function must be a function";
      lua_pushvalue(L, -1);
      lua_insert(L, 2);  // kept below the iteration's key and value
      cb = 2;
    } else if (key == "flags") {
      if (lua_type(L, -1) != LUA_TTABLE)
        return "ERR flags argument to redis.register_function must be a table representing "
               "function flags";
      for (int i = 1;; ++i) {
        lua_rawgeti(L, -1, i);
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          break;
        }
        if (lua_type(L, -1) != LUA_TSTRING || !KnownFlag(lua_tostring(L, -1))) {
          return "ERR unknown flag given";
        }
        info.flags.emplace_back(lua_tostring(L, -1));
        if (info.flags.back() == "no-writes") info.no_writes = true;
        lua_pop(L, 1);
      }
    } else {
      return "ERR unknown argument given to redis.register_function";
    }
    lua_pop(L, 1);
  }
  if (name.empty() && lua_gettop(L) >= 1) {
    // An empty function_name is a bad name, not a missing one.
    lua_pushliteral(L, "function_name");
    lua_rawget(L, 1);
    const bool given = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (!given) return "ERR redis.register_function must get a function name argument";
  }
  if (cb == 0) return "ERR redis.register_function must get a callback argument";
  return Register(L, rs, name, cb, std::move(info));
}

int RedisRegisterFunction(lua_State* L) {
  auto* rs = static_cast<RunState*>(lua_touserdata(L, lua_upvalueindex(1)));
  bool failed = false;
  {
    const std::string error = DoRegisterFunction(L, *rs);
    if (!error.empty()) {
      lua_settop(L, 0);
      PushErrorTable(L, error);
      failed = true;
    }
  }
  if (failed) return lua_error(L);
  return 0;
}

// ---- the sandbox ----

// Raises msg prefixed with the position of the script's line that called
// this C function ("user_script:1: "), as luaL_error does.
int RaiseFromScript(lua_State* L, const char* msg) {
  luaL_where(L, 1);
  lua_pushstring(L, msg);
  lua_concat(L, 2);
  return lua_error(L);
}

int ReadOnlyNewIndex(lua_State* L) {
  return RaiseFromScript(L, "Attempt to modify a readonly table");
}
// The same refusal from rawset/setmetatable, without a position (as Redis).
int RaiseReadOnly(lua_State* L) {
  lua_pushstring(L, "Attempt to modify a readonly table");
  return lua_error(L);
}

// __index of a strict proxy (the globals, the load-time redis library): the
// value in the table behind it (upvalue 1), or an error for a name that is
// not there.
int GlobalIndex(lua_State* L) {
  // While FUNCTION LOAD runs a library's code, the only global is `redis`,
  // the load-time library (register_function and log; no call), as in Redis.
  lua_getfield(L, LUA_REGISTRYINDEX, kGlobals);
  const bool globals = lua_rawequal(L, -1, lua_upvalueindex(1));
  lua_getfield(L, LUA_REGISTRYINDEX, kLoadingFlag);
  const bool loading = lua_toboolean(L, -1);
  lua_pop(L, 2);
  if (globals && loading) {
    if (lua_type(L, 2) == LUA_TSTRING && std::strcmp(lua_tostring(L, 2), "redis") == 0) {
      lua_getfield(L, LUA_REGISTRYINDEX, kLoadRedis);
      return 1;
    }
  } else {
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));  // the table behind the proxy
    if (!lua_isnil(L, -1)) return 1;
  }
  const char* name = lua_tostring(L, 2);
  lua_pushfstring(L, "Script attempted to access nonexistent global variable '%s'",
                  name ? name : "?");
  return RaiseFromScript(L, lua_tostring(L, -1));
}

bool IsReadOnly(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return false;
  lua_getfield(L, -1, kReadOnlyMark);
  const bool ro = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return ro;
}

// rawset that refuses the read-only tables.
int SafeRawSet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (IsReadOnly(L, 1)) return RaiseReadOnly(L);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// loadstring that refuses precompiled chunks (string.dump's output), as
// Redis does: bytecode is not checked by Lua's loader and can crash it.
int SafeLoadString(lua_State* L) {
  std::size_t n;
  const char* s = luaL_checklstring(L, 1, &n);
  const char* chunkname = luaL_optstring(L, 2, s);
  if (n > 0 && s[0] == LUA_SIGNATURE[0]) {
    lua_pushnil(L);
    lua_pushliteral(L, "loading precompiled chunks is not allowed");
    return 2;
  }
  if (luaL_loadbuffer(L, s, n, chunkname) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

// setmetatable that refuses the read-only tables with the same error.
int SafeSetMetatable(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (IsReadOnly(L, 1)) return RaiseReadOnly(L);
  const int t = lua_type(L, 2);
  luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

// Replaces the table at the top of the stack with a read-only proxy of it.
// index: the proxy's __index (nil: the table itself).
void MakeProxy(lua_State* L, lua_CFunction index = nullptr) {
  const int real = lua_gettop(L);
  lua_newtable(L);  // the proxy
  lua_newtable(L);  // its metatable
  if (index != nullptr) {
    lua_pushvalue(L, real);
    lua_pushcclosure(L, index, 1);
  } else {
    lua_pushvalue(L, real);
  }
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, kReadOnlyMark);
  // getmetatable() answers a read-only view of the metatable, so neither it
  // nor setmetatable() can change it.
  lua_newtable(L);
  lua_newtable(L);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, kReadOnlyMark);
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_replace(L, real);
}

// Opens a library; one that returns its table without registering it
// (Debian's lua-cjson) is made the global `name`.
void OpenLib(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  if (*name != '\0' && lua_istable(L, -1)) {
    lua_setglobal(L, name);
  } else {
    lua_pop(L, 1);
  }
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr char kEngine[] = "kvstore.engine";  // lightuserdata: the LuaEngine
// Instructions between two checks for SCRIPT KILL and the load time limit.
constexpr int kHookCount = 100000;
// FUNCTION LOAD's limit on running a library's code, as Redis's.
constexpr int64_t kLoadTimeoutMs = 500;

}  // namespace

// The count hook reaches the engine's private state through this.
struct HookAccess {
  static void Hook(lua_State* L, lua_Debug*) {
    lua_getfield(L, LUA_REGISTRYINDEX, kEngine);
    auto* e = static_cast<LuaEngine*>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    if (e->while_busy_ != nullptr) (*e->while_busy_)();  // returns before any raise below
    if (e->kill_.load(std::memory_order_acquire)) {
      // From now on on every line too: a pcall in the script may catch this
      // error, but the next line outside it raises again.
      lua_sethook(L, Hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
      // The same text for FUNCTION KILL, as Redis 7.0 words it.
      lua_pushstring(L, "Script killed by user with SCRIPT KILL...");
      lua_error(L);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, "kvstore.runstate");
    const bool abort = static_cast<RunState*>(lua_touserdata(L, -1))->abort;
    lua_pop(L, 1);
    if (abort) {
      lua_pushstring(L, "ERR script stopped to run again on the whole keyspace");
      lua_error(L);
    }
    const int64_t deadline = e->load_deadline_ms_.load(std::memory_order_relaxed);
    if (deadline != 0 && SteadyMs() > deadline) {
      lua_pushstring(L, "FUNCTION LOAD timeout");
      lua_error(L);
    }
  }
};

namespace {}  // namespace

LuaEngine::LuaEngine() { Open(); }
LuaEngine::~LuaEngine() { Close(); }

void* LuaEngine::Alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize) {
  auto* e = static_cast<LuaEngine*>(ud);
  if (nsize == 0) {
    std::free(ptr);
    e->used_.fetch_sub(osize, std::memory_order_relaxed);
    return nullptr;
  }
  const std::size_t used = e->used_.load(std::memory_order_relaxed);
  const std::size_t limit = e->limit_.load(std::memory_order_relaxed);
  if (e->enforce_ && limit != 0 && nsize > osize && used + (nsize - osize) > limit) {
    return nullptr;  // Lua raises "not enough memory" in the script
  }
  void* p = std::realloc(ptr, nsize);
  if (p != nullptr) {
    e->used_.fetch_add(nsize, std::memory_order_relaxed);
    e->used_.fetch_sub(osize, std::memory_order_relaxed);
  }
  return p;
}

namespace {

int Panic(lua_State* L) {
  const char* msg = lua_tostring(L, -1);
  spdlog::critical("Lua error outside a protected call: {}", msg ? msg : "?");
  return 0;  // Lua aborts
}

}  // namespace

void LuaEngine::Open() {
  lua_State* L = lua_newstate(&LuaEngine::Alloc, this);
  lua_atpanic(L, Panic);
  L_ = L;
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, kEngine);
  OpenLib(L, luaopen_base, "");
  OpenLib(L, luaopen_table, LUA_TABLIBNAME);
  OpenLib(L, luaopen_string, LUA_STRLIBNAME);
  OpenLib(L, luaopen_math, LUA_MATHLIBNAME);
  OpenLib(L, luaopen_cjson, "cjson");
  OpenLib(L, luaopen_bit, "bit");
  OpenLib(L, luaopen_cmsgpack, "cmsgpack");
  OpenLib(L, luaopen_struct, "struct");
  // luaopen_base also registers these, which scripts must not have.
  for (const char* name : {"loadfile", "dofile", "print", "module", "require"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_pushcfunction(L, SafeRawSet);
  lua_setglobal(L, "rawset");
  lua_pushcfunction(L, SafeSetMetatable);
  lua_setglobal(L, "setmetatable");
  lua_pushcfunction(L, SafeLoadString);
  lua_setglobal(L, "loadstring");

  // The redis library.
  lua_newtable(L);
  auto* rs = static_cast<RunState*>(lua_newuserdata(L, sizeof(RunState)));
  *rs = RunState{};
  lua_setfield(L, LUA_REGISTRYINDEX, "kvstore.runstate");
  struct Fn {
    const char* name;
    lua_CFunction fn;
    bool needs_run_state;
  };
  for (const Fn& f :
       {Fn{"call", RedisCall, true}, Fn{"pcall", RedisPcall, true},
        Fn{"error_reply", RedisErrorReply, false}, Fn{"status_reply", RedisStatusReply, false},
        Fn{"sha1hex", RedisSha1Hex, false}, Fn{"log", RedisLog, false},
        Fn{"setresp", RedisSetResp, true}, Fn{"set_repl", RedisSetRepl, false},
        Fn{"replicate_commands", RedisReplicateCommands, false}}) {
    if (f.needs_run_state) {
      lua_getfield(L, LUA_REGISTRYINDEX, "kvstore.runstate");
      lua_pushcclosure(L, f.fn, 1);
    } else {
      lua_pushcfunction(L, f.fn);
    }
    lua_setfield(L, -2, f.name);
  }
  struct Const {
    const char* name;
    int value;
  };
  for (const Const& c : {Const{"LOG_DEBUG", 0}, Const{"LOG_VERBOSE", 1}, Const{"LOG_NOTICE", 2},
                         Const{"LOG_WARNING", 3}, Const{"REPL_NONE", 0}, Const{"REPL_AOF", 1},
                         Const{"REPL_SLAVE", 2}, Const{"REPL_REPLICA", 2}, Const{"REPL_ALL", 3},
                         Const{"REDIS_VERSION_NUM", 0x0007000f}}) {
    lua_pushnumber(L, c.value);
    lua_setfield(L, -2, c.name);
  }
  lua_pushstring(L, kRedisVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  // The load-time library (FUNCTION LOAD): register_function, log and the
  // constants; no call, pcall, setresp or sha1hex, as in Redis.
  lua_newtable(L);
  lua_getfield(L, LUA_REGISTRYINDEX, "kvstore.runstate");
  lua_pushcclosure(L, RedisRegisterFunction, 1);
  lua_setfield(L, -2, "register_function");
  for (const char* name : {"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING",
                           "REDIS_VERSION", "REDIS_VERSION_NUM"}) {
    lua_getfield(L, -2, name);
    lua_setfield(L, -2, name);
  }
  MakeProxy(L, GlobalIndex);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadRedis);
  lua_setglobal(L, "redis");

  // Every library table becomes a read-only proxy.
  for (const char* lib :
       {"redis", "string", "table", "math", "cjson", "bit", "cmsgpack", "struct", "coroutine"}) {
    lua_getglobal(L, lib);
    if (lua_istable(L, -1)) {
      MakeProxy(L);
      lua_setglobal(L, lib);
    } else {
      lua_pop(L, 1);
    }
  }
  // The string metatable (s:len()) reaches string through the proxy too.
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1)) {
    lua_getglobal(L, "string");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);

  // The globals: the real table in the registry; scripts see a proxy.
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_setfield(L, LUA_REGISTRYINDEX, kGlobals);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  MakeProxy(L, GlobalIndex);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kProxy);
  // _G names the proxy, so _G.x reads like x.
  lua_getfield(L, LUA_REGISTRYINDEX, kGlobals);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "_G");
  lua_pop(L, 1);
  lua_replace(L, LUA_GLOBALSINDEX);

  for (const char* table : {kScripts, kFunctions, kPending}) {
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, table);
  }
}

void LuaEngine::Close() {
  if (L_ != nullptr) lua_close(L_);
  L_ = nullptr;
  scripts_.clear();
  body_bytes_ = 0;
  libraries_.clear();
  function_lib_.clear();
}

bool LuaEngine::Load(std::string_view body, std::string* sha, std::string* error) {
  *sha = Sha1Hex(body);
  std::lock_guard lock(mu_);
  lua_State* L = L_;
  lua_getfield(L, LUA_REGISTRYINDEX, kScripts);
  lua_getfield(L, -1, sha->c_str());
  const bool cached = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (cached) {
    lua_pop(L, 1);
    return true;
  }
  // A "#!lua flags=..." first line (checked by the caller) becomes a
  // comment, so line numbers stay the script's.
  std::string text(body);
  ScriptInfo info;
  if (text.starts_with("#!")) {
    info.has_shebang = true;
    const std::string_view line = std::string_view(text).substr(0, text.find('\n'));
    info.no_writes = line.find("no-writes") != std::string_view::npos;
    text[0] = '-';
    text[1] = '-';
  }
  if (luaL_loadbuffer(L, text.data(), text.size(), kChunkName) != 0) {
    *error = std::string("ERR Error compiling script (new function): ") + lua_tostring(L, -1);
    lua_pop(L, 2);
    return false;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, kProxy);
  lua_setfenv(L, -2);
  lua_setfield(L, -2, sha->c_str());
  lua_pop(L, 1);
  scripts_[*sha] = info;
  body_bytes_ += body.size();
  return true;
}

bool LuaEngine::Exists(std::string_view sha, bool* no_writes, bool* has_shebang) {
  const std::string lower = AsciiLower(sha);
  std::lock_guard lock(mu_);
  const auto it = scripts_.find(lower);
  if (it == scripts_.end()) return false;
  if (no_writes != nullptr) *no_writes = it->second.no_writes;
  if (has_shebang != nullptr) *has_shebang = it->second.has_shebang;
  return true;
}

void LuaEngine::Flush() {
  std::lock_guard lock(mu_);
  lua_newtable(L_);
  lua_setfield(L_, LUA_REGISTRYINDEX, kScripts);
  scripts_.clear();
  body_bytes_ = 0;
  lua_gc(L_, LUA_GCCOLLECT, 0);
}

std::size_t LuaEngine::Count() {
  std::lock_guard lock(mu_);
  return scripts_.size();
}

std::size_t LuaEngine::BodyBytes() {
  std::lock_guard lock(mu_);
  return body_bytes_;
}

std::size_t LuaEngine::MemoryBytes() { return used_.load(std::memory_order_relaxed); }

namespace {

// The message handler of a script run: turns any error into a table
// {err = "...", source = ..., line = ...}, the source and line of the
// script's frame that raised it.
int ErrorHandler(lua_State* L) {
  if (!lua_istable(L, 1)) {
    lua_newtable(L);
    lua_pushliteral(L, "ERR ");
    if (lua_isstring(L, 1)) {
      lua_pushvalue(L, 1);
    } else {
      lua_pushliteral(L, "unknown error");
    }
    lua_concat(L, 2);
    lua_setfield(L, -2, "err");
    lua_replace(L, 1);
  }
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); ++level) {
    lua_getinfo(L, "Sl", &ar);
    if (std::strcmp(ar.what, "C") == 0) continue;
    lua_pushstring(L, ar.source);
    lua_setfield(L, 1, "source");
    lua_pushnumber(L, ar.currentline);
    lua_setfield(L, 1, "line");
    break;
  }
  lua_settop(L, 1);
  return 1;
}

}  // namespace

namespace {

// Pushes list as a Lua array.
void PushArray(lua_State* L, std::span<const std::string_view> list) {
  lua_createtable(L, static_cast<int>(list.size()), 0);
  for (std::size_t i = 0; i < list.size(); ++i) {
    lua_pushlstring(L, list[i].data(), list[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

RunState* GetRunState(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "kvstore.runstate");
  auto* rs = static_cast<RunState*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return rs;
}

}  // namespace

void LuaEngine::Invoke(int nargs, std::string_view label, const CallFn& call, ReplyWriter& out,
                       bool function, const std::function<void()>* while_busy) {
  lua_State* L = L_;
  RunState* rs = GetRunState(L);
  rs->call = &call;
  rs->resp = 2;  // every run starts in RESP2, as in Redis
  rs->abort = false;
  rs->hook = HookAccess::Hook;
  rs->enforce_limit = &enforce_;
  kill_.store(false);
  wrote_.store(false);
  run_is_function_.store(function, std::memory_order_release);
  run_start_ms_.store(SteadyMs(), std::memory_order_release);
  running_.store(true, std::memory_order_release);
  while_busy_ = while_busy;
  lua_sethook(L, HookAccess::Hook, LUA_MASKCOUNT, kHookCount);
  enforce_ = true;
  const int status = lua_pcall(L, nargs, 1, 1);
  enforce_ = false;
  lua_sethook(L, nullptr, 0, 0);
  while_busy_ = nullptr;
  running_.store(false, std::memory_order_release);
  kill_.store(false);
  rs->call = nullptr;
  if (status == 0) {
    WriteValue(L, -1, out, 0);
  } else if (lua_istable(L, -1)) {
    std::string err, source;
    if (!StringField(L, -1, "err", &err)) err = "ERR unknown error";
    std::string msg = err + " script: " + std::string(label);
    if (StringField(L, -1, "source", &source)) {
      lua_pushliteral(L, "line");
      lua_rawget(L, -2);
      msg += ", on " + source + ":" + std::to_string(static_cast<long long>(lua_tonumber(L, -1))) +
             ".";
      lua_pop(L, 1);
    }
    out.Error(msg);
  } else {
    // LUA_ERRMEM / LUA_ERRERR: the handler itself could not run.
    const char* s = lua_tostring(L, -1);
    std::string msg = std::string("ERR Error running script: ") + (s ? s : "unknown error");
    if (status == LUA_ERRMEM) {
      msg += " (the script passed lua-max-memory, " + std::to_string(memory_limit()) + " bytes)";
    }
    out.Error(msg + " script: " + std::string(label));
  }
  lua_settop(L, 0);
  if (status == LUA_ERRMEM) {
    lua_gc(L, LUA_GCCOLLECT, 0);  // give back what the script left behind
  } else {
    lua_gc(L, LUA_GCSTEP, 1);
  }
}

bool LuaEngine::Run(std::string_view sha, std::span<const std::string_view> keys,
                    std::span<const std::string_view> args, const CallFn& call, ReplyWriter& out,
                    const std::function<void()>* while_busy) {
  std::lock_guard lock(mu_);
  lua_State* L = L_;
  lua_settop(L, 0);
  lua_pushcfunction(L, ErrorHandler);
  lua_getfield(L, LUA_REGISTRYINDEX, kScripts);
  lua_pushlstring(L, sha.data(), sha.size());
  lua_rawget(L, -2);
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) {
    lua_settop(L, 0);
    return false;
  }
  // KEYS and ARGV, set in the real globals (the proxy refuses writes).
  lua_getfield(L, LUA_REGISTRYINDEX, kGlobals);
  PushArray(L, keys);
  lua_setfield(L, -2, "KEYS");
  PushArray(L, args);
  lua_setfield(L, -2, "ARGV");
  lua_pop(L, 1);
  Invoke(0, sha, call, out, false, while_busy);
  return true;
}

bool LuaEngine::RunFunction(std::string_view name, std::span<const std::string_view> keys,
                            std::span<const std::string_view> args, const CallFn& call,
                            ReplyWriter& out, std::span<const std::string_view> command,
                            const std::function<void()>* while_busy) {
  std::lock_guard lock(mu_);
  lua_State* L = L_;
  lua_settop(L, 0);
  lua_pushcfunction(L, ErrorHandler);
  lua_getfield(L, LUA_REGISTRYINDEX, kFunctions);
  const std::string key = AsciiLower(name);
  lua_pushlstring(L, key.data(), key.size());
  lua_rawget(L, -2);
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) {
    lua_settop(L, 0);
    return false;
  }
  PushArray(L, keys);
  PushArray(L, args);
  {
    std::lock_guard info(info_mu_);
    run_name_ = std::string(name);
    run_command_.assign(command.begin(), command.end());
  }
  Invoke(2, name, call, out, true, while_busy);
  return true;
}

// ---- libraries ----

namespace {

// Parses the metadata line "#!lua name=<lib>"; false with Redis's error.
bool ParseMetadata(std::string_view code, std::string* name, std::string* error) {
  if (!code.starts_with("#!")) {
    *error = "ERR Missing library metadata";
    return false;
  }
  std::string buf;
  std::vector<std::string_view> parts;
  if (!SplitArgs(code.substr(0, code.find('\n')), &buf, &parts) || parts.empty()) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  // As Redis: the name is checked before the engine, and both keys compare
  // without case.
  bool named = false;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() < 5 || !EqualsIgnoreCase(parts[i].substr(0, 5), "name=")) {
      *error = "ERR Invalid metadata value given: " + std::string(parts[i]);
      return false;
    }
    if (named) {
      *error = "ERR Invalid metadata value, name argument was given multiple times";
      return false;
    }
    *name = std::string(parts[i].substr(5));
    named = true;
  }
  if (!named) {
    *error = "ERR Library name was not given";
    return false;
  }
  const std::string_view engine = parts[0].substr(2);
  if (!EqualsIgnoreCase(engine, "lua")) {
    *error = "ERR Engine '" + std::string(engine) + "' not found";
    return false;
  }
  if (!ValidName(*name)) {
    *error =
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
        "least one character long";
    return false;
  }
  return true;
}

}  // namespace

bool LuaEngine::CompileLibrary(std::string_view code, const std::string& name, Library* lib,
                               std::string* error) {
  lua_State* L = L_;
  lua_settop(L, 0);
  // The metadata line becomes a comment, so line numbers stay the code's.
  std::string body(code);
  body[0] = '-';
  body[1] = '-';
  lua_pushcfunction(L, ErrorHandler);
  if (luaL_loadbuffer(L, body.data(), body.size(), kFunctionChunk) != 0) {
    *error = std::string("ERR Error compiling function: ") + lua_tostring(L, -1);
    lua_settop(L, 0);
    return false;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, kProxy);
  lua_setfenv(L, -2);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kPending);
  lib->name = name;
  lib->code = std::string(code);
  RunState* rs = GetRunState(L);
  rs->pending = lib;
  lua_pushboolean(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadingFlag);
  load_deadline_ms_.store(SteadyMs() + kLoadTimeoutMs);
  lua_sethook(L, HookAccess::Hook, LUA_MASKCOUNT, kHookCount);
  const int status = lua_pcall(L, 0, 0, 1);
  lua_sethook(L, nullptr, 0, 0);
  load_deadline_ms_.store(0);
  lua_pushboolean(L, 0);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadingFlag);
  rs->pending = nullptr;
  if (status != 0) {
    std::string err = "ERR unknown error";
    if (lua_istable(L, -1)) {
      StringField(L, -1, "err", &err);
    } else if (lua_isstring(L, -1)) {
      err = lua_tostring(L, -1);
    }
    *error = "ERR Error registering functions: " + err;
    lua_settop(L, 0);
    return false;
  }
  lua_settop(L, 0);
  if (lib->functions.empty()) {
    *error = "ERR No functions registered";
    return false;
  }
  return true;
}

// Library and function names are case-insensitive, as in Redis: the maps
// and the registry are keyed by the lower-case name; Library/Function keep
// the name as given.
bool LuaEngine::LoadLibrary(std::string_view code, bool replace, std::string* name,
                            std::string* error) {
  if (!ParseMetadata(code, name, error)) return false;
  const std::string key = AsciiLower(*name);
  std::lock_guard lock(mu_);
  const auto old = libraries_.find(key);
  if (old != libraries_.end() && !replace) {
    *error = "ERR Library '" + *name + "' already exists";
    return false;
  }
  Library lib;
  if (!CompileLibrary(code, *name, &lib, error)) return false;
  for (const auto& f : lib.functions) {
    const auto it = function_lib_.find(AsciiLower(f.name));
    if (it != function_lib_.end() && it->second != key) {
      *error = "ERR Function " + f.name + " already exists";
      return false;
    }
  }
  lua_State* L = L_;
  lua_getfield(L, LUA_REGISTRYINDEX, kFunctions);
  if (old != libraries_.end()) {
    for (const auto& f : old->second.functions) {
      const std::string fkey = AsciiLower(f.name);
      lua_pushnil(L);
      lua_setfield(L, -2, fkey.c_str());
      function_lib_.erase(fkey);
    }
  }
  lua_getfield(L, LUA_REGISTRYINDEX, kPending);
  for (const auto& f : lib.functions) {
    const std::string fkey = AsciiLower(f.name);
    lua_pushlstring(L, f.name.data(), f.name.size());
    lua_rawget(L, -2);
    lua_setfield(L, -3, fkey.c_str());
    function_lib_[fkey] = key;
  }
  lua_settop(L, 0);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kPending);
  libraries_[key] = std::move(lib);
  CountLibraries();
  return true;
}

void LuaEngine::CountLibraries() {
  std::size_t functions = 0;
  for (const auto& [name, lib] : libraries_) functions += lib.functions.size();
  library_count_.store(libraries_.size());
  function_count_.store(functions);
}

bool LuaEngine::DeleteLibrary(std::string_view name) {
  std::lock_guard lock(mu_);
  const auto it = libraries_.find(AsciiLower(name));
  if (it == libraries_.end()) return false;
  lua_getfield(L_, LUA_REGISTRYINDEX, kFunctions);
  for (const auto& f : it->second.functions) {
    const std::string fkey = AsciiLower(f.name);
    lua_pushnil(L_);
    lua_setfield(L_, -2, fkey.c_str());
    function_lib_.erase(fkey);
  }
  lua_pop(L_, 1);
  libraries_.erase(it);
  CountLibraries();
  return true;
}

void LuaEngine::FlushLibraries() {
  std::lock_guard lock(mu_);
  lua_newtable(L_);
  lua_setfield(L_, LUA_REGISTRYINDEX, kFunctions);
  libraries_.clear();
  function_lib_.clear();
  CountLibraries();
  lua_gc(L_, LUA_GCCOLLECT, 0);
}

std::vector<LuaEngine::Library> LuaEngine::Libraries() {
  std::lock_guard lock(mu_);
  std::vector<Library> out;
  for (const auto& [name, lib] : libraries_) out.push_back(lib);
  return out;
}

int64_t LuaEngine::RunningForMs() const {
  if (!running_.load(std::memory_order_acquire)) return -1;
  return std::max<int64_t>(0, SteadyMs() - run_start_ms_.load(std::memory_order_acquire));
}

bool LuaEngine::RunningFunctionInfo(std::string* name, std::vector<std::string>* command,
                                    int64_t* ms) {
  *ms = RunningForMs();
  if (*ms < 0 || !RunningFunction()) return false;
  std::lock_guard info(info_mu_);
  *name = run_name_;
  *command = run_command_;
  return true;
}

void LuaEngine::AbortRun() { GetRunState(L_)->abort = true; }

LuaEngine::KillResult LuaEngine::Kill(bool function) {
  if (!running_.load(std::memory_order_acquire)) return KillResult::kNotBusy;
  if (RunningFunction() != function) return KillResult::kOtherKind;
  if (wrote_.load(std::memory_order_acquire)) return KillResult::kUnkillable;
  kill_.store(true, std::memory_order_release);
  return KillResult::kKilled;
}

bool LuaEngine::FindFunction(std::string_view name, bool* no_writes) {
  std::lock_guard lock(mu_);
  const auto it = function_lib_.find(AsciiLower(name));
  if (it == function_lib_.end()) return false;
  for (const auto& f : libraries_[it->second].functions) {
    if (EqualsIgnoreCase(f.name, name)) *no_writes = f.no_writes;
  }
  return true;
}

}  // namespace kvstore::server
