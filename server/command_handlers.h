// Copyright (c) the kvstore developers.
//
// Internal: the handler functions the command table (commands.cc) points to,
// and helpers shared by the files that implement them. String and keyspace
// commands live in commands.cc, connection and server administration
// (AUTH, HELLO, CLIENT, CONFIG, INFO, COMMAND, SAVE, SHUTDOWN...) in
// admin_commands.cc.

#ifndef KVSTORE_SERVER_COMMAND_HANDLERS_H_
#define KVSTORE_SERVER_COMMAND_HANDLERS_H_

#include <string>
#include <string_view>

#include "commands.h"

namespace kvstore::server {

// Replies "ERR wrong number of arguments for '<name>' command".
void ReplyArity(CommandContext& ctx, std::string_view name);
// Replies "-ERR <store error message>" if r failed; returns whether it did.
bool ReplyStoreError(CommandContext& ctx, const Error& e);

// admin_commands.cc
void AuthCommand(CommandContext& ctx);
void HelloCommand(CommandContext& ctx);
void ClientCommand(CommandContext& ctx);
void ConfigCommand(CommandContext& ctx);
void InfoCommand(CommandContext& ctx);
void CommandCommand(CommandContext& ctx);
void SaveCommand(CommandContext& ctx);
void BgsaveCommand(CommandContext& ctx);
void LastsaveCommand(CommandContext& ctx);
void ShutdownCommand(CommandContext& ctx);
void SelectCommand(CommandContext& ctx);
void TimeCommand(CommandContext& ctx);
void QuitCommand(CommandContext& ctx);
void DbsizeCommand(CommandContext& ctx);
void FlushCommand(CommandContext& ctx);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_COMMAND_HANDLERS_H_
