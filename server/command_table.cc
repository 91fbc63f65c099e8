// Copyright (c) the kvstore developers.
//
// The command tables: every command and subcommand the server knows, as
// data (name, arity, flags, key positions, group, usage, summary, handler),
// in the spirit of Redis's commands.def. Arities, flags and key positions
// are Redis 7.0's. Also the lookups over the tables and the error and HELP
// replies made from them.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "command_handlers.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr uint32_t kW = kWrite, kR = kReadOnly, kF = kFast, kOom = kDenyOom;
// Flags Redis gives most connection and server commands.
constexpr uint32_t kLS = kLoading | kStale;
constexpr uint32_t kAdminSub = kAdmin | kNoScript | kLoading | kStale;
constexpr uint32_t kClientSub = kNoScript | kLoading | kStale;
constexpr uint32_t kHandshake = kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy;
// EVAL and FCALL: keys named by numkeys; a script may touch others, so EXEC
// holds the whole keyspace for one.
constexpr uint32_t kScript =
    kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kMovableKeys | kWholeKeyspace;

// {name, arity, flags, first_key, last_key, key_step, group, usage, summary, handler, subs}
constexpr CommandSpec kClientSubcommands[] = {
    {"id", 2, kClientSub, 0, 0, 0, "connection", "ID",
     "Return the ID of the current connection.", ClientIdCommand, {}},
    {"getname", 2, kClientSub, 0, 0, 0, "connection", "GETNAME",
     "Return the name of the current connection.", ClientGetnameCommand, {}},
    {"setname", 3, kClientSub, 0, 0, 0, "connection", "SETNAME <name>",
     "Assign the name <name> to the current connection.", ClientSetnameCommand, {}},
    {"reply", 3, kClientSub, 0, 0, 0, "connection", "REPLY (ON|OFF|SKIP)",
     "Control the replies sent to the current connection.", ClientReplyCommand, {}},
    {"setinfo", 4, kClientSub, 0, 0, 0, "connection", "SETINFO <LIB-NAME|LIB-VER> <value>",
     "Accepted for client libraries; not kept.", ClientSetinfoCommand, {}},
    {"list", -2, kAdmin | kClientSub, 0, 0, 0, "connection", "LIST [TYPE normal|pubsub|master|replica]",
     "Return information about client connections.", ClientListCommand, {}},
    {"info", 2, kClientSub, 0, 0, 0, "connection", "INFO",
     "Return information about the current client connection.", ClientInfoCommand, {}},
    {"unblock", -3, kAdmin | kClientSub, 0, 0, 0, "connection", "UNBLOCK <clientid> [TIMEOUT|ERROR]",
     "Unblock the specified blocked client.", ClientUnblockCommand, {}},
    {"help", 2, kLS, 0, 0, 0, "connection", "HELP", "Print this help.", ClientHelpCommand, {}},
};

constexpr uint32_t kScriptSub = kNoScript;
constexpr CommandSpec kScriptSubcommands[] = {
    {"load", 3, kScriptSub | kLS, 0, 0, 0, "scripting", "LOAD <script>",
     "Load a script into the scripts cache without executing it.", ScriptLoadCommand, {}},
    {"exists", -3, kScriptSub | kLS, 0, 0, 0, "scripting", "EXISTS <sha1> [<sha1> ...]",
     "Return information about the existence of the scripts in the script cache.",
     ScriptExistsCommand, {}},
    {"flush", -2, kScriptSub, 0, 0, 0, "scripting", "FLUSH [ASYNC|SYNC]",
     "Flush the Lua scripts cache.", ScriptFlushCommand, {}},
    {"kill", 2, kScriptSub | kAllowBusy, 0, 0, 0, "scripting", "KILL",
     "Kill the currently executing Lua script.", ScriptKillCommand, {}},
    {"help", 2, kLS, 0, 0, 0, "scripting", "HELP", "Print this help.", ScriptHelpCommand, {}},
};

constexpr CommandSpec kFunctionSubcommands[] = {
    {"load", -3, kNoScript | kWrite | kDenyOom, 0, 0, 0, "scripting",
     "LOAD [REPLACE] <library code>", "Create a new library with the given library name and code.",
     FunctionLoadCommand, {}},
    {"delete", 3, kNoScript | kWrite, 0, 0, 0, "scripting", "DELETE <library name>",
     "Delete the given library.", FunctionDeleteCommand, {}},
    {"flush", -2, kNoScript | kWrite, 0, 0, 0, "scripting", "FLUSH [ASYNC|SYNC]",
     "Delete all the libraries.", FunctionFlushCommand, {}},
    {"list", -2, kNoScript, 0, 0, 0, "scripting", "LIST [WITHCODE] [LIBRARYNAME <pattern>]",
     "Return general information on all the libraries.", FunctionListCommand, {}},
    {"stats", 2, kNoScript | kAllowBusy, 0, 0, 0, "scripting", "STATS",
     "Return information about the current function running.", FunctionStatsCommand, {}},
    {"kill", 2, kNoScript | kAllowBusy, 0, 0, 0, "scripting", "KILL",
     "Kill the current running function.", FunctionKillCommand, {}},
    {"dump", 2, kNoScript, 0, 0, 0, "scripting", "DUMP",
     "Return a serialized payload representing the current libraries.", FunctionDumpCommand, {}},
    {"restore", -3, kNoScript | kWrite | kDenyOom, 0, 0, 0, "scripting",
     "RESTORE <serialized-value> [FLUSH|APPEND|REPLACE]",
     "Restore the libraries represented by the given payload.", FunctionRestoreCommand, {}},
    {"help", 2, kLS, 0, 0, 0, "scripting", "HELP", "Print this help.", FunctionHelpCommand, {}},
};

constexpr CommandSpec kConfigSubcommands[] = {
    {"get", -3, kAdminSub, 0, 0, 0, "server", "GET <pattern>",
     "Return parameters matching the glob-like <pattern> and their values.", ConfigGetCommand,
     {}},
    {"set", -4, kAdminSub, 0, 0, 0, "server", "SET <directive> <value> [<directive> <value> ...]",
     "Set the configuration <directive> to <value> (all or none).", ConfigSetCommand, {}},
    {"rewrite", 2, kAdminSub, 0, 0, 0, "server", "REWRITE",
     "Rewrite the configuration file with the values CONFIG SET changed.", ConfigRewriteCommand,
     {}},
    {"resetstat", 2, kAdminSub, 0, 0, 0, "server", "RESETSTAT",
     "Reset statistics reported by the INFO command.", ConfigResetstatCommand, {}},
    {"help", 2, kLS, 0, 0, 0, "server", "HELP", "Print this help.", ConfigHelpCommand, {}},
};

constexpr CommandSpec kCommandSubcommands[] = {
    {"count", 2, kLS, 0, 0, 0, "server", "COUNT",
     "Return the total number of commands in this server.", CommandCountCommand, {}},
    {"list", -2, kLS, 0, 0, 0, "server", "LIST", "Return a list of all commands in this server.",
     CommandListCommand, {}},
    {"info", -2, kLS, 0, 0, 0, "server", "INFO [<command-name> ...]",
     "Return details about the named commands, or about all of them.", CommandInfoCommand, {}},
    {"docs", -2, kLS, 0, 0, 0, "server", "DOCS [<command-name> ...]",
     "Return documentation details about the named commands, or about all of them.",
     CommandDocsCommand, {}},
    {"getkeys", -4, kLS, 0, 0, 0, "server", "GETKEYS <full-command>",
     "Return the keys from a full command.", CommandGetkeysCommand, {}},
    {"help", 2, kLS, 0, 0, 0, "server", "HELP", "Print this help.", CommandHelpCommand, {}},
};

constexpr CommandSpec kObjectSubcommands[] = {
    {"encoding", 3, kR, 2, 2, 1, "generic", "ENCODING <key>",
     "Return the kind of internal representation Redis would use for the value of <key>.",
     ObjectEncodingCommand, {}},
    {"freq", 3, kR, 2, 2, 1, "generic", "FREQ <key>",
     "Return the access frequency index of <key> (LFU policies only; kvstore reports 0).",
     ObjectFreqCommand, {}},
    {"idletime", 3, kR, 2, 2, 1, "generic", "IDLETIME <key>",
     "Return the seconds since <key> was last accessed (kvstore reports 0).",
     ObjectIdletimeCommand, {}},
    {"refcount", 3, kR, 2, 2, 1, "generic", "REFCOUNT <key>",
     "Return the number of references to the value of <key>.", ObjectRefcountCommand, {}},
    {"help", 2, kLS, 0, 0, 0, "generic", "HELP", "Print this help.", ObjectHelpCommand, {}},
};

constexpr CommandSpec kMemorySubcommands[] = {
    {"doctor", 2, 0, 0, 0, 0, "server", "DOCTOR", "Return memory problems reports.",
     MemoryDoctorCommand, {}},
    {"stats", 2, 0, 0, 0, 0, "server", "STATS",
     "Return information about the memory usage of the server.", MemoryStatsCommand, {}},
    {"usage", -3, kR, 2, 2, 1, "server", "USAGE <key> [SAMPLES <count>]",
     "Return the memory in bytes used by <key> and its value.", MemoryUsageCommand, {}},
    {"help", 2, kLS, 0, 0, 0, "server", "HELP", "Print this help.", MemoryHelpCommand, {}},
};

constexpr CommandSpec kSlowlogSubcommands[] = {
    {"get", -2, kAdminSub & ~kNoScript, 0, 0, 0, "server", "GET [<count>]",
     "Return top <count> entries from the slowlog (default: 10, -1 means all).",
     SlowlogGetCommand, {}},
    {"len", 2, kAdminSub & ~kNoScript, 0, 0, 0, "server", "LEN",
     "Return the length of the slowlog.", SlowlogLenCommand, {}},
    {"reset", 2, kAdminSub & ~kNoScript, 0, 0, 0, "server", "RESET", "Reset the slowlog.",
     SlowlogResetCommand, {}},
    {"help", 2, kLS, 0, 0, 0, "server", "HELP", "Print this help.", SlowlogHelpCommand, {}},
};

constexpr uint32_t kPS = kPubsub | kLS;
constexpr CommandSpec kPubsubSubcommands[] = {
    {"channels", -2, kPS, 0, 0, 0, "pubsub", "CHANNELS [<pattern>]",
     "Return the currently active channels matching a <pattern> (default: '*').",
     PubsubChannelsCommand, {}},
    {"numpat", 2, kPS, 0, 0, 0, "pubsub", "NUMPAT",
     "Return number of subscriptions to patterns.", PubsubNumpatCommand, {}},
    {"numsub", -2, kPS, 0, 0, 0, "pubsub", "NUMSUB [<channel> ...]",
     "Return the number of subscribers for the specified channels, excluding pattern "
     "subscriptions (default: no channels).", PubsubNumsubCommand, {}},
    {"shardchannels", -2, kPS, 0, 0, 0, "pubsub", "SHARDCHANNELS [<pattern>]",
     "Return the currently active shard level channels matching a <pattern> (default: '*').",
     PubsubShardchannelsCommand, {}},
    {"shardnumsub", -2, kPS, 0, 0, 0, "pubsub", "SHARDNUMSUB [<shardchannel> ...]",
     "Return the number of subscribers for the specified shard level channel(s).",
     PubsubShardnumsubCommand, {}},
    {"help", 2, kLS, 0, 0, 0, "pubsub", "HELP", "Prints this help.", PubsubHelpCommand, {}},
};

constexpr CommandSpec kCommands[] = {
    // connection (cmd_connection.cc)
    {"ping", -1, kF, 0, 0, 0, "connection", "", "Returns the server's liveliness response.",
     PingCommand, {}},
    {"echo", 2, kLS | kF, 0, 0, 0, "connection", "", "Returns the given string.", EchoCommand, {}},
    {"quit", -1, kHandshake | kNotQueued, 0, 0, 0, "connection", "", "Closes the connection.", QuitCommand, {}},
    {"auth", -2, kHandshake, 0, 0, 0, "connection", "", "Authenticates the connection.",
     AuthCommand, {}},
    {"hello", -1, kHandshake, 0, 0, 0, "connection", "", "Handshakes with the server.",
     HelloCommand, {}},
    {"select", 2, kLS | kF, 0, 0, 0, "connection", "",
     "Changes the selected database (only 0 exists).", SelectCommand, {}},
    {"client", -2, 0, 0, 0, 0, "connection", "", "A container for client connection commands.",
     nullptr, kClientSubcommands},
    {"reset", 1, kHandshake | kNotQueued, 0, 0, 0, "connection", "",
     "Resets the connection.", ResetCommand, {}},
    // pub/sub (cmd_pubsub.cc)
    {"subscribe", -2, kPS | kNoScript, 0, 0, 0, "pubsub", "",
     "Listens for messages published to channels.", SubscribeCommand, {}},
    {"unsubscribe", -1, kPS | kNoScript, 0, 0, 0, "pubsub", "",
     "Stops listening to messages posted to channels.", UnsubscribeCommand, {}},
    {"psubscribe", -2, kPS | kNoScript, 0, 0, 0, "pubsub", "",
     "Listens for messages published to channels that match patterns.", PsubscribeCommand, {}},
    {"punsubscribe", -1, kPS | kNoScript, 0, 0, 0, "pubsub", "",
     "Stops listening to messages published to channels that match patterns.",
     PunsubscribeCommand, {}},
    {"publish", 3, kPS | kF, 0, 0, 0, "pubsub", "", "Posts a message to a channel.",
     PublishCommand, {}},
    {"ssubscribe", -2, kPS | kNoScript, 1, -1, 1, "pubsub", "",
     "Listens for messages published to shard channels.", SsubscribeCommand, {}},
    {"sunsubscribe", -1, kPS | kNoScript, 1, -1, 1, "pubsub", "",
     "Stops listening to messages posted to shard channels.", SunsubscribeCommand, {}},
    {"spublish", 3, kPS | kF, 1, 1, 1, "pubsub", "", "Posts a message to a shard channel.",
     SpublishCommand, {}},
    {"pubsub", -2, 0, 0, 0, 0, "pubsub", "", "A container for Pub/Sub commands.", nullptr,
     kPubsubSubcommands},
    // strings (cmd_strings.cc)
    {"get", 2, kR | kF, 1, 1, 1, "string", "", "Returns the string value of a key.", GetCommand,
     {}},
    {"set", -3, kW | kOom, 1, 1, 1, "string", "",
     "Sets the string value of a key, with an optional expiry.", SetCommand, {}},
    {"setex", 4, kW | kOom, 1, 1, 1, "string", "",
     "Sets the value and the expiry (in seconds) of a key.", SetexCommand, {}},
    {"psetex", 4, kW | kOom, 1, 1, 1, "string", "",
     "Sets the value and the expiry (in milliseconds) of a key.", PsetexCommand, {}},
    {"getex", -2, kW | kF, 1, 1, 1, "string", "",
     "Returns a key's value after setting or clearing its expiry.", GetexCommand, {}},
    {"setnx", 3, kW | kOom | kF, 1, 1, 1, "string", "", "Sets a key only if it does not exist.",
     SetnxCommand, {}},
    {"getset", 3, kW | kOom | kF, 1, 1, 1, "string", "",
     "Sets a key and returns its previous value.", GetsetCommand, {}},
    {"getdel", 2, kW | kF, 1, 1, 1, "string", "", "Returns a key's value and deletes it.",
     GetdelCommand, {}},
    {"mget", -2, kR | kF, 1, -1, 1, "string", "", "Returns the values of several keys.",
     MgetCommand, {}},
    {"mset", -3, kW | kOom, 1, -1, 2, "string", "", "Atomically sets several keys.", MsetCommand,
     {}},
    {"msetnx", -3, kW | kOom, 1, -1, 2, "string", "", "Sets several keys only if none exists.",
     MsetnxCommand, {}},
    {"append", 3, kW | kOom | kF, 1, 1, 1, "string", "", "Appends to a key's value.",
     AppendCommand, {}},
    {"strlen", 2, kR | kF, 1, 1, 1, "string", "", "Returns the length of a value.", StrlenCommand,
     {}},
    {"getrange", 4, kR, 1, 1, 1, "string", "", "Returns a substring of a value.", GetrangeCommand,
     {}},
    {"setrange", 4, kW | kOom, 1, 1, 1, "string", "", "Overwrites part of a value at an offset.",
     SetrangeCommand, {}},
    {"incr", 2, kW | kOom | kF, 1, 1, 1, "string", "", "Increments an integer value by one.",
     IncrCommand, {}},
    {"decr", 2, kW | kOom | kF, 1, 1, 1, "string", "", "Decrements an integer value by one.",
     DecrCommand, {}},
    {"incrby", 3, kW | kOom | kF, 1, 1, 1, "string", "", "Increments an integer value.",
     IncrbyCommand, {}},
    {"decrby", 3, kW | kOom | kF, 1, 1, 1, "string", "", "Decrements an integer value.",
     DecrbyCommand, {}},
    {"incrbyfloat", 3, kW | kOom | kF, 1, 1, 1, "string", "",
     "Increments a floating point value.", IncrbyfloatCommand, {}},
    {"substr", 4, kR, 1, 1, 1, "string", "", "Returns a substring of a value (as GETRANGE).",
     GetrangeCommand, {}},
    {"lcs", -3, kR, 1, 2, 1, "string", "",
     "Finds the longest common subsequence of two values.", LcsCommand, {}},
    // bitmaps (cmd_bits.cc)
    {"setbit", 4, kW | kOom, 1, 1, 1, "bitmap", "", "Sets or clears a bit of a value.",
     SetbitCommand, {}},
    {"getbit", 3, kR | kF, 1, 1, 1, "bitmap", "", "Returns a bit of a value.", GetbitCommand, {}},
    {"bitcount", -2, kR, 1, 1, 1, "bitmap", "", "Counts the set bits of a value or a range.",
     BitcountCommand, {}},
    {"bitpos", -3, kR, 1, 1, 1, "bitmap", "", "Finds the first set or clear bit in a range.",
     BitposCommand, {}},
    {"bitop", -4, kW | kOom, 2, -1, 1, "bitmap", "",
     "Stores the AND, OR, XOR or NOT of values in a key.", BitopCommand, {}},
    {"bitfield", -2, kW | kOom, 1, 1, 1, "bitmap", "",
     "Gets, sets or increments integer fields of a value.", BitfieldCommand, {}},
    {"bitfield_ro", -2, kR | kF, 1, 1, 1, "bitmap", "",
     "Gets integer fields of a value (read-only BITFIELD).", BitfieldRoCommand, {}},
    // lists (cmd_lists.cc)
    {"lpush", -3, kW | kOom | kF, 1, 1, 1, "list", "", "Prepends elements to a list.",
     LpushCommand, {}},
    {"rpush", -3, kW | kOom | kF, 1, 1, 1, "list", "", "Appends elements to a list.",
     RpushCommand, {}},
    {"lpushx", -3, kW | kOom | kF, 1, 1, 1, "list", "",
     "Prepends elements to a list only when the list exists.", LpushxCommand, {}},
    {"rpushx", -3, kW | kOom | kF, 1, 1, 1, "list", "",
     "Appends elements to a list only when the list exists.", RpushxCommand, {}},
    {"linsert", 5, kW | kOom, 1, 1, 1, "list", "",
     "Inserts an element before or after another element in a list.", LinsertCommand, {}},
    {"llen", 2, kR | kF, 1, 1, 1, "list", "", "Returns the length of a list.", LlenCommand, {}},
    {"lindex", 3, kR, 1, 1, 1, "list", "", "Returns an element of a list by its index.",
     LindexCommand, {}},
    {"lset", 4, kW | kOom, 1, 1, 1, "list", "", "Sets the value of an element of a list by its index.",
     LsetCommand, {}},
    {"lpop", -2, kW | kF, 1, 1, 1, "list", "",
     "Removes and returns the first elements of a list.", LpopCommand, {}},
    {"rpop", -2, kW | kF, 1, 1, 1, "list", "",
     "Removes and returns the last elements of a list.", RpopCommand, {}},
    {"lrange", 4, kR, 1, 1, 1, "list", "", "Returns a range of elements of a list.",
     LrangeCommand, {}},
    {"ltrim", 4, kW, 1, 1, 1, "list", "", "Keeps only a range of elements of a list.",
     LtrimCommand, {}},
    {"lrem", 4, kW, 1, 1, 1, "list", "", "Removes elements from a list.", LremCommand, {}},
    {"lpos", -3, kR, 1, 1, 1, "list", "", "Returns the index of matching elements of a list.",
     LposCommand, {}},
    {"lmove", 5, kW | kOom, 1, 2, 1, "list", "",
     "Pops an element from a list, pushes it onto another and returns it.", LmoveCommand, {}},
    {"rpoplpush", 3, kW | kOom, 1, 2, 1, "list", "",
     "Pops the last element of a list, pushes it onto another and returns it.",
     RpoplpushCommand, {}},
    {"lmpop", -4, kW | kMovableKeys | kKeyCountAt1, 0, 0, 0, "list", "",
     "Pops elements from the first non-empty of several lists.", LmpopCommand, {}},
    {"blpop", -3, kW | kNoScript | kBlocking, 1, -2, 1, "list", "",
     "Pops the first element of the first non-empty list, or blocks until one is pushed.",
     BlpopCommand, {}},
    {"brpop", -3, kW | kNoScript | kBlocking, 1, -2, 1, "list", "",
     "Pops the last element of the first non-empty list, or blocks until one is pushed.",
     BrpopCommand, {}},
    {"brpoplpush", 4, kW | kOom | kNoScript | kBlocking, 1, 2, 1, "list", "",
     "RPOPLPUSH, or blocks until the source has an element.", BrpoplpushCommand, {}},
    {"blmove", 6, kW | kOom | kNoScript | kBlocking, 1, 2, 1, "list", "",
     "LMOVE, or blocks until the source has an element.", BlmoveCommand, {}},
    {"blmpop", -5, kW | kBlocking | kMovableKeys, 0, 0, 0, "list", "",
     "LMPOP, or blocks until one of the lists has an element.", BlmpopCommand, {}},
    // blocking sorted-set pops (cmd_zset_blocking.cc)
    {"bzpopmin", -3, kW | kNoScript | kBlocking | kF, 1, -2, 1, "sorted_set", "",
     "Pops the lowest-scored member of the first non-empty sorted set, or blocks.",
     BzpopminCommand, {}},
    {"bzpopmax", -3, kW | kNoScript | kBlocking | kF, 1, -2, 1, "sorted_set", "",
     "Pops the highest-scored member of the first non-empty sorted set, or blocks.",
     BzpopmaxCommand, {}},
    {"bzmpop", -5, kW | kBlocking | kMovableKeys, 0, 0, 0, "sorted_set", "",
     "ZMPOP, or blocks until one of the sorted sets has a member.", BzmpopCommand, {}},
    // expiry (cmd_expire.cc)
    {"expire", -3, kW | kF, 1, 1, 1, "generic", "",
     "Sets a key's time to live in seconds.", ExpireCommand, {}},
    {"pexpire", -3, kW | kF, 1, 1, 1, "generic", "",
     "Sets a key's time to live in milliseconds.", PexpireCommand, {}},
    {"expireat", -3, kW | kF, 1, 1, 1, "generic", "",
     "Sets a key's expiry to a Unix time in seconds.", ExpireatCommand, {}},
    {"pexpireat", -3, kW | kF, 1, 1, 1, "generic", "",
     "Sets a key's expiry to a Unix time in milliseconds.", PexpireatCommand, {}},
    {"ttl", 2, kR | kF, 1, 1, 1, "generic", "", "Returns a key's time to live in seconds.",
     TtlCommand, {}},
    {"pttl", 2, kR | kF, 1, 1, 1, "generic", "",
     "Returns a key's time to live in milliseconds.", PttlCommand, {}},
    {"expiretime", 2, kR | kF, 1, 1, 1, "generic", "",
     "Returns a key's expiry as a Unix time in seconds.", ExpiretimeCommand, {}},
    {"pexpiretime", 2, kR | kF, 1, 1, 1, "generic", "",
     "Returns a key's expiry as a Unix time in milliseconds.", PexpiretimeCommand, {}},
    {"persist", 2, kW | kF, 1, 1, 1, "generic", "", "Removes a key's expiry.", PersistCommand,
     {}},
    // keyspace (cmd_keyspace.cc)
    {"del", -2, kW, 1, -1, 1, "generic", "", "Deletes keys.", DelCommand, {}},
    {"unlink", -2, kW | kF, 1, -1, 1, "generic", "", "Deletes keys (as DEL).", DelCommand, {}},
    {"exists", -2, kR | kF, 1, -1, 1, "generic", "", "Counts how many of the keys exist.",
     ExistsCommand, {}},
    {"touch", -2, kR | kF, 1, -1, 1, "generic", "", "Counts how many of the keys exist.",
     TouchCommand, {}},
    {"type", 2, kR | kF, 1, 1, 1, "generic", "", "Returns the type of a key.", TypeCommand, {}},
    {"keys", 2, kR | kWholeKeyspace, 0, 0, 0, "generic", "", "Returns the keys matching a pattern.", KeysCommand,
     {}},
    {"scan", -2, kR | kWholeKeyspace, 0, 0, 0, "generic", "", "Iterates over the keys.", ScanCommand, {}},
    {"randomkey", 1, kR | kWholeKeyspace, 0, 0, 0, "generic", "", "Returns a random key.", RandomkeyCommand, {}},
    {"rename", 3, kW, 1, 2, 1, "generic", "", "Renames a key, replacing the target.",
     RenameCommand, {}},
    {"renamenx", 3, kW | kF, 1, 2, 1, "generic", "", "Renames a key if the target does not exist.",
     RenamenxCommand, {}},
    // SORT reads the keys its BY and GET patterns name: EXEC and scripts
    // hold the whole keyspace for it (cmd_sort.cc).
    {"sort", -2, kW | kOom | kMovableKeys | kStoreOptionKey | kWholeKeyspace, 1, 1, 1, "generic", "",
     "Sorts the elements of a list, set or sorted set, optionally storing the result.",
     SortCommand, {}},
    {"sort_ro", -2, kR | kMovableKeys | kWholeKeyspace, 1, 1, 1, "generic", "",
     "Sorts the elements of a list, set or sorted set.", SortRoCommand, {}},
    {"copy", -3, kW | kOom, 1, 2, 1, "generic", "", "Copies the value of a key to a new key.",
     CopyCommand, {}},
    {"object", -2, 0, 0, 0, 0, "generic", "", "A container for object introspection commands.",
     nullptr, kObjectSubcommands},
    {"wait", 3, kNoScript, 0, 0, 0, "generic", "",
     "Waits for replicas to acknowledge the writes (there are none: answers 0).", WaitCommand,
     {}},
    {"waitaof", 4, kNoScript, 0, 0, 0, "generic", "",
     "Waits until this connection's writes are on stable storage.", WaitaofCommand, {}},
    {"dbsize", 1, kR | kF | kWholeKeyspace, 0, 0, 0, "server", "", "Returns the number of keys.", DbsizeCommand,
     {}},
    {"flushdb", -1, kW | kWholeKeyspace, 0, 0, 0, "server", "", "Removes every key.", FlushCommand, {}},
    {"flushall", -1, kW | kWholeKeyspace, 0, 0, 0, "server", "", "Removes every key.", FlushCommand, {}},
    // hashes (cmd_hashes.cc)
    {"hset", -4, kW | kOom | kF, 1, 1, 1, "hash", "", "Sets fields of a hash.", HsetCommand, {}},
    {"hsetnx", 4, kW | kOom | kF, 1, 1, 1, "hash", "", "Sets a field of a hash if it is absent.",
     HsetnxCommand, {}},
    {"hmset", -4, kW | kOom | kF, 1, 1, 1, "hash", "", "Sets fields of a hash (as HSET).",
     HmsetCommand, {}},
    {"hget", 3, kR | kF, 1, 1, 1, "hash", "", "Returns the value of a field.", HgetCommand, {}},
    {"hmget", -3, kR | kF, 1, 1, 1, "hash", "", "Returns the values of fields.", HmgetCommand,
     {}},
    {"hdel", -3, kW | kF, 1, 1, 1, "hash", "", "Removes fields of a hash.", HdelCommand, {}},
    {"hlen", 2, kR | kF, 1, 1, 1, "hash", "", "Returns the number of fields.", HlenCommand, {}},
    {"hstrlen", 3, kR | kF, 1, 1, 1, "hash", "", "Returns the length of a field's value.",
     HstrlenCommand, {}},
    {"hexists", 3, kR | kF, 1, 1, 1, "hash", "", "Tells whether a field exists.",
     HexistsCommand, {}},
    {"hkeys", 2, kR, 1, 1, 1, "hash", "", "Returns every field of a hash.", HkeysCommand, {}},
    {"hvals", 2, kR, 1, 1, 1, "hash", "", "Returns every value of a hash.", HvalsCommand, {}},
    {"hgetall", 2, kR, 1, 1, 1, "hash", "", "Returns every field and value of a hash.",
     HgetallCommand, {}},
    {"hincrby", 4, kW | kOom | kF, 1, 1, 1, "hash", "", "Increments an integer field.",
     HincrbyCommand, {}},
    {"hincrbyfloat", 4, kW | kOom | kF, 1, 1, 1, "hash", "", "Increments a floating point field.",
     HincrbyfloatCommand, {}},
    {"hrandfield", -2, kR, 1, 1, 1, "hash", "", "Returns random fields of a hash.",
     HrandfieldCommand, {}},
    {"hscan", -3, kR, 1, 1, 1, "hash", "", "Iterates over the fields and values of a hash.",
     HscanCommand, {}},
    // sets (cmd_sets.cc)
    {"sadd", -3, kW | kOom | kF, 1, 1, 1, "set", "", "Adds members to a set.", SaddCommand, {}},
    {"srem", -3, kW | kF, 1, 1, 1, "set", "", "Removes members from a set.", SremCommand, {}},
    {"smembers", 2, kR, 1, 1, 1, "set", "", "Returns every member of a set.", SmembersCommand,
     {}},
    {"sismember", 3, kR | kF, 1, 1, 1, "set", "", "Tells whether a member is in a set.",
     SismemberCommand, {}},
    {"smismember", -3, kR | kF, 1, 1, 1, "set", "", "Tells whether each member is in a set.",
     SmismemberCommand, {}},
    {"scard", 2, kR | kF, 1, 1, 1, "set", "", "Returns the number of members.", ScardCommand,
     {}},
    {"spop", -2, kW | kF, 1, 1, 1, "set", "", "Removes and returns random members.",
     SpopCommand, {}},
    {"srandmember", -2, kR, 1, 1, 1, "set", "", "Returns random members of a set.",
     SrandmemberCommand, {}},
    {"smove", 4, kW | kF, 1, 2, 1, "set", "", "Moves a member from one set to another.",
     SmoveCommand, {}},
    {"sinter", -2, kR, 1, -1, 1, "set", "", "Returns the intersection of sets.", SinterCommand,
     {}},
    {"sintercard", -3, kR | kMovableKeys | kKeyCountAt1, 0, 0, 0, "set", "",
     "Returns the size of the intersection of sets.", SintercardCommand, {}},
    {"sunion", -2, kR, 1, -1, 1, "set", "", "Returns the union of sets.", SunionCommand, {}},
    {"sdiff", -2, kR, 1, -1, 1, "set", "", "Returns the difference of sets.", SdiffCommand, {}},
    {"sinterstore", -3, kW | kOom, 1, -1, 1, "set", "", "Stores the intersection of sets.",
     SinterstoreCommand, {}},
    {"sunionstore", -3, kW | kOom, 1, -1, 1, "set", "", "Stores the union of sets.",
     SunionstoreCommand, {}},
    {"sdiffstore", -3, kW | kOom, 1, -1, 1, "set", "", "Stores the difference of sets.",
     SdiffstoreCommand, {}},
    {"sscan", -3, kR, 1, 1, 1, "set", "", "Iterates over the members of a set.", SscanCommand,
     {}},
    // transactions (cmd_multi.cc)
    {"multi", 1, kNoScript | kLS | kF | kAllowBusy | kNotQueued, 0, 0, 0, "transactions", "",
     "Starts a transaction.", MultiCommand, {}},
    {"exec", 1, kNoScript | kLS | kSkipSlowlog | kNotQueued, 0, 0, 0, "transactions", "",
     "Executes all commands in a transaction.", ExecCommand, {}},
    {"discard", 1, kNoScript | kLS | kF | kAllowBusy | kNotQueued, 0, 0, 0, "transactions", "",
     "Discards a transaction.", DiscardCommand, {}},
    {"watch", -2, kNoScript | kLS | kF | kAllowBusy | kNotQueued, 1, -1, 1, "transactions", "",
     "Monitors changes to keys to determine the execution of a transaction.", WatchCommand, {}},
    {"unwatch", 1, kNoScript | kLS | kF | kAllowBusy, 0, 0, 0, "transactions", "",
     "Forgets about watched keys of a transaction.", UnwatchCommand, {}},
    // scripting (cmd_script.cc): the keys are named by numkeys
    // (kMovableKeys); a script may touch others, so kWholeKeyspace makes EXEC
    // hold every key.
    {"eval", -3, kScript, 0, 0, 0, "scripting", "",
     "Executes a server-side Lua script.", EvalCommand, {}},
    {"evalsha", -3, kScript, 0, 0, 0, "scripting", "",
     "Executes a server-side Lua script by SHA1 digest.", EvalshaCommand, {}},
    {"eval_ro", -3, kScript | kReadOnly, 0, 0, 0, "scripting", "",
     "Executes a read-only server-side Lua script.", EvalRoCommand, {}},
    {"evalsha_ro", -3, kScript | kReadOnly, 0, 0, 0, "scripting", "",
     "Executes a read-only server-side Lua script by SHA1 digest.", EvalshaRoCommand, {}},
    {"script", -2, 0, 0, 0, 0, "scripting", "", "A container for Lua scripts management commands.",
     nullptr, kScriptSubcommands},
    {"fcall", -3, kScript, 0, 0, 0, "scripting", "",
     "Invoke a function.", FcallCommand, {}},
    {"fcall_ro", -3, kScript | kReadOnly, 0, 0, 0, "scripting", "",
     "Invoke a read-only function.", FcallRoCommand, {}},
    {"function", -2, 0, 0, 0, 0, "scripting", "", "A container for function commands.", nullptr,
     kFunctionSubcommands},
    // sorted sets (cmd_zsets.cc); ZUNIONSTORE & co. name their sources by
    // numkeys (kMovableKeys, NumkeysIndex below)
    {"zadd", -4, kW | kOom | kF, 1, 1, 1, "sorted_set", "",
     "Adds members to a sorted set, or updates their scores.", ZaddCommand, {}},
    {"zincrby", 4, kW | kOom | kF, 1, 1, 1, "sorted_set", "",
     "Increments the score of a member in a sorted set.", ZincrbyCommand, {}},
    {"zrem", -3, kW | kF, 1, 1, 1, "sorted_set", "", "Removes members from a sorted set.",
     ZremCommand, {}},
    {"zcard", 2, kR | kF, 1, 1, 1, "sorted_set", "", "Returns the number of members.",
     ZcardCommand, {}},
    {"zscore", 3, kR | kF, 1, 1, 1, "sorted_set", "", "Returns the score of a member.",
     ZscoreCommand, {}},
    {"zmscore", -3, kR | kF, 1, 1, 1, "sorted_set", "", "Returns the scores of members.",
     ZmscoreCommand, {}},
    {"zrank", 3, kR | kF, 1, 1, 1, "sorted_set", "",
     "Returns the rank of a member, by ascending score.", ZrankCommand, {}},
    {"zrevrank", 3, kR | kF, 1, 1, 1, "sorted_set", "",
     "Returns the rank of a member, by descending score.", ZrevrankCommand, {}},
    {"zcount", 4, kR | kF, 1, 1, 1, "sorted_set", "",
     "Counts the members with scores in a range.", ZcountCommand, {}},
    {"zlexcount", 4, kR | kF, 1, 1, 1, "sorted_set", "",
     "Counts the members in a lexicographical range.", ZlexcountCommand, {}},
    {"zrange", -4, kR, 1, 1, 1, "sorted_set", "",
     "Returns members in a range of ranks, scores or members.", ZrangeCommand, {}},
    {"zrangestore", -5, kW | kOom, 1, 2, 1, "sorted_set", "",
     "Stores a range of members in another key.", ZrangestoreCommand, {}},
    {"zrangebyscore", -4, kR, 1, 1, 1, "sorted_set", "",
     "Returns members in a range of scores.", ZrangebyscoreCommand, {}},
    {"zrevrangebyscore", -4, kR, 1, 1, 1, "sorted_set", "",
     "Returns members in a range of scores, highest first.", ZrevrangebyscoreCommand, {}},
    {"zrangebylex", -4, kR, 1, 1, 1, "sorted_set", "",
     "Returns members in a lexicographical range.", ZrangebylexCommand, {}},
    {"zrevrangebylex", -4, kR, 1, 1, 1, "sorted_set", "",
     "Returns members in a lexicographical range, highest first.", ZrevrangebylexCommand, {}},
    {"zrevrange", -4, kR, 1, 1, 1, "sorted_set", "",
     "Returns members in a range of ranks, highest first.", ZrevrangeCommand, {}},
    {"zpopmin", -2, kW | kF, 1, 1, 1, "sorted_set", "",
     "Removes and returns the members with the lowest scores.", ZpopminCommand, {}},
    {"zpopmax", -2, kW | kF, 1, 1, 1, "sorted_set", "",
     "Removes and returns the members with the highest scores.", ZpopmaxCommand, {}},
    {"zmpop", -4, kW | kMovableKeys | kKeyCountAt1, 0, 0, 0, "sorted_set", "",
     "Pops members from the first non-empty sorted set of several.", ZmpopCommand, {}},
    {"zunionstore", -4, kW | kOom | kMovableKeys, 1, 1, 1, "sorted_set", "",
     "Stores the union of sorted sets in a key.", ZunionstoreCommand, {}},
    {"zinterstore", -4, kW | kOom | kMovableKeys, 1, 1, 1, "sorted_set", "",
     "Stores the intersection of sorted sets in a key.", ZinterstoreCommand, {}},
    {"zdiffstore", -4, kW | kOom | kMovableKeys, 1, 1, 1, "sorted_set", "",
     "Stores the difference of sorted sets in a key.", ZdiffstoreCommand, {}},
    {"zunion", -3, kR | kMovableKeys | kKeyCountAt1, 0, 0, 0, "sorted_set", "",
     "Returns the union of sorted sets.", ZunionCommand, {}},
    {"zinter", -3, kR | kMovableKeys | kKeyCountAt1, 0, 0, 0, "sorted_set", "",
     "Returns the intersection of sorted sets.", ZinterCommand, {}},
    {"zdiff", -3, kR | kMovableKeys | kKeyCountAt1, 0, 0, 0, "sorted_set", "",
     "Returns the difference of sorted sets.", ZdiffCommand, {}},
    {"zintercard", -3, kR | kMovableKeys | kKeyCountAt1, 0, 0, 0, "sorted_set", "",
     "Counts the members of the intersection of sorted sets.", ZintercardCommand, {}},
    {"zrandmember", -2, kR, 1, 1, 1, "sorted_set", "",
     "Returns random members of a sorted set.", ZrandmemberCommand, {}},
    {"zscan", -3, kR, 1, 1, 1, "sorted_set", "", "Iterates over members and scores.",
     ZscanCommand, {}},
    {"zremrangebyrank", 4, kW, 1, 1, 1, "sorted_set", "",
     "Removes the members in a range of ranks.", ZremrangebyrankCommand, {}},
    {"zremrangebyscore", 4, kW, 1, 1, 1, "sorted_set", "",
     "Removes the members in a range of scores.", ZremrangebyscoreCommand, {}},
    {"zremrangebylex", 4, kW, 1, 1, 1, "sorted_set", "",
     "Removes the members in a lexicographical range.", ZremrangebylexCommand, {}},
    // server (cmd_server.cc, cmd_config.cc, info.cc)
    {"save", 1, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, 0, 0, 0, "server", "",
     "Writes a snapshot (checkpoint) now.", SaveCommand, {}},
    {"bgsave", -1, kAdmin | kNoScript | kNoAsyncLoading, 0, 0, 0, "server", "",
     "Writes a snapshot in the background.", BgsaveCommand, {}},
    {"lastsave", 1, kLS | kF, 0, 0, 0, "server", "", "Returns the time of the last snapshot.",
     LastsaveCommand, {}},
    {"info", -1, kLS, 0, 0, 0, "server", "", "Returns information and statistics.", InfoCommand,
     {}},
    {"config", -2, 0, 0, 0, 0, "server", "", "A container for server configuration commands.",
     nullptr, kConfigSubcommands},
    {"command", -1, kLS, 0, 0, 0, "server", "", "Returns information about commands.",
     CommandCommand, kCommandSubcommands},
    {"slowlog", -2, 0, 0, 0, 0, "server", "", "A container for slow log commands.", nullptr,
     kSlowlogSubcommands},
    {"memory", -2, 0, 0, 0, 0, "server", "", "A container for memory diagnostics commands.",
     nullptr, kMemorySubcommands},
    {"time", 1, kLS | kF, 0, 0, 0, "server", "", "Returns the server time.", TimeCommand, {}},
    {"shutdown", -1, kAdminSub | kNoMulti | kAllowBusy, 0, 0, 0, "server", "",
     "Stops the server.", ShutdownCommand, {}},
};
constexpr std::size_t CountStatSlots() {
  std::size_t n = 0;
  for (const auto& c : kCommands) n += 1 + c.subcommands.size();
  return n;
}
static_assert(CountStatSlots() <= kMaxCommands);

// Slot numbers: first_[i] is the slot of kCommands[i]; its subcommands
// follow it.
class StatSlots {
 public:
  StatSlots() {
    for (const auto& c : kCommands) {
      first_.push_back(specs_.size());
      specs_.push_back(&c);
      for (const auto& sub : c.subcommands) specs_.push_back(&sub);
    }
  }
  std::size_t Slot(const CommandSpec& top, const CommandSpec& cmd) const {
    const std::size_t first = first_[static_cast<std::size_t>(&top - kCommands)];
    if (&cmd == &top) return first;
    return first + 1 + static_cast<std::size_t>(&cmd - top.subcommands.data());
  }
  std::size_t size() const { return specs_.size(); }
  const CommandSpec& Spec(std::size_t slot) const { return *specs_[slot]; }

 private:
  std::vector<std::size_t> first_;
  std::vector<const CommandSpec*> specs_;
};

const StatSlots& Slots() {
  static const StatSlots slots;
  return slots;
}

// A flat open-addressing table from lower-case name to index: a handful of
// compares per lookup, no allocation, no std::map walk on the request path.
class NameIndex {
 public:
  NameIndex() {
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
  static constexpr std::size_t kSlots = 1024;  // > 4x the table: short probes
  static constexpr std::size_t kMask = kSlots - 1;
  static_assert(kSlots > 4 * std::size(kCommands));
  static std::size_t Hash(std::string_view s) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
  }
  std::array<int, kSlots> slots_;
};

const NameIndex& Index() {
  static const NameIndex index;
  return index;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}

}  // namespace

std::span<const CommandSpec> Commands() { return kCommands; }

const CommandSpec* LookupCommand(std::string_view name) { return Index().Find(name); }

const CommandSpec* LookupSubcommand(const CommandSpec& container, std::string_view name) {
  for (const auto& sub : container.subcommands) {
    if (EqualsIgnoreCase(name, sub.name)) return &sub;
  }
  return nullptr;
}

const CommandSpec* LookupByFullName(std::string_view full_name) {
  const auto bar = full_name.find('|');
  const CommandSpec* c = LookupCommand(full_name.substr(0, bar));
  if (c == nullptr || bar == std::string_view::npos) return c;
  return LookupSubcommand(*c, full_name.substr(bar + 1));
}

const CommandSpec* ContainerOf(const CommandSpec& spec) {
  for (const auto& c : kCommands) {
    const auto subs = c.subcommands;
    if (!subs.empty() && &spec >= subs.data() && &spec < subs.data() + subs.size()) return &c;
  }
  return nullptr;
}

std::string FullName(const CommandSpec& spec) {
  const CommandSpec* container = ContainerOf(spec);
  if (container == nullptr) return spec.name;
  return std::string(container->name) + "|" + spec.name;
}

std::vector<std::string_view> KeysOf(const CommandSpec& spec,
                                     std::span<const std::string_view> argv) {
  std::vector<std::string_view> keys;
  if (spec.first_key != 0) {
    const int argc = static_cast<int>(argv.size());
    const int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
    for (int i = spec.first_key; i <= last && i < argc; i += spec.key_step) {
      keys.push_back(argv[static_cast<std::size_t>(i)]);
    }
  }
  if (spec.flags & kStoreOptionKey) {
    std::optional<std::string_view> store;
    for (std::size_t i = 2; i < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], "limit")) {
        i += 2;
      } else if (EqualsIgnoreCase(argv[i], "get") || EqualsIgnoreCase(argv[i], "by")) {
        i += 1;
      } else if (EqualsIgnoreCase(argv[i], "store") && i + 1 < argv.size()) {
        store = argv[i + 1];
      }
    }
    if (store) keys.push_back(*store);
    return keys;
  }
  if (spec.flags & kMovableKeys) {
    const std::size_t at = (spec.flags & kKeyCountAt1) ? 1 : 2;
    int64_t n = 0;
    if (argv.size() <= at || !ParseInt64(argv[at], &n) || n < 0 ||
        static_cast<uint64_t>(n) > argv.size() - at - 1) {
      return keys;
    }
    keys.insert(keys.end(), argv.begin() + static_cast<std::ptrdiff_t>(at + 1),
                argv.begin() + static_cast<std::ptrdiff_t>(at + 1 + static_cast<std::size_t>(n)));
  }
  return keys;
}

std::size_t StatSlot(const CommandSpec& top, const CommandSpec& cmd) {
  return Slots().Slot(top, cmd);
}

std::size_t StatSlotCount() { return Slots().size(); }

const CommandSpec& StatSlotSpec(std::size_t slot) { return Slots().Spec(slot); }

void ReplyArity(CommandContext& ctx, const CommandSpec& spec) {
  ctx.reply.Error("ERR wrong number of arguments for '" + FullName(spec) + "' command");
}

void ReplyUnknownSubcommand(CommandContext& ctx, const CommandSpec& container) {
  std::string msg = "ERR unknown subcommand '";
  msg.append(ctx.argv[1].substr(0, 128));
  msg.append("'. Try ");
  msg.append(Upper(container.name));
  msg.append(" HELP.");
  ctx.reply.Error(msg);
}

void ReplyExpireTimeError(CommandContext& ctx, bool not_integer) {
  if (not_integer) return ctx.reply.Error(kNotIntegerError);
  const CommandSpec* spec = LookupCommand(ctx.argv[0]);
  ctx.reply.Error("ERR invalid expire time in '" + (spec ? FullName(*spec) : std::string()) +
                  "' command");
}

void ReplyStoreError(CommandContext& ctx, const Error& e) { ctx.reply.Error("ERR " + e.message()); }

void ReplyHelp(CommandContext& ctx, const CommandSpec& container) {
  ctx.reply.ArrayHeader(1 + 2 * container.subcommands.size());
  ctx.reply.Simple(Upper(container.name) +
                   " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const auto& sub : container.subcommands) {
    ctx.reply.Simple(sub.usage);
    ctx.reply.Simple(std::string("    ") + sub.summary);
  }
}

}  // namespace kvstore::server
