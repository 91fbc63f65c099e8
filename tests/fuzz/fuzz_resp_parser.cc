// Copyright (c) the kvstore developers.
//
// libFuzzer target for kvstore-server's request parser (server/resp_parser.h).
//
// The first input byte picks how the rest is cut into reads (1 to 64 bytes,
// or all at once); the rest is the byte stream a client sends. The stream is
// parsed the way a connection does it (unconsumed bytes kept at the front of
// a buffer that is reallocated between reads, so resumed parses see moved
// bytes) and also in one piece. Invariants:
//   - kOk consumes at least one byte and at most what is buffered, and every
//     argument lies inside the consumed bytes;
//   - kIncomplete asks for more than is buffered (needed() > length), so a
//     caller waiting for needed() bytes always makes progress;
//   - the argument count and sizes respect the limits;
//   - reading in pieces and reading at once yield the same commands and the
//     same error (parsing does not depend on how TCP splits the stream).
// Small limits make every limit reachable with short inputs.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "resp_parser.h"

#define FUZZ_CHECK(cond)                                                                       \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                                        \
    }                                                                                          \
  } while (0)

namespace {

using kvstore::server::ParserLimits;
using kvstore::server::ParseStatus;
using kvstore::server::RespParser;

struct Result {
  std::vector<std::vector<std::string>> commands;
  std::string error;
};

ParserLimits Limits() {
  ParserLimits l;
  l.max_bulk_len = 300;
  l.max_multibulk_len = 20;
  l.max_inline_len = 200;
  return l;
}

// Feeds `data` in reads of `step` bytes (0: all at once).
Result Run(const uint8_t* data, std::size_t size, std::size_t step, bool authenticated) {
  const ParserLimits limits = Limits();
  RespParser parser(limits);
  Result out;
  std::vector<char> buf;
  std::size_t fed = 0;
  while (true) {
    const std::size_t n = step == 0 ? size - fed : std::min(step, size - fed);
    // A fresh allocation per read: resumed parses must cope with moved bytes.
    std::vector<char> grown(buf.size() + n);
    std::copy(buf.begin(), buf.end(), grown.begin());
    std::copy(data + fed, data + fed + n, grown.begin() + static_cast<std::ptrdiff_t>(buf.size()));
    buf.swap(grown);
    fed += n;
    while (!buf.empty()) {
      std::size_t consumed = 0;
      // Read the kind before parsing: inline parsing decodes escapes in
      // place, so afterwards buf[0] may be a '*' decoded from "\x2a" or '"*"'.
      const bool multibulk = buf[0] == '*';
      const ParseStatus st = parser.Parse(buf.data(), buf.size(), authenticated, &consumed);
      if (st == ParseStatus::kError) {
        out.error = std::string(parser.error());
        FUZZ_CHECK(!out.error.empty());
        return out;
      }
      if (st == ParseStatus::kIncomplete) {
        FUZZ_CHECK(parser.needed() > buf.size());
        break;
      }
      FUZZ_CHECK(consumed > 0 && consumed <= buf.size());
      const auto& args = parser.args();
      FUZZ_CHECK(args.size() <= limits.max_multibulk_len || !multibulk);
      std::vector<std::string> cmd;
      for (auto a : args) {
        FUZZ_CHECK(a.data() >= buf.data() && a.data() + a.size() <= buf.data() + consumed);
        if (multibulk) FUZZ_CHECK(a.size() <= limits.max_bulk_len);
        cmd.emplace_back(a);
      }
      if (!cmd.empty()) out.commands.push_back(std::move(cmd));
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(consumed));
    }
    if (fed == size) return out;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t step = data[0] & 63;
  const bool authenticated = (data[0] & 64) == 0;
  const Result whole = Run(data + 1, size - 1, 0, authenticated);
  const Result pieces = Run(data + 1, size - 1, step == 0 ? 1 : step, authenticated);
  FUZZ_CHECK(whole.commands == pieces.commands);
  FUZZ_CHECK(whole.error == pieces.error);
  return 0;
}
