// Copyright (c) the kvstore developers.
//
// See string_util.h.

#include "string_util.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace kvstore::server {

namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool ParseLongDouble(std::string_view s, long double* out) {
  // Redis caps the text at MAX_LONG_DOUBLE_CHARS (5k) and rejects spaces.
  if (s.empty() || s.size() > 5 * 1024) return false;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string tmp(s);  // strtold needs a terminated string
  char* end = nullptr;
  errno = 0;
  const long double v = std::strtold(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || std::isnan(v)) return false;
  if (errno == ERANGE && (std::isinf(v) || v == 0)) return false;
  *out = v;
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
  const std::string tmp(s);  // strtod needs a terminated string
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || std::isnan(v)) return false;
  if (errno == ERANGE && (std::isinf(v) || v == 0)) return false;
  *out = v;
  return true;
}

std::string FormatLongDouble(long double v) {
  char buf[5 * 1024 + 64];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof(buf)) return "0";
  std::string s(buf, static_cast<std::size_t>(n));
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

const char* IncrementFloatText(std::optional<std::string_view> cur, long double by,
                               const char* not_float_error, std::string* result) {
  long double value = 0;
  if (cur && !ParseLongDouble(*cur, &value)) return not_float_error;
  const long double sum = value + by;
  if (std::isnan(sum) || std::isinf(sum)) return "ERR increment would produce NaN or Infinity";
  *result = FormatLongDouble(sum);
  return nullptr;
}

bool ParseMemorySize(std::string_view s, uint64_t* out) {
  std::size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0 || digits > 19) return false;
  const std::string_view unit = s.substr(digits);
  uint64_t mul = 1;
  if (unit.empty() || EqualsIgnoreCase(unit, "b")) {
    mul = 1;
  } else if (EqualsIgnoreCase(unit, "k")) {
    mul = 1000;
  } else if (EqualsIgnoreCase(unit, "kb")) {
    mul = 1024;
  } else if (EqualsIgnoreCase(unit, "m")) {
    mul = 1000 * 1000;
  } else if (EqualsIgnoreCase(unit, "mb")) {
    mul = 1024 * 1024;
  } else if (EqualsIgnoreCase(unit, "g")) {
    mul = 1000ull * 1000 * 1000;
  } else if (EqualsIgnoreCase(unit, "gb")) {
    mul = 1024ull * 1024 * 1024;
  } else {
    return false;
  }
  const uint64_t v = std::strtoull(std::string(s.substr(0, digits)).c_str(), nullptr, 10);
  if (v > UINT64_MAX / mul) return false;
  *out = v * mul;
  return true;
}

}  // namespace kvstore::server
