// Copyright (c) the kvstore developers.
//
// The command tables and what is answered from them: COMMAND COUNT, INFO,
// DOCS, LIST, GETKEYS and the HELP replies.

#include <gtest/gtest.h>

#include <set>

#include "command.h"
#include "command_fixture.h"

namespace kvstore::server {
namespace {

TEST(CommandTable, EntriesAreWellFormed) {
  std::set<std::string> names;
  for (const auto& c : Commands()) {
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    EXPECT_EQ(LookupCommand(c.name), &c);
    EXPECT_NE(c.arity, 0) << c.name;
    EXPECT_TRUE(c.handler != nullptr || !c.subcommands.empty()) << c.name;
    if (!c.subcommands.empty()) {
      // HELP is listed last, as Redis's HELP texts end with it.
      EXPECT_STREQ(c.subcommands.back().name, "help") << c.name;
    }
    for (const auto& sub : c.subcommands) {
      EXPECT_NE(sub.handler, nullptr) << FullName(sub);
      EXPECT_LE(sub.arity <= 0 ? -sub.arity : sub.arity, 4);
      EXPECT_GE(sub.arity <= 0 ? -sub.arity : sub.arity, 2) << FullName(sub);
      EXPECT_EQ(ContainerOf(sub), &c);
      EXPECT_EQ(LookupByFullName(FullName(sub)), &sub);
    }
  }
  EXPECT_EQ(LookupCommand("GeT"), LookupCommand("get"));
  EXPECT_EQ(LookupCommand("nosuch"), nullptr);
  EXPECT_EQ(LookupByFullName("config|nosuch"), nullptr);
}

using CommandCommandTest = CommandFixture;

TEST_F(CommandCommandTest, CountAndListComeFromTheTable) {
  EXPECT_EQ(Run({"COMMAND", "COUNT"}), Int(static_cast<int64_t>(Commands().size())));
  std::size_t with_subs = 0;
  for (const auto& c : Commands()) with_subs += 1 + c.subcommands.size();
  const std::string list = Run({"COMMAND", "LIST"});
  EXPECT_EQ(list.substr(0, list.find("\r\n")), "*" + std::to_string(with_subs));
  EXPECT_NE(list.find(Bulk("config|get")), std::string::npos);
  const std::string all = Run({"COMMAND"});
  EXPECT_EQ(all.substr(0, all.find("\r\n")), "*" + std::to_string(Commands().size()));
}

TEST_F(CommandCommandTest, InfoMatchesRedisFormat) {
  // Name, arity, flags, first/last/step, ACL categories, tips, key specs,
  // subcommands: as redis-server 7.0 answers for GET.
  EXPECT_EQ(Run({"COMMAND", "INFO", "get"}),
            "*1\r\n*10\r\n" + Bulk("get") + Int(2) + "*2\r\n+readonly\r\n+fast\r\n" + Int(1) +
                Int(1) + Int(1) + "*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n");
  EXPECT_EQ(Run({"COMMAND", "INFO", "nosuch"}), "*1\r\n*-1\r\n");
  const std::string mset = Run({"COMMAND", "INFO", "MSET"});
  EXPECT_NE(mset.find(Int(1) + Int(-1) + Int(2)), std::string::npos) << mset;
  // A subcommand by its full name, and a container lists its subcommands.
  const std::string get = Run({"COMMAND", "INFO", "config|get"});
  EXPECT_NE(get.find(Bulk("config|get") + Int(-3) + "*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n"),
            std::string::npos)
      << get;
  const std::string config = Run({"COMMAND", "INFO", "config"});
  EXPECT_NE(config.find("*" + std::to_string(LookupCommand("config")->subcommands.size()) +
                        "\r\n*10\r\n" + Bulk("config|get")),
            std::string::npos)
      << config;
}

TEST_F(CommandCommandTest, Docs) {
  const std::string docs = Run({"COMMAND", "DOCS", "set", "nosuch"});
  EXPECT_EQ(docs.substr(0, 4 + 9), "*2\r\n" + Bulk("set"));
  EXPECT_NE(docs.find(Bulk("group") + Bulk("string")), std::string::npos);
}

TEST_F(CommandCommandTest, GetkeysUsesKeyPositions) {
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}),
            "*2\r\n" + Bulk("a") + Bulk("b"));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "rename", "x", "y"}), "*2\r\n" + Bulk("x") + Bulk("y"));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "del", "x", "y", "z"}),
            "*3\r\n" + Bulk("x") + Bulk("y") + Bulk("z"));
  EXPECT_EQ(Err({"COMMAND", "GETKEYS", "ping", "x"}), "ERR The command has no key arguments");
  EXPECT_EQ(Err({"COMMAND", "GETKEYS", "foo", "x"}), "ERR Invalid command specified");
  EXPECT_EQ(Err({"COMMAND", "GETKEYS", "set", "a"}),
            "ERR Invalid number of arguments specified for command");
  EXPECT_EQ(Err({"COMMAND", "GETKEYS", "get"}),
            "ERR wrong number of arguments for 'command|getkeys' command");
}

// EVAL and FCALL name their keys with numkeys; a count that is not a number,
// negative, or larger than the arguments gives no keys (Redis 7's answers).
TEST_F(CommandCommandTest, GetkeysReadsNumkeysOfScripts) {
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "fcall", "f", "2", "a", "b", "c"}),
            "*2\r\n" + Bulk("a") + Bulk("b"));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "EVALSHA_RO", "sha", "1", "x", "y"}), "*1\r\n" + Bulk("x"));
  for (const char* n : {"0", "3", "-1", "abc", "1x"}) {
    EXPECT_EQ(Run({"COMMAND", "GETKEYS", "eval", "return 1", n, "a", "b"}), "*0\r\n") << n;
  }
  const std::string info = Run({"COMMAND", "INFO", "eval"});
  EXPECT_NE(info.find("+skip_monitor\r\n+no_mandatory_keys\r\n+movablekeys\r\n:0\r\n"),
            std::string::npos)
      << info;
  EXPECT_NE(info.find("+@slow\r\n+@scripting\r\n"), std::string::npos) << info;
}

TEST_F(CommandCommandTest, HelpIsMadeFromTheSubcommandTable) {
  for (const char* container : {"CONFIG", "CLIENT", "COMMAND"}) {
    const CommandSpec& c = *LookupCommand(container);
    const std::string help = Run({container, "HELP"});
    EXPECT_EQ(help.substr(0, help.find("\r\n")), "*" + std::to_string(1 + 2 * c.subcommands.size()));
    EXPECT_NE(help.find(std::string("+") + container + " <subcommand> [<arg> [value] [opt] ...]. "
                        "Subcommands are:\r\n"),
              std::string::npos);
    for (const auto& sub : c.subcommands) {
      EXPECT_NE(help.find(std::string("+") + sub.usage + "\r\n+    " + sub.summary + "\r\n"),
                std::string::npos)
          << FullName(sub);
    }
  }
  EXPECT_EQ(Err({"CONFIG", "HELP", "x"}), "ERR wrong number of arguments for 'config|help' command");
}

}  // namespace
}  // namespace kvstore::server
