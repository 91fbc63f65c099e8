// Copyright (c) the kvstore developers.
//
// RESP2/RESP3 reply framing; see reply.h.

#include "reply.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace kvstore::server {

// The one place a "<type><number>\r\n" line is written: integers, and the
// length lines of bulk strings, arrays and maps.
template <class T>
void ReplyWriter::NumberLine(char type, T n) {
  char buf[24];
  buf[0] = type;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  (void)ec;  // 20 digits and a sign always fit
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, static_cast<std::size_t>(end - buf));
}

void ReplyWriter::Header(char type, uint64_t n) { NumberLine(type, n); }

void ReplyWriter::Grew() {
  // What goes nowhere is never read: a bounded scratch area is enough.
  constexpr std::size_t kKeepDiscarded = 64 * 1024;
  if (out_ == &discarded_) {
    if (discarded_.size() > kKeepDiscarded) discarded_.clear();
  } else if (out_->size() > cap_) {
    over_cap_ = true;
    Discard();
  }
}

void ReplyWriter::Simple(std::string_view text) {
  out_->push_back('+');
  out_->append(text);
  out_->append("\r\n", 2);
  Grew();
}

void ReplyWriter::Error(std::string_view text) {
  ++errors_;
  if (tally_ != nullptr) tally_->Count(text);
  const std::size_t start = out_->size();
  out_->push_back('-');
  out_->append(text);
  for (std::size_t i = start + 1; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n", 2);
  Grew();
}

void ReplyWriter::Integer(int64_t v) {
  NumberLine(':', v);
  Grew();
}

void ReplyWriter::Bulk(std::string_view data) {
  Header('$', data.size());
  out_->append(data);
  out_->append("\r\n", 2);
  Grew();
}

void ReplyWriter::Null() {
  if (protocol_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
  Grew();
}

void ReplyWriter::NullArray() {
  if (protocol_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyWriter::ArrayHeader(std::size_t n) { Header('*', n); }

void ReplyWriter::MapHeader(std::size_t n) {
  if (protocol_ >= 3) {
    Header('%', n);
  } else {
    Header('*', 2 * static_cast<uint64_t>(n));
  }
}

void ReplyWriter::Double(double v) {
  char buf[64];
  int n;
  if (std::isinf(v)) {
    n = std::snprintf(buf, sizeof(buf), "%s", v > 0 ? "inf" : "-inf");
  } else if (std::isnan(v)) {
    n = std::snprintf(buf, sizeof(buf), "nan");
  } else {
    n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  }
  if (protocol_ >= 3) {
    out_->push_back(',');
    out_->append(buf, static_cast<std::size_t>(n));
    out_->append("\r\n", 2);
    Grew();
  } else {
    Bulk(std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

void ReplyWriter::Verbatim(std::string_view text, std::string_view format) {
  if (protocol_ < 3) {
    Bulk(text);
    return;
  }
  Header('=', text.size() + format.size() + 1);
  out_->append(format);
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n", 2);
  Grew();
}

void ReplyWriter::SetHeader(std::size_t n) { Header(protocol_ >= 3 ? '~' : '*', n); }

void ReplyWriter::BigNumber(std::string_view digits) {
  if (protocol_ < 3) {
    Bulk(digits);
    return;
  }
  out_->push_back('(');
  out_->append(digits);
  out_->append("\r\n", 2);
  Grew();
}

}  // namespace kvstore::server
