// Copyright (c) the kvstore developers.
//
// CONFIG GET and CONFIG SET over the parameter table (config_params.h):
// globs, aliases, all-or-none updates and Redis 7's error texts.

#include <gtest/gtest.h>

#include "command_fixture.h"
#include "config.h"
#include "config_params.h"

namespace kvstore::server {
namespace {

using ConfigCommandTest = CommandFixture;

TEST_F(ConfigCommandTest, DefaultsAreWhatAFreshServerReports) {
  for (const auto& p : ConfigParams()) {
    if (std::string_view(p.name) == "dir") continue;  // the fixture's own directory
    if (std::string_view(p.name) == "io-threads") continue;  // 0: DefaultIoThreads
    EXPECT_EQ(ConfigGet(p.name), p.default_value) << p.name;
  }
}

TEST(DefaultIoThreadsTest, OnePerCoreButOneAtLeastOne) {
  EXPECT_EQ(DefaultIoThreads(0), 1);  // hardware_concurrency() unknown
  EXPECT_EQ(DefaultIoThreads(1), 1);
  EXPECT_EQ(DefaultIoThreads(2), 1);
  EXPECT_EQ(DefaultIoThreads(3), 2);
  EXPECT_EQ(DefaultIoThreads(8), 7);
}

TEST_F(ConfigCommandTest, GetMatchesGlobsAndAliases) {
  EXPECT_EQ(Run({"CONFIG", "GET", "max*"}),
            "*6\r\n" + Bulk("maxclients") + Bulk("10000") + Bulk("maxmemory") + Bulk("0") +
                Bulk("maxmemory-policy") + Bulk("noeviction"));
  EXPECT_EQ(Run({"CONFIG", "GET", "nosuch"}), "*0\r\n");
  // Without glob characters a pattern is a plain name (Redis 7): an escape
  // is not read as one, so "\\maxclients" names nothing.
  EXPECT_EQ(Run({"CONFIG", "GET", "\\maxclients"}), "*0\r\n");
  EXPECT_EQ(Run({"CONFIG", "GET", "MAXCLIENTS"}).substr(0, 4), "*2\r\n");
  // A parameter matched by two patterns is reported once.
  EXPECT_EQ(Run({"CONFIG", "GET", "port", "p?rt"}), "*2\r\n" + Bulk("port") + Bulk("6479"));
  // The alias answers under its own name; "*" lists names and aliases.
  EXPECT_EQ(Run({"CONFIG", "GET", "sync"}), "*2\r\n" + Bulk("sync") + Bulk("everysec"));
  EXPECT_EQ(Run({"CONFIG", "GET", "APPENDFSYNC"}), "*2\r\n" + Bulk("appendfsync") + Bulk("everysec"));
  std::size_t names = 0;
  for (const auto& p : ConfigParams()) names += p.alias != nullptr ? 2 : 1;
  const std::string all = Run({"CONFIG", "GET", "*"});
  EXPECT_EQ(all.substr(0, all.find("\r\n")), "*" + std::to_string(2 * names));
}

TEST_F(ConfigCommandTest, SetChangesRuntimeParameters) {
  EXPECT_EQ(Run({"CONFIG", "SET", "maxclients", "50", "TIMEOUT", "30"}), "+OK\r\n");
  EXPECT_EQ(state_->maxclients.load(), 50u);
  EXPECT_EQ(state_->timeout.load(), 30);
  EXPECT_EQ(ConfigGet("timeout"), "30");
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", "pw"}), "+OK\r\n");
  EXPECT_TRUE(state_->auth_required.load());
  EXPECT_EQ(ConfigGet("requirepass"), "pw");
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", ""}), "+OK\r\n");
  EXPECT_FALSE(state_->auth_required.load());
}

TEST_F(ConfigCommandTest, SetIsAllOrNothing) {
  const std::string prefix = "ERR CONFIG SET failed (possibly related to argument ";
  EXPECT_EQ(Err({"CONFIG", "SET", "maxclients", "50", "timeout", "x"}),
            prefix + "'timeout') - argument couldn't be parsed into an integer");
  EXPECT_EQ(Err({"CONFIG", "SET", "maxclients", "50", "port", "1"}),
            prefix + "'port') - can't set immutable config");
  EXPECT_EQ(Err({"CONFIG", "SET", "maxclients", "50", "nosuch", "1"}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(Err({"CONFIG", "SET", "maxclients", "50", "maxclients", "60"}),
            prefix + "'maxclients') - duplicate parameter");
  EXPECT_EQ(Err({"CONFIG", "SET", "timeout", "-1"}),
            prefix + "'timeout') - argument must be between 0 and 2147483647 inclusive");
  EXPECT_EQ(Err({"CONFIG", "SET", "maxclients", "0"}),
            prefix + "'maxclients') - argument must be between 1 and 1048576 inclusive");
  EXPECT_EQ(Err({"CONFIG", "SET", "maxclients", "50", "timeout"}), "ERR syntax error");
  // None of the failed calls changed anything.
  EXPECT_EQ(state_->maxclients.load(), 10000u);
  EXPECT_EQ(ConfigGet("maxclients"), "10000");
  EXPECT_EQ(ConfigGet("timeout"), "0");
}

TEST_F(ConfigCommandTest, Resetstat) {
  Run({"GET", "a"});
  EXPECT_NE(Run({"INFO", "commandstats"}).find("cmdstat_get"), std::string::npos);
  EXPECT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK\r\n");
  EXPECT_EQ(Run({"INFO", "commandstats"}).find("cmdstat_get"), std::string::npos);
}

}  // namespace
}  // namespace kvstore::server

namespace kvstore::server {
namespace {

class ConfigRewriteTest : public CommandFixture {
 protected:
  ConfigRewriteTest() {
    config_.config_file = file_dir_.File("kvstore.conf");
    testing::WriteFileBytes(config_.config_file,
                            "# my server\nport 6479\ntimeout 5\nsync everysec\ntimeout 6\n");
  }

  // What the server would start with from that file.
  Config Reparse() {
    Config c;
    std::string flag = "--config=" + config_.config_file;
    char name[] = "kvstore-server";
    char* argv[] = {name, flag.data()};
    EXPECT_EQ(ParseConfig(2, argv, &c), -1);
    return c;
  }

  testing::TempDir file_dir_;
};

TEST_F(ConfigRewriteTest, KeepsTheFileAndWritesRuntimeValues) {
  EXPECT_EQ(Run({"CONFIG", "SET", "timeout", "30", "maxclients", "77", "requirepass", "a b"}),
            "+OK\r\n");
  EXPECT_EQ(Run({"CONFIG", "REWRITE"}), "+OK\r\n");
  EXPECT_EQ(testing::ReadFileBytes(config_.config_file),
            "# my server\nport 6479\ntimeout 30\nsync everysec\nmaxclients 77\n"
            "requirepass \"a b\"\n");
  const Config c = Reparse();
  EXPECT_EQ(c.timeout, 30);
  EXPECT_EQ(c.maxclients, 77u);
  EXPECT_EQ(c.requirepass, "a b");
  // Back at their defaults, parameters need no line.
  EXPECT_EQ(Run({"CONFIG", "SET", "maxclients", "10000", "requirepass", ""}), "+OK\r\n");
  EXPECT_EQ(Run({"CONFIG", "REWRITE"}), "+OK\r\n");
  EXPECT_EQ(testing::ReadFileBytes(config_.config_file),
            "# my server\nport 6479\ntimeout 30\nsync everysec\n");
  const Config d = Reparse();
  EXPECT_EQ(d.maxclients, 10000u);
  EXPECT_EQ(d.requirepass, "");
}

// An empty value is empty; it never takes the next line as its value.
TEST_F(ConfigRewriteTest, AnEmptyValueInTheFileIsEmpty) {
  testing::WriteFileBytes(config_.config_file, "requirepass \"\"\nport 7000\n");
  const Config c = Reparse();
  EXPECT_EQ(c.requirepass, "");
  EXPECT_EQ(c.port, 7000);
  testing::WriteFileBytes(config_.config_file, "timeout\nport 7000\n");
  Config d;
  std::string flag = "--config=" + config_.config_file;
  char name[] = "kvstore-server";
  char* argv[] = {name, flag.data()};
  EXPECT_EQ(ParseConfig(2, argv, &d), 2);  // "--timeout: Value  not in range ..."
}

using ConfigNoFileTest = CommandFixture;

TEST_F(ConfigNoFileTest, RewriteNeedsAConfigFile) {
  EXPECT_EQ(Err({"CONFIG", "REWRITE"}), "ERR The server is running without a config file");
  EXPECT_EQ(Err({"CONFIG", "REWRITE", "x"}),
            "ERR wrong number of arguments for 'config|rewrite' command");
}

}  // namespace
}  // namespace kvstore::server
