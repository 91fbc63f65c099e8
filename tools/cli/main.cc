// Copyright (c) the kvstore developers.
//
// kvstore: the command-line tool for a data directory (docs/CLI.md). This
// file only declares the subcommands and their flags (CLI11) and dispatches;
// each command lives in its own file under tools/cli/.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "backup.h"
#include "bench.h"
#include "check.h"
#include "cli.h"
#include "dump.h"
#include "json_io.h"
#include "kvstore/version.h"
#include "serve.h"
#include "store_commands.h"

namespace {

using kvstore::cli::kExitError;

// Everything the flags of all subcommands fill in.
struct Args {
  kvstore::cli::GlobalFlags global;
  std::string key;
  bool no_newline = false;
  bool ttl_at = false;
  kvstore::cli::SetArgs set;
  std::vector<std::string> keys;
  kvstore::cli::ScanArgs scan;
  kvstore::cli::CheckOptions check;
  std::string file;
  bool json = false;
  kvstore::cli::ImportArgs import;
  kvstore::cli::BenchArgs bench;
  std::vector<std::string> server_args;  // after "serve ... --"
  kvstore::cli::BackupArgs backup;
};

// CLI11 hands "--" and what follows to the top-level app, not to a
// subcommand, so `kvstore serve -- --help` is split off here: when the
// subcommand is serve, everything after the first "--" goes to the server
// verbatim. Returns the argc left for CLI11.
int SplitServerArgs(int argc, char** argv, std::vector<std::string>* server_args) {
  int i = 1;
  // Skip the global flags (and the values of those that take one) to reach
  // the subcommand's name.
  for (; i < argc && argv[i][0] == '-'; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "-d" || flag == "--dir" || flag == "--sync") ++i;
  }
  if (i >= argc || std::string_view(argv[i]) != "serve") return argc;
  for (; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      server_args->assign(argv + i + 1, argv + argc);
      return i;
    }
  }
  return argc;
}

void AddGlobalFlags(CLI::App& app, Args& a) {
  app.add_option("-d,--dir", a.global.dir, "data directory")->capture_default_str();
  app.add_option("--sync", a.global.sync, "WAL sync mode of commands that write")
      ->check(CLI::IsMember({"always", "everysec", "no"}))
      ->capture_default_str();
}

void AddStoreCommands(CLI::App& app, Args& a) {
  auto* get = app.add_subcommand(
      "get", "print a string key's value (exit 1 if absent; 2 and WRONGTYPE for another type)");
  get->add_option("key", a.key, "the key")->required();
  get->add_flag("-n,--no-newline", a.no_newline, "do not print a newline after the value");
  auto* set = app.add_subcommand("set", "set a key (VALUE '-' reads standard input)");
  set->add_option("key", a.set.key, "the key")->required();
  set->add_option("value", a.set.value, "the value, or '-' for standard input");
  set->add_option("--value-file", a.set.value_file, "read the value from this file (binary safe)");
  auto* px = set->add_option("--px", a.set.px, "expire this many milliseconds from now")
                 ->check(CLI::PositiveNumber);
  set->add_option("--pxat", a.set.pxat, "expire at this Unix time in milliseconds")
      ->check(CLI::PositiveNumber)
      ->excludes(px);
  auto* ttl = app.add_subcommand(
      "ttl", "print a key's remaining time to live in ms (-1: none; -2 and exit 1: absent)");
  ttl->add_option("key", a.key, "the key")->required();
  ttl->add_flag("--at", a.ttl_at, "print the deadline as a Unix time in ms instead");
  auto* del = app.add_subcommand("del", "remove keys; prints how many existed");
  del->add_option("keys", a.keys, "the keys")->required();
  app.add_subcommand("size", "print the number of keys");
  auto* scan = app.add_subcommand("scan", "list keys of every type, one per line, escaped (docs/CLI.md)");
  scan->add_option("--match", a.scan.match, "only keys matching this glob (* ? [a-z] \\x)");
  scan->add_option("--count", a.scan.count, "keys per internal page, as Redis SCAN COUNT")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  scan->add_option("--limit", a.scan.limit, "stop after this many keys (0: all)");
  scan->add_flag("--values", a.scan.values,
                 "print key<TAB>value; a hash, list, set or sorted set prints its type and "
                 "size, e.g. <hash, 3 fields>");
  scan->add_option("--type", a.scan.type, "only keys of this type, as SCAN's TYPE option")
      ->check(CLI::IsMember({"string", "list", "set", "zset", "hash"}));
  scan->add_flag("--ttl", a.scan.ttl, "add a column: remaining time to live in ms (-1: none)");
  app.add_subcommand("checkpoint", "write a snapshot now and drop the WAL it covers");
  app.add_subcommand("shell", "interactive commands on standard input (type HELP)");
}

void AddFileCommands(CLI::App& app, Args& a) {
  auto* check = app.add_subcommand(
      "check", "verify WAL segments, snapshots and manifest without opening the store");
  check->add_option("--file", a.file, "check this one file instead of the directory");
  auto* repair = check->add_flag("--repair", a.check.repair,
                                 "cut off a torn WAL tail (after a backup copy <file>.bak-<time>)");
  check
      ->add_flag("--point-in-time", a.check.point_in_time,
                 "with --repair: also cut at real corruption, keeping the valid prefix")
      ->needs(repair);
  auto* dump = app.add_subcommand("dump", "print WAL records as text or JSON lines");
  dump->add_option("--file", a.file, "dump this WAL file instead of the directory's segments");
  dump->add_flag("--json", a.json, "one JSON object per record");
  auto* import = app.add_subcommand(
      "import", "set every key of a JSON file (export or snapshot form, every type; or flat)");
  import->add_option("file", a.import.file, "JSON file, or '-' for standard input")->required();
  import->add_flag("--clear", a.import.clear, "remove every key first");
  auto* exp = app.add_subcommand(
      "export",
      "write the store as JSON in the snapshot's form (\"map\", \"objects\", \"expires\")");
  exp->add_option("file", a.file, "output file (default: standard output)");
}

void AddProcessCommands(CLI::App& app, Args& a) {
  auto* serve = app.add_subcommand(
      "serve", "run kvstore-server on --dir; further arguments (or all after --) go to it");
  serve->allow_extras()->prefix_command();
  auto* bench = app.add_subcommand("bench", "quick in-process throughput: sets, then gets");
  bench->add_option("--ops", a.bench.ops, "operations of each kind")->capture_default_str();
  bench->add_option("--threads", a.bench.threads, "threads")->capture_default_str();
  bench->add_option("--value-size", a.bench.value_size, "bytes per value")->capture_default_str();
  bench->add_option("--sync", a.global.sync, "WAL sync mode")
      ->check(CLI::IsMember({"always", "everysec", "no"}));
}

int Dispatch(CLI::App& app, Args& a) {
  using namespace kvstore::cli;  // NOLINT: a dispatch table of this namespace's commands
  const auto* sub = app.get_subcommands().front();
  const std::string name = sub->get_name();
  a.global.dir_given = app.get_option("--dir")->count() > 0;
  a.set.has_value = sub->get_name() == "set" && sub->get_option("value")->count() > 0;
  if (name == "get") return GetCommand(a.global, a.key, a.no_newline);
  if (name == "set") return SetCommand(a.global, a.set);
  if (name == "ttl") return TtlCommand(a.global, a.key, a.ttl_at);
  if (name == "del") return DelCommand(a.global, a.keys);
  if (name == "size") return SizeCommand(a.global);
  if (name == "scan") return ScanCommand(a.global, a.scan);
  if (name == "checkpoint") return CheckpointCommand(a.global);
  if (name == "shell") return ShellCommand(a.global);
  if (name == "check") {
    return a.file.empty() ? CheckDataDir(a.global.dir, a.check) : CheckSingleFile(a.file, a.check);
  }
  if (name == "dump") {
    DumpOptions d{a.json, true};
    return a.file.empty() ? DumpDataDir(a.global.dir, d, stdout) : DumpWalFile(a.file, d, stdout);
  }
  if (name == "import") return ImportCommand(a.global, a.import);
  if (name == "export") return ExportCommand(a.global, a.file);
  if (name == "bench") return BenchCommand(a.global, a.bench);
  if (name == "backup") return BackupCommand(a.global, a.backup);
  if (name == "restore") return RestoreCommand(a.global, a.backup);
  if (name == "serve") {
    std::vector<std::string> rest = sub->remaining();
    rest.insert(rest.end(), a.server_args.begin(), a.server_args.end());
    return ServeCommand(a.global, rest);
  }
  return kvstore::cli::Fail("unknown subcommand " + name);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kvstore: inspect, check and edit a kvstore data directory (docs/CLI.md)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kvstore " KVSTORE_VERSION_STRING);
  app.footer("Exit codes: 0 success, 1 absent key or damage found, 2 error.");
  Args a;
  AddGlobalFlags(app, a);
  AddStoreCommands(app, a);
  AddFileCommands(app, a);
  AddProcessCommands(app, a);
  kvstore::cli::AddBackupCommands(app, a.backup);
  try {
    app.parse(SplitServerArgs(argc, argv, &a.server_args), argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, as for every other error; CLI11's own report takes two.
    kvstore::cli::Fail(std::string(e.what()) + " (see --help)");
    return kExitError;
  }
  return Dispatch(app, a);
}
