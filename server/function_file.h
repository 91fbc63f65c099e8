// Copyright (c) the kvstore developers.
//
// The function libraries as bytes, and the file that keeps them across
// restarts. One encoding serves both FUNCTION DUMP/RESTORE's payload and
// the file `functions.kvfn` in the data directory:
//
//   "KVFN" 0x01 | per library: code length (u32 little-endian), code bytes |
//   the first 16 hex digits of the SHA1 of everything before them
//
// The file is rewritten whole, durably (write a temporary, fsync, rename,
// fsync the directory), after every FUNCTION LOAD, DELETE, FLUSH and
// RESTORE and before that command is answered, so an acknowledged change to
// the libraries survives a crash or power loss; a crash mid-write leaves the
// old file. The server loads it at start-up and refuses to start if it is
// damaged (docs/FORMATS.md, "Function libraries").

#ifndef KVSTORE_SERVER_FUNCTION_FILE_H_
#define KVSTORE_SERVER_FUNCTION_FILE_H_

#include <string>
#include <string_view>
#include <vector>

#include "kvstore/result.h"

namespace kvstore::server {

// The file's name inside the data directory.
inline constexpr char kFunctionFileName[] = "functions.kvfn";

// The payload of libraries whose codes are given, in that order.
std::string EncodeLibraries(const std::vector<std::string>& codes);

// Splits a payload into the libraries' codes. False if it is not one
// (wrong magic or version, truncated, or a checksum mismatch).
bool DecodeLibraries(std::string_view payload, std::vector<std::string>* codes);

// Writes dir/functions.kvfn holding codes, durably (see above); with no
// codes, a file that holds no library.
Result<void> SaveFunctionFile(const std::string& dir, const std::vector<std::string>& codes);

// The libraries kept in dir: none if there is no file. kCorruption naming
// the file if it is damaged; kIoError if it cannot be read. Removes a
// temporary file an interrupted save left behind.
Result<std::vector<std::string>> LoadFunctionFile(const std::string& dir);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_FUNCTION_FILE_H_
