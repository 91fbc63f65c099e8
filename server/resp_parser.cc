// Copyright (c) the kvstore developers.
//
// RESP2 request parsing; see resp_parser.h. The error texts are Redis 7's
// (networking.c), so clients and tests that match on them keep working.

#include "resp_parser.h"

#include <cstdio>
#include <cstring>
#include <limits>

#include "common/escape.h"
#include "decimal.h"

namespace kvstore::server {

bool ParseInt64(std::string_view s, int64_t* out) { return ParseCanonicalInt64(s, out); }

ParseStatus RespParser::Parse(char* buf, std::size_t len, bool authenticated,
                              std::size_t* consumed) {
  args_.clear();
  needed_ = 0;
  if (pending_args_ < 0) {
    if (len == 0) {
      needed_ = 1;
      return ParseStatus::kIncomplete;
    }
    if (buf[0] != '*') return ParseInline(buf, len, consumed);
  }
  return ParseMultibulk(buf, len, authenticated, consumed);
}

ParseStatus RespParser::Fail(const char* text) {
  error_ = text;
  pending_args_ = -1;
  spans_.clear();
  return ParseStatus::kError;
}

ParseStatus RespParser::Done(const char* buf, std::size_t end, std::size_t* consumed) {
  args_.reserve(spans_.size());
  for (const auto& [off, n] : spans_) args_.emplace_back(buf + off, n);
  spans_.clear();
  pending_args_ = -1;
  *consumed = end;
  return ParseStatus::kOk;
}

namespace {

// Finds the "\r\n" ending a header line that starts at `from`. Returns the
// offset of '\r', or npos if the buffer ends first.
std::size_t FindCrlf(const char* buf, std::size_t from, std::size_t len) {
  const void* cr = std::memchr(buf + from, '\r', len - from);
  if (cr == nullptr) return std::string_view::npos;
  return static_cast<std::size_t>(static_cast<const char*>(cr) - buf);
}

}  // namespace

ParseStatus RespParser::ParseMultibulk(char* buf, std::size_t len, bool authenticated,
                                       std::size_t* consumed) {
  if (pending_args_ < 0) {
    const std::size_t cr = FindCrlf(buf, 1, len);
    // The line is too long whether or not its '\r' has arrived yet, so that
    // the outcome does not depend on how the stream was split into reads.
    if ((cr == std::string_view::npos && len > limits_.max_inline_len) ||
        (cr != std::string_view::npos && cr > limits_.max_inline_len)) {
      return Fail("ERR Protocol error: too big mbulk count string");
    }
    if (cr == std::string_view::npos) {
      needed_ = len + 1;
      return ParseStatus::kIncomplete;
    }
    if (cr + 1 >= len) {
      needed_ = cr + 2;
      return ParseStatus::kIncomplete;
    }
    int64_t count = 0;
    if (!ParseInt64(std::string_view(buf + 1, cr - 1), &count) || buf[cr + 1] != '\n' ||
        (count > 0 && static_cast<uint64_t>(count) > limits_.max_multibulk_len)) {
      return Fail("ERR Protocol error: invalid multibulk length");
    }
    if (!authenticated && count > 0 &&
        static_cast<uint64_t>(count) > limits_.unauth_max_multibulk_len) {
      return Fail("ERR Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr + 2;
    // "*0" and "*-1" are empty commands: Redis skips them silently.
    if (count <= 0) return Done(buf, pos_, consumed);
    pending_args_ = count;
    spans_.clear();
    // Do not trust the count for a large reservation: it grows with the data.
    spans_.reserve(static_cast<std::size_t>(std::min<int64_t>(count, 1024)));
  }
  const uint64_t max_bulk = authenticated
                                ? limits_.max_bulk_len
                                : std::min(limits_.max_bulk_len, limits_.unauth_max_bulk_len);
  while (pending_args_ > 0) {
    if (pos_ >= len) {
      needed_ = pos_ + 1;
      return ParseStatus::kIncomplete;
    }
    if (buf[pos_] != '$') {
      std::snprintf(error_buf_, sizeof(error_buf_), "ERR Protocol error: expected '$', got '%c'",
                    buf[pos_]);
      return Fail(error_buf_);
    }
    const std::size_t cr = FindCrlf(buf, pos_ + 1, len);
    if ((cr == std::string_view::npos && len - pos_ > limits_.max_inline_len) ||
        (cr != std::string_view::npos && cr - pos_ > limits_.max_inline_len)) {
      return Fail("ERR Protocol error: too big bulk count string");
    }
    if (cr == std::string_view::npos) {
      needed_ = len + 1;
      return ParseStatus::kIncomplete;
    }
    if (cr + 1 >= len) {
      needed_ = cr + 2;
      return ParseStatus::kIncomplete;
    }
    int64_t n = 0;
    if (!ParseInt64(std::string_view(buf + pos_ + 1, cr - pos_ - 1), &n) || n < 0 ||
        buf[cr + 1] != '\n' || static_cast<uint64_t>(n) > limits_.max_bulk_len) {
      return Fail("ERR Protocol error: invalid bulk length");
    }
    if (static_cast<uint64_t>(n) > max_bulk) {
      return Fail("ERR Protocol error: unauthenticated bulk length");
    }
    const std::size_t data = cr + 2;
    const std::size_t end = data + static_cast<std::size_t>(n) + 2;
    if (end > len) {
      needed_ = end;
      return ParseStatus::kIncomplete;
    }
    // Redis skips the two bytes after the data unchecked; checking them
    // catches a client whose lengths are wrong before it desynchronises.
    if (buf[end - 2] != '\r' || buf[end - 1] != '\n') {
      return Fail("ERR Protocol error: expected '\\r\\n' after bulk data");
    }
    spans_.emplace_back(data, static_cast<std::size_t>(n));
    pos_ = end;
    --pending_args_;
  }
  return Done(buf, pos_, consumed);
}

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Decodes one double-quoted argument's escape at p (p[0] == '\\'), writing
// the byte to *w. Returns how many source bytes it used. As in sdssplitargs,
// an escape common::DecodeEscape does not know stands for the byte after the
// backslash.
std::size_t DecodeEscape(const char* p, const char* end, char* w) {
  const std::size_t used = common::DecodeEscape({p, static_cast<std::size_t>(end - p)}, w);
  if (used != 0) return used;
  if (end - p < 2) {
    *w = '\\';
    return 1;
  }
  *w = p[1];
  return 2;
}

}  // namespace

// Splits [p, end) like Redis's sdssplitargs: whitespace separates arguments;
// "..." supports \n \r \t \b \a \xHH and \<c>; '...' supports only \'; a
// closing quote must be followed by whitespace or the end of the line; quotes
// may start in the middle of an argument ("a"b -> ab).
namespace {

bool SplitArgsInPlace(char* p, char* end, std::vector<std::string_view>* args) {
  while (true) {
    while (p < end && IsSpace(*p)) ++p;
    if (p == end) break;
    char* const start = p;  // decoded bytes are written from here on
    char* w = p;
    enum { kPlain, kDouble, kSingle } state = kPlain;
    while (true) {
      if (p == end) {
        if (state != kPlain) return false;
        break;
      }
      const char c = *p;
      if (state == kPlain) {
        if (IsSpace(c)) break;
        if (c == '"') {
          state = kDouble;
        } else if (c == '\'') {
          state = kSingle;
        } else {
          *w++ = c;
        }
        ++p;
      } else if (state == kDouble && c == '\\' && p + 1 < end) {
        p += DecodeEscape(p, end, w++);
      } else if (state == kSingle && c == '\\' && p + 1 < end && p[1] == '\'') {
        *w++ = '\'';
        p += 2;
      } else if ((state == kDouble && c == '"') || (state == kSingle && c == '\'')) {
        ++p;
        if (p < end && !IsSpace(*p)) return false;
        state = kPlain;
        break;
      } else {
        *w++ = c;
        ++p;
      }
    }
    args->emplace_back(start, static_cast<std::size_t>(w - start));
  }
  return true;
}

}  // namespace

bool SplitArgs(std::string_view line, std::string* buf, std::vector<std::string_view>* args) {
  buf->assign(line);
  args->clear();
  if (SplitArgsInPlace(buf->data(), buf->data() + buf->size(), args)) return true;
  args->clear();
  return false;
}

ParseStatus RespParser::ParseInline(char* buf, std::size_t len, std::size_t* consumed) {
  const void* nl = std::memchr(buf, '\n', len);
  if (nl == nullptr) {
    if (len > limits_.max_inline_len) return Fail("ERR Protocol error: too big inline request");
    needed_ = len + 1;
    return ParseStatus::kIncomplete;
  }
  const std::size_t line_len = static_cast<std::size_t>(static_cast<const char*>(nl) - buf);
  if (line_len > limits_.max_inline_len) return Fail("ERR Protocol error: too big inline request");
  *consumed = line_len + 1;
  char* const end = buf + (line_len > 0 && buf[line_len - 1] == '\r' ? line_len - 1 : line_len);
  if (!SplitArgsInPlace(buf, end, &args_)) {
    args_.clear();
    return Fail("ERR Protocol error: unbalanced quotes in request");
  }
  return ParseStatus::kOk;
}

}  // namespace kvstore::server
