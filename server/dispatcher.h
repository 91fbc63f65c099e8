// Copyright (c) the kvstore developers.
//
// Dispatcher: from bytes to replies, for one I/O loop. ProcessInput() parses
// a connection's input, batches runs of pipelined plain SETs (connection.h)
// and hands every other command to Execute(): table lookup (command and
// subcommand), Redis 7's checks in Redis's order (unknown command or
// subcommand, arity, authentication), the handler, and the statistics for
// INFO commandstats. Writes are recorded in the loop's DurabilityBarrier;
// the dispatcher never waits for durability and never sends: the loop does
// both, once per batch. Tests drive Execute() directly, without a socket.

#ifndef KVSTORE_SERVER_DISPATCHER_H_
#define KVSTORE_SERVER_DISPATCHER_H_

#include <functional>
#include <span>
#include <string_view>

#include "command.h"
#include "connection.h"

namespace kvstore::server {

// Runs cmd's handler (top is cmd itself or its container) and counts it in
// INFO commandstats; EXEC runs its queued commands through here too.
void RunCommand(CommandContext& ctx, const CommandSpec& top, const CommandSpec& cmd);
// Whether argc arguments (the name included) fit the command's arity.
bool ArityOk(const CommandSpec& c, std::size_t argc);
// Before a command that is not flagged allow-busy: while a script runs, waits
// for it to end, up to busy-reply-threshold ms of its run time (its locks
// would make the command wait anyway); past that, replies BUSY, as Redis
// does, and returns false.
bool WaitForScript(ServerState& server, ReplyWriter& reply);
// Whether a command may run while a script is busy: flagged allow-busy and
// naming no key (a keyed one, WATCH, would wait for the script's locks).
bool AllowedWhileBusy(const CommandSpec& top, const CommandSpec& cmd);
// Adds a command that took `micros` to the SLOWLOG.
void LogSlow(ServerState& server, const ClientInfo& client, std::span<const std::string_view> argv,
             int64_t micros);

// MULTI (cmd_multi.cc): queues ctx.argv for EXEC and replies QUEUED, or
// refuses it past multi-max-queued-bytes.
void QueueCommand(CommandContext& ctx);
// Marks the client's transaction failed (EXEC answers EXECABORT) and drops
// what it queued.
void FailQueuedTransaction(ClientInfo& client);

class Dispatcher {
 public:
  Dispatcher(ServerState& server, ThreadStats& stats, DurabilityBarrier& durability)
      : server_(server), stats_(stats), durability_(durability) {}
  // What a command that runs a script calls while the script is past
  // busy-reply-threshold (its client is `running`): the I/O loop serves its
  // other connections. Unset in tests without a loop.
  void set_while_busy(std::function<void(const ClientInfo* running)> fn) {
    while_busy_ = std::move(fn);
  }

  // Runs one command (argv non-empty), writing exactly one reply (none for
  // a successful SHUTDOWN, which closes the connection).
  void Execute(ClientInfo& client, std::span<const std::string_view> argv, ReplyWriter& reply);

  // Parses and runs every complete command in c's input, appending the
  // replies to c.out, and drops the consumed input. After a protocol error
  // or QUIT, c.info.close_after_reply is set and the rest is discarded.
  void ProcessInput(Connection& c);

 private:
  // Whether argv is a SET with no options that may join a batch (the client
  // may run commands, and the key is within the store's limit).
  bool IsBatchableSet(const ClientInfo& client, std::span<const std::string_view> argv) const;
  // Adds a command to the SLOWLOG.
  // Runs and clears the batch, writing one reply per SET.
  void RunSetBatch(Connection& c, ReplyWriter& reply);

  ServerState& server_;
  ThreadStats& stats_;
  DurabilityBarrier& durability_;
  std::function<void(const ClientInfo*)> while_busy_;
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_DISPATCHER_H_
