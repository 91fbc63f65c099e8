// Copyright (c) the kvstore developers.
//
// Internal: the handler functions the command tables (command_table.cc)
// point to, by the file that implements them.

#ifndef KVSTORE_SERVER_COMMAND_HANDLERS_H_
#define KVSTORE_SERVER_COMMAND_HANDLERS_H_

#include "command.h"

namespace kvstore::server {

// cmd_strings.cc
void GetCommand(CommandContext& ctx);
void SetCommand(CommandContext& ctx);
void SetnxCommand(CommandContext& ctx);
void SetexCommand(CommandContext& ctx);
void PsetexCommand(CommandContext& ctx);
void GetexCommand(CommandContext& ctx);
void GetsetCommand(CommandContext& ctx);
void GetdelCommand(CommandContext& ctx);
void MgetCommand(CommandContext& ctx);
void MsetCommand(CommandContext& ctx);
void MsetnxCommand(CommandContext& ctx);
void AppendCommand(CommandContext& ctx);
void StrlenCommand(CommandContext& ctx);
void GetrangeCommand(CommandContext& ctx);  // also SUBSTR
void SetrangeCommand(CommandContext& ctx);
void IncrCommand(CommandContext& ctx);
void DecrCommand(CommandContext& ctx);
void IncrbyCommand(CommandContext& ctx);
void DecrbyCommand(CommandContext& ctx);
void IncrbyfloatCommand(CommandContext& ctx);
void LcsCommand(CommandContext& ctx);

// cmd_bits.cc
void SetbitCommand(CommandContext& ctx);
void GetbitCommand(CommandContext& ctx);
void BitcountCommand(CommandContext& ctx);
void BitposCommand(CommandContext& ctx);
void BitopCommand(CommandContext& ctx);
void BitfieldCommand(CommandContext& ctx);
void BitfieldRoCommand(CommandContext& ctx);

// cmd_lists.cc
void LpushCommand(CommandContext& ctx);
void RpushCommand(CommandContext& ctx);
void LpushxCommand(CommandContext& ctx);
void RpushxCommand(CommandContext& ctx);
void LinsertCommand(CommandContext& ctx);
void LlenCommand(CommandContext& ctx);
void LindexCommand(CommandContext& ctx);
void LsetCommand(CommandContext& ctx);
void LpopCommand(CommandContext& ctx);
void RpopCommand(CommandContext& ctx);
void LrangeCommand(CommandContext& ctx);
void LtrimCommand(CommandContext& ctx);
void LremCommand(CommandContext& ctx);
void LposCommand(CommandContext& ctx);
void LmoveCommand(CommandContext& ctx);
void RpoplpushCommand(CommandContext& ctx);
void LmpopCommand(CommandContext& ctx);
void BlpopCommand(CommandContext& ctx);
void BrpopCommand(CommandContext& ctx);
void BlmoveCommand(CommandContext& ctx);
void BrpoplpushCommand(CommandContext& ctx);
void BlmpopCommand(CommandContext& ctx);

// cmd_sort.cc
void SortCommand(CommandContext& ctx);
void SortRoCommand(CommandContext& ctx);

// cmd_zset_blocking.cc
void BzpopminCommand(CommandContext& ctx);
void BzpopmaxCommand(CommandContext& ctx);
void BzmpopCommand(CommandContext& ctx);

// cmd_expire.cc
void ExpireCommand(CommandContext& ctx);
void PexpireCommand(CommandContext& ctx);
void ExpireatCommand(CommandContext& ctx);
void PexpireatCommand(CommandContext& ctx);
void TtlCommand(CommandContext& ctx);
void PttlCommand(CommandContext& ctx);
void ExpiretimeCommand(CommandContext& ctx);
void PexpiretimeCommand(CommandContext& ctx);
void PersistCommand(CommandContext& ctx);

// cmd_keyspace.cc
void DelCommand(CommandContext& ctx);
void ExistsCommand(CommandContext& ctx);
void TypeCommand(CommandContext& ctx);
void KeysCommand(CommandContext& ctx);
void ScanCommand(CommandContext& ctx);
void RandomkeyCommand(CommandContext& ctx);
void RenameCommand(CommandContext& ctx);
void RenamenxCommand(CommandContext& ctx);
void DbsizeCommand(CommandContext& ctx);
void FlushCommand(CommandContext& ctx);
void TouchCommand(CommandContext& ctx);
void CopyCommand(CommandContext& ctx);
void ObjectEncodingCommand(CommandContext& ctx);
void ObjectFreqCommand(CommandContext& ctx);
void ObjectIdletimeCommand(CommandContext& ctx);
void ObjectRefcountCommand(CommandContext& ctx);
void ObjectHelpCommand(CommandContext& ctx);
void MemoryUsageCommand(CommandContext& ctx);
// OBJECT ENCODING's answer for a string value ("int", "embstr", "raw").
const char* StringEncoding(std::string_view value);
// MEMORY USAGE's estimate for a key and value of these sizes.
uint64_t EntryMemoryUsage(std::size_t key_size, std::size_t value_size);

// cmd_hashes.cc
void HsetCommand(CommandContext& ctx);
void HsetnxCommand(CommandContext& ctx);
void HmsetCommand(CommandContext& ctx);
void HgetCommand(CommandContext& ctx);
void HmgetCommand(CommandContext& ctx);
void HdelCommand(CommandContext& ctx);
void HlenCommand(CommandContext& ctx);
void HstrlenCommand(CommandContext& ctx);
void HexistsCommand(CommandContext& ctx);
void HkeysCommand(CommandContext& ctx);
void HvalsCommand(CommandContext& ctx);
void HgetallCommand(CommandContext& ctx);
void HincrbyCommand(CommandContext& ctx);
void HincrbyfloatCommand(CommandContext& ctx);
void HrandfieldCommand(CommandContext& ctx);
void HscanCommand(CommandContext& ctx);

// cmd_sets.cc
void SaddCommand(CommandContext& ctx);
void SremCommand(CommandContext& ctx);
void SmembersCommand(CommandContext& ctx);
void SismemberCommand(CommandContext& ctx);
void SmismemberCommand(CommandContext& ctx);
void ScardCommand(CommandContext& ctx);
void SpopCommand(CommandContext& ctx);
void SrandmemberCommand(CommandContext& ctx);
void SmoveCommand(CommandContext& ctx);
void SinterCommand(CommandContext& ctx);
void SintercardCommand(CommandContext& ctx);
void SunionCommand(CommandContext& ctx);
void SdiffCommand(CommandContext& ctx);
void SinterstoreCommand(CommandContext& ctx);
void SunionstoreCommand(CommandContext& ctx);
void SdiffstoreCommand(CommandContext& ctx);
void SscanCommand(CommandContext& ctx);

// cmd_connection.cc
void PingCommand(CommandContext& ctx);
void EchoCommand(CommandContext& ctx);
void QuitCommand(CommandContext& ctx);
void AuthCommand(CommandContext& ctx);
void HelloCommand(CommandContext& ctx);
void SelectCommand(CommandContext& ctx);
void ResetCommand(CommandContext& ctx);
void ClientIdCommand(CommandContext& ctx);
void ClientGetnameCommand(CommandContext& ctx);
void ClientSetnameCommand(CommandContext& ctx);
void ClientReplyCommand(CommandContext& ctx);
void ClientSetinfoCommand(CommandContext& ctx);
void ClientListCommand(CommandContext& ctx);
void ClientInfoCommand(CommandContext& ctx);
void ClientHelpCommand(CommandContext& ctx);
void ClientUnblockCommand(CommandContext& ctx);

// cmd_config.cc
void ConfigGetCommand(CommandContext& ctx);
void ConfigSetCommand(CommandContext& ctx);
void ConfigResetstatCommand(CommandContext& ctx);
void ConfigRewriteCommand(CommandContext& ctx);
void ConfigHelpCommand(CommandContext& ctx);

// cmd_server.cc
void CommandCommand(CommandContext& ctx);
void CommandCountCommand(CommandContext& ctx);
void CommandListCommand(CommandContext& ctx);
void CommandInfoCommand(CommandContext& ctx);
void CommandDocsCommand(CommandContext& ctx);
void CommandGetkeysCommand(CommandContext& ctx);
void CommandHelpCommand(CommandContext& ctx);
void SaveCommand(CommandContext& ctx);
void BgsaveCommand(CommandContext& ctx);
void LastsaveCommand(CommandContext& ctx);
void TimeCommand(CommandContext& ctx);
void ShutdownCommand(CommandContext& ctx);
void SlowlogGetCommand(CommandContext& ctx);
void SlowlogLenCommand(CommandContext& ctx);
void SlowlogResetCommand(CommandContext& ctx);
void SlowlogHelpCommand(CommandContext& ctx);
void MemoryDoctorCommand(CommandContext& ctx);
void MemoryStatsCommand(CommandContext& ctx);
void MemoryHelpCommand(CommandContext& ctx);
void WaitCommand(CommandContext& ctx);
void WaitaofCommand(CommandContext& ctx);

// cmd_multi.cc
void MultiCommand(CommandContext& ctx);
// scripting (cmd_script.cc)
void EvalCommand(CommandContext& ctx);
void EvalRoCommand(CommandContext& ctx);
void EvalshaCommand(CommandContext& ctx);
void EvalshaRoCommand(CommandContext& ctx);
void ScriptLoadCommand(CommandContext& ctx);
void ScriptExistsCommand(CommandContext& ctx);
void ScriptFlushCommand(CommandContext& ctx);
void ScriptKillCommand(CommandContext& ctx);
void ScriptHelpCommand(CommandContext& ctx);
void FcallCommand(CommandContext& ctx);
void FcallRoCommand(CommandContext& ctx);
void FunctionLoadCommand(CommandContext& ctx);
void FunctionDeleteCommand(CommandContext& ctx);
void FunctionFlushCommand(CommandContext& ctx);
void FunctionListCommand(CommandContext& ctx);
void FunctionStatsCommand(CommandContext& ctx);
void FunctionKillCommand(CommandContext& ctx);
void FunctionDumpCommand(CommandContext& ctx);
void FunctionRestoreCommand(CommandContext& ctx);
void FunctionHelpCommand(CommandContext& ctx);
void ExecCommand(CommandContext& ctx);
void DiscardCommand(CommandContext& ctx);
void WatchCommand(CommandContext& ctx);
void UnwatchCommand(CommandContext& ctx);

// cmd_pubsub.cc
void SubscribeCommand(CommandContext& ctx);
void UnsubscribeCommand(CommandContext& ctx);
void PsubscribeCommand(CommandContext& ctx);
void PunsubscribeCommand(CommandContext& ctx);
void SsubscribeCommand(CommandContext& ctx);
void SunsubscribeCommand(CommandContext& ctx);
void PublishCommand(CommandContext& ctx);
void SpublishCommand(CommandContext& ctx);
void PubsubChannelsCommand(CommandContext& ctx);
void PubsubNumsubCommand(CommandContext& ctx);
void PubsubNumpatCommand(CommandContext& ctx);
void PubsubShardchannelsCommand(CommandContext& ctx);
void PubsubShardnumsubCommand(CommandContext& ctx);
void PubsubHelpCommand(CommandContext& ctx);
// Redis's subscribed mode: a RESP2 client with subscriptions may run only
// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET. Replies Redis's
// error and returns true if `cmd` (of container `top`) is refused.
bool RefusedInSubscribedMode(CommandContext& ctx, const CommandSpec& top, const CommandSpec& cmd);
// Writes the messages already published to this client, which must go out
// before the reply being written, as in Redis's single output buffer.
void TakeOwnMessages(CommandContext& ctx);

// cmd_zsets.cc
void ZaddCommand(CommandContext& ctx);
void ZincrbyCommand(CommandContext& ctx);
void ZremCommand(CommandContext& ctx);
void ZcardCommand(CommandContext& ctx);
void ZscoreCommand(CommandContext& ctx);
void ZmscoreCommand(CommandContext& ctx);
void ZrankCommand(CommandContext& ctx);
void ZrevrankCommand(CommandContext& ctx);
void ZcountCommand(CommandContext& ctx);
void ZlexcountCommand(CommandContext& ctx);
void ZrangeCommand(CommandContext& ctx);
void ZrangestoreCommand(CommandContext& ctx);
void ZrangebyscoreCommand(CommandContext& ctx);
void ZrevrangebyscoreCommand(CommandContext& ctx);
void ZrangebylexCommand(CommandContext& ctx);
void ZrevrangebylexCommand(CommandContext& ctx);
void ZrevrangeCommand(CommandContext& ctx);
void ZpopminCommand(CommandContext& ctx);
void ZpopmaxCommand(CommandContext& ctx);
void ZmpopCommand(CommandContext& ctx);
void ZunionstoreCommand(CommandContext& ctx);
void ZinterstoreCommand(CommandContext& ctx);
void ZdiffstoreCommand(CommandContext& ctx);
void ZunionCommand(CommandContext& ctx);
void ZinterCommand(CommandContext& ctx);
void ZdiffCommand(CommandContext& ctx);
void ZintercardCommand(CommandContext& ctx);
void ZrandmemberCommand(CommandContext& ctx);
void ZscanCommand(CommandContext& ctx);
void ZremrangebyrankCommand(CommandContext& ctx);
void ZremrangebyscoreCommand(CommandContext& ctx);
void ZremrangebylexCommand(CommandContext& ctx);

// info.cc
void InfoCommand(CommandContext& ctx);
// The process's resident set size in bytes.
uint64_t RssBytes();
// Folds `used` into INFO's used_memory_peak; returns the peak.
uint64_t SampleMemoryPeak(ServerState& s, uint64_t used);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_COMMAND_HANDLERS_H_
