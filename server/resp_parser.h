// Copyright (c) the kvstore developers.
//
// RespParser: splits a client's read buffer into commands, RESP2 multibulk
// ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or inline ("GET k\r\n", telnet style,
// with Redis's quoting rules). Arguments are views into the buffer itself:
// nothing is copied or allocated per command once the argument vector has
// grown to the largest command seen. Inline arguments with escapes are
// unescaped in place (the result is never longer than the source).
//
// Every size a client controls is bounded by ParserLimits; exceeding one is a
// protocol error with Redis's reply text, after which the connection must be
// closed (the parser does not try to resynchronise).

#ifndef KVSTORE_SERVER_RESP_PARSER_H_
#define KVSTORE_SERVER_RESP_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvstore::server {

struct ParserLimits {
  // Largest bulk string ($<len>) accepted: Redis's proto-max-bulk-len.
  uint64_t max_bulk_len = 512ull << 20;
  // Largest argument count (*<n>) accepted.
  uint64_t max_multibulk_len = 2147483647;  // INT_MAX, as Redis 7
  // Longest inline command, and longest "*<n>" / "$<len>" header line that
  // may sit in the buffer without its "\r": Redis's PROTO_INLINE_MAX_SIZE.
  uint64_t max_inline_len = 64 * 1024;
  // Limits for clients that still have to AUTH (when a password is set), as
  // Redis 7 does, so that an unauthenticated peer cannot make us buffer much.
  uint64_t unauth_max_multibulk_len = 10;
  uint64_t unauth_max_bulk_len = 16384;
};

enum class ParseStatus {
  kOk,          // one command parsed (args() may be empty: skip it)
  kIncomplete,  // need more bytes; needed() says how many in total
  kError,       // protocol error; error() is the reply text (without "-")
};

class RespParser {
 public:
  explicit RespParser(const ParserLimits& limits) : limits_(limits) {}
  // CONFIG SET proto-max-bulk-len: applies from the next Parse on.
  void set_max_bulk_len(uint64_t n) { limits_.max_bulk_len = n; }

  // Parses the first command in buf[0, len). After kIncomplete the next call
  // must pass the same bytes again (possibly moved) plus any new ones. On kOk sets *consumed to its
  // length in bytes; args() views stay valid until buf is modified. buf is
  // writable because inline escapes are decoded in place; the bytes of a
  // parsed command are not meaningful afterwards except through args().
  // `authenticated` selects the normal or the unauthenticated limits.
  ParseStatus Parse(char* buf, std::size_t len, bool authenticated, std::size_t* consumed);

  const std::vector<std::string_view>& args() const { return args_; }
  std::string_view error() const { return error_; }

  // After kIncomplete: the smallest buffer length (from the same start) at
  // which parsing can make progress. Callers use it to avoid re-parsing a
  // large bulk string on every read, and to size the next read.
  std::size_t needed() const { return needed_; }

 private:
  ParseStatus ParseMultibulk(char* buf, std::size_t len, bool authenticated, std::size_t* consumed);
  ParseStatus ParseInline(char* buf, std::size_t len, std::size_t* consumed);
  ParseStatus Fail(const char* text);
  ParseStatus Done(const char* buf, std::size_t end, std::size_t* consumed);

  ParserLimits limits_;
  std::vector<std::string_view> args_;
  // Resumable multibulk state, so that a command arriving in many reads is
  // scanned once rather than from its start on every read: the arguments
  // found so far as (offset, length) pairs (offsets survive the caller moving
  // its buffer), where to continue, and how many arguments are still due.
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  std::size_t pos_ = 0;
  int64_t pending_args_ = -1;  // -1: no multibulk in progress
  const char* error_ = "";
  char error_buf_[64] = {};
  std::size_t needed_ = 0;
};

// Splits line into arguments as Redis's sdssplitargs does (inline commands,
// a script's "#!" line): whitespace separates them, "..." takes C escapes,
// '...' only \'. The arguments are views into *buf, which receives the
// decoded line. False (and no arguments) if a quote is unbalanced or a
// closing quote is followed by something other than whitespace.
bool SplitArgs(std::string_view line, std::string* buf, std::vector<std::string_view>* args);

// Redis's string2ll: a strict decimal int64 (optional '-', no '+', no spaces,
// no leading zeros, no overflow). Returns false if s is not one.
bool ParseInt64(std::string_view s, int64_t* out);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_RESP_PARSER_H_
