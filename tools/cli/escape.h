// Copyright (c) the kvstore developers.
//
// How the tool prints keys and values that may hold any byte (docs/CLI.md,
// "Escaping"): printable ASCII and valid UTF-8 text stay as they are; a
// backslash, a double quote, control bytes, DEL, C1 controls and bytes that
// are not valid UTF-8 become C-style escapes (\\ \" \n \r \t \xHH). The result
// is one line of text that never contains a raw space-like control byte, so
// fields can be separated by spaces or tabs and records by newlines.

#ifndef KVSTORE_TOOLS_CLI_ESCAPE_H_
#define KVSTORE_TOOLS_CLI_ESCAPE_H_

#include <string>
#include <string_view>

namespace kvstore::cli {

std::string EscapeBytes(std::string_view bytes);

// Inverse of EscapeBytes (raw bytes other than backslash pass through).
// Returns false on a malformed escape. Kept beside the encoder so that tests
// can prove the text form loses nothing.
bool UnescapeBytes(std::string_view text, std::string* out);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_ESCAPE_H_
