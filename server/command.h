// Copyright (c) the kvstore developers.
//
// What a command is: one CommandSpec in a table (name, arity, flags, key
// positions, handler, and for a container such as CONFIG its own table of
// subcommands), and the CommandContext a handler runs with. The tables live
// in command_table.cc (Redis's commands.def is the model); the handlers in
// the cmd_*.cc files grouped by what they touch; dispatcher.h runs them.

#ifndef KVSTORE_SERVER_COMMAND_H_
#define KVSTORE_SERVER_COMMAND_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "durability.h"
#include "reply.h"
#include "server_state.h"

namespace kvstore::server {

struct CommandContext {
  ServerState& server;
  ClientInfo& client;
  std::span<const std::string_view> argv;  // argv[0] is the command name
  ReplyWriter& reply;
  ThreadStats& stats;
  DurabilityBarrier& durability;  // every write's sequence is recorded here
  // Inside EXEC: the transaction the queued commands run in; the keyspace
  // layer (keyspace.h) sends their reads and writes to it.
  Transaction* tx = nullptr;
  // Called over and over while a script this command runs is long past
  // busy-reply-threshold: serves the I/O loop's other connections (BUSY,
  // SCRIPT KILL...), as Redis does while a script blocks it. May be empty.
  const std::function<void()>* while_busy = nullptr;
  // The command reads or changes string values (GET, INCR, APPEND...): a
  // key holding another type answers WRONGTYPE in the keyspace layer. Set by
  // the dispatcher from the command's group ("string", "bitmap"), except for
  // the commands that overwrite any type or read it as absent (SET, MSET,
  // MGET...).
  bool string_values = false;
  // The command being run (set by the dispatcher): its keyspace
  // notification (notify.h) comes from its table entry.
  const struct CommandSpec* spec = nullptr;
};

using CommandHandler = void (*)(CommandContext&);

// Redis 7's command flags (COMMAND INFO reports them by these names, in this
// order), then kvstore's own, which COMMAND INFO does not report. kNoAuth,
// kNoMulti and the internal flags change what dispatch does; the others
// describe the command to clients, as Redis's do.
enum CommandFlags : uint32_t {
  kWrite = 1 << 0,
  kReadOnly = 1 << 1,
  kDenyOom = 1 << 2,
  kAdmin = 1 << 3,
  kNoScript = 1 << 4,
  kLoading = 1 << 5,
  kStale = 1 << 6,
  kFast = 1 << 7,
  kNoAuth = 1 << 8,  // allowed before AUTH (AUTH, HELLO, QUIT)
  kNoAsyncLoading = 1 << 9,
  kNoMulti = 1 << 10,
  kAllowBusy = 1 << 11,
  kSkipSlowlog = 1 << 12,
  kSkipMonitor = 1 << 13,
  kNoMandatoryKeys = 1 << 14,
  // The keys are named by a count at argv[2] and follow it (EVAL, FCALL),
  // which first/last/step cannot say: KeysOf reads the count.
  kMovableKeys = 1 << 15,
  kPubsub = 1 << 18,  // listed by COMMAND INFO after admin
  kBlocking = 1 << 19,  // may block the client (BLPOP...); listed after noscript
  // Internal: reads or writes the keyspace as a whole (KEYS, SCAN, DBSIZE,
  // FLUSHALL...), so EXEC runs a transaction holding it with update_all().
  kWholeKeyspace = 1 << 16,
  // Internal: runs at once inside MULTI instead of being queued (EXEC,
  // DISCARD, MULTI, WATCH, QUIT).
  kNotQueued = 1 << 17,
  // Internal, with kMovableKeys: the count of keys is argv[1], not argv[2]
  // (SINTERCARD, ZINTERCARD, ZUNION, LMPOP...), where EVAL and BLMPOP have
  // it at argv[2].
  kKeyCountAt1 = 1 << 20,
  // Internal, with kMovableKeys: the movable key is the argument of the last
  // STORE option, options being skipped as Redis's sortGetKeys does (SORT).
  kStoreOptionKey = 1 << 21,
};

struct CommandSpec {
  const char* name;  // lower case, as Redis reports it ("get" for CONFIG GET)
  int arity;         // > 0: exactly; < 0: at least -arity (name(s) included)
  uint32_t flags;
  int first_key, last_key, key_step;  // as in COMMAND INFO; last_key -1: the last argument
  const char* group;
  const char* usage;    // arguments as HELP shows them ("GET <pattern>"), subcommands only
  const char* summary;  // COMMAND DOCS; the HELP line of a subcommand
  CommandHandler handler;  // a container's handler runs when no subcommand is given
  std::span<const CommandSpec> subcommands;
};

// The top-level table, in COMMAND order.
std::span<const CommandSpec> Commands();

// The entry for `name` (any case), or nullptr.
const CommandSpec* LookupCommand(std::string_view name);
// The subcommand `name` (any case) of `container`, or nullptr.
const CommandSpec* LookupSubcommand(const CommandSpec& container, std::string_view name);
// "config|get" or "get" (any case), as COMMAND INFO accepts; nullptr if none.
const CommandSpec* LookupByFullName(std::string_view full_name);
// The container of a subcommand entry, or nullptr for a top-level entry.
const CommandSpec* ContainerOf(const CommandSpec& spec);
// "config|get" for a subcommand, "get" for a top-level command.
std::string FullName(const CommandSpec& spec);
// Statistics (INFO commandstats, CLIENT LIST's cmd, /metrics) have one slot
// per command and per subcommand, as Redis 7 counts "config|get" apart from
// "config|set": the top-level commands in table order, each followed by its
// subcommands. `cmd` is `top` or one of its subcommands.
std::size_t StatSlot(const CommandSpec& top, const CommandSpec& cmd);
std::size_t StatSlotCount();
const CommandSpec& StatSlotSpec(std::size_t slot);

// The key arguments of argv (a whole command line of `spec`, arity checked),
// from the spec's key positions. With kMovableKeys: the keys first_key to
// last_key if first_key is not 0 (ZUNIONSTORE's destination), then those the
// count at argv[2] (argv[1] with kKeyCountAt1) names right after it.
std::vector<std::string_view> KeysOf(const CommandSpec& spec,
                                     std::span<const std::string_view> argv);

// Error replies with Redis 7's texts.
// "ERR wrong number of arguments for '<full name>' command".
void ReplyArity(CommandContext& ctx, const CommandSpec& spec);
// "ERR unknown subcommand '<arg>'. Try <CONTAINER> HELP."
void ReplyUnknownSubcommand(CommandContext& ctx, const CommandSpec& container);
// "ERR invalid expire time in '<full name>' command" (kInvalid) or the
// not-an-integer error (kNotInteger), for a time argument of the running
// command (expire_args.h).
void ReplyExpireTimeError(CommandContext& ctx, bool not_integer);
// "ERR <store error message>".
void ReplyStoreError(CommandContext& ctx, const Error& e);
// A container's HELP reply, made from its subcommand table.
void ReplyHelp(CommandContext& ctx, const CommandSpec& container);

// The Redis version this server answers as (INFO, HELLO).
constexpr char kRedisVersion[] = "7.0.15";

constexpr char kSyntaxError[] = "ERR syntax error";
constexpr char kNotIntegerError[] = "ERR value is not an integer or out of range";

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_COMMAND_H_
