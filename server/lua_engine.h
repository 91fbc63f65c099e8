// Copyright (c) the kvstore developers.
//
// The Lua 5.1 interpreter that EVAL runs scripts in (Redis's eval.c and
// script_lua.c are the model): one sandboxed lua_State for the server, the
// `redis` library scripts call, the script cache (SHA1 of the body -> the
// compiled function), and the conversions between Lua values and RESP
// replies in both directions. The commands (EVAL, EVALSHA, SCRIPT ...) and
// how a script's redis.call() reaches the command table are in
// cmd_script.cc; this file knows nothing of the keyspace.
//
// The sandbox is Redis's: the base, table, string and math libraries plus
// cjson and bit (Debian's lua-cjson and lua-bitop), cmsgpack and struct
// (lua_cmsgpack.h, lua_struct.h: Debian has neither); no os, io, print,
// loadfile or dofile; globals can be neither created nor changed (the
// global table a script sees is a read-only proxy, and so are the
// libraries); a read of a global that does not exist is an error.

#ifndef KVSTORE_SERVER_LUA_ENGINE_H_
#define KVSTORE_SERVER_LUA_ENGINE_H_

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reply.h"

struct lua_State;

namespace kvstore::server {

// Lower-case hex SHA1 of data (redis.sha1hex, script names).
std::string Sha1Hex(std::string_view data);

class LuaEngine {
 public:
  LuaEngine();
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  // Runs one command a script called (argv[0] is its name) and returns its
  // reply framed in `protocol` (2, or 3 after redis.setresp(3)). Checks
  // that refuse the call (unknown command, write in a read-only script...)
  // are error replies too.
  using CallFn =
      std::function<std::string(std::span<const std::string_view> argv, int protocol)>;

  // Compiles body and caches it under its SHA1, which is returned in *sha.
  // False, with Redis's error text in *error, if it does not compile.
  bool Load(std::string_view body, std::string* sha, std::string* error);
  // Whether a script with this SHA1 (any case) is cached; with the other
  // arguments, also whether its body starts with a "#!" line and whether
  // that line has the no-writes flag.
  bool Exists(std::string_view sha, bool* no_writes = nullptr, bool* has_shebang = nullptr);
  // Drops every cached script and starts a fresh interpreter.
  void Flush();
  // Cached scripts and the bytes of their bodies (INFO memory).
  std::size_t Count();
  std::size_t BodyBytes();

  // Runs the cached script sha (lower case) with KEYS and ARGV, calling
  // commands through call, and writes its result to out as Redis does
  // (Lua -> RESP). The caller holds whatever makes the run atomic. False if
  // sha is not cached (nothing written).
  // while_busy (may be null) is called from the script's hook about every
  // millisecond of its run (see cmd_script.cc).
  bool Run(std::string_view sha, std::span<const std::string_view> keys,
           std::span<const std::string_view> args, const CallFn& call, ReplyWriter& out,
           const std::function<void()>* while_busy = nullptr);

  // The interpreter's memory in bytes (INFO used_memory_lua).
  std::size_t MemoryBytes();
  // lua-max-memory: what a running script or function may grow the
  // interpreter's memory to (bytes; 0: no limit). Past it the script's
  // allocation fails and it ends with an error reply ("not enough memory");
  // the server and the interpreter go on. Outside a script nothing is
  // refused, so the engine's own work never fails for memory.
  void set_memory_limit(std::size_t bytes) { limit_.store(bytes, std::memory_order_relaxed); }
  std::size_t memory_limit() const { return limit_.load(std::memory_order_relaxed); }

  // ---- functions (FUNCTION LOAD, FCALL) ----

  struct Function {
    std::string name;
    std::string description;
    std::vector<std::string> flags;  // as registered ("no-writes", ...)
    bool no_writes = false;
  };
  struct Library {
    std::string name;
    std::string code;  // as loaded, metadata line included
    std::vector<Function> functions;
  };

  // FUNCTION LOAD: runs the library's code, which registers its functions
  // with redis.register_function. Returns false with Redis's error text.
  bool LoadLibrary(std::string_view code, bool replace, std::string* name, std::string* error);
  // FUNCTION DELETE; false if there is no such library.
  bool DeleteLibrary(std::string_view name);
  // FUNCTION FLUSH.
  void FlushLibraries();
  // Every library, by name.
  std::vector<Library> Libraries();
  // Whether a function is registered; *no_writes: its no-writes flag.
  bool FindFunction(std::string_view name, bool* no_writes);
  // FCALL: runs the function with KEYS and ARGV as its two arguments, as
  // Run does a script. False if there is no such function. command: the
  // client's command line (FUNCTION STATS shows it).
  bool RunFunction(std::string_view name, std::span<const std::string_view> keys,
                   std::span<const std::string_view> args, const CallFn& call, ReplyWriter& out,
                   std::span<const std::string_view> command = {},
                   const std::function<void()>* while_busy = nullptr);
  // Libraries and functions loaded (FUNCTION STATS; no lock, so a running
  // script's own hook may ask).
  std::size_t LibraryCount() const { return library_count_.load(); }
  std::size_t FunctionCount() const { return function_count_.load(); }

  // ---- the running script (BUSY, SCRIPT KILL, FUNCTION KILL) ----
  // Callable from any thread while a script runs on another.

  // How long the running script or function has run (ms); -1 if none runs.
  int64_t RunningForMs() const;
  // Whether what runs is a function (FCALL) rather than a script (EVAL).
  bool RunningFunction() const { return run_is_function_.load(std::memory_order_acquire); }
  // FUNCTION STATS: the running function's name and command line.
  bool RunningFunctionInfo(std::string* name, std::vector<std::string>* command, int64_t* ms);
  // The running script called a write command: it can no longer be killed
  // (as in Redis; its writes would be discarded, but Redis's contract is
  // that such a script runs to its end).
  void NoteWrite() { wrote_.store(true, std::memory_order_release); }
  // Called from the running script's own CallFn: stops the script as SCRIPT
  // KILL does, at once and whatever pcall it is in (its caller discards the
  // run and starts it again; see cmd_script.cc).
  void AbortRun();
  enum class KillResult { kNotBusy, kKilled, kUnkillable, kOtherKind };
  // SCRIPT KILL (function false) or FUNCTION KILL (true): asks the running
  // script to stop at its next hook; kOtherKind if the other kind runs.
  KillResult Kill(bool function);

 private:
  void Open();
  void Close();
  // Runs the function under the handler at stack index 1, with nargs
  // arguments pushed after it; `label` names it in error replies.
  void Invoke(int nargs, std::string_view label, const CallFn& call, ReplyWriter& out,
              bool function, const std::function<void()>* while_busy);
  void CountLibraries();
  bool CompileLibrary(std::string_view code, const std::string& name, Library* lib,
                      std::string* error);

  // lua_Alloc: counts the interpreter's bytes and, while a script runs,
  // refuses growth past limit_.
  static void* Alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize);
  std::mutex mu_;  // one script at a time: a lua_State is single-threaded
  std::atomic<std::size_t> used_{0};   // bytes the interpreter holds
  std::atomic<std::size_t> limit_{std::size_t{256} << 20};  // lua-max-memory; 0: none
  bool enforce_ = false;               // a script runs (under mu_)
  lua_State* L_ = nullptr;
  struct ScriptInfo {
    bool has_shebang = false;
    bool no_writes = false;
  };
  std::map<std::string, ScriptInfo> scripts_;  // cached scripts by SHA1
  std::size_t body_bytes_ = 0;
  std::map<std::string, Library> libraries_;         // by name
  std::map<std::string, std::string> function_lib_;  // function -> library

  // The running script (read by other threads).
  std::atomic<bool> running_{false};
  std::atomic<bool> run_is_function_{false};
  std::atomic<int64_t> run_start_ms_{0};
  std::atomic<bool> kill_{false};
  std::atomic<bool> wrote_{false};
  std::atomic<int64_t> load_deadline_ms_{0};           // FUNCTION LOAD's time limit; 0: none
  const std::function<void()>* while_busy_ = nullptr;  // the running script's
  std::atomic<std::size_t> library_count_{0}, function_count_{0};
  std::mutex info_mu_;  // guards the two below
  std::string run_name_;
  std::vector<std::string> run_command_;

  friend struct HookAccess;
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_LUA_ENGINE_H_
