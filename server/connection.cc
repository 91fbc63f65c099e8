// Copyright (c) the kvstore developers.
//
// Connection's socket I/O; see connection.h.

#include "connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kvstore::server {

namespace {

// Bytes read per read() when no large argument is pending.
constexpr std::size_t kReadChunk = 16 * 1024;
// Buffers grown past these for one large request are released once idle.
constexpr std::size_t kKeepInput = 64 * 1024;
constexpr std::size_t kKeepOutput = 1024 * 1024;

}  // namespace

Connection::ReadStatus Connection::Read(std::size_t* n) {
  *n = 0;
  // Grow towards the parser's hint for a large argument, but at most
  // doubling per read, so a client that announces a huge bulk and sends
  // nothing does not make us commit the memory.
  std::size_t want = in_len + kReadChunk;
  if (need > want) want = std::min(need, std::max(want, 2 * in.size()));
  if (in.size() < want) in.resize(want);
  const ssize_t r = read(info.fd, in.data() + in_len, in.size() - in_len);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return ReadStatus::kClosed;
  if (r < 0) return ReadStatus::kNothing;
  *n = static_cast<std::size_t>(r);
  in_len += *n;
  return ReadStatus::kData;
}

Connection::SendStatus Connection::Send(std::size_t* n) {
  *n = 0;
  while (out_off < out.size()) {
    const ssize_t r = send(info.fd, out.data() + out_off, out.size() - out_off, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return SendStatus::kBlocked;
      return SendStatus::kClosed;
    }
    out_off += static_cast<std::size_t>(r);
    *n += static_cast<std::size_t>(r);
  }
  if (out.capacity() > kKeepOutput) {
    std::string().swap(out);
  } else {
    out.clear();
  }
  out_off = 0;
  return SendStatus::kDone;
}

void Connection::ConsumeInput(std::size_t consumed) {
  if (consumed > 0) {
    std::memmove(in.data(), in.data() + consumed, in_len - consumed);
    in_len -= consumed;
  }
  if (in_len == 0 && in.size() > kKeepInput) std::vector<char>().swap(in);
}

}  // namespace kvstore::server
