// Copyright (c) the kvstore developers.
//
// `kvstore dump`: a WAL's records as text, one per line. Text form:
//   <seq> set "<key>" "<value>"  |  <seq> remove "<key>"  |  <seq> clear
// with keys and values escaped as escape.h describes. JSON-lines form:
//   {"seq":N,"type":"set","key":"...","value":"..."}
// with strings encoded as snapshots encode them (docs/FORMATS.md: text as is,
// other bytes as "\u0000b64:" + base64), so a dump can be fed to programs.

#ifndef KVSTORE_TOOLS_CLI_DUMP_H_
#define KVSTORE_TOOLS_CLI_DUMP_H_

#include <cstdio>
#include <string>

#include "wal_reader.h"

namespace kvstore::cli {

// One record as a line (with the trailing newline).
std::string FormatRecordText(const wal::RecordView& rec);
std::string FormatRecordJson(const wal::RecordView& rec);

struct DumpOptions {
  bool json = false;
  bool headers = false;  // text form: a "# <path>" line before each file
};

// Writes every valid record of the WAL at path to out. Returns kExitOk when
// the log ends cleanly or in a torn tail (noted on stderr: it is what a crash
// mid-append leaves), kExitNo on corruption (reported on stderr with the byte
// offset, after the records before it), kExitError if the file is unreadable.
int DumpWalFile(const std::string& path, const DumpOptions& options, std::FILE* out);

// Every WAL segment of a data directory, oldest first.
int DumpDataDir(const std::string& dir, const DumpOptions& options, std::FILE* out);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_DUMP_H_
