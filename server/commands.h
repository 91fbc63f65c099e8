// Copyright (c) the kvstore developers.
//
// The command table and the command implementations. The table is data (name,
// arity, flags, group, summary, handler), in the spirit of Redis's
// commands.def; Dispatch() looks a name up in a small flat hash built once at
// start, checks arity and authentication like Redis 7's processCommand, runs
// the handler and counts the call for INFO commandstats.

#ifndef KVSTORE_SERVER_COMMANDS_H_
#define KVSTORE_SERVER_COMMANDS_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "reply.h"
#include "server_state.h"

namespace kvstore::server {

struct CommandContext {
  ServerState& server;
  ClientInfo& client;
  std::span<const std::string_view> argv;  // argv[0] is the command name
  ReplyWriter& reply;
  ThreadStats& stats;
};

using CommandHandler = void (*)(CommandContext&);

enum CommandFlags : uint32_t {
  kWrite = 1 << 0,
  kReadOnly = 1 << 1,
  kFast = 1 << 2,
  kNoAuth = 1 << 3,  // allowed before AUTH (AUTH, HELLO, QUIT)
  kAdmin = 1 << 4,
};

struct CommandSpec {
  const char* name;  // lower case, as Redis reports it
  int arity;         // > 0: exactly; < 0: at least -arity (name included)
  uint32_t flags;
  int first_key, last_key, key_step;  // as in COMMAND INFO
  const char* group;
  const char* summary;
  CommandHandler handler;
};

// The whole table, in COMMAND order.
std::span<const CommandSpec> Commands();

// The entry for `name` (any case), or nullptr.
const CommandSpec* LookupCommand(std::string_view name);

// Runs one parsed command (ctx.argv non-empty), writing exactly one reply
// (none for a successful SHUTDOWN, which closes the connection).
void Dispatch(CommandContext& ctx);

// Pipelined writes: a run of plain "SET key value" commands that arrived in
// one read can be executed as one KvStore::update(), which logs them as one
// WAL record: one write (and with --sync always one fdatasync) for the run
// instead of one per command. Replies and statistics are as if each SET had
// run alone; other clients see the run applied at once, which is a valid
// order because no reply was sent before all of it was applied.
struct SetBatch {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;  // reused
  std::size_t bytes = 0;
};

// Whether argv is a SET with no options that may join a batch (the client
// may run commands, and the key is within the store's limit).
bool IsBatchableSet(const ClientInfo& client, const ServerState& server,
                    std::span<const std::string_view> argv);

// Runs and clears the batch, writing one reply per SET.
void RunSetBatch(SetBatch& batch, ServerState& server, ClientInfo& client, ReplyWriter& reply,
                 ThreadStats& stats);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_COMMANDS_H_
