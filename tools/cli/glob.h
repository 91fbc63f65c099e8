// Copyright (c) the kvstore developers.
//
// Redis-style glob patterns for `kvstore scan --match`, over bytes (keys may
// hold NUL, so fnmatch(3) and its C strings will not do):
//   *      any run of bytes, also empty      ?      any one byte
//   [abc]  one of the listed bytes           [^ab]  one byte not listed
//   [a-z]  a range (inside brackets)         \c     the byte c itself

#ifndef KVSTORE_TOOLS_CLI_GLOB_H_
#define KVSTORE_TOOLS_CLI_GLOB_H_

#include <string_view>

namespace kvstore::cli {

bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace kvstore::cli

#endif  // KVSTORE_TOOLS_CLI_GLOB_H_
