// Copyright (c) the kvstore developers.

#include "backup.h"

#include <CLI/CLI.hpp>
#include <cinttypes>

#include "kvstore/backup.h"

namespace kvstore::cli {
namespace {

void PrintSummary(std::FILE* out, const char* what, const BackupInfo& info) {
  std::fprintf(out,
               "%s %s: sequence %" PRIu64 ", %" PRIu64 " keys, %zu files, %" PRIu64
               " bytes (%" PRIu64 " hard-linked), %.3f s\n",
               what, info.dir.c_str(), info.sequence, info.keys, info.files.size(), info.bytes,
               info.linked_bytes, static_cast<double>(info.duration.count()) / 1e6);
}

}  // namespace

void AddBackupCommands(CLI::App& app, BackupArgs& args) {
  auto* backup = app.add_subcommand(
      "backup", "copy --dir to a new directory at one point in time (also under a running server)");
  backup->add_option("--to", args.to, "the backup directory: absent or empty")->required();
  auto* restore = app.add_subcommand(
      "restore", "make --dir the state of a backup (verified first; --dir must not be in use)");
  restore->add_option("--from", args.from, "a backup directory (with BACKUP-MANIFEST)")
      ->required();
  restore->add_flag("--force", args.force,
                    "replace the data files of a non-empty --dir (other files are kept)");
}

int BackupCommand(const GlobalFlags& flags, const BackupArgs& args, std::FILE* out) {
  auto info = BackupDataDir(flags.dir, args.to);
  if (!info) return Fail(info.error());
  PrintSummary(out, "backup", *info);
  return kExitOk;
}

int RestoreCommand(const GlobalFlags& flags, const BackupArgs& args, std::FILE* out) {
  auto info = RestoreBackup(args.from, flags.dir, args.force);
  if (!info) return Fail(info.error());
  PrintSummary(out, "restored", *info);
  return kExitOk;
}

}  // namespace kvstore::cli
