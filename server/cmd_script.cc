// Copyright (c) the kvstore developers.
//
// Scripting commands (Redis's eval.c and function.c): EVAL, EVALSHA,
// EVAL_RO, EVALSHA_RO, SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP, FCALL, FCALL_RO
// and FUNCTION's subcommands. The interpreter is lua_engine.h. A change to
// the function libraries is durable in the data directory's function file
// (function_file.h) before it is answered; the script cache is not kept
// across restarts, as in Redis 7.
//
// A script runs inside ONE library transaction over the whole keyspace
// (KvStore::update_all), the mechanism EXEC uses: every command it calls
// through redis.call()/redis.pcall() runs its ordinary handler from the
// command table with the transaction set (keyspace.h routes the reads and
// writes), so no other client sees part of a script's effects, and all of
// them are one WAL record: all or none after a crash. Inside MULTI, a queued
// EVAL runs in EXEC's transaction (the EVAL family is flagged
// kWholeKeyspace, so EXEC holds the whole keyspace for it).
//
// From a script, a command is refused as Redis refuses it: unknown, wrong
// arity, flagged noscript, or a write in a read-only script. Commands that
// neither read nor write keys are refused too, apart from PING, ECHO and
// TIME: their handlers may take the store's locks, which the script holds.

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "command_handlers.h"
#include "common/glob.h"
#include "dispatcher.h"
#include "function_file.h"
#include "lua_engine.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr char kNoScriptError[] = "NOSCRIPT No matching script. Please use EVAL.";

std::string ErrorReply(std::string_view text) {
  std::string out;
  ReplyWriter w(&out);
  w.Error(text);
  return out;
}

bool AllowedWithoutKeys(const CommandSpec& top) {
  const std::string_view name = top.name;
  return name == "ping" || name == "echo" || name == "time";
}

// Whether every key the command names is one of `declared` (sorted).
bool KeysDeclared(const CommandSpec& cmd, uint32_t flags, std::span<const std::string_view> argv,
                  const std::vector<std::string_view>& declared) {
  if ((flags & kWholeKeyspace) != 0) return false;
  for (const std::string_view k : KeysOf(cmd, argv)) {
    if (!std::binary_search(declared.begin(), declared.end(), k)) return false;
  }
  return true;
}

// Runs one command a script called, inside the script's transaction; the
// reply is framed in `protocol` (the script's redis.setresp). With
// `declared` (sorted), the transaction holds only those keys: a command that
// needs another key, or the whole keyspace, stops the script instead
// (*needs_all set; see RunInTransaction).
std::string CallFromScript(CommandContext& ctx, Transaction& tx, bool read_only,
                           std::span<const std::string_view> argv, int protocol,
                           const std::vector<std::string_view>* declared, bool* needs_all) {
  const CommandSpec* top = LookupCommand(argv[0]);
  if (top == nullptr) return ErrorReply("ERR Unknown Redis command called from script");
  const CommandSpec* cmd = top;
  if (!top->subcommands.empty() && argv.size() >= 2) {
    cmd = LookupSubcommand(*top, argv[1]);
    if (cmd == nullptr) return ErrorReply("ERR Unknown Redis command called from script");
  }
  if (!ArityOk(*top, argv.size()) || !ArityOk(*cmd, argv.size())) {
    return ErrorReply("ERR Wrong number of args calling Redis command from script");
  }
  const uint32_t flags = top->flags | cmd->flags;
  if ((flags & kNoScript) != 0)
    return ErrorReply("ERR This Redis command is not allowed from script");
  if (read_only && (flags & kWrite) != 0) {
    return ErrorReply("ERR Write commands are not allowed from read-only scripts.");
  }
  if ((flags & (kWrite | kReadOnly | kWholeKeyspace)) == 0 && !AllowedWithoutKeys(*top)) {
    return ErrorReply("ERR This Redis command is not allowed from script");
  }
  if (declared != nullptr && !KeysDeclared(*cmd, flags, argv, *declared)) {
    *needs_all = true;
    ctx.server.lua.AbortRun();
    return ErrorReply("ERR script stopped to run again on the whole keyspace");
  }
  if ((flags & kWrite) != 0) ctx.server.lua.NoteWrite();  // no longer killable
  std::string reply;
  ReplyWriter out(&reply, protocol);
  CommandContext sub{ctx.server, ctx.client, argv, out, ctx.stats, ctx.durability, &tx};
  RunCommand(sub, *top, *cmd);
  return reply;
}

// EVAL-like argument checks: numkeys, then the keys and the arguments.
bool SplitKeysAndArgs(CommandContext& ctx, std::span<const std::string_view>* keys,
               std::span<const std::string_view>* args) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.argv[2], &numkeys)) {
    // EVAL's text, or FCALL's.
    ctx.reply.Error(EqualsIgnoreCase(ctx.argv[0].substr(0, 5), "fcall")
                        ? "ERR Bad number of keys provided"
                        : kNotIntegerError);
    return false;
  }
  const auto rest = ctx.argv.subspan(3);
  if (numkeys < 0) {
    ctx.reply.Error("ERR Number of keys can't be negative");
    return false;
  }
  if (static_cast<uint64_t>(numkeys) > rest.size()) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  *keys = rest.first(static_cast<std::size_t>(numkeys));
  *args = rest.subspan(static_cast<std::size_t>(numkeys));
  return true;
}

// A key that is not in `declared` (sorted).
std::string UndeclaredKey(const std::vector<std::string_view>& declared) {
  std::string key = "\xff";
  while (std::binary_search(declared.begin(), declared.end(), key)) key += '\xff';
  return key;
}

// Runs a script or function through `run` (LuaEngine::Run or RunFunction)
// inside one transaction; false if `run` found nothing to run (nothing
// replied).
template <class RunFn>
bool RunInTransaction(CommandContext& ctx, bool read_only, RunFn&& run) {
  std::span<const std::string_view> keys, args;
  if (!SplitKeysAndArgs(ctx, &keys, &args)) return true;
  bool found = true;
  // The script's reply waits until its writes are logged.
  std::string reply;
  // Error replies the script returns count in INFO errorstats, as Redis's do.
  ReplyWriter out(&reply, ctx.reply.protocol(), &ctx.stats.errors);
  // Past busy-reply-threshold, the I/O loop serves its other clients from
  // the script's hook (they get BUSY; SCRIPT KILL can stop the script).
  const std::function<void()> while_busy = [&] {
    if (ctx.while_busy != nullptr &&
        ctx.server.lua.RunningForMs() >=
            ctx.server.busy_reply_threshold.load(std::memory_order_relaxed)) {
      (*ctx.while_busy)();
    }
  };
  // A script first runs holding only the shards of the keys it declares
  // (Redis's contract: a script names its keys), so it waits for no writer
  // of other keys and takes two locks, not every shard's. If it calls a
  // command on another key, or on the whole keyspace, that run is stopped at
  // once, writes nothing (the transaction fails on an undeclared key), and
  // the script runs again from the start under update_all(): still atomic,
  // and correct for scripts that do not keep the contract.
  std::vector<std::string_view> declared(keys.begin(), keys.end());
  std::sort(declared.begin(), declared.end());
  bool needs_all = false;
  auto body = [&](Transaction& tx, bool whole) {
    auto call = [&](std::span<const std::string_view> argv, int protocol) {
      return CallFromScript(ctx, tx, read_only, argv, protocol, whole ? nullptr : &declared,
                            &needs_all);
    };
    found = run(keys, args, call, out, &while_busy);
    if (needs_all) (void)tx.get(UndeclaredKey(declared));  // fails the transaction
  };
  if (ctx.tx != nullptr) {  // queued in MULTI: EXEC's transaction holds everything
    body(*ctx.tx, true);
  } else {
    Result<void> r = ctx.server.store->update(
        declared, [&](Transaction& tx) { body(tx, false); }, ctx.durability.Deferred());
    if (!r && r.error().code() == ErrorCode::kInvalidArgument) {
      // A key it did not declare (or an oversized value, which fails again
      // below and is reported): run it again holding everything.
      reply.clear();
      needs_all = false;
      found = true;
      r = ctx.server.store->update_all([&](Transaction& tx) { body(tx, true); },
                                       ctx.durability.Deferred());
    }
    ctx.durability.Record();
    // The store refused the script's writes (a full disk): none applied, and
    // the client learns that instead of the script's result.
    if (!r) {
      ReplyStoreError(ctx, r.error());
      return true;
    }
  }
  if (found) ctx.reply.Raw(reply);
  return found;
}

bool RunScript(CommandContext& ctx, const std::string& sha, bool read_only) {
  return RunInTransaction(ctx, read_only,
                          [&](auto keys, auto args, const auto& call, auto& out, auto busy) {
                            return ctx.server.lua.Run(sha, keys, args, call, out, busy);
                          });
}

// A script's "#!lua flags=..." first line (Redis 7): false with Redis's
// error if it is malformed; *no_writes: the no-writes flag. A script
// without one is accepted (no flags).
bool ParseShebang(std::string_view body, bool* no_writes, std::string* error) {
  *no_writes = false;
  if (!body.starts_with("#!")) return true;
  std::string buf;
  std::vector<std::string_view> parts;
  if (!SplitArgs(body.substr(0, body.find('\n')), &buf, &parts) || parts.empty()) {
    *error = "ERR Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    *error = "ERR Unexpected engine in script shebang: " + std::string(parts[0]);
    return false;
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (!parts[i].starts_with("flags=")) {
      *error = "ERR Unknown lua shebang option: " + std::string(parts[i]);
      return false;
    }
    // Split on commas as Redis does: "flags=" names none, and an empty name
    // between commas is an unknown flag.
    const std::string_view flags = parts[i].substr(6);
    for (std::size_t from = 0; !flags.empty() && from <= flags.size();) {
      const std::size_t comma = std::min(flags.find(',', from), flags.size());
      const std::string_view f = flags.substr(from, comma - from);
      if (f == "no-writes") {
        *no_writes = true;
      } else if (f != "allow-oom" && f != "allow-stale" && f != "no-cluster" &&
                 f != "allow-cross-slot-keys") {
        *error = "ERR Unexpected flag in script shebang: " + std::string(f);
        return false;
      }
      from = comma + 1;
    }
  }
  return true;
}

void EvalGeneric(CommandContext& ctx, bool read_only) {
  std::string sha, error;
  bool no_writes = false;
  if (!ParseShebang(ctx.argv[1], &no_writes, &error)) return ctx.reply.Error(error);
  if (read_only && ctx.argv[1].starts_with("#!") && !no_writes) {
    return ctx.reply.Error("ERR Can not execute a script with write flag using *_ro command.");
  }
  read_only = read_only || no_writes;
  if (!ctx.server.lua.Load(ctx.argv[1], &sha, &error)) return ctx.reply.Error(error);
  // A SCRIPT FLUSH between the load and the run: load again.
  for (int attempt = 0; !RunScript(ctx, sha, read_only); ++attempt) {
    if (attempt == 3 || !ctx.server.lua.Load(ctx.argv[1], &sha, &error)) {
      return ctx.reply.Error(error.empty() ? "ERR script flushed while it was starting" : error);
    }
  }
}

void EvalshaGeneric(CommandContext& ctx, bool read_only) {
  const std::string sha = AsciiLower(ctx.argv[1]);
  bool no_writes = false, has_shebang = false;
  if (sha.size() != 40 || !ctx.server.lua.Exists(sha, &no_writes, &has_shebang)) {
    return ctx.reply.Error(kNoScriptError);
  }
  if (read_only && has_shebang && !no_writes) {
    return ctx.reply.Error("ERR Can not execute a script with write flag using *_ro command.");
  }
  read_only = read_only || no_writes;
  if (!RunScript(ctx, sha, read_only)) ctx.reply.Error(kNoScriptError);
}

}  // namespace

void EvalCommand(CommandContext& ctx) { EvalGeneric(ctx, false); }
void EvalRoCommand(CommandContext& ctx) { EvalGeneric(ctx, true); }
void EvalshaCommand(CommandContext& ctx) { EvalshaGeneric(ctx, false); }
void EvalshaRoCommand(CommandContext& ctx) { EvalshaGeneric(ctx, true); }

void ScriptLoadCommand(CommandContext& ctx) {
  std::string sha, error;
  bool no_writes = false;
  if (!ParseShebang(ctx.argv[2], &no_writes, &error)) return ctx.reply.Error(error);
  if (!ctx.server.lua.Load(ctx.argv[2], &sha, &error)) return ctx.reply.Error(error);
  ctx.reply.Bulk(sha);
}

void ScriptExistsCommand(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argv.size() - 2);
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    ctx.reply.Integer(ctx.server.lua.Exists(ctx.argv[i]) ? 1 : 0);
  }
}

void ScriptFlushCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    return ctx.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'flush'. Try SCRIPT HELP.");
  }
  if (ctx.argv.size() == 3 && !EqualsIgnoreCase(ctx.argv[2], "sync") &&
      !EqualsIgnoreCase(ctx.argv[2], "async")) {
    return ctx.reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  ctx.server.lua.Flush();
  ctx.reply.Ok();
}

namespace {

// SCRIPT KILL (function false) and FUNCTION KILL (true).
void KillGeneric(CommandContext& ctx, bool function) {
  switch (ctx.server.lua.Kill(function)) {
    case LuaEngine::KillResult::kNotBusy:
      return ctx.reply.Error("NOTBUSY No scripts in execution right now.");
    case LuaEngine::KillResult::kOtherKind:
      return ctx.reply.Error(function ? "BUSY Redis is busy running a script. You can only call "
                                        "SCRIPT KILL or SHUTDOWN NOSAVE."
                                      : "BUSY Redis is busy running a script. You can only call "
                                        "FUNCTION KILL or SHUTDOWN NOSAVE.");
    case LuaEngine::KillResult::kUnkillable:
      return ctx.reply.Error(
          "UNKILLABLE Sorry the script already executed write commands against the dataset. You "
          "can either wait the script termination or kill the server in a hard way using the "
          "SHUTDOWN NOSAVE command.");
    case LuaEngine::KillResult::kKilled:
      return ctx.reply.Ok();
  }
}

}  // namespace

void ScriptKillCommand(CommandContext& ctx) { KillGeneric(ctx, false); }

void ScriptHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("script")); }

// ---- functions ----

namespace {

void FcallGeneric(CommandContext& ctx, bool ro_command) {
  bool no_writes = false;
  const std::string name(ctx.argv[1]);
  if (!ctx.server.lua.FindFunction(name, &no_writes)) {
    return ctx.reply.Error("ERR Function not found");
  }
  if (ro_command && !no_writes) {
    return ctx.reply.Error("ERR Can not execute a script with write flag using *_ro command.");
  }
  const bool found = RunInTransaction(
      ctx, no_writes, [&](auto keys, auto args, const auto& call, auto& out, auto busy) {
        return ctx.server.lua.RunFunction(name, keys, args, call, out, ctx.argv, busy);
      });
  if (!found) ctx.reply.Error("ERR Function not found");  // deleted meanwhile
}

}  // namespace

void FcallCommand(CommandContext& ctx) { FcallGeneric(ctx, false); }
void FcallRoCommand(CommandContext& ctx) { FcallGeneric(ctx, true); }

namespace {

std::vector<std::string> Codes(const std::vector<LuaEngine::Library>& libs) {
  std::vector<std::string> codes;
  codes.reserve(libs.size());
  for (const auto& lib : libs) codes.push_back(lib.code);
  return codes;
}

// Makes the engine hold exactly the libraries `codes` (which loaded before).
void ReloadLibraries(LuaEngine& lua, const std::vector<std::string>& codes) {
  lua.FlushLibraries();
  std::string name, ignored;
  for (const auto& code : codes) (void)lua.LoadLibrary(code, false, &name, &ignored);
}

// Runs change, which alters the function libraries and returns "" or the
// error to answer (having left them as they were). A change is then made
// durable in the data directory's function file (function_file.h) before
// true is returned and the caller answers; if that fails, the libraries are
// put back and the client gets the error. One mutex orders the changes, so
// the file always holds the latest state.
bool CommitLibraries(CommandContext& ctx, const std::function<std::string()>& change) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  LuaEngine& lua = ctx.server.lua;
  const std::vector<std::string> before = Codes(lua.Libraries());
  if (std::string error = change(); !error.empty()) {
    ctx.reply.Error(error);
    return false;
  }
  const std::vector<std::string> after = Codes(lua.Libraries());
  if (after == before) return true;
  if (auto saved = SaveFunctionFile(ctx.server.config.dir, after); !saved) {
    ReloadLibraries(lua, before);
    ctx.reply.Error("ERR the function libraries could not be saved, nothing changed: " +
                    saved.error().message());
    return false;
  }
  return true;
}

}  // namespace

void FunctionLoadCommand(CommandContext& ctx) {
  bool replace = false;
  const std::size_t code = ctx.argv.size() - 1;
  for (std::size_t i = 2; i < code; ++i) {
    if (!EqualsIgnoreCase(ctx.argv[i], "replace")) {
      return ctx.reply.Error("ERR Unknown option given: " + std::string(ctx.argv[i]));
    }
    replace = true;
  }
  std::string name;
  if (CommitLibraries(ctx, [&] {
        std::string error;
        (void)ctx.server.lua.LoadLibrary(ctx.argv[code], replace, &name, &error);
        return error;
      })) {
    ctx.reply.Bulk(name);
  }
}

void FunctionDeleteCommand(CommandContext& ctx) {
  if (CommitLibraries(ctx, [&] {
        return ctx.server.lua.DeleteLibrary(ctx.argv[2]) ? std::string()
                                                         : std::string("ERR Library not found");
      })) {
    ctx.reply.Ok();
  }
}

void FunctionFlushCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    return ctx.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
  }
  if (ctx.argv.size() == 3 && !EqualsIgnoreCase(ctx.argv[2], "sync") &&
      !EqualsIgnoreCase(ctx.argv[2], "async")) {
    return ctx.reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  if (CommitLibraries(ctx, [&] {
        ctx.server.lua.FlushLibraries();
        return std::string();
      })) {
    ctx.reply.Ok();
  }
}

void FunctionListCommand(CommandContext& ctx) {
  bool with_code = false;
  std::string pattern;
  bool has_pattern = false;
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    if (EqualsIgnoreCase(ctx.argv[i], "withcode") && !with_code) {
      with_code = true;
    } else if (EqualsIgnoreCase(ctx.argv[i], "libraryname") && !has_pattern) {
      if (i + 1 >= ctx.argv.size()) {
        return ctx.reply.Error("ERR library name argument was not given");
      }
      pattern = std::string(ctx.argv[++i]);
      has_pattern = true;
    } else {
      return ctx.reply.Error("ERR Unknown argument " + std::string(ctx.argv[i]));
    }
  }
  std::vector<LuaEngine::Library> libs = ctx.server.lua.Libraries();
  std::erase_if(libs, [&](const LuaEngine::Library& l) {
    return has_pattern && !kvstore::common::GlobMatch(pattern, l.name);
  });
  ctx.reply.ArrayHeader(libs.size());
  for (const auto& lib : libs) {
    ctx.reply.MapHeader(with_code ? 4 : 3);
    ctx.reply.Bulk("library_name");
    ctx.reply.Bulk(lib.name);
    ctx.reply.Bulk("engine");
    ctx.reply.Bulk("LUA");
    ctx.reply.Bulk("functions");
    ctx.reply.ArrayHeader(lib.functions.size());
    for (const auto& f : lib.functions) {
      ctx.reply.MapHeader(3);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(f.name);
      ctx.reply.Bulk("description");
      if (f.description.empty()) {
        ctx.reply.Null();
      } else {
        ctx.reply.Bulk(f.description);
      }
      ctx.reply.Bulk("flags");
      ctx.reply.ArrayHeader(f.flags.size());
      for (const auto& flag : f.flags) ctx.reply.Bulk(flag);
    }
    if (with_code) {
      ctx.reply.Bulk("library_code");
      ctx.reply.Bulk(lib.code);
    }
  }
}

void FunctionStatsCommand(CommandContext& ctx) {
  // No engine lock: FUNCTION STATS may run from a busy script's hook.
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("running_script");
  std::string name;
  std::vector<std::string> command;
  int64_t ms = 0;
  if (ctx.server.lua.RunningFunctionInfo(&name, &command, &ms)) {
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("command");
    ctx.reply.ArrayHeader(command.size());
    for (const auto& a : command) ctx.reply.Bulk(a);
    ctx.reply.Bulk("duration_ms");
    ctx.reply.Integer(ms);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Bulk("engines");
  ctx.reply.MapHeader(1);
  ctx.reply.Bulk("LUA");
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("libraries_count");
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.lua.LibraryCount()));
  ctx.reply.Bulk("functions_count");
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.lua.FunctionCount()));
}

void FunctionKillCommand(CommandContext& ctx) { KillGeneric(ctx, true); }

// ---- FUNCTION DUMP / RESTORE ----
//
// The payload is kvstore's own (Redis's is RDB-encoded; clients treat it as
// opaque bytes), the encoding of the function file (function_file.h).

void FunctionDumpCommand(CommandContext& ctx) {
  ctx.reply.Bulk(EncodeLibraries(Codes(ctx.server.lua.Libraries())));
}

// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: all or nothing; on any
// error the libraries are as they were.
void FunctionRestoreCommand(CommandContext& ctx) {
  enum { kAppend, kReplace, kFlush } policy = kAppend;
  if (ctx.argv.size() > 4) {
    return ctx.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
  }
  if (ctx.argv.size() == 4) {
    if (EqualsIgnoreCase(ctx.argv[3], "append")) {
      policy = kAppend;
    } else if (EqualsIgnoreCase(ctx.argv[3], "replace")) {
      policy = kReplace;
    } else if (EqualsIgnoreCase(ctx.argv[3], "flush")) {
      policy = kFlush;
    } else {
      return ctx.reply.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, "
          "APPEND or REPLACE.");
    }
  }
  std::vector<std::string> codes;
  if (!DecodeLibraries(ctx.argv[2], &codes)) {
    return ctx.reply.Error("ERR payload version or checksum are wrong");
  }
  LuaEngine& lua = ctx.server.lua;
  if (CommitLibraries(ctx, [&] {
        const std::vector<std::string> before = Codes(lua.Libraries());
        if (policy == kFlush) lua.FlushLibraries();
        for (const auto& code : codes) {
          std::string name, error;
          if (!lua.LoadLibrary(code, policy == kReplace, &name, &error)) {
            ReloadLibraries(lua, before);
            // RESTORE names a library without quotes (FUNCTION LOAD quotes it).
            std::erase(error, '\'');
            return error;
          }
        }
        return std::string();
      })) {
    ctx.reply.Ok();
  }
}

void FunctionHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("function")); }

}  // namespace kvstore::server
