// Copyright (c) the kvstore developers.
//
// C-style escapes for bytes that may not be printable, shared by the kvstore
// tool and kvstore-server.
//
// EscapeBytes is how the tool prints keys and values (docs/CLI.md,
// "Escaping"): printable ASCII and valid UTF-8 text stay as they are; a
// backslash, a double quote, control bytes, DEL, C1 controls and bytes that
// are not valid UTF-8 become \\ \" \n \r \t or \xHH. The result is one line of
// text that never contains a raw space-like control byte, so fields can be
// separated by spaces or tabs and records by newlines.
//
// DecodeEscape reads one escape: the ones above plus \b and \a, which
// kvstore-server's inline commands accept as redis-cli's do.

#ifndef KVSTORE_COMMON_ESCAPE_H_
#define KVSTORE_COMMON_ESCAPE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace kvstore::common {

std::string EscapeBytes(std::string_view bytes);

// Decodes the escape at the start of text (text[0] == '\\'): \\ \" \n \r \t
// \b \a or \xHH with two hex digits. Writes the byte to *out and returns how
// many bytes of text it used, or 0 (and writes nothing) if text does not start
// with one of these. Callers decide what an unknown escape means.
std::size_t DecodeEscape(std::string_view text, char* out);

// Inverse of EscapeBytes (raw bytes other than backslash pass through).
// Returns false on a malformed or unknown escape.
bool UnescapeBytes(std::string_view text, std::string* out);

}  // namespace kvstore::common

#endif  // KVSTORE_COMMON_ESCAPE_H_
