// Copyright (c) the kvstore developers.
//
// Connection: one client's socket and buffers, owned by one I/O loop
// (event_loop.h). It owns the byte-level I/O: reading into the input buffer
// (growing towards the parser's hint for a large argument) and sending the
// output buffer without blocking. What the bytes mean is the dispatcher's
// business (dispatcher.h); when replies may go out is the loop's.

#ifndef KVSTORE_SERVER_CONNECTION_H_
#define KVSTORE_SERVER_CONNECTION_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resp_parser.h"
#include "server_state.h"

namespace kvstore::server {

// Pipelined writes: a run of plain "SET key value" commands that arrived in
// one read is executed as one KvStore::update(), which logs them as one WAL
// record. Replies and statistics are as if each SET had run alone; other
// clients see the run applied at once, which is a valid order because no
// reply was sent before all of it was applied.
struct SetBatch {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;  // reused
  std::size_t bytes = 0;
};

struct Connection {
  Connection(int fd, const ParserLimits& limits) : parser(limits) { info.fd = fd; }

  enum class ReadStatus { kData, kNothing, kClosed };  // kClosed: EOF or error
  enum class SendStatus { kDone, kBlocked, kClosed };  // kBlocked: wait for EPOLLOUT

  // Reads what the socket holds into `in`; *n receives the byte count.
  ReadStatus Read(std::size_t* n);
  // Sends `out` from out_off; *n receives the bytes sent. kDone resets the
  // output buffer (releasing it if a large reply grew it).
  SendStatus Send(std::size_t* n);
  // Drops the first `consumed` bytes of input (they have been executed).
  void ConsumeInput(std::size_t consumed);
  bool has_output() const { return out_off < out.size(); }

  ClientInfo info;
  RespParser parser;
  std::vector<char> in;  // bytes [0, in_len) are unparsed input
  std::size_t in_len = 0;
  std::size_t need = 0;  // parser's hint: in_len needed before re-parsing
  std::string out;       // replies not yet sent, from out_off
  std::size_t out_off = 0;
  bool writing = false;        // waiting for EPOLLOUT (input paused)
  bool flush_pending = false;  // in the loop's list of replies to send at the batch's end
  SetBatch sets;               // pipelined plain SETs not yet run
  // client-output-buffer-limit, normal class (event_loop.h): whether a
  // reply was cut at the hard limit (the connection is to be closed), and
  // the soft limit's clock.
  bool output_over_limit = false;
  OutputBufferCheck output_check;
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_CONNECTION_H_
