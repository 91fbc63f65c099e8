// Copyright (c) the kvstore developers.
//
// `kvstore backup --to DIR` and `kvstore restore --from DIR [--force]`
// (docs/BACKUP.md): thin commands over the library's BackupDataDir and
// RestoreBackup. backup works whether or not a kvstore-server has the data
// directory open: it never asks the server anything, it follows the
// lock-free protocol over the directory's immutable files.

#ifndef KVSTORE_TOOLS_CLI_BACKUP_H_
#define KVSTORE_TOOLS_CLI_BACKUP_H_

#include <cstdio>
#include <string>

#include "cli.h"

namespace CLI {
class App;
}

namespace kvstore::cli {

struct BackupArgs {
  std::string to;    // backup: the new backup directory
  std::string from;  // restore: the backup to restore
  bool force = false;  // restore: replace the data of a non-empty --dir
};

// Declares the backup and restore subcommands and their flags.
void AddBackupCommands(CLI::App& app, BackupArgs& args);

// Each prints one summary line on out and returns an exit code (docs/CLI.md).
int BackupCommand(const GlobalFlags& flags, const BackupArgs& args, std::FILE* out = stdout);
int RestoreCommand(const GlobalFlags& flags, const BackupArgs& args, std::FILE* out = stdout);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_BACKUP_H_
