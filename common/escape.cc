// Copyright (c) the kvstore developers.

#include "common/escape.h"

#include <cstddef>
#include <cstdint>

namespace kvstore::common {
namespace {

// Length of the valid UTF-8 sequence at s[i] encoding a printable code point
// of U+00A0 or above, or 0. Rejects overlong forms, surrogates and code
// points past U+10FFFF, as a strict decoder must; C1 controls (U+0080..U+009F)
// count as not printable.
std::size_t PrintableUtf8Length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  uint32_t cp;
  std::size_t n;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if (!cont(k)) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF || cp < 0xA0) return 0;
  return n;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string EscapeBytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7F) {
      if (c == '\\' || c == '"') out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\n') {
      out += "\\n", ++i;
    } else if (c == '\r') {
      out += "\\r", ++i;
    } else if (c == '\t') {
      out += "\\t", ++i;
    } else if (std::size_t n = c >= 0x80 ? PrintableUtf8Length(bytes, i) : 0; n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++i;
    }
  }
  return out;
}

std::size_t DecodeEscape(std::string_view text, char* out) {
  if (text.size() < 2 || text[0] != '\\') return 0;
  switch (text[1]) {
    case '\\':
    case '"':
      *out = text[1];
      return 2;
    case 'n':
      *out = '\n';
      return 2;
    case 'r':
      *out = '\r';
      return 2;
    case 't':
      *out = '\t';
      return 2;
    case 'b':
      *out = '\b';
      return 2;
    case 'a':
      *out = '\a';
      return 2;
    case 'x': {
      if (text.size() < 4) return 0;
      const int hi = HexValue(text[2]), lo = HexValue(text[3]);
      if (hi < 0 || lo < 0) return 0;
      *out = static_cast<char>(hi * 16 + lo);
      return 4;
    }
  }
  return 0;
}

bool UnescapeBytes(std::string_view text, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '\\') {
      *out += text[i++];
      continue;
    }
    char c;
    const std::size_t used = DecodeEscape(text.substr(i), &c);
    if (used == 0) return false;
    *out += c;
    i += used;
  }
  return true;
}

}  // namespace kvstore::common
