// Copyright (c) the kvstore developers.
//
// String helpers with Redis's exact semantics, shared by the commands and the
// configuration: the float parsing and printing of INCRBYFLOAT, and memory
// sizes such as "512mb". Glob matching (KEYS, SCAN MATCH, CONFIG GET) is
// common/glob.h, shared with the kvstore tool.

#ifndef KVSTORE_SERVER_STRING_UTIL_H_
#define KVSTORE_SERVER_STRING_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvstore::server {

// Redis's string2ld: the whole string is a finite long double, no spaces.
bool ParseLongDouble(std::string_view s, long double* out);

// Redis's getDoubleFromObject (ZADD scores, weights): the whole string is a
// double (strtod syntax, so "inf" and "-inf" too), not NaN, no leading space,
// and neither overflowing nor underflowing to zero.
bool ParseDouble(std::string_view s, double* out);

// Redis's ld2string in human mode: "%.17Lf" without trailing zeros or point.
std::string FormatLongDouble(long double v);
// INCRBYFLOAT and HINCRBYFLOAT on a stored value: cur (absent: 0) + by as
// FormatLongDouble writes it, into *result. Returns nullptr, or the error to
// reply: not_float_error when cur is not a number, or Redis's refusal of a
// NaN or infinite sum.
const char* IncrementFloatText(std::optional<std::string_view> cur, long double by,
                               const char* not_float_error, std::string* result);

// Redis's memtoll: "512mb" = 512*1024*1024, "1k" = 1000, "1kb" = 1024, plain
// bytes without suffix. Returns false if s is not such a size.
bool ParseMemorySize(std::string_view s, uint64_t* out);

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// s with ASCII letters in lower case.
std::string AsciiLower(std::string_view s);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_STRING_UTIL_H_
