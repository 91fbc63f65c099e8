// Copyright (c) the kvstore developers.
//
// Introspection and administration: INFO's section selection, commandstats
// and errorstats; CONFIG SET of the runtime parameters (validation, units,
// normalisation, all-or-none); OBJECT, MEMORY USAGE, TOUCH, UNLINK, COPY;
// SLOWLOG; WAIT and WAITAOF. Replies are compared byte for byte with Redis
// 7's where kvstore answers the same.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command_fixture.h"
#include "command_handlers.h"
#include "config_params.h"
#include "error_stats.h"
#include "slowlog.h"

namespace kvstore::server {
namespace {

class AdminCommandsTest : public CommandFixture {
 protected:
  // INFO's text (the bulk reply's payload).
  std::string Info(std::vector<std::string> args) {
    args.insert(args.begin(), "INFO");
    const std::string r = Run(args);
    EXPECT_EQ(r[0], '$') << r;
    const auto nl = r.find("\r\n");
    return r.substr(nl + 2, r.size() - nl - 4);
  }
  // The "# Title" lines of an INFO text, in order.
  static std::vector<std::string> Sections(const std::string& info) {
    std::vector<std::string> out;
    for (std::size_t pos = 0; (pos = info.find("# ", pos)) != std::string::npos; pos += 2) {
      if (pos == 0 || info[pos - 1] == '\n') {
        out.push_back(info.substr(pos + 2, info.find("\r\n", pos) - pos - 2));
      }
    }
    return out;
  }
  // The value of field `name` in an INFO text, or "" if absent.
  static std::string Field(const std::string& info, const std::string& name) {
    const std::string key = "\r\n" + name + ":";
    const std::string text = "\r\n" + info;
    const auto pos = text.find(key);
    if (pos == std::string::npos) return "";
    const auto start = pos + key.size();
    return text.substr(start, text.find("\r\n", start) - start);
  }
};

using Strings = std::vector<std::string>;

TEST_F(AdminCommandsTest, InfoSelectsSectionsAsRedis7) {
  const Strings def = {"Server",      "Clients", "Memory",     "Persistence",
                       "Stats",       "Replication", "CPU",    "Modules",
                       "Errorstats",  "Cluster", "Keyspace"};
  Strings all = def;
  all.insert(all.begin() + 8, "Commandstats");
  EXPECT_EQ(Sections(Info({})), def);
  EXPECT_EQ(Sections(Info({"default"})), def);
  EXPECT_EQ(Sections(Info({"all"})), all);
  EXPECT_EQ(Sections(Info({"EVERYTHING"})), all);
  // Several arguments add up, in table order, each section once.
  EXPECT_EQ(Sections(Info({"memory", "cpu"})), (Strings{"Memory", "CPU"}));
  EXPECT_EQ(Sections(Info({"cpu", "all"})), all);
  EXPECT_EQ(Sections(Info({"cpu", "default"})), def);
  EXPECT_EQ(Sections(Info({"commandSTATS"})), Strings{"Commandstats"});
  EXPECT_EQ(Info({"nosuchsection"}), "");
  EXPECT_EQ(Info({"sentinel"}), "");
}

TEST_F(AdminCommandsTest, InfoCarriesTheFieldsClientsRead) {
  Run({"SET", "a", "1"});
  const std::string info = Info({"everything"});
  EXPECT_EQ(Field(info, "redis_version"), "7.0.15");
  EXPECT_EQ(Field(info, "redis_mode"), "standalone");
  EXPECT_EQ(Field(info, "role"), "master");
  EXPECT_EQ(Field(info, "connected_slaves"), "0");
  EXPECT_EQ(Field(info, "master_repl_offset"), std::to_string(store_->last_sequence()));
  EXPECT_EQ(Field(info, "master_replid").size(), 40u);
  EXPECT_EQ(Field(info, "run_id").size(), 40u);
  EXPECT_EQ(Field(info, "loading"), "0");
  EXPECT_EQ(Field(info, "aof_enabled"), "1");
  EXPECT_EQ(Field(info, "cluster_enabled"), "0");
  EXPECT_EQ(Field(info, "rdb_changes_since_last_save"), "1");
  EXPECT_EQ(Field(info, "expired_keys"), "0");
  EXPECT_EQ(Field(info, "evicted_keys"), "0");
  EXPECT_EQ(Field(info, "db0"), "keys=1,expires=0,avg_ttl=0");
  for (const char* f : {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children",
                        "used_cpu_user_children", "used_cpu_sys_main_thread",
                        "used_cpu_user_main_thread"}) {
    const std::string v = Field(info, f);
    EXPECT_NE(v.find('.'), std::string::npos) << f << "=" << v;  // seconds.microseconds
  }
}

TEST_F(AdminCommandsTest, CommandstatsCountRejectedAndFailedCalls) {
  Run({"CONFIG", "RESETSTAT"});
  Run({"GET"});                       // arity: rejected, not called
  Run({"SET", "x", "abc"});
  Run({"INCR", "x"});                 // runs and fails
  Run({"CONFIG", "GET", "hz"});
  Run({"NOSUCH"});                    // no command to charge
  const std::string info = Info({"commandstats"});
  EXPECT_EQ(Field(info, "cmdstat_get"),
            "calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0");
  EXPECT_NE(Field(info, "cmdstat_incr").find("calls=1,"), std::string::npos);
  EXPECT_NE(Field(info, "cmdstat_incr").find(",rejected_calls=0,failed_calls=1"),
            std::string::npos);
  EXPECT_NE(Field(info, "cmdstat_config|get").find("calls=1,"), std::string::npos);
  EXPECT_EQ(Field(info, "cmdstat_nosuch"), "");
}

TEST_F(AdminCommandsTest, ErrorstatsCountEveryErrorReplyByCode) {
  Run({"CONFIG", "RESETSTAT"});
  EXPECT_EQ(Info({"errorstats"}), "# Errorstats\r\n");
  Run({"GET"});
  Run({"NOSUCH"});
  Run({"SET", "x", "abc"});
  Run({"INCR", "x"});
  Run({"CONFIG", "SET", "requirepass", "pw"});
  client_.authenticated = false;
  Run({"GET", "x"});
  client_.authenticated = true;
  Run({"CONFIG", "SET", "requirepass", ""});
  const std::string errors = Info({"errorstats"});
  EXPECT_EQ(Field(errors, "errorstat_ERR"), "count=3");
  EXPECT_EQ(Field(errors, "errorstat_NOAUTH"), "count=1");
  EXPECT_EQ(Field(Info({"stats"}), "total_error_replies"), "4");
  Run({"CONFIG", "RESETSTAT"});
  EXPECT_EQ(Field(Info({"stats"}), "total_error_replies"), "0");
  EXPECT_EQ(Field(Info({"errorstats"}), "errorstat_ERR"), "");
}

TEST(ErrorStats, CodeIsTheFirstWordAndSlotsAreStable) {
  EXPECT_EQ(ErrorCode("ERR syntax error"), "ERR");
  EXPECT_EQ(ErrorCode("WRONGTYPE Operation"), "WRONGTYPE");
  EXPECT_EQ(ErrorCode("BUSY"), "BUSY");
  const std::size_t a = ErrorCodeSlot("TESTCODEA");
  EXPECT_LT(a, kMaxErrorCodes);
  EXPECT_EQ(ErrorCodeSlot("TESTCODEA"), a);
  EXPECT_EQ(ErrorCodeName(a), "TESTCODEA");
  EXPECT_NE(ErrorCodeSlot("TESTCODEB"), a);
  EXPECT_EQ(ErrorCodeSlot(std::string(40, 'X')), kMaxErrorCodes);  // too long to be a code
  ErrorTally tally;
  tally.Count("TESTCODEA one");
  tally.Count("TESTCODEA two");
  EXPECT_EQ(tally.by_code[a].Get(), 2u);
  EXPECT_EQ(tally.total.Get(), 2u);
}

TEST_F(AdminCommandsTest, ConfigSetRuntimeParametersAsRedis7) {
  EXPECT_EQ(Run({"CONFIG", "SET", "hz", "0"}), "+OK\r\n");  // clamped, as Redis
  EXPECT_EQ(ConfigGet("hz"), "1");
  EXPECT_EQ(Run({"CONFIG", "SET", "hz", "1000"}), "+OK\r\n");
  EXPECT_EQ(ConfigGet("hz"), "500");
  EXPECT_EQ(Err({"CONFIG", "SET", "hz", "-5"}),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be "
            "between 0 and 2147483647 inclusive");
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "1gb", "maxmemory-policy", "ALLKEYS-LRU"}),
            "+OK\r\n");
  EXPECT_EQ(ConfigGet("maxmemory"), "1073741824");
  EXPECT_EQ(ConfigGet("maxmemory-policy"), "allkeys-lru");
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "10k"}), "+OK\r\n");
  EXPECT_EQ(ConfigGet("maxmemory"), "10000");
  EXPECT_EQ(Err({"CONFIG", "SET", "maxmemory", "-1"}),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must "
            "be a memory value");
  EXPECT_EQ(Err({"CONFIG", "SET", "maxmemory-policy", "foo"}),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - "
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
            "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
            "noeviction");
  EXPECT_EQ(Err({"CONFIG", "SET", "proto-max-bulk-len", "100"}),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
            "argument must be between 1048576 and 9223372036854775807 inclusive");
  EXPECT_EQ(Run({"CONFIG", "SET", "proto-max-bulk-len", "1mb", "client-query-buffer-limit",
                 "2mb"}),
            "+OK\r\n");
  EXPECT_EQ(state_->proto_max_bulk_len.load(), 1048576u);
  EXPECT_EQ(state_->client_query_buffer_limit.load(), 2097152u);
  EXPECT_EQ(Err({"CONFIG", "SET", "slowlog-log-slower-than", "-5"}),
            "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - "
            "argument must be between -1 and 9223372036854775807 inclusive");
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "KEn"}), "+OK\r\n");
  EXPECT_EQ(ConfigGet("notify-keyspace-events"), "nKE");
  EXPECT_EQ(Err({"CONFIG", "SET", "notify-keyspace-events", "Z"}),
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
}

TEST_F(AdminCommandsTest, ConfigSetSaveValidatesRedisRules) {
  EXPECT_EQ(Run({"CONFIG", "SET", "save", ""}), "+OK\r\n");
  EXPECT_EQ(ConfigGet("save"), "");
  EXPECT_EQ(Run({"CONFIG", "SET", "save", "100 5 60 10"}), "+OK\r\n");
  EXPECT_EQ(ConfigGet("save"), "100 5 60 10");
  for (const char* bad : {"abc", "10", "10 20 30 x", "0 5", "-1 5", " 100   5 "}) {
    EXPECT_EQ(Err({"CONFIG", "SET", "save", bad}),
              "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
              "parameters")
        << bad;
  }
  EXPECT_EQ(ConfigGet("save"), "100 5 60 10");
}

TEST_F(AdminCommandsTest, ConfigSetIsAllOrNone) {
  ASSERT_EQ(Run({"CONFIG", "SET", "hz", "20"}), "+OK\r\n");
  EXPECT_EQ(Err({"CONFIG", "SET", "hz", "30", "maxmemory", "-1"}),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must "
            "be a memory value");
  EXPECT_EQ(ConfigGet("hz"), "20");
  EXPECT_EQ(Err({"CONFIG", "SET", "appendfsync", "always", "appendfsync", "no"}),
            "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - duplicate "
            "parameter");
  EXPECT_EQ(store_->sync_mode(), SyncMode::kEverySecond);
  EXPECT_EQ(Err({"CONFIG", "SET", "hz", "5", "maxclients"}), "ERR syntax error");
  EXPECT_EQ(Err({"CONFIG", "SET", "hz", "5", "nosuch", "1"}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(ConfigGet("hz"), "20");
}

TEST_F(AdminCommandsTest, ConfigSetAppendfsyncChangesTheStoresMode) {
  EXPECT_EQ(Run({"CONFIG", "SET", "appendfsync", "ALWAYS"}), "+OK\r\n");
  EXPECT_EQ(store_->sync_mode(), SyncMode::kAlways);
  EXPECT_EQ(ConfigGet("appendfsync"), "always");
  EXPECT_EQ(ConfigGet("sync"), "always");
  EXPECT_EQ(Run({"CONFIG", "SET", "appendfsync", "no"}), "+OK\r\n");
  EXPECT_EQ(store_->sync_mode(), SyncMode::kNever);
  EXPECT_EQ(Field(Info({"persistence"}), "aof_fsync"), "no");
  EXPECT_EQ(Err({"CONFIG", "SET", "appendfsync", "sometimes"}),
            "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) "
            "must be one of the following: everysec, always, no");
  EXPECT_EQ(store_->sync_mode(), SyncMode::kNever);
}

TEST(ConfigParams, NormalizeKeyspaceEventsAsRedis) {
  bool ok = false;
  EXPECT_EQ(NormalizeKeyspaceEvents("KEA", &ok), "AKE");
  EXPECT_TRUE(ok);
  EXPECT_EQ(NormalizeKeyspaceEvents("AKEn", &ok), "AKE");  // Redis drops n next to A
  EXPECT_EQ(NormalizeKeyspaceEvents("Ex", &ok), "xE");
  EXPECT_EQ(NormalizeKeyspaceEvents("g$lshzxetd", &ok), "A");
  EXPECT_EQ(NormalizeKeyspaceEvents("", &ok), "");
  EXPECT_TRUE(ok);
  NormalizeKeyspaceEvents("KEZ", &ok);
  EXPECT_FALSE(ok);
}

TEST(ObjectEncoding, FollowsTheShapeOfTheValue) {
  EXPECT_STREQ(StringEncoding("12345"), "int");
  EXPECT_STREQ(StringEncoding("-5"), "int");
  EXPECT_STREQ(StringEncoding("9223372036854775807"), "int");
  EXPECT_STREQ(StringEncoding("-9223372036854775808"), "int");  // 20 characters
  EXPECT_STREQ(StringEncoding("9223372036854775808"), "embstr");  // beyond int64
  EXPECT_STREQ(StringEncoding("0123"), "embstr");                 // not canonical
  EXPECT_STREQ(StringEncoding("+1"), "embstr");
  EXPECT_STREQ(StringEncoding(""), "embstr");
  EXPECT_STREQ(StringEncoding(std::string(44, 'x')), "embstr");
  EXPECT_STREQ(StringEncoding(std::string(45, 'x')), "raw");
}

TEST(MemoryUsage, CountsEntryAllocatorAndSlot) {
  // 1-byte varints + key + value + 8 (allocator header) + 9 (pointer and control byte).
  EXPECT_EQ(EntryMemoryUsage(1, 5), 1u + 1 + 1 + 5 + 8 + 9);
  EXPECT_EQ(EntryMemoryUsage(3, 200), 1u + 2 + 3 + 200 + 8 + 9);  // 200 needs two varint bytes
  EXPECT_GT(EntryMemoryUsage(1, 1000), EntryMemoryUsage(1, 100));
}

TEST_F(AdminCommandsTest, ObjectAndMemoryUsage) {
  Run({"SET", "i", "12345"});
  Run({"SET", "r", std::string(45, 'x')});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), Bulk("int"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "r"}), Bulk("raw"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "none"}), "$-1\r\n");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "i"}), Int(1));
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "i"}), Int(0));
  EXPECT_EQ(Run({"OBJECT", "FREQ", "none"}), "$-1\r\n");
  EXPECT_EQ(Err({"OBJECT", "FREQ", "i"}),
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note that when switching between policies at runtime LRU and LFU data will take "
            "some time to adjust.");
  ASSERT_EQ(Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}), "+OK\r\n");
  EXPECT_EQ(Run({"OBJECT", "FREQ", "i"}), Int(0));
  EXPECT_EQ(Err({"OBJECT", "IDLETIME", "i"}).substr(0, 64),
            "ERR An LFU maxmemory policy is selected, idle time not tracked. ");
  EXPECT_EQ(Err({"OBJECT", "ENCODING"}),
            "ERR wrong number of arguments for 'object|encoding' command");
  EXPECT_EQ(Err({"OBJECT", "foo"}), "ERR unknown subcommand 'foo'. Try OBJECT HELP.");
  EXPECT_EQ(Run({"MEMORY", "USAGE", "i"}), Int(static_cast<int64_t>(EntryMemoryUsage(1, 5))));
  EXPECT_EQ(Run({"MEMORY", "USAGE", "i", "SAMPLES", "0"}), Run({"MEMORY", "USAGE", "i"}));
  EXPECT_EQ(Run({"MEMORY", "USAGE", "none"}), "$-1\r\n");
  EXPECT_EQ(Err({"MEMORY", "USAGE", "i", "SAMPLES"}), "ERR syntax error");
  EXPECT_EQ(Err({"MEMORY", "USAGE", "i", "SAMPLES", "-1"}), "ERR syntax error");
  EXPECT_EQ(Err({"MEMORY", "USAGE", "i", "SAMPLES", "x"}),
            "ERR value is not an integer or out of range");
}

TEST_F(AdminCommandsTest, TouchUnlinkCopy) {
  Run({"MSET", "a", "1", "b", "2"});
  EXPECT_EQ(Run({"TOUCH", "a", "b", "none", "a"}), Int(3));
  EXPECT_EQ(Run({"COPY", "a", "c"}), Int(1));
  EXPECT_EQ(Run({"GET", "c"}), Bulk("1"));
  EXPECT_EQ(Run({"COPY", "b", "c"}), Int(0));  // exists, no REPLACE
  EXPECT_EQ(Run({"COPY", "b", "c", "REPLACE"}), Int(1));
  EXPECT_EQ(Run({"GET", "c"}), Bulk("2"));
  EXPECT_EQ(Run({"COPY", "none", "d"}), Int(0));
  EXPECT_EQ(Run({"COPY", "a", "d", "DB", "0"}), Int(1));
  EXPECT_EQ(Err({"COPY", "a", "e", "DB", "1"}), "ERR DB index is out of range");
  EXPECT_EQ(Err({"COPY", "a", "e", "DB", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"COPY", "a", "e", "DB"}), "ERR syntax error");
  EXPECT_EQ(Err({"COPY", "a", "a"}), "ERR source and destination objects are the same");
  const uint64_t before = store_->last_sequence();
  EXPECT_EQ(Run({"UNLINK", "a", "b", "none", "c"}), Int(3));
  EXPECT_EQ(store_->last_sequence(), before + 1);  // one atomic update
  EXPECT_EQ(Run({"EXISTS", "a", "b", "c", "d"}), Int(1));
}

TEST_F(AdminCommandsTest, CopyKeepsTheSourcesDeadline) {
  const int64_t deadline = store_->now_ms() + 100000;
  ASSERT_TRUE(store_->set_expiring("v", "x", deadline));
  Run({"SET", "plain", "y"});
  Run({"SET", "w2", "old"});
  ASSERT_TRUE(store_->expire_at("w2", deadline));
  EXPECT_EQ(Run({"COPY", "v", "w"}), Int(1));
  EXPECT_EQ(store_->expire_time("w"), deadline);
  // A copy of a key without a deadline has none, even over one that had.
  EXPECT_EQ(Run({"COPY", "plain", "w2", "REPLACE"}), Int(1));
  EXPECT_EQ(store_->expire_time("w2"), kNoExpiry);
  const std::string db0 = Field(Info({"keyspace"}), "db0");
  const std::string prefix = "keys=4,expires=2,avg_ttl=";
  ASSERT_EQ(db0.substr(0, prefix.size()), prefix) << db0;
  // A sampled estimate of the remaining TTLs (both ~100 s), or 0 if the
  // samples drew no key with one.
  const int64_t avg = std::stoll(db0.substr(prefix.size()));
  EXPECT_TRUE(avg == 0 || (avg > 90000 && avg <= 100000)) << db0;
}

TEST_F(AdminCommandsTest, SlowlogRecordsCommandsOverTheThreshold) {
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), Int(0));
  ASSERT_EQ(Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "+OK\r\n");
  Run({"SET", "k", std::string(200, 'v')});
  // Newest first: the SET (this GET is logged once it has run, as in Redis).
  const std::string r = Run({"SLOWLOG", "GET", "1"});
  EXPECT_EQ(r.substr(0, 8), "*1\r\n*6\r\n");
  EXPECT_NE(r.find("*3\r\n" + Bulk("SET") + Bulk("k") +
                   Bulk(std::string(128, 'v') + "... (72 more bytes)")),
            std::string::npos)
      << r;
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), Int(3));  // CONFIG SET, SET, SLOWLOG GET
  EXPECT_EQ(Err({"SLOWLOG", "GET", "-2"}), "ERR count should be greater than or equal to -1");
  EXPECT_EQ(Err({"SLOWLOG", "GET", "x"}), "ERR count should be greater than or equal to -1");
  ASSERT_EQ(Run({"CONFIG", "SET", "slowlog-max-len", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), Int(1));
  ASSERT_EQ(Run({"CONFIG", "SET", "slowlog-log-slower-than", "-1"}), "+OK\r\n");
  EXPECT_EQ(Run({"SLOWLOG", "RESET"}), "+OK\r\n");
  Run({"GET", "k"});
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), Int(0));
  EXPECT_EQ(Run({"SLOWLOG", "GET", "-1"}), "*0\r\n");
}

TEST(SlowLog, KeepsAtMost32ArgumentsNewestFirst) {
  SlowLog log;
  std::vector<std::string> args(40, "a");
  std::vector<std::string_view> views(args.begin(), args.end());
  log.Add(views, 5, 100, "addr", "name", 10);
  log.Add(std::vector<std::string_view>{"second"}, 6, 101, "addr", "", 10);
  const auto entries = log.Get(-1);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, 1u);
  EXPECT_EQ(entries[1].args.size(), 32u);
  EXPECT_EQ(entries[1].args.back(), "... (9 more arguments)");
  EXPECT_EQ(log.Get(1).size(), 1u);
  log.Trim(0);
  EXPECT_EQ(log.Len(), 0u);
}

TEST_F(AdminCommandsTest, WaitAnswersAtOnceWithoutReplicas) {
  EXPECT_EQ(Run({"WAIT", "0", "0"}), Int(0));
  EXPECT_EQ(Run({"WAIT", "1", "100"}), Int(0));
  EXPECT_EQ(Err({"WAIT", "x", "0"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Err({"WAIT", "0", "-1"}), "ERR timeout is negative");
  EXPECT_EQ(Err({"WAIT", "0", "x"}), "ERR timeout is not an integer or out of range");
}

TEST_F(AdminCommandsTest, WaitaofMakesThisClientsWritesDurable) {
  ASSERT_EQ(Run({"CONFIG", "SET", "appendfsync", "no"}), "+OK\r\n");
  EXPECT_EQ(Run({"WAITAOF", "0", "0", "0"}), "*2\r\n" + Int(1) + Int(0));  // nothing written
  Run({"SET", "k", "v"});
  ASSERT_LT(store_->durable_sequence(), store_->last_sequence());
  // numlocal 0 reports without syncing: not durable yet.
  EXPECT_EQ(Run({"WAITAOF", "0", "0", "0"}), "*2\r\n" + Int(0) + Int(0));
  EXPECT_EQ(Run({"WAITAOF", "1", "0", "0"}), "*2\r\n" + Int(1) + Int(0));
  EXPECT_EQ(store_->durable_sequence(), store_->last_sequence());
  EXPECT_EQ(Run({"WAITAOF", "1", "1", "10"}), "*2\r\n" + Int(1) + Int(0));
  EXPECT_EQ(Err({"WAITAOF", "2", "0", "0"}),
            "ERR value is out of range, value must between 0 and 1");
  EXPECT_EQ(Err({"WAITAOF", "1", "-1", "0"}), "ERR value is out of range, must be positive");
  EXPECT_EQ(Err({"WAITAOF", "1", "0", "-1"}), "ERR timeout is negative");
}

}  // namespace
}  // namespace kvstore::server
